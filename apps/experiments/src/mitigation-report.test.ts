// The mitigation section from fixtures of done.json: per strategy the mean and sample std over seeds, std and cost
// relative to none, the ticket-vs-random gap per strategy with its paired t interval, and the pruning tables
// keep only the plain runs.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { validateConfig } from './config.ts';
import { dataKey, type DataStates } from './data-digest.ts';
import { expandGrid, type Job } from './grid.ts';
import { finishJob, jobDir } from './job-state.ts';
import { gapTable, mitigationRows, strategyTable } from './mitigation-report.ts';
import type { Phase1Result } from './phase1.ts';
import type { Phase2Result } from './phase2.ts';
import { writeReport } from './report.ts';
import { cellSettings } from './schema.ts';

const root = mkdtempSync(join(tmpdir(), 'prunelab-mitrep-'));
after(() => rmSync(root, { recursive: true, force: true }));

const cfg = validateConfig(
  {
    name: 'mit',
    tasks: ['sst2'],
    models: { a: { path: join(root, 'a') } },
    phase1: { seeds: [1, 2, 3], epochs: 1 },
    phase2: {
      seeds: [7, 8, 9],
      epochs: 2,
      methods: ['full', 'hscore', 'random'],
      mitigation: ['none', { method: 'ensemble', size: 3 }, 'swa'],
    },
    output: { dir: join(root, 'results') },
  },
  () => 'test',
);
const DATA = { digest: 'd', splits: {}, read: { train: 200 }, used: { train: 200 }, official: {}, warnings: [] };
const data: DataStates = { [dataKey('sst2', cellSettings(cfg, 'sst2', 'a').data)]: { record: DATA } };
const grid = expandGrid(cfg, { a: { dir: join(root, 'a'), digest: 'w', pretrain: null } }, data);
const outDir = join(root, 'results', 'mit');

// metric per (method, strategy) and seed 7, 8, 9; macro-F1 = metric - 0.01
const METRIC: Record<string, number[]> = {
  'full/none': [0.8, 0.82, 0.85],
  'full/ensemble': [0.83, 0.83, 0.84],
  'full/swa': [0.81, 0.82, 0.84],
  'hscore/none': [0.79, 0.8, 0.83],
  'random/none': [0.78, 0.81, 0.8],
  'hscore/ensemble': [0.8, 0.81, 0.82],
  'random/ensemble': [0.75, 0.76, 0.77],
  'hscore/swa': [0.8, 0.8, 0.8],
  'random/swa': [0.8, 0.8, 0.8],
};
const STEPS: Record<string, number> = { none: 14, ensemble: 42, swa: 14 };

for (const j of grid.jobs) {
  const done = { hash: j.hash, finishedAt: 'then', seconds: 1, data: DATA };
  if (j.kind === 'phase1') {
    const ep = { epoch: 1, trainLoss: 0.6, trainAccuracy: 0.7, devAccuracy: 0.7, devMetric: 0.7, devLoss: 0.6 };
    const result: Phase1Result = {
      epochs: [{ ...ep, devMetrics: { accuracy: 0.7 }, seconds: 1, examplesPerSecond: 9 }],
    };
    finishJob(jobDir(outDir, j), { ...done, result });
  } else if (j.kind === 'phase2') finishJob(jobDir(outDir, j), { ...done, result: result(j), modelSteps: steps(j) });
}

function steps(j: Extract<Job, { kind: 'phase2' }>): number {
  return STEPS[j.mitigation?.label ?? 'none']!;
}

function result(j: Extract<Job, { kind: 'phase2' }>): Phase2Result {
  const s = j.mitigation?.label ?? 'none';
  const metric = METRIC[`${j.method}/${s}`]![[7, 8, 9].indexOf(j.seed)]!;
  return {
    size: j.subset ? 60 : 200,
    fraction: j.subset ? 0.3 : 1,
    metric,
    metricName: 'accuracy',
    metrics: { accuracy: metric, macro_f1: metric - 0.01 },
    modelSteps: steps(j),
    ...(j.mitigation && {
      mitigation: {
        label: s,
        method: j.mitigation.spec.method,
        options: j.mitigation.spec.options,
        models: s === 'ensemble' ? 3 : 1,
        prefixFrom: { job: j.prefixFrom!, step: 14 },
        mainMetric: metric - 0.02,
        mainMetrics: {},
      },
    }),
    epochs: [{ epoch: 2, trainLoss: 0.5, devAccuracy: metric, devMetric: metric, devLoss: 0.5, seconds: 1 }],
  };
}

const sampleStd = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
};

test('per strategy: mean and sample std over seeds, models voting, model-steps, runs from the none snapshot', () => {
  const rows = mitigationRows(cfg, grid, outDir);
  const full = rows.filter((r) => r.group === 'full data');
  assert.deepEqual(
    full.map((r) => r.strategy),
    ['none', 'ensemble', 'swa'],
  );
  const ens = full.find((r) => r.strategy === 'ensemble')!;
  assert.equal(ens.n, 3);
  assert.equal(ens.models, 3);
  assert.equal(ens.modelSteps, 42);
  assert.equal(ens.fromPrefix, 3);
  assert.ok(Math.abs(ens.accuracy.mean - (0.83 + 0.83 + 0.84) / 3) < 1e-12);
  assert.ok(Math.abs(ens.macroF1.std - sampleStd([0.82, 0.82, 0.83])) < 1e-12);
  assert.ok(Math.abs(ens.mainMetric.mean - ((0.83 + 0.83 + 0.84) / 3 - 0.02)) < 1e-12);
  const none = full.find((r) => r.strategy === 'none')!;
  assert.equal(none.fromPrefix, 0);

  const t = strategyTable(full);
  const col = (name: string) => t.header.indexOf(name);
  const ensRow = t.rows.find((r) => r[1] === 'ensemble (vote of 3)')!;
  assert.equal(ensRow[col('cost vs none')], '3.00x');
  const ratio = sampleStd([0.82, 0.82, 0.83]) / sampleStd([0.79, 0.81, 0.84]);
  assert.equal(ensRow[col('std vs none')], `${ratio.toFixed(2)}x`);
  assert.equal(
    ensRow[col('macro-F1 (%)')],
    `${(((0.82 + 0.82 + 0.83) / 3) * 100).toFixed(2)} ± ${(100 * sampleStd([0.82, 0.82, 0.83])).toFixed(2)}`,
  );
});

test('the ticket-vs-random gap per strategy: distinguishable only when the paired t interval excludes 0', () => {
  const gap = gapTable(mitigationRows(cfg, grid, outDir));
  const by = Object.fromEntries(gap.rows.map((r) => [r[0], r]));
  // none: differences 0.01, -0.01, 0.03 per seed - the interval holds 0
  assert.equal(by.none![4], 'no');
  assert.equal(by.none![2], ((100 * (0.01 - 0.01 + 0.03)) / 3).toFixed(2));
  // ensemble: 0.05 every seed - no spread, the interval is the point
  assert.equal(by.ensemble![4], 'yes (ticket higher)');
  assert.equal(by.ensemble![3], '[5.00, 5.00]');
  // swa: equal everywhere
  assert.equal(by.swa![2], '0.00');
  assert.equal(by.swa![4], 'no');
});

test('the report: a mitigation section with its plots and CSV; the pruning tables hold the plain runs only', async () => {
  const out = await writeReport(cfg, outDir, grid, 'mlruns');
  const md = readFileSync(out.report, 'utf8');
  assert.match(md, /## Seed instability and its mitigations/);
  assert.match(md, /### sst2 · a \(full fine-tuning\)/);
  for (const p of ['mitigation-std-vs-cost', 'mitigation-means'])
    assert.ok(existsSync(join(outDir, 'plots', `${p}.svg`)), p);
  const csv = readFileSync(join(outDir, 'tables', 'mitigation.csv'), 'utf8')
    .trim()
    .split('\n');
  assert.equal(csv.length, 1 + 3 * 3); // header + (full, ticket, random at the ticket) x 3 strategies
  // the pruning rows: one full-data row with the plain runs' mean, not one per strategy
  const full = out.rows.filter((r) => r.method === 'full');
  assert.equal(full.length, 1);
  assert.ok(Math.abs(full[0]!.mean - (0.8 + 0.82 + 0.85) / 3) < 1e-12);
});
