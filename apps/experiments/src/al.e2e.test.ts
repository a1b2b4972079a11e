// Active-learning curves through the CLI on a tiny random BERT: a curve killed with SIGKILL in the middle of a step
// resumes there - the finished steps are not redone and every step's labelled set, metrics, records and result equal
// an uninterrupted run's - and a continued curve (al.reinit: false) starts each step from the previous one's weights.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readRunRecord } from '@prunelab/dynamics';
import { readSubset } from '@prunelab/pruning';
import type { AlStepResult } from './al-step.ts';
import { cli, midEpoch } from './testing/cli.ts';
import { ensureTinyModel } from './tiny-model.ts';

const TINY = { hidden_size: 32, num_hidden_layers: 1, intermediate_size: 64, num_attention_heads: 2 };
const STEPS = ['step-00', 'step-01', 'step-02', 'step-03'];
const CURVES = ['sst2/a/al/entropy-seed-1', 'sst2/a/al/badge-seed-1'];

function config(tmp: string, out: string, al: string): string {
  const file = join(tmp, `${out}.yaml`);
  writeFileSync(
    file,
    [
      'name: al-resume',
      'tasks: [sst2]',
      'data: { train_size: 120, dev_size: 32, seed: 3, allow_download: false, max_length: 32 }',
      `models: { a: { path: ${join(tmp, 'model-a')}, generate_if_missing: false } }`,
      `al: { ${al} }`,
      `output: { dir: ${join(tmp, out)} }`,
      '',
    ].join('\n'),
  );
  return file;
}

const done = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'done.json'), 'utf8')) as { finishedAt: string; result: AlStepResult };

test('an AL curve killed mid-step resumes at that step and equals an uninterrupted curve', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'prunelab-al-'));
  await ensureTinyModel(join(tmp, 'model-a'), { seed: 1, overrides: TINY });
  const al =
    'warm_start: 20, query: 20, budget: 80, strategies: [entropy, badge], seeds: [1], epochs: 3, batch_size: 8, ' +
    'lr: 2.0e-3, checkpoint_every: 2, probe_size: 16';
  const straight = await cli(['run', config(tmp, 'straight', al)]);
  assert.equal(straight.code, 0, straight.out);
  const a = join(tmp, 'straight', 'al-resume');
  const b = join(tmp, 'killed', 'al-resume');

  const killedStep = join(b, CURVES[0]!, 'step-02');
  const kill = await cli(['run', config(tmp, 'killed', al)], () => midEpoch(killedStep));
  assert.equal(kill.signal, 'SIGKILL', `not killed:\n${kill.out}`);
  assert.ok(!existsSync(join(killedStep, 'done.json')));
  const before = STEPS.slice(0, 2).map((s) => done(join(b, CURVES[0]!, s)).finishedAt);

  const rerun = await cli(['run', config(tmp, 'killed', al)]);
  assert.equal(rerun.code, 0, rerun.out);
  assert.match(rerun.out, /entropy seed 1 step 1\/4: finished earlier, skipped/);
  assert.match(rerun.out, /entropy seed 1 step 2\/4: finished earlier, skipped/);
  assert.match(rerun.out, /resumed at epoch 2/);
  // finished steps were not redone
  assert.deepEqual(
    STEPS.slice(0, 2).map((s) => done(join(b, CURVES[0]!, s)).finishedAt),
    before,
  );
  for (const curve of CURVES) {
    let labelled: string[] = [];
    for (const [i, s] of STEPS.entries()) {
      const [x, y] = [join(a, curve, s), join(b, curve, s)];
      for (const f of ['labelled.json', 'metrics.jsonl', 'correct.u8', 'loss.f32', 'probe-grams.f32'])
        assert.ok(readFileSync(join(x, f)).equals(readFileSync(join(y, f))), `${curve}/${s}/${f} differs`);
      assert.deepEqual(readSubset(join(x, 'labelled.json')).ids, readSubset(join(y, 'labelled.json')).ids);
      const [rx, ry] = [done(x).result, done(y).result];
      assert.deepEqual({ ...rx, seconds: 0 }, { ...ry, seconds: 0 }, `${curve}/${s}: results differ`);
      // the curve grows by the queried ids: the previous labelled set, then what this step chose
      const ids = readSubset(join(x, 'labelled.json')).ids;
      assert.equal(rx.labelled, 20 + 20 * i);
      assert.deepEqual(ids.slice(0, labelled.length), labelled);
      if (i < 3) assert.deepEqual(ids.slice(rx.labelled), rx.selected);
      else assert.equal(rx.selected, null);
      assert.equal(new Set(ids).size, ids.length);
      assert.equal(rx.cka?.pretrained.length, 2); // embeddings and the one layer
      // the record is of the labelled set: its ids, and its correctness agrees with the step's training accuracy
      const header = JSON.parse(readFileSync(join(x, 'header.json'), 'utf8')) as { ids: string[] };
      assert.deepEqual(header.ids, ids.slice(0, rx.labelled));
      const rec = readRunRecord(x);
      assert.equal(rec.correct.length, 3);
      const lastEpoch = rec.correct[2]!.reduce((a, v) => a + v, 0) / rx.labelled;
      assert.ok(Math.abs(lastEpoch - rx.trainAccuracy) < 1e-9, `${curve}/${s}: record vs training accuracy`);
      if (i > 0) assert.equal(rx.cka?.previous?.length, 2);
      labelled = ids;
    }
  }
  // both strategies start from the same warm start, then choose differently
  const warm = CURVES.map((c) => readSubset(join(a, c, 'step-00', 'labelled.json')).ids.slice(0, 20));
  assert.deepEqual(warm[0], warm[1]);
  assert.notDeepEqual(
    done(join(a, CURVES[0]!, 'step-00')).result.selected,
    done(join(a, CURVES[1]!, 'step-00')).result.selected,
  );
  assert.ok(existsSync(join(b, 'report.md')));
  // MLflow keeps every step's labelled set with its run
  const logged = readdirSync(join(a, 'mlruns'), { recursive: true, encoding: 'utf8' }).filter((f) =>
    f.endsWith('labelled.json'),
  );
  assert.equal(logged.length, CURVES.length * STEPS.length);
});

test("a continued curve (al.reinit: false) keeps each step's weights and starts the next step from them", async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'prunelab-al-'));
  await ensureTinyModel(join(tmp, 'model-a'), { seed: 1, overrides: TINY });
  const base =
    'warm_start: 20, query: 20, budget: 60, strategies: [margin], seeds: [2], epochs: 2, batch_size: 8, lr: 2.0e-3, probe_size: 0';
  const cont = await cli(['run', config(tmp, 'cont', `${base}, reinit: false`)]);
  assert.equal(cont.code, 0, cont.out);
  const fresh = await cli(['run', config(tmp, 'fresh', base)]);
  assert.equal(fresh.code, 0, fresh.out);
  const curve = 'sst2/a/al/margin-seed-2';
  const c = join(tmp, 'cont', 'al-resume', curve);
  const f = join(tmp, 'fresh', 'al-resume', curve);
  assert.ok(existsSync(join(c, 'step-00', 'weights.safetensors')));
  assert.ok(!existsSync(join(c, 'step-02', 'weights.safetensors'))); // the last step has no next one
  assert.ok(!existsSync(join(f, 'step-00', 'weights.safetensors')));
  // step 0 is the same training either way; step 1 starts elsewhere, so its first epoch differs
  assert.ok(
    readFileSync(join(c, 'step-00', 'metrics.jsonl')).equals(readFileSync(join(f, 'step-00', 'metrics.jsonl'))),
  );
  assert.notDeepEqual(readFileSync(join(c, 'step-01', 'loss.f32')), readFileSync(join(f, 'step-01', 'loss.f32')));
  assert.equal(done(join(c, 'step-02')).result.cka, null);
});
