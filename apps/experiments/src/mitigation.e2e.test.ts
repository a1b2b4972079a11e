// Mitigated phase-2 runs through the CLI on a tiny random BERT (sst2, full data, 64 examples, 2 seeds, 2 epochs of 8
// steps). With `none` in the list, DENI, the ensemble and SWA start from the none run's kept snapshot (job log, MLflow
// tag, result) and their results and metrics.jsonl equal those of a grid without none, where they train the shared
// steps themselves; done.json counts model-steps as the engine's mitigationCost plans them. Kills with SIGKILL: the
// ensemble right after it took the none run's snapshot (while its second member trains), DENI of the shared grid
// mid-epoch after its own snapshot, DENI of the grid without none mid-epoch; each resumes to byte-identical
// metrics.jsonl and an equal result, and a job that started from the none run still says so after its resume.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { mitigationCost, parseMitigation, prefixStep } from '@prunelab/finetune';
import { listExperiments, listRuns, readRun, type StoredRun } from '@prunelab/tracking';
import type { DoneMarker } from './job-state.ts';
import type { Phase2Result } from './phase2.ts';
import { cli, midEpoch } from './testing/cli.ts';
import { ensureTinyModel } from './tiny-model.ts';

const TINY = { hidden_size: 32, num_hidden_layers: 1, intermediate_size: 64, num_attention_heads: 2 };
const DENI = '{ method: deni, copies: 2 }';
const ENSEMBLE = '{ method: ensemble, size: 2 }';
const N = 64; // training examples
const T = 16; // the none run's steps: 64 examples, 8 a step, 2 epochs
const OPTS = { epochs: 2, batchSize: 8, lr: 2e-3, seed: 1 };
const JOBS = 'mit/sst2/a/phase2';

function config(tmp: string, out: string, list: string): string {
  const file = join(tmp, `${out}.yaml`);
  writeFileSync(
    file,
    [
      'name: mit',
      'tasks: [sst2]',
      `data: { train_size: ${N}, dev_size: 32, seed: 3, allow_download: false, max_length: 32 }`,
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
/** what a job computed: its result without timings and without where it started from */
const computed = (d: Done) => {
  const { prefixFrom: _p, ...mitigation } = d.result.mitigation ?? ({} as NonNullable<Phase2Result['mitigation']>);
  return { ...d.result, epochs: d.result.epochs.map((e) => ({ ...e, seconds: 0 })), mitigation };
};
const logOf = (dir: string) => (existsSync(join(dir, 'log.txt')) ? readFileSync(join(dir, 'log.txt'), 'utf8') : '');
function mlflowRuns(outDir: string): StoredRun[] {
  const mlruns = join(outDir, 'mit', 'mlruns');
  const exp = listExperiments(mlruns).find((e) => e.name === 'mit')!;
  return listRuns(mlruns, exp.id).map((id) => readRun(mlruns, exp.id, id));
}

test('mitigated runs start from the none run, equal runs that trained it all, count model-steps, resume', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'prunelab-mit-'));
  await ensureTinyModel(join(tmp, 'model-a'), { seed: 1, overrides: TINY });
  const a = join(tmp, 'shared', JOBS);
  const b = join(tmp, 'alone', JOBS);

  // the grid with none: killed once right after the ensemble took the none run's snapshot (its member trains then),
  // once when DENI of seed 2 has a snapshot of its own mid-epoch 2; the third run finishes
  const shared = config(tmp, 'shared', `none, ${DENI}, ${ENSEMBLE}, swa`);
  const k1 = await cli(['run', shared], () => /started at/.test(logOf(join(a, 'full-ensemble-seed-1'))));
  assert.equal(k1.signal, 'SIGKILL', `not killed:\n${k1.out}`);
  assert.match(k1.out, /deni seed 1 \(64 examples\).*started from the none run's snapshot at epoch 1 step 5/);
  assert.match(k1.out, /ensemble seed 1 \(64 examples\).*started from the none run's snapshot at the end of training/);
  const k2 = await cli(['run', shared], () => midEpoch(join(a, 'full-deni-seed-2')));
  assert.equal(k2.signal, 'SIGKILL', `not killed:\n${k2.out}`);
  const last = await cli(['run', shared]);
  assert.equal(last.code, 0, last.out);
  assert.match(last.out, /deni seed 2.*resumed at epoch 2/);

  // the same strategies without none: every job trains from the start; DENI of seed 1 is killed once mid-epoch
  const alone = config(tmp, 'alone', `${DENI}, ${ENSEMBLE}, swa`);
  const k3 = await cli(['run', alone], () => midEpoch(join(b, 'full-deni-seed-1')));
  assert.equal(k3.signal, 'SIGKILL', `not killed:\n${k3.out}`);
  const rerun = await cli(['run', alone]);
  assert.equal(rerun.code, 0, rerun.out);
  assert.match(rerun.out, /deni seed 1.*resumed at epoch 2/);
  assert.doesNotMatch(k3.out + rerun.out, /started from the none run/);

  const runsA = mlflowRuns(join(tmp, 'shared'));
  const finalRun = (d: Done) => runsA.find((r) => r.meta.run_id === d.mlflowRunId)!;
  for (const seed of [1, 2]) {
    const none = done(join(a, `full-seed-${seed}`));
    assert.equal(none.modelSteps, T, 'none: the run steps');
    assert.equal(none.result.modelSteps, T);
    assert.equal(none.result.mitigation, undefined);
    assert.ok(none.result.metrics?.macro_f1 !== undefined, 'macro-F1 is reported');
    // every job that needed a kept snapshot has finished: none is left
    assert.deepEqual(
      readdirSync(join(a, `full-seed-${seed}`)).filter((f) => f.startsWith('prefix-')),
      [],
      'kept snapshots removed',
    );
  }
  for (const [label, spec, models] of [
    ['deni', { method: 'deni', copies: 2 }, 3],
    ['ensemble', { method: 'ensemble', size: 2 }, 2],
    ['swa', 'swa', 1],
  ] as const) {
    const parsed = parseMitigation(spec);
    for (const seed of [1, 2]) {
      const job = `full-${label}-seed-${seed}`;
      const noneId = `sst2/a/phase2/full-seed-${seed}`;
      const [x, y] = [done(join(a, job)), done(join(b, job))];
      assert.deepEqual(computed(x), computed(y), `${job}: from the snapshot vs trained throughout`);
      assert.ok(readFileSync(join(a, job, 'metrics.jsonl')).equals(readFileSync(join(b, job, 'metrics.jsonl'))), job);
      assert.equal(x.modelSteps, mitigationCost(parsed, N, { ...OPTS, seed }), `${job}: model-steps`);
      assert.equal(y.modelSteps, x.modelSteps, `${job}: model-steps, trained throughout`);
      assert.equal(x.result.modelSteps, x.modelSteps);
      assert.equal(x.result.mitigation?.models, models, `${job}: voting models`);
      assert.equal(x.result.mitigation?.label, label);
      assert.equal(x.result.mitigation?.method, parsed.method);
      assert.deepEqual(x.result.mitigation?.options, parsed.options);
      assert.ok(x.result.metrics?.macro_f1 !== undefined, `${job}: macro-F1 is reported`);
      // metric/metrics are the mitigated predictor's (its final evaluation); the main model's stay beside them
      assert.equal(x.result.metric, x.result.metrics?.[x.result.metricName]);
      assert.equal(x.result.metric, x.result.mitigation?.final?.metric);
      assert.deepEqual(x.result.metrics, x.result.mitigation?.final?.metrics);
      assert.equal(x.result.mitigation?.mainMetric, x.result.epochs.at(-1)?.devMetric);
      // where it started: the result, the job log, the MLflow run done.json names
      const step = prefixStep(parsed, N, { ...OPTS, seed });
      assert.deepEqual(x.result.mitigation?.prefixFrom, { job: noneId, step }, `${job}: prefixFrom`);
      assert.equal(y.result.mitigation?.prefixFrom, undefined, `${job}: trained throughout`);
      assert.match(logOf(join(a, job)), new RegExp(`started at .* from the none run ${noneId}'s snapshot`), job);
      assert.equal(finalRun(x)?.tags['prunelab.prefix_from'], noneId, `${job}: MLflow tag`);
      assert.equal(finalRun(x)?.tags['prunelab.prefix_step'], String(step), `${job}: MLflow tag`);
      assert.equal(finalRun(x)?.meta.status, 3, `${job}: FINISHED`);
    }
  }
  // DENI here: 16 main steps, interpolation windows 5-7 and 7-9 x 2 copies, the ensemble's last 2 steps x 2 copies
  assert.equal(done(join(a, 'full-deni-seed-1')).modelSteps, T + 2 * 2 * 2 + 2 * 2);
  assert.equal(done(join(a, 'full-ensemble-seed-1')).modelSteps, 2 * T);
  assert.equal(done(join(a, 'full-swa-seed-1')).modelSteps, T);
  // the killed jobs: the ensemble, killed before a snapshot of its own, started from the none run's again (its new
  // MLflow run does not claim to resume the none run's); DENI resumed its own killed run and still started from none
  const byId = (id: string | undefined) => runsA.find((r) => r.meta.run_id === id);
  const ensemble = finalRun(done(join(a, 'full-ensemble-seed-1')));
  assert.equal(ensemble.tags.resumed_from_run, undefined);
  assert.equal(
    logOf(join(a, 'full-ensemble-seed-1')).match(/started at epoch 3, step 16 .* from the none run/g)?.length,
    2,
  );
  const deni = finalRun(done(join(a, 'full-deni-seed-2')));
  const killed = byId(deni.tags.resumed_from_run);
  assert.equal(killed?.tags['mlflow.runName'], 'sst2/a/phase2/full-deni-seed-2');
  assert.equal(killed?.meta.status, 5, 'the killed run is KILLED');
  assert.equal(killed?.tags['prunelab.prefix_from'], 'sst2/a/phase2/full-seed-2');
  for (const seed of [1, 2])
    assert.deepEqual(
      readdirSync(join(a, `full-deni-seed-${seed}`)).filter((f) => /^(prefix-|train-state)/.test(f)),
      [],
    );
});
