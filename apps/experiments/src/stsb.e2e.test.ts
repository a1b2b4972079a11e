// STS-B end to end on a slice of the real GLUE files (../shared/data): a tiny random RoBERTa regresses the 0..5
// similarity score (one output, MSE), phase-1 records count |prediction - gold| <= 0.5 as correct, H subsets and a
// score-balanced baseline follow, and the report shows Pearson with Spearman beside it.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { readRunRecord, regressionBatchStats } from '@prunelab/dynamics';
import { findRepoRoot } from '@prunelab/datasets';
import { validateConfig } from './config.ts';
import { runExperiment } from './run.ts';
import { ensureTinyModel } from './tiny-model.ts';

const SHARED = resolve(findRepoRoot(), '../shared/data');

test(
  'regression stats: correct within 0.5, the Gaussian gold-probability surrogate, margin > 0 iff correct (by ' +
    'hand)',
  () => {
    const s = regressionBatchStats([3, 1.5, 0.2], [3.5, 4, 0.2]);
    assert.deepEqual(Array.from(s.correct), [1, 0, 1]);
    assert.ok(Math.abs(s.goldProb[0]! - Math.exp(-0.5)) < 1e-6); // error 0.5 = one tolerance
    assert.ok(Math.abs(s.goldProb[1]! - Math.exp(-0.5 * 25)) < 1e-9); // error 2.5 = five tolerances
    assert.equal(s.goldProb[2], 1);
    assert.deepEqual(Array.from(s.loss), [0.25, 6.25, 0]);
    assert.deepEqual(Array.from(s.margin), [0, -2, 0.5]);
    assert.deepEqual(
      Array.from(s.el2n, (x) => Math.round(x * 1e6) / 1e6),
      [0.5, 2.5, 0],
    );
  },
);

test('STS-B as regression: records, H subsets, a balanced baseline, Pearson and Spearman in the report', {
  skip: !existsSync(join(SHARED, 'glue/STS-B/train.tsv')) && 'no ../shared/data/glue/STS-B',
}, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'prunelab-stsb-'));
  const modelDir = join(tmp, 'model');
  await ensureTinyModel(modelDir, {
    seed: 2,
    family: 'roberta',
    overrides: { hidden_size: 32, num_hidden_layers: 1, intermediate_size: 64, num_attention_heads: 2 },
  });
  const cfg = validateConfig(
    {
      name: 'stsb-reg',
      tasks: ['stsb'],
      data: { root: SHARED, train_size: 96, dev_size: 48, max_length: 40, allow_download: false },
      models: { tiny: { path: modelDir, family: 'roberta', generate_if_missing: false } },
      phase1: { seeds: [1, 2, 3], epochs: 2, lr: 3e-3, batch_size: 16 },
      phase2: {
        seeds: [7],
        epochs: 2,
        lr: 3e-3,
        batch_size: 16,
        methods: ['full', 'hscore', 'random_balanced', 'ambiguous'],
      },
      output: { dir: join(tmp, 'results') },
    },
    () => 'test',
  );
  const lines: string[] = [];
  const out = await runExperiment(cfg, { log: (l) => lines.push(l), out: () => {} });
  assert.deepEqual(out.failed, [], lines.join('\n'));
  assert.equal(out.ran.length, 3 + 1 + 4);
  const rec = readRunRecord(join(out.outDir, 'stsb/tiny/phase1/seed-1'));
  assert.equal(rec.header.ids.length, 96);
  for (const g of rec.goldProb.flat()) for (const v of g) assert.ok(v > 0 && v <= 1, `gold-probability surrogate ${v}`);
  const full = out.rows.find((r) => r.method === 'full')!;
  assert.equal(full.size, 96);
  const ticket = out.rows.find((r) => r.method === 'hscore')!;
  for (const m of ['random_balanced', 'ambiguous'])
    assert.equal(out.rows.find((r) => r.method === m)!.size, ticket.size);
  for (const r of out.rows) {
    assert.ok(Number.isFinite(r.mean) && r.mean >= -1 && r.mean <= 1, `Pearson ${r.mean}`);
    assert.ok(
      Number.isFinite(r.others.spearman!.mean) && Math.abs(r.others.spearman!.mean) <= 1,
      `Spearman ${r.others.spearman!.mean}`,
    );
    assert.ok(r.others.within_tolerance!.mean >= 0 && r.others.within_tolerance!.mean <= 1);
  }
  const subset = JSON.parse(readFileSync(join(out.outDir, 'stsb/tiny/scores/all/subsets/hscore-03.json'), 'utf8'));
  assert.ok(
    Object.keys(subset.perClass ?? {}).every((c) => ['0', '1', '2', '3', '4', '5'].includes(c)),
    JSON.stringify(subset.perClass),
  );
  const report = readFileSync(out.report, 'utf8');
  assert.match(
    report,
    /\| training data \| examples \| size % \| Pearson x100 \(mean ± std\) \| Spearman x100 \| within ±0\.5 % \| seeds \|/,
  );
  assert.match(report, /\|prediction - gold\| <= 0\.5/);
});
