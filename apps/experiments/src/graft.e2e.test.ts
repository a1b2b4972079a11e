// Grafting through the CLI on a tiny random BERT (sst2, 64 examples, 2 phase-1 seeds, phase 2 full and the winning
// ticket): the runs grafting reads keep their weights, the graft jobs write a row per mask and a graft file each,
// a job killed between rows resumes after the last one to the result an uninterrupted job gives, and a run whose
// kept weights are gone trains again to keep them.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { applyGraftFile, chooseBackend, loadModel, readGraftMasks } from '@prunelab/finetune';
import type { GraftResult } from './graft-job.ts';
import type { DoneMarker } from './job-state.ts';
import { cli } from './testing/cli.ts';
import { ensureTinyModel } from './tiny-model.ts';

const TINY = { hidden_size: 32, num_hidden_layers: 2, intermediate_size: 64, num_attention_heads: 2 };
type Done = DoneMarker & { result: GraftResult };
const done = (dir: string) => JSON.parse(readFileSync(join(dir, 'done.json'), 'utf8')) as Done;
const lines = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean).length : 0);

test('graft jobs through the CLI: kept weights, rows and graft files, a resume after a kill, weights made again', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'prunelab-graft-'));
  const model = join(tmp, 'model-a');
  await ensureTinyModel(model, { seed: 1, overrides: TINY });
  const config = (out: string) => {
    const f = join(tmp, `${out}.yaml`);
    writeFileSync(
      f,
      [
        'name: g',
        'tasks: [sst2]',
        'data: { train_size: 64, dev_size: 48, seed: 3, allow_download: false, max_length: 32 }',
        `models: { a: { path: ${model}, generate_if_missing: false } }`,
        'phase1: { seeds: [1, 2], epochs: 2, batch_size: 8, lr: 3.0e-3 }',
        'phase2: { seeds: [5], epochs: 2, batch_size: 8, lr: 3.0e-3, methods: [full, hscore], eval: last }',
        'graft: { runs: [full, hscore], sparsities: [0.001, 0.05], lambdas: [0.5, 1], per_class: 4, steps: 3, ' +
          'lr: 1.0e+8, batch_size: 4, fisher_examples: 6 }',
        `output: { dir: ${join(tmp, out)} }`,
        '',
      ].join('\n'),
    );
    return f;
  };
  const root = join(tmp, 'a', 'g', 'sst2', 'a');
  const graftDir = join(root, 'graft', 'full-seed-5');
  // killed once the graft job has written two rows
  const k = await cli(['run', config('a')], () => lines(join(graftDir, 'rows.jsonl')) >= 2);
  assert.equal(k.signal, 'SIGKILL', `not killed:\n${k.out}`);
  const again = await cli(['run', config('a')]);
  assert.equal(again.code, 0, again.out);
  assert.match(again.out, /graft sst2\/a full seed 5.*kept from before the restart/);
  const full = done(graftDir).result;
  // 2 sparsities x 4 methods + 2 lambdas, each once, in plan order
  assert.deepEqual(
    full.rows.map((r) => `${r.method}:${r.sparsity ?? r.lambda}`),
    [
      ...[0.001, 0.05].flatMap((s) => ['graft', 'top_delta', 'random', 'fisher'].map((m) => `${m}:${s}`)),
      'task_arithmetic:0.5',
      'task_arithmetic:1',
    ],
  );
  assert.equal(lines(join(graftDir, 'rows.jsonl')), 10);
  for (const r of full.rows.filter((x) => x.method !== 'graft' && x.sparsity !== null))
    assert.equal(r.k, Math.max(1, Math.round(r.sparsity! * full.scopeParams)), `${r.method} ${r.sparsity}`);
  for (const r of full.rows) {
    assert.ok(Math.abs(r.recovered - r.metric / full.finetuned.metric) < 1e-12);
    assert.ok(r.ece >= 0 && r.ece <= 1);
  }
  assert.equal(full.learnExamples, 8); // 4 per class of the run's 64
  // the kept weights are the run's: its own evaluation, to the last digit
  const run = JSON.parse(readFileSync(join(root, 'phase2', 'full-seed-5', 'done.json'), 'utf8'));
  assert.equal(full.finetuned.metric, run.result.metric);
  // lambda 1 is theta_pre + (theta_ft - theta_pre): the fine-tuned model up to rounding
  const lambda1 = full.rows.find((r) => r.lambda === 1)!;
  assert.ok(Math.abs(lambda1.metric - full.finetuned.metric) <= 1 / 48);
  // the kept weights: the two runs grafting reads, not the phase-1 runs
  assert.ok(existsSync(join(root, 'phase2', 'full-seed-5', 'final', 'model.safetensors')));
  assert.ok(existsSync(join(root, 'phase2', 'hscore-02-seed-5', 'final', 'model.safetensors')));
  assert.ok(!existsSync(join(root, 'phase1', 'seed-1', 'final')));
  assert.ok(done(join(root, 'graft', 'hscore-seed-5')).result.rows.length === 10);
  // a graft file applies to the pretrained model: its entries (the logits it gives are the engine test's)
  await chooseBackend();
  const top = full.rows.find((r) => r.method === 'top_delta' && r.sparsity === 0.05)!;
  const pre = loadModel(model, { head: 'seqcls', numLabels: 2, seed: 5 });
  assert.equal(applyGraftFile(join(graftDir, top.file!), pre.params, pre.config, 'seqcls'), top.k);

  // the same grid never killed: the same rows
  const b = await cli(['run', config('b')]);
  assert.equal(b.code, 0, b.out);
  const plain = done(join(tmp, 'b', 'g', 'sst2', 'a', 'graft', 'full-seed-5')).result;
  assert.deepEqual(plain, full);

  // a run whose kept weights are gone trains again to keep them; its graft job stays done (same key, same weights)
  rmSync(join(root, 'phase2', 'full-seed-5', 'final'), { recursive: true });
  const status = await cli(['status', config('a')]);
  assert.match(status.out, /stale.*final weights, which a graft job reads, are not kept/);
  const redo = await cli(['run', config('a')]);
  assert.equal(redo.code, 0, redo.out);
  assert.ok(existsSync(join(root, 'phase2', 'full-seed-5', 'final', 'model.safetensors')));
  assert.match(redo.out, /1 ran/);
});

test('a LoRA run is grafted merged into the base weights: the fine-tuned model evaluates as the run did', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'prunelab-graft-lora-'));
  const model = join(tmp, 'model-a');
  await ensureTinyModel(model, { seed: 1, overrides: TINY });
  const f = join(tmp, 'lora.yaml');
  writeFileSync(
    f,
    [
      'name: g',
      'tasks: [sst2]',
      'data: { train_size: 48, dev_size: 48, seed: 3, allow_download: false, max_length: 32 }',
      `models: { a: { path: ${model}, generate_if_missing: false, peft: { method: lora, r: 4, lora_alpha: 8 } } }`,
      'phase2: { seeds: [5], epochs: 2, batch_size: 8, lr: 1.0e-2, methods: [full], eval: last }',
      'graft: { runs: [full], sparsities: [0.01], methods: [top_delta], lambdas: [1], per_class: 4 }',
      `output: { dir: ${join(tmp, 'out')} }`,
      '',
    ].join('\n'),
  );
  const r = await cli(['run', f]);
  assert.equal(r.code, 0, r.out);
  const root = join(tmp, 'out', 'g', 'sst2', 'a');
  assert.match(readFileSync(join(root, 'phase2', 'full-seed-5', 'log.txt'), 'utf8'), /PEFT method merged/);
  const g = done(join(root, 'graft', 'full-seed-5')).result;
  const run = JSON.parse(readFileSync(join(root, 'phase2', 'full-seed-5', 'done.json'), 'utf8'));
  // merged weights differ from the unmerged forward by float rounding only: the same accuracy on 48 examples
  assert.equal(g.finetuned.metric, run.result.metric);
  // LoRA moved only the weights it targets (peft's defaults for BERT: query and value): the top-|delta| entries are
  // all in them
  const names = [...readGraftMasks(join(root, 'graft', 'full-seed-5', g.rows[0]!.file!)).keys()];
  assert.ok(names.length > 0 && names.every((n) => /attention\.self\.(query|value)\.weight$/.test(n)), names.join());
});
