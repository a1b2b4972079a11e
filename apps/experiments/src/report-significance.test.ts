// The report's differences from hand-made finished results: each method minus random at the same size and minus
// full data, paired by seed, with the 95% t interval checked against a hand calculation, the ▲ / ▼ marks, n = 1
// without an interval, unpaired seeds (an unfinished random run, subsets without the ticket seeds) named, and every
// configured method by its title at the winning ticket's size (pruning.baselines_at: [winning]).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { validateConfig } from './config.ts';
import { dataKey } from './data-digest.ts';
import { expandGrid, type Grid, type Phase2Job } from './grid.ts';
import { finishJob, jobDir } from './job-state.ts';
import { methodTitle } from './names.ts';
import type { Phase1Result } from './phase1.ts';
import type { Phase2Result } from './phase2.ts';
import { differences } from './report-significance.ts';
import { reportRows, writeReport } from './report.ts';
import { cellSettings } from './schema.ts';

const root = mkdtempSync(join(tmpdir(), 'prunelab-significance-'));
after(() => rmSync(root, { recursive: true, force: true }));

// R = 3: the winning ticket drops H = 0 and 3; the subset 013 drops H = 1 too. Phase 2: seed 7 everywhere, 8 and 9
// also for full data and every method at the ticket's size; the baselines only at the ticket's size.
const cfg = validateConfig(
  {
    name: 'sig',
    tasks: ['sst2'],
    models: { a: { path: join(root, 'a') } },
    phase1: { seeds: [1, 2, 3], epochs: 1 },
    phase2: { seeds: [7], ticket_seeds: [8, 9], methods: ['full', 'hscore', 'random', 'ambiguous', 'el2n'] },
    pruning: { subsets: ['winning', '013'], baselines_at: ['winning'] },
    output: { dir: join(root, 'results') },
  },
  () => 'test',
);

/** Accuracy per (method, subset) and seed; the ticket is '03'. Random's seed-9 run never finished. */
const METRIC: Record<string, Record<number, number>> = {
  full: { 7: 0.8, 8: 0.82, 9: 0.85 },
  'hscore-03': { 7: 0.81, 8: 0.84, 9: 0.88 }, // full + [1, 2, 3] points
  'random-03': { 7: 0.79, 8: 0.8 },
  'ambiguous-03': { 7: 0.5, 8: 0.52, 9: 0.52 }, // far below both
  'el2n-03': { 7: 0.82, 8: 0.841, 9: 0.872 }, // full + [2, 2.1, 2.2] points: a tight gain
  'hscore-013': { 7: 0.78 },
};

const keyOf = (j: Phase2Job) => (j.subset ? `${j.method}-${j.subset.name}` : j.method);

function finishAll(outDir: string, grid: Grid): void {
  for (const j of grid.jobs) {
    const done = { hash: j.hash, finishedAt: 'then', seconds: 1 };
    if (j.kind === 'phase1') {
      const ep = { epoch: 1, trainLoss: 0.6, trainAccuracy: 0.7, devAccuracy: 0.7, devMetric: 0.7, devLoss: 0.6 };
      const result: Phase1Result = {
        epochs: [{ ...ep, devMetrics: { accuracy: 0.7 }, seconds: 1, examplesPerSecond: 9 }],
      };
      finishJob(jobDir(outDir, j), { ...done, result });
    }
    if (j.kind !== 'phase2') continue;
    const metric = METRIC[keyOf(j)]?.[j.seed];
    if (metric === undefined) continue; // not finished
    const size = j.subset ? (j.subset.name === '03' ? 60 : 40) : 200;
    const result: Phase2Result = {
      size,
      fraction: size / 200,
      metric,
      metricName: 'accuracy',
      metrics: { accuracy: metric },
      predCounts: [40, 60],
      epochs: [{ epoch: 3, trainLoss: 0.5, devAccuracy: metric, devMetric: metric, devLoss: 0.5, seconds: 1 }],
    };
    finishJob(jobDir(outDir, j), { ...done, result });
  }
}

/** The 95% paired t interval by hand: mean ± 4.303 sd / sqrt(3) (n = 3) or 12.706 sd / sqrt(2) (n = 2). */
function byHand(diffs: number[]): { mean: number; lo: number; hi: number } {
  const n = diffs.length;
  const mean = diffs.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(diffs.reduce((a, d) => a + (d - mean) ** 2, 0) / (n - 1));
  const t = { 2: 12.706, 3: 4.303 }[n]!;
  return { mean, lo: mean - (t * sd) / Math.sqrt(n), hi: mean + (t * sd) / Math.sqrt(n) };
}

const p = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)}`;

test('differences to random and to full data: hand-checked intervals, marks, n = 1 and unpaired seeds', async () => {
  // the cell's data as read (a job without it waits for the data and is never done)
  const data = {
    digest: 'abc',
    splits: { train: 'a', dev: 'b' },
    read: { train: 200, dev: 100 },
    used: { train: 200, dev: 100 },
    official: { train: 67_349, dev: 872 },
    warnings: [],
  };
  const states = { [dataKey('sst2', cellSettings(cfg, 'sst2', 'a').data)]: { record: data } };
  const grid = expandGrid(cfg, { a: { dir: join(root, 'a'), digest: 'w', pretrain: null } }, states);
  const outDir = join(root, 'results', 'sig');
  finishAll(outDir, grid);
  const diffs = differences(reportRows(grid, outDir));
  const find = (label: string, against: string) => {
    const d = diffs.find(
      (x) =>
        keyOf({ method: x.row.method, subset: x.row.subset ? { name: x.row.subset } : null } as Phase2Job) === label &&
        x.against === against,
    );
    assert.ok(d, `${label} - ${against}`);
    return d.diff;
  };
  const M = METRIC;
  const checks: [string, string, number[], 'up' | 'down' | ''][] = [
    ['hscore-03', 'full', [0.01, 0.02, 0.03], ''], // [-0.48, +4.48] points: holds 0
    ['el2n-03', 'full', [0.02, 0.021, 0.022], 'up'],
    ['ambiguous-03', 'full', [-0.3, -0.3, -0.33], 'down'],
    ['random-03', 'full', [-0.01, -0.02], ''],
    ['hscore-03', 'random', [0.02, 0.04], ''], // seed 9: random never finished
    ['ambiguous-03', 'random', [-0.29, -0.28], 'down'],
  ];
  for (const [label, against, want, sign] of checks) {
    const d = find(label, against);
    const seeds = want.length === 3 ? [7, 8, 9] : [7, 8];
    const got = seeds.map((s) => M[label]![s]! - (against === 'full' ? M.full! : M['random-03']!)[s]!);
    want.forEach((w, i) => assert.ok(Math.abs(got[i]! - w) < 1e-12, `${label}: the fixture's diffs are ${want}`));
    const h = byHand(want);
    assert.deepEqual(d.seeds, seeds);
    assert.ok(Math.abs(d.mean - h.mean) < 1e-12, `${label} - ${against}: mean ${d.mean} vs ${h.mean}`);
    // the tables' t to 3 decimals: agreement within the rounding of the tabulated value
    for (const [a, b] of [
      [d.t!.lo, h.lo],
      [d.t!.hi, h.hi],
    ] as const)
      assert.ok(Math.abs(a - b) < 1e-5, `${label} - ${against}: interval end ${a} vs ${b}`);
    assert.equal(d.sign, sign, `${label} - ${against}`);
  }
  // unpaired: the ticket's seed 9 has no random run to pair with
  assert.deepEqual([find('hscore-03', 'random').onlyA, find('hscore-03', 'random').onlyB], [[9], []]);
  // n = 1: the subset 013 ran seed 7 only; full data's 8 and 9 are not paired; no random at 013 (baselines_at)
  const one = find('hscore-013', 'full');
  assert.deepEqual([one.n, one.onlyB, one.t, one.sign], [1, [8, 9], undefined, '']);
  assert.ok(Math.abs(one.mean - -0.02) < 1e-12);
  assert.ok(!diffs.some((x) => x.row.subset === '013' && x.against === 'random'));

  // the report: the ticket table lists every configured method by its title, with intervals and marks
  const out = await writeReport(cfg, outDir, grid, 'mlruns');
  const md = readFileSync(out.report, 'utf8');
  const html = readFileSync(out.html, 'utf8');
  const el2n = byHand([0.02, 0.021, 0.022]);
  const amb = byHand([-0.29, -0.28]);
  const ambFull = byHand([-0.3, -0.3, -0.33]);
  assert.ok(methodTitle('el2n') !== 'el2n', 'the registry gives el2n a title of its own');
  for (const line of [
    `| sst2 | a | winning ticket | 30.0 | 84.33 ± 3.51 | ${p(0.03)} [${p(byHand([0.02, 0.04]).lo)}, ${p(byHand([0.02, 0.04]).hi)}] (n = 2) | ${p(0.02)} [${p(byHand([0.01, 0.02, 0.03]).lo)}, ${p(byHand([0.01, 0.02, 0.03]).hi)}] (n = 3) |`,
    `| sst2 | a | ${methodTitle('el2n')} | 30.0 |`,
    `| ${p(el2n.mean)} [${p(el2n.lo)}, ${p(el2n.hi)}] ▲ (n = 3) |`,
    `| sst2 | a | ${methodTitle('ambiguous')} | 30.0 | 51.33 ± 1.15 | ${p(amb.mean)} [${p(amb.lo)}, ${p(amb.hi)}] ▼ (n = 2) | ${p(ambFull.mean)} [${p(ambFull.lo)}, ${p(ambFull.hi)}] ▼ (n = 3) |`,
    // the cell's table: seeds paired, and the ones that are not
    '| winning ticket (drop H=0,3) | 30.0 | +3.00 [',
    '| 2 (not paired: 9 of this row) |',
    '| H-score subset 013 (drop H=0,1,3) | 20.0 |  |  | -2.00 | 1 (not paired: 8, 9 of full data) |',
    `| random at the size of winning ticket (drop H=0,3) | 30.0 | — |  | ${p(-0.015)} [`,
    '▲ / ▼: the interval lies above / below 0',
    '(t = 12.706 at n = 2, 4.303 at n = 3)',
    // the header says which rows have several seeds (phase2.seeds is one seed, ticket_seeds add two)
    "mean ± sample std over seeds for full data and at the winning ticket's size (ticket_seeds), one seed elsewhere",
  ])
    assert.ok(md.includes(line), `report.md lacks ${JSON.stringify(line)}`);
  assert.match(html, /<td class="n">[-+]\d+\.\d\d \[[-+]\d+\.\d\d, [-+]\d+\.\d\d\] ▼ \(n = 3\)<\/td>/);
  assert.match(md, /!\[differences\]\(plots\/sst2-a-differences\.svg\)/);
  assert.ok(out.plots.some((f) => f.endsWith('sst2-a-differences.svg')));

  // the CSV: both intervals; the bootstrap at 3 seeds is the range of the differences
  const csv = readFileSync(out.differences, 'utf8').trim().split('\n');
  const head = csv[0]!.split(',');
  const el2nRow = csv.find((l) => l.includes(',el2n,') && l.includes(',full,'))!.split(',');
  // the label holds commas: count columns from the end
  const col = (name: string) => el2nRow[el2nRow.length - (head.length - head.indexOf(name))]!;
  assert.equal(Number(col('bootstrap_lo')).toFixed(6), (0.02).toFixed(6));
  assert.equal(Number(col('bootstrap_hi')).toFixed(6), (0.022).toFixed(6));
  assert.equal(Number(col('t_lo')).toFixed(4), el2n.lo.toFixed(4));
  assert.equal(col('mark'), '▲');
  const json = JSON.parse(readFileSync(out.json, 'utf8')) as { differences: { method: string; n: number }[] };
  assert.equal(json.differences.length, diffs.length);
});
