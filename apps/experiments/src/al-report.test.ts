// The AL report from hand-made step results: AUC, RIPL, the final metric, forgetting and CKA tables against hand
// computation; a curve missing its last step is drawn but kept out of AUC and RIPL; the plots render.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { aucTable, readCurves, writeAlReport } from './al-report.ts';
import type { AlStepResult } from './al-step.ts';
import { tinyConfig } from '@prunelab/finetune';
import { loadConfig } from './config.ts';
import { dataKey, type DataRecord } from './data-digest.ts';
import { expandGrid, type AlStepJob } from './grid.ts';
import { finishJob } from './job-state.ts';
import type { ModelWeights } from './weights.ts';

const dir = mkdtempSync(join(tmpdir(), 'prunelab-al-report-'));
const cfgFile = join(dir, 'al.yaml');
writeFileSync(
  cfgFile,
  [
    'name: alr',
    'tasks: [sst2]',
    'models:',
    '  full: { path: m }',
    '  lora: { path: m, peft: { method: lora, r: 4 }, al: { lr: 3.0e-3 } }',
    'al: { warm_start: 10, query: 10, budget: 30, strategies: [random, entropy], seeds: [1, 2] }',
    `output: { dir: ${join(dir, 'results')} }`,
    '',
  ].join('\n'),
);
// a model folder with only its config.json: LoRA's options are checked against it when the grid is planned
const modelDir = join(dir, 'm');
mkdirSync(modelDir);
writeFileSync(join(modelDir, 'config.json'), JSON.stringify(tinyConfig('bert')));
const W: Record<string, ModelWeights> = {
  full: { dir: modelDir, digest: 'w' } as ModelWeights,
  lora: { dir: modelDir, digest: 'w' } as ModelWeights,
};

/** The dev metric of a step: by strategy and tuning, a little by seed, rising with the labelled size. */
const metricOf = (j: AlStepJob) =>
  0.5 + 0.1 * j.step + (j.strategy === 'entropy' ? 0.05 : 0) + (j.model === 'lora' ? 0.02 : 0) + 0.01 * (j.seed - 1);

function result(j: AlStepJob): AlStepResult {
  const m = metricOf(j);
  return {
    step: j.step,
    labelled: j.labelled,
    devAccuracy: m,
    devMetric: m,
    devMetrics: { accuracy: m },
    metric: 'accuracy',
    trainAccuracy: 1,
    selected: j.query ? Array.from({ length: j.query }, (_, i) => `x${i}`) : null,
    forgetting: {
      events: j.model === 'lora' ? 0.5 : 0.2,
      forgottenShare: 0.1 * j.step,
      neverLearnedShare: j.model === 'lora' ? 0.2 : 0,
      n: j.labelled,
    },
    cka: {
      layers: ['embeddings', 'layer 1'],
      pretrained: j.model === 'lora' ? [1, 0.9] : [0.99, 0.6 + 0.1 * j.seed],
      previous: j.step ? [1, 0.95] : null,
    },
    seconds: { train: 1, score: 0.5, select: 0.1 },
  };
}

test('AUC, RIPL, final metric, forgetting and CKA from the step results; a partial curve stays out of AUC', async () => {
  const cfg = loadConfig(cfgFile);
  const data = {
    [dataKey('sst2', cfg.data)]: { record: { digest: 'd', splits: {}, read: {}, used: {} } as unknown as DataRecord },
  };
  const grid = expandGrid(cfg, W, data);
  const outDir = join(dir, 'results', 'alr');
  for (const j of grid.jobs as AlStepJob[]) {
    // the lora / entropy / seed 2 curve lacks its last step
    if (j.model === 'lora' && j.strategy === 'entropy' && j.seed === 2 && j.step === 2) continue;
    finishJob(join(outDir, j.id), { hash: j.hash, finishedAt: 'then', seconds: 60, result: result(j) });
  }
  const curves = readCurves(outDir, grid);
  assert.equal(curves.length, 8);
  const rows = aucTable(cfg, curves);
  const row = (model: string, s: string) => rows.find((r) => r.tuning.startsWith(`${model} `) && r.strategy === s)!;
  // a curve at sizes 10, 20, 30 with values a, a + .1, a + .2: its AUC is a + .1
  assert.deepEqual(
    row('full', 'random').aucs.map((x) => +x.toFixed(10)),
    [0.6, 0.61],
  );
  assert.deepEqual(
    row('full', 'entropy').aucs.map((x) => +x.toFixed(10)),
    [0.65, 0.66],
  );
  // RIPL: (0.655 - 0.605) / (1 - 0.605)
  assert.ok(Math.abs(row('full', 'entropy').ripl! - 0.05 / 0.395) < 1e-9);
  assert.equal(row('full', 'random').ripl, null);
  assert.deepEqual(
    row('lora', 'entropy').aucs.map((x) => +x.toFixed(10)),
    [0.67],
  ); // the partial one left out
  assert.equal(row('lora', 'entropy').complete, 1);
  assert.deepEqual(
    row('full', 'entropy').final.map((x) => +x.toFixed(10)),
    [0.75, 0.76],
  );

  const files = await writeAlReport(cfg, outDir, grid, join(outDir, 'mlruns'));
  const md = readFileSync(files.report, 'utf8');
  assert.match(md, /Steps finished: 23 of 24; learning curves complete: 7 of 8/);
  assert.match(md, /\| sst2 \| full \(full\) \| entropy \| 65\.50 ± 0\.71 \| 0\.127 \| 75\.50 ± 0\.71 \| 2 of 2 \|/);
  assert.match(md, /\| sst2 \| lora \(lora\) \| entropy \| 67\.00 \| 0\.120 \| 77\.00 \| 1 of 2 \|/);
  // forgetting: full 0.2 events, forgotten 10% * step over 12 steps (mean 10%), never 0; lora never 20%
  assert.match(md, /\| sst2 \| full \(full\) \| 0\.20 ± 0\.00 \| 10\.00 ± 8\.53 \| 0\.00 ± 0\.00 \| 12 \|/);
  assert.match(md, /\| sst2 \| lora \(lora\) \| 0\.50 ± 0\.00 \| .* \| 20\.00 ± 0\.00 \| 11 \|/);
  // CKA of layer 1 after the last step: full 0.7 (seed 1) and 0.8 (seed 2) over 4 curves; lora 0.9 over 3
  assert.match(md, /\| sst2 \| full \(full\) \| layer 1 \| 0\.750 ± 0\.058 \| 0\.950 \| 4 \|/);
  assert.match(md, /\| sst2 \| lora \(lora\) \| layer 1 \| 0\.900 ± 0\.000 \| 0\.950 \| 3 \|/);
  for (const f of ['learning-curves', 'never-learned', 'cka'])
    assert.ok(existsSync(join(outDir, 'plots', `${f}.svg`)), f);
  assert.ok(readFileSync(files.html, 'utf8').includes('<svg'));
  const csv = readFileSync(join(outDir, 'tables', 'curves.csv'), 'utf8')
    .trim()
    .split('\n');
  assert.equal(csv.length, 1 + 23);
});
