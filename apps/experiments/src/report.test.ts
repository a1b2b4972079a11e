// The report says what the jobs did, from fixtures of their done.json: the sizes read (beside the official ones, or
// "not recorded" for old results), the loader's warnings, each cell's effective settings (overrides applied), one
// name per method, error bars of the seeds' std at the true subset sizes, and the runs that predicted one class.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { NumericBuild } from '@prunelab/finetune';
import { metricVsSizeChart } from '@prunelab/viz';
import { validateConfig } from './config.ts';
import { dataKey, type DataStates } from './data-digest.ts';
import { expandGrid, type Grid, type Job } from './grid.ts';
import { finishJob, jobDir, startJob } from './job-state.ts';
import type { Phase1Result } from './phase1.ts';
import type { Phase2Result } from './phase2.ts';
import { settingsNote } from './report-cells.ts';
import { reportRows, sizePoints, writeReport } from './report.ts';
import { cellSettings, type ExperimentConfig } from './schema.ts';

const root = mkdtempSync(join(tmpdir(), 'prunelab-report-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Every cell's data read (the record the key holds; the jobs' done.json carry their own below). */
const dataOf = (cfg: ExperimentConfig): DataStates =>
  Object.fromEntries(
    cfg.tasks.flatMap((t) =>
      Object.keys(cfg.models).map((m) => [dataKey(t, cellSettings(cfg, t, m).data), { record: DATA }]),
    ),
  );

const cfgOf = (name: string) =>
  validateConfig(
    {
      name,
      tasks: ['sst2'],
      // the model's override of phase 2 and the task's of phase 1 are what the cell runs with
      models: { a: { path: join(root, 'a'), phase2: { lr: 1e-3, epochs: 2 } } },
      per_task: { sst2: { phase1: { batch_size: 16 } } },
      phase1: { seeds: [1, 2, 3], epochs: 1 },
      phase2: { seeds: [7, 8, 9], methods: ['full', 'hscore', 'random'] },
      output: { dir: join(root, 'results') },
    },
    () => 'test',
  );

const DATA = {
  digest: 'abc123',
  splits: { train: 'aaa', dev: 'bbb' },
  read: { train: 200, dev: 100 },
  used: { train: 200, dev: 100 },
  official: { train: 67_349, dev: 872 },
  warnings: ['glue/SST-2/train.tsv: 200 rows, the official split has 67,349: a partial or modified copy'],
};

// per method: size, per-seed metric, per-seed predictions per class (random predicted class 1 for everything)
const PHASE2: Record<string, { size: number; metric: number[]; counts: number[][] }> = {
  full: {
    size: 200,
    metric: [0.8, 0.82, 0.85],
    counts: [
      [48, 52],
      [50, 50],
      [47, 53],
    ],
  },
  hscore: {
    size: 60,
    metric: [0.79, 0.8, 0.83],
    counts: [
      [45, 55],
      [52, 48],
      [49, 51],
    ],
  },
  random: {
    size: 60,
    metric: [0.5, 0.5, 0.5],
    counts: [
      [0, 100],
      [0, 100],
      [0, 100],
    ],
  },
};

/** `buildOf`: the numeric build key a job's done.json records (none: finished before builds were recorded). */
function finishAll(outDir: string, grid: Grid, withData: boolean, buildOf?: (j: Job) => string): void {
  const data = withData ? { data: DATA } : {};
  for (const j of grid.jobs) {
    const build = buildOf ? { build: { key: buildOf(j) } as NumericBuild } : {};
    const done = { hash: j.hash, finishedAt: 'then', seconds: 1, ...data, ...build };
    if (j.kind === 'phase1') {
      const ep = { epoch: 1, trainLoss: 0.6, trainAccuracy: 0.7, devAccuracy: 0.7, devMetric: 0.7, devLoss: 0.6 };
      const result: Phase1Result = {
        epochs: [{ ...ep, devMetrics: { accuracy: 0.7 }, predCounts: [40, 60], seconds: 1, examplesPerSecond: 9 }],
      };
      finishJob(jobDir(outDir, j), { ...done, result });
    } else if (j.kind === 'phase2') {
      finishJob(jobDir(outDir, j), { ...done, result: phase2Result(j) });
    }
  }
}

function phase2Result(j: Extract<Job, { kind: 'phase2' }>): Phase2Result {
  const p = PHASE2[j.method]!;
  const i = [7, 8, 9].indexOf(j.seed);
  const metric = p.metric[i]!;
  return {
    size: p.size,
    fraction: p.size / 200,
    metric,
    metricName: 'accuracy',
    metrics: { accuracy: metric },
    predCounts: p.counts[i]!,
    epochs: [{ epoch: 2, trainLoss: 0.5, devAccuracy: metric, devMetric: metric, devLoss: 0.5, seconds: 1 }],
  };
}

const sampleStd = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
};

test('the report: sizes read, data warnings, effective settings, one name per method, collapsed runs', async () => {
  const cfg = cfgOf('rep');
  const grid = expandGrid(cfg, { a: { dir: join(root, 'a'), digest: 'w', pretrain: null } }, dataOf(cfg));
  const outDir = join(root, 'results', 'rep');
  finishAll(outDir, grid, true);
  const out = await writeReport(cfg, outDir, grid, 'mlruns');
  const md = readFileSync(out.report, 'utf8');
  const html = readFileSync(out.html, 'utf8');

  // sizes: what was read, the official size beside it, never the official size as if read
  assert.match(md, /all 200 training examples read \(official: 67,349\); all 100 dev examples read \(official: 872\)/);
  assert.doesNotMatch(md, /all 67,349/);
  for (const text of [md, html]) assert.ok(text.includes(`data warning: ${DATA.warnings[0]}`), 'the warning');

  // the cell's settings are the overrides, not the top level's (phase 2 lr 2e-5 x 3 epochs, phase 1 batch 32)
  const cellNote = md.split('\n').find((l) => l.startsWith('- training: '))!;
  assert.match(cellNote, /phase 1 R = 3 runs \(seeds 1, 2, 3\), 1 epoch, lr 2e-5, batch 16;/);
  assert.match(cellNote, /phase 2 2 epochs, lr 1e-3, batch 32, seeds 7, 8, 9/);
  assert.doesNotMatch(md, /lr 0\.00002/);

  // one name per method: the table's rows, the summary's header and the plot's legend
  assert.match(md, /\| winning ticket \(drop H=0,3\) \| 60 \| 30\.0 \| 80\.67 ± 2\.08 \| 3 \|/);
  assert.match(
    md,
    /\| random at the size of winning ticket \(drop H=0,3\) \| 60 \| 30\.0 \| 50\.00 ± 0\.00 † \| 3 \(3 collapsed/,
  );
  assert.match(md, /\| task \| model \| metric \| ticket size % \| full data \| winning ticket \| random \|/);
  assert.doesNotMatch(md, /hscore/);

  // collapsed runs: marked in both tables, listed with what they predicted; the others are not
  assert.match(
    md,
    /\| sst2 \| a \| accuracy % \| 30\.0 \(drop H=0,3\) \| 82\.33 ± 2\.52 \| 80\.67 ± 2\.08 \| 50\.00 ± 0\.00 † /,
  );
  for (const seed of [7, 8, 9])
    assert.ok(
      md.includes(
        `- sst2 · a: random at the size of winning ticket (drop H=0,3), seed ${seed}: all 100 predictions are ` +
          'class 1 (positive)',
      ),
    );
  assert.match(md, /3 of the 12 runs with counts collapsed/); // 3 phase-1 runs + 9 phase-2 runs counted
  assert.match(html, /<td class="n">50\.00 ± 0\.00 †<\/td>/);

  // the plot: x is each row's subset size exactly, bars span the seeds' sample std (computed here from the values)
  const rows = reportRows(grid, outDir);
  const spec = metricVsSizeChart(sizePoints(rows), { title: 't', metricName: 'accuracy' }) as unknown as {
    data: { values: { method: string; x: number; lo: number; hi: number; metric: number }[] };
  };
  const values = spec.data.values;
  assert.deepEqual(
    values.map((v) => [v.method, v.x]),
    [
      ['full data', 100],
      ['winning ticket', 30],
      ['random', 30],
    ],
  );
  for (const [v, method] of values.map((v, i) => [v, ['full', 'hscore', 'random'][i]!] as const)) {
    const std = 100 * sampleStd(PHASE2[method]!.metric);
    assert.ok(Math.abs((v.hi - v.lo) / 2 - std) < 1e-9, `${method}: bar half-width ${(v.hi - v.lo) / 2} vs ${std}`);
    assert.ok(Math.abs(v.metric - (v.hi + v.lo) / 2) < 1e-9);
  }
});

test('results from before sizes were recorded: "sizes read not recorded", not the official sizes', async () => {
  const cfg = cfgOf('old');
  const grid = expandGrid(cfg, { a: { dir: join(root, 'a'), digest: 'w', pretrain: null } }, dataOf(cfg));
  const outDir = join(root, 'results', 'old');
  finishAll(outDir, grid, false);
  const md = readFileSync((await writeReport(cfg, outDir, grid, 'mlruns')).report, 'utf8');
  assert.match(md, /data: up to 2,000 training examples \(seed 1\), all dev examples; sizes read not recorded/);
  assert.doesNotMatch(md, /67,349|872/);
  assert.doesNotMatch(md, /data warning/);
});

test('cells with different overrides: each cell states its own settings, the header says they differ', async () => {
  const base = cfgOf('two');
  const { phase2: _override, ...plain } = base.models.a!;
  const cfg = { ...base, models: { ...base.models, b: plain } };
  const weights = { dir: join(root, 'a'), digest: 'w', pretrain: null };
  const grid = expandGrid(cfg, { a: weights, b: weights }, dataOf(cfg));
  const md = readFileSync((await writeReport(cfg, join(root, 'results', 'two'), grid, 'mlruns')).report, 'utf8');
  assert.match(md, /Training settings differ between cells/);
  const notes = md.split('\n').filter((l) => l.startsWith('- training: '));
  assert.equal(notes.length, 2);
  assert.match(notes[0]!, /phase 2 2 epochs, lr 1e-3, batch 32/); // a: its override
  assert.match(notes[1]!, /phase 2 3 epochs, lr 2e-5, batch 32/); // b: the top level
});

test('a model whose jobs trained from random weights: the report says "RANDOM WEIGHTS", a pretrained one does not', async () => {
  for (const random of [true, false]) {
    const cfg = cfgOf(`rw-${random}`);
    const grid = expandGrid(cfg, { a: { dir: join(root, 'a'), digest: 'w', pretrain: null } }, dataOf(cfg));
    const outDir = join(root, 'results', `rw-${random}`);
    for (const j of grid.jobs) startJob(outDir, j, { random_weights: random }); // what train-job.ts writes
    finishAll(outDir, grid, true);
    const out = await writeReport(cfg, outDir, grid, 'mlruns');
    const md = readFileSync(out.report, 'utf8');
    const html = readFileSync(out.html, 'utf8');
    for (const text of [md, html]) assert.equal(text.includes('RANDOM WEIGHTS'), random, `random ${random}`);
    if (random) assert.match(md, /Models: a \(bert, .*, RANDOM WEIGHTS\)/);
  }
});

test('the numeric builds that made the jobs: one named once, several counted; scores jobs do not count', async () => {
  const cfg = cfgOf('builds');
  const grid = expandGrid(cfg, { a: { dir: join(root, 'a'), digest: 'w', pretrain: null } }, dataOf(cfg));
  const training = grid.jobs.filter((j) => j.kind !== 'scores').length;
  const outDir = join(root, 'results', 'builds');
  finishAll(outDir, grid, true, () => 'webgpu on llvmpipe tfjs-4.22.0 packed');
  let md = readFileSync((await writeReport(cfg, outDir, grid, 'mlruns')).report, 'utf8');
  assert.ok(
    md.includes(`- Numeric build: webgpu on llvmpipe tfjs-4.22.0 packed (all ${training} finished training jobs).`),
  );

  // phase 2 made by another build: both named, with how many jobs each made
  const phase2 = grid.jobs.filter((j) => j.kind === 'phase2').length;
  finishAll(outDir, grid, true, (j) => (j.kind === 'phase2' ? 'wasm native openblas x2' : 'webgpu on llvmpipe'));
  md = readFileSync((await writeReport(cfg, outDir, grid, 'mlruns')).report, 'utf8');
  assert.match(md, new RegExp(`Numeric builds: 2 made the ${training} finished training jobs`));
  assert.ok(md.includes(`wasm native openblas x2: ${phase2} job(s)`));
  assert.ok(md.includes(`webgpu on llvmpipe: ${training - phase2} job(s)`));

  // jobs from before builds were recorded
  finishAll(outDir, grid, true);
  md = readFileSync((await writeReport(cfg, outDir, grid, 'mlruns')).report, 'utf8');
  assert.match(md, /Numeric build: not recorded \(finished before done\.json recorded builds\)/);
});

test('settings note: ticket seeds are named where they add seeds, not when they repeat phase2.seeds', () => {
  const s = cellSettings(cfgOf('ts'), 'sst2', 'a');
  const more = { ...s, phase2: { ...s.phase2, seeds: [6666], ticket_seeds: [6666, 1, 2] } };
  assert.match(settingsNote(more), /seeds 6666 \(full data and the winning ticket's size also 1, 2\), evaluated/);
  const same = { ...s, phase2: { ...s.phase2, seeds: [6666], ticket_seeds: [6666] } };
  assert.match(settingsNote(same), /seeds 6666, evaluated/);
});
