// Mitigated phase-2 runs through the CLI on a tiny random BERT: with `none` in the list, DENI, the ensemble and SWA
// start from the none run's kept snapshot and their results equal those of a grid without none (where they train
// the shared steps themselves); done.json counts model-steps; a DENI job killed with SIGKILL mid-epoch resumes to
// the same result; the kept snapshots are gone once every job that needed them has finished.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { mitigationCost, parseMitigation } from '@prunelab/finetune';
import type { DoneMarker } from './job-state.ts';
import type { Phase2Result } from './phase2.ts';
import { cli, midEpoch } from './testing/cli.ts';
import { ensureTinyModel } from './tiny-model.ts';

const TINY = { hidden_size: 32, num_hidden_layers: 1, intermediate_size: 64, num_attention_heads: 2 };
const DENI = '{ method: deni, copies: 2 }';
const ENSEMBLE = '{ method: ensemble, size: 2 }';

function config(tmp: string, out: string, list: string): string {
  const file = join(tmp, `${out}.yaml`);
  writeFileSync(
    file,
    [
      'name: mit',
      'tasks: [sst2]',
      'data: { train_size: 64, dev_size: 32, seed: 3, allow_download: false, max_length: 32 }',
      `models: { a: { path: ${join(tmp, 'model-a')}, generate_if_missing: false } }`,
      'phase2: { methods: [full], seeds: [1, 2], epochs: 2, batch_size: 8, lr: 2.0e-3, eval: last, ' +
        `checkpoint_every: 2, mitigation: [${list}] }`,
      `output: { dir: ${join(tmp, out)} }`,
      '',
    ].join('\n'),
  );
  return file;
}

type Done = DoneMarker & { result: Phase2Result };
const done = (dir: string) => JSON.parse(readFileSync(join(dir, 'done.json'), 'utf8')) as Done;
/** what a job computed: the result without timings and without where it started from */
const computed = (d: Done) => {
  const { prefixFrom: _p, ...mitigation } = d.result.mitigation ?? ({} as NonNullable<Phase2Result['mitigation']>);
  return { ...d.result, epochs: d.result.epochs.map((e) => ({ ...e, seconds: 0 })), mitigation };
};

test('mitigated runs start from the none run, equal runs that trained it all, count model-steps, resume', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'prunelab-mit-'));
  await ensureTinyModel(join(tmp, 'model-a'), { seed: 1, overrides: TINY });
  const shared = await cli(['run', config(tmp, 'shared', `none, ${DENI}, ${ENSEMBLE}, swa`)]);
  assert.equal(shared.code, 0, shared.out);
  assert.match(shared.out, /deni seed 1 \(64 examples\).*started from the none run's snapshot at epoch 1 step 5/);
  assert.match(
    shared.out,
    /ensemble seed 1 \(64 examples\).*started from the none run's snapshot at the end of training/,
  );

  // the same strategies without none: every job trains from the start; DENI is killed once mid-epoch
  const alone = config(tmp, 'alone', `${DENI}, ${ENSEMBLE}, swa`);
  const killedDir = join(tmp, 'alone', 'mit', 'sst2', 'a', 'phase2', 'full-deni-seed-1');
  const kill = await cli(['run', alone], () => midEpoch(killedDir));
  assert.equal(kill.signal, 'SIGKILL', `not killed:\n${kill.out}`);
  const rerun = await cli(['run', alone]);
  assert.equal(rerun.code, 0, rerun.out);
  assert.match(rerun.out, /deni seed 1.*resumed at epoch 2/);
  assert.doesNotMatch(rerun.out, /started from the none run/);

  const a = join(tmp, 'shared', 'mit', 'sst2', 'a', 'phase2');
  const b = join(tmp, 'alone', 'mit', 'sst2', 'a', 'phase2');
  const opts = { epochs: 2, batchSize: 8, lr: 2e-3, seed: 1 };
  const T = 16; // 64 examples, 8 a step, 2 epochs
  assert.equal(done(join(a, 'full-seed-1')).modelSteps, T);
  for (const [label, spec, models] of [
    ['deni', { method: 'deni', copies: 2 }, 3],
    ['ensemble', { method: 'ensemble', size: 2 }, 2],
    ['swa', 'swa', 1],
  ] as const) {
    for (const seed of [1, 2]) {
      const job = `full-${label}-seed-${seed}`;
      const [x, y] = [done(join(a, job)), done(join(b, job))];
      assert.deepEqual(computed(x), computed(y), `${job}: from the snapshot vs trained throughout`);
      assert.ok(readFileSync(join(a, job, 'metrics.jsonl')).equals(readFileSync(join(b, job, 'metrics.jsonl'))), job);
      assert.equal(x.modelSteps, mitigationCost(parseMitigation(spec), 64, opts), `${job}: model-steps`);
      assert.equal(x.result.mitigation?.models, models);
      assert.equal(x.result.mitigation?.prefixFrom?.job, `sst2/a/phase2/full-seed-${seed}`);
      assert.equal(y.result.mitigation?.prefixFrom, undefined);
      assert.ok(x.result.metrics?.macro_f1 !== undefined, 'macro-F1 is reported');
    }
  }
  // DENI here: 16 main steps, interpolation windows 5-7 and 7-9 x 2 copies, the ensemble's last 2 steps x 2 copies
  assert.equal(done(join(a, 'full-deni-seed-1')).modelSteps, 16 + 2 * 2 * 2 + 2 * 2);
  assert.equal(done(join(a, 'full-ensemble-seed-1')).modelSteps, 2 * T);
  // every job that needed a kept snapshot has finished: none is left
  for (const seed of [1, 2])
    assert.deepEqual(
      readdirSync(join(a, `full-seed-${seed}`)).filter((f) => f.startsWith('prefix-')),
      [],
      'kept snapshots removed',
    );
  assert.ok(existsSync(join(a, 'full-seed-1', 'done.json')));
});
