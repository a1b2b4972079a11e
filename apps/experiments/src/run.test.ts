// End to end on real SST-2 sentences with a very small random model: every stage runs, writes its outputs,
// and a rerun reuses every finished job.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readRun } from '@prunelab/tracking';
import { validateConfig } from './config.ts';
import { runExperiment } from './run.ts';
import { ensureTinyModel } from './tiny-model.ts';

test('the whole protocol in miniature, then a rerun that redoes nothing', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'prunelab-e2e-'));
  const modelDir = join(tmp, 'model');
  await ensureTinyModel(modelDir, { seed: 1, overrides: { hidden_size: 32, num_hidden_layers: 1, intermediate_size: 64, num_attention_heads: 2 } });
  const cfg = validateConfig({
    name: 'e2e',
    data: { train_size: 160, dev_size: 64, seed: 3, allow_download: false },
    model: { path: modelDir, max_length: 24 },
    phase1: { seeds: [1, 2, 3], epochs: 2, lr: 2e-3, batch_size: 16 },
    phase2: { seeds: [7, 8], epochs: 1, lr: 2e-3, batch_size: 16 },
    output: { dir: join(tmp, 'results') },
  }, () => 'test');
  const lines: string[] = [];
  const out = await runExperiment(cfg, (l) => lines.push(l));

  // Report: one row per method, the H-score subset and the random one of the same size.
  const report = readFileSync(out.report, 'utf8');
  assert.match(report, /\| full data \| 160 \| 100\.0 \| \d+\.\d\d ± \d+\.\d\d \|/);
  const ticket = /\| winning ticket \(H-score, remove 03\) \| (\d+) \|/.exec(report);
  const random = /\| random \(same size\) \| (\d+) \|/.exec(report);
  assert.ok(ticket && random, report);
  assert.equal(ticket[1], random[1]);
  assert.match(report, /data: SST-2 \(GLUE TSV\)/);

  // Subsets on disk match the histogram: the ticket keeps exactly the examples with 0 < H < R.
  const summary = JSON.parse(readFileSync(join(out.outDir, 'summary.json'), 'utf8'));
  const hist: number[] = summary.histogram;
  assert.equal(hist.reduce((a, b) => a + b, 0), 160);
  const subset = JSON.parse(readFileSync(join(out.outDir, 'subsets', 'hscore-03.json'), 'utf8'));
  assert.equal(subset.size, 160 - hist[0]! - hist[3]!);
  assert.equal(String(subset.size), ticket[1]);

  // Plots: SVG and PNG of each chart.
  for (const p of out.plots) assert.ok(existsSync(p) && readFileSync(p).length > 1000, p);

  // MLflow: a parent run with 3 phase-1 and 3 x 2 phase-2 children, each with per-epoch dev accuracy.
  const expDirs = readdirSync(out.mlruns).filter((d) => d !== '0' && d !== '.trash');
  assert.equal(expDirs.length, 1);
  const runs = readdirSync(join(out.mlruns, expDirs[0]!)).filter((d) => d !== 'meta.yaml' && d !== 'tags');
  assert.equal(runs.length, 1 + 3 + 6);
  const children = runs.map((r) => readRun(out.mlruns, expDirs[0]!, r)).filter((r) => r.tags['mlflow.parentRunId']);
  assert.equal(children.length, 9);
  for (const c of children) {
    assert.equal(c.meta.status, 3);
    assert.equal(c.metrics.dev_accuracy!.length, c.tags.phase === '1' ? 2 : 1);
  }

  // Rerun: every job is found finished and reused; the numbers are the same.
  const again: string[] = [];
  const out2 = await runExperiment(cfg, (l) => again.push(l));
  assert.equal(again.filter((l) => l.includes('finished earlier')).length, 3 + 6);
  assert.deepEqual(out2.results.map((r) => r.devAccuracy), out.results.map((r) => r.devAccuracy));
});
