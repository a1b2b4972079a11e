// The grafting section from fixtures: hand-written done.json files of graft jobs and graft files whose masks overlap
// by construction (same set: 1, disjoint: 0, 10 of 15: 1/3), one of them crossing a tensor boundary. Checks the
// table numbers, the Jaccard values and their chance levels, the CSV lines, the plots' data and the report.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { jaccardFiles, packBits, readGraftMasks, writeSafetensors, type RawTensor } from '@prunelab/finetune';
import { validateConfig } from './config.ts';
import { dataKey, type DataStates } from './data-digest.ts';
import type { GraftResult, GraftRow } from './graft-job.ts';
import { chanceJaccard, maskReader, overlapRows, type OverlapRow } from './graft-overlap.ts';
import { finishedGrafts, graftPoints, graftSection, maskRefs, overlapCells } from './graft-report.ts';
import { graftAggregates, graftTable } from './graft-report-tables.ts';
import { expandGrid, type GraftJob } from './grid.ts';
import { finishJob, jobDir } from './job-state.ts';
import { writeReport } from './report.ts';
import { cellSettings } from './schema.ts';

const root = mkdtempSync(join(tmpdir(), 'prunelab-graftrep-'));
after(() => rmSync(root, { recursive: true, force: true }));

const raw = {
  name: 'gr',
  tasks: ['sst2', 'rte'],
  models: { a: { path: join(root, 'a') } },
  phase1: { seeds: [1, 2, 3], epochs: 1 },
  phase2: { seeds: [7, 8, 9], epochs: 1, methods: ['full', 'hscore', 'random'] },
  graft: {
    runs: ['full', 'hscore'],
    sparsities: [0.01, 0.1],
    methods: ['graft', 'top_delta', 'random'],
    lambdas: [0.5, 1],
  },
  output: { dir: join(root, 'results') },
};
const DATA = { digest: 'd', splits: {}, read: { train: 200 }, used: { train: 200 }, official: {}, warnings: [] };
function gridOf(cfg: ReturnType<typeof validateConfig>) {
  const data = Object.fromEntries(
    cfg.tasks.map((t) => [dataKey(t, cellSettings(cfg, t, 'a').data), { record: DATA }]),
  ) as DataStates;
  return expandGrid(cfg, { a: { dir: join(root, 'a'), digest: 'w', pretrain: null } }, data);
}
const cfg = validateConfig(raw, () => 'test');
const grid = gridOf(cfg);
const outDir = join(root, 'results', 'gr');

// the scope: two tensors of 64 and 36 entries, N = 100; masks as index sets over both in a row
const SIZES: [string, number][] = [
  ['encoder.layer.0.w', 64],
  ['encoder.layer.1.w', 36],
];
const N = 100;
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

function writeMask(file: string, idx: number[]): void {
  const tensors = new Map<string, RawTensor>();
  let at = 0;
  for (const [name, n] of SIZES) {
    const bits = new Uint8Array(n);
    for (const i of idx) if (i >= at && i < at + n) bits[i - at] = 1;
    const count = bits.reduce((a, x) => a + x, 0);
    if (count) {
      tensors.set(`${name}::mask`, { shape: [Math.ceil(n / 32)], data: packBits(bits) });
      tensors.set(`${name}::delta`, { shape: [count], data: new Float32Array(count).fill(0.5) });
      tensors.set(`${name}::value`, { shape: [count], data: new Float32Array(count).fill(1) });
    }
    at += n;
  }
  tensors.set('classifier.weight::full', { shape: [2, 4], data: new Float32Array(8) });
  mkdirSync(dirname(file), { recursive: true });
  writeSafetensors(file, tensors, { format: 'prunelab-graft', version: '1', entries: String(idx.length) });
}

// masks per task/runKind/method/sparsity, by seed 7, 8, 9
const MASKS: Record<string, number[][]> = {
  'sst2/full/graft/0.1': [range(0, 10), range(0, 10), range(5, 15)],
  'sst2/hscore/graft/0.1': [range(0, 10), range(5, 15), range(20, 30)],
  'rte/full/graft/0.1': [range(58, 68), range(58, 68), range(10, 20)], // 58..67 crosses the tensors' boundary
  'rte/hscore/graft/0.1': [range(58, 68), range(58, 68), range(58, 68)],
  'sst2/full/graft/0.01': [[0], [0], [1, 2]], // the learned mask may round to more than k
};
const maskOf = (key: string, i: number) => {
  const [, , method, s] = key.split('/');
  if (MASKS[key]) return MASKS[key]![i]!;
  if (method === 'top_delta') return s === '0.1' ? range(0, 10) : [3];
  if (method === 'random') return s === '0.1' ? range(90, 100) : [99];
  return s === '0.1' ? range(30, 40) : [0];
};

// the fine-tuned run per seed, and the learned mask at 0.1 on sst2 full data
const FT = { metric: [0.8, 0.9, 1.0], ece: [0.1, 0.2, 0.3] };
const GRAFT01 = { metric: [0.4, 0.72, 0.9], ece: [0.05, 0.1, 0.15] };
const STALE = 'rte/a/graft/hscore-seed-9'; // finished under an older hash: left out

function resultOf(job: GraftJob): GraftResult {
  const i = [7, 8, 9].indexOf(job.seed);
  const ft = FT.metric[i]!;
  const gain = (metric: number) => (metric - 0.5 * ft) / (ft - 0.5 * ft); // the pretrained body: 0.5 ft
  const ev = (metric: number, ece: number) => ({ metric, metrics: { accuracy: metric }, accuracy: metric, ece });
  const rows: GraftRow[] = [];
  for (const sparsity of [0.01, 0.1])
    for (const method of ['graft', 'top_delta', 'random'] as const) {
      const key = `${job.task}/${job.runKind}/${method}/${sparsity}`;
      const idx = maskOf(key, i);
      const file = `masks/${method}-${sparsity}.safetensors`;
      writeMask(join(jobDir(outDir, job), file), idx);
      const special = key === 'sst2/full/graft/0.1';
      const e = special ? ev(GRAFT01.metric[i]!, GRAFT01.ece[i]!) : ev(0.6 * ft, FT.ece[i]!);
      rows.push({
        method,
        sparsity,
        k: idx.length,
        ...e,
        recovered: e.metric / ft,
        gainRecovered: gain(e.metric),
        file,
      });
    }
  for (const lambda of [0.5, 1]) {
    const e = ev(lambda === 1 ? ft : 0.9 * ft, 0.25);
    rows.push({
      method: 'task_arithmetic',
      sparsity: null,
      lambda,
      k: N,
      ...e,
      recovered: e.metric / ft,
      gainRecovered: gain(e.metric),
    });
  }
  return {
    run: job.run,
    runKind: job.runKind,
    seed: job.seed,
    scope: 'layers',
    scopeParams: N,
    metricName: 'accuracy',
    learnExamples: 32,
    devExamples: 32,
    finetuned: ev(ft, FT.ece[i]!),
    pretrained: ev(0.5 * ft, 0.3),
    rows,
  };
}

for (const j of grid.jobs) {
  if (j.kind !== 'graft') continue;
  const hash = j.id === STALE ? 'older' : j.hash;
  finishJob(jobDir(outDir, j), { hash, finishedAt: 'then', seconds: 1, result: resultOf(j) });
}

const sampleStd = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

const done = finishedGrafts(grid, outDir);
const aggs = graftAggregates(done, cfg.graft!.methods);
const overlaps = overlapRows(maskRefs(done, outDir));
const find = (o: Partial<OverlapRow>) =>
  overlaps.filter((r) => Object.entries(o).every(([k, v]) => r[k as keyof OverlapRow] === v));

test('aggregates: mean and sample std over seeds of recovered, ECE against the fine-tuned model, k, endpoints', () => {
  assert.equal(done.length, 11); // 12 graft jobs, one stale
  const cell = aggs.filter((a) => a.task === 'sst2' && a.runKind === 'full');
  const order = cell.map((a) => `${a.method}@${a.sparsity ?? a.lambda}`);
  assert.deepEqual(order, [
    'finetuned@null',
    'pretrained@null',
    'graft@0.01',
    'top_delta@0.01',
    'random@0.01',
    'graft@0.1',
    'top_delta@0.1',
    'random@0.1',
    'task_arithmetic@0.5',
    'task_arithmetic@1',
  ]);
  const g = cell.find((a) => a.method === 'graft' && a.sparsity === 0.1)!;
  const rec = [0.4 / 0.8, 0.72 / 0.9, 0.9 / 1.0];
  assert.equal(g.n, 3);
  assert.deepEqual(g.seeds, [7, 8, 9]);
  close(g.recovered.mean, mean(rec), 'recovered mean');
  close(g.recovered.std, sampleStd(rec), 'recovered std');
  close(g.metric.mean, mean(GRAFT01.metric), 'metric');
  close(g.ece.mean, 0.1, 'ece');
  close(g.eceFinetuned, 0.2, 'ece fine-tuned');
  close(g.eceReduction, 0.5, 'ece reduction');
  assert.equal(g.k, 10);
  assert.equal(cell.find((a) => a.method === 'graft' && a.sparsity === 0.01)!.k, 4 / 3);
  const pre = cell.find((a) => a.method === 'pretrained')!;
  close(pre.recovered.mean, 0.5, 'pretrained recovered');
  close(pre.gain.mean, 0, 'pretrained: no gain');
  // a mask at 0.6 of the fine-tuned metric over a body at 0.5 of it: a fifth of the gain
  close(cell.find((a) => a.method === 'top_delta' && a.sparsity === 0.01)!.gain.mean, 0.2, 'gain recovered');
  assert.equal(pre.recovered.std, 0);
  close(pre.eceReduction, (0.2 - 0.3) / 0.2, 'pretrained: worse calibrated');
  assert.equal(aggs.find((a) => a.task === 'rte' && a.runKind === 'hscore')!.n, 2); // seed 9 is stale

  const t = graftTable(cell, overlaps);
  const col = (name: string) => t.header.indexOf(name);
  const row = t.rows.find((r) => r[0] === 'graft (learned)' && r[1] === '10 %')!;
  const p1 = (x: number) => (100 * x).toFixed(1);
  assert.equal(row[col('n')], '3');
  assert.equal(row[col('recovered (%)')], `${p1(mean(rec))} ± ${p1(sampleStd(rec))}`);
  assert.equal(row[col('ECE (%)')], '10.00');
  assert.equal(row[col('ECE fine-tuned (%)')], '20.00');
  assert.equal(row[col('ECE reduction')], '50.0 %');
  const j = [1, 1 / 3, 1 / 3];
  assert.equal(
    row[col('Jaccard across seeds (chance)')],
    `${mean(j).toFixed(3)} ± ${sampleStd(j).toFixed(3)} (${(1 / 19).toFixed(3)})`,
  );
  assert.deepEqual(
    t.rows.map((r) => r[1]),
    ['100 %', '0 %', '1 %', '1 %', '1 %', '10 %', '10 %', '10 %', 'λ = 0.5', 'λ = 1'],
  );
  assert.equal(t.rows[0]![col('ECE reduction')], '–');
  assert.equal(t.rows.find((r) => r[0] === 'random')![col('Jaccard across seeds (chance)')], '–'); // left out
});

test('Jaccard of graft files by construction; chance of random masks; the reader', () => {
  const dir = join(root, 'jac');
  const files = [range(0, 10), range(5, 15), range(58, 68), range(60, 70), [], range(0, 100)].map((idx, i) => {
    const f = join(dir, `${i}.safetensors`);
    writeMask(f, idx);
    return f;
  });
  for (const a of files) close(jaccardFiles(readGraftMasks(a), readGraftMasks(a)), 1, `${a} with itself`);
  close(jaccardFiles(readGraftMasks(files[0]!), readGraftMasks(files[4]!)), 0, 'against an empty mask');
  close(jaccardFiles(readGraftMasks(files[0]!), readGraftMasks(files[5]!)), 10 / 100, 'a subset');
  close(jaccardFiles(readGraftMasks(files[0]!), readGraftMasks(files[1]!)), 1 / 3, 'half overlap');
  close(jaccardFiles(readGraftMasks(files[2]!), readGraftMasks(files[3]!)), 8 / 12, 'across the boundary');
  close(chanceJaccard(10, 10, 100), 1 / 19, 'chance');
  close(chanceJaccard(1, 2, 100), 0.02 / (3 - 0.02), 'chance of unequal sizes');
  close(chanceJaccard(100, 100, 100), 1, 'every entry');
  // a budget below one file still reads every file; a missing one is undefined
  const read = maskReader(1);
  assert.equal(read(files[0]!)!.size, 1);
  assert.equal(read(files[2]!)!.size, 2);
  assert.equal(read(join(dir, 'none.safetensors')), undefined);
});

test('overlaps across seeds, across tasks and full data vs the winning ticket, each with its chance level', () => {
  const seeds = find({ comparison: 'seeds', taskA: 'sst2', runA: 'full', method: 'graft', sparsity: 0.1 });
  assert.equal(seeds.length, 1);
  assert.equal(seeds[0]!.n, 3);
  close(seeds[0]!.jaccard.mean, 5 / 9, 'across seeds');
  close(seeds[0]!.jaccard.std, sampleStd([1, 1 / 3, 1 / 3]), 'across seeds std');
  close(seeds[0]!.chance, 1 / 19, 'chance');
  // k of 1, 1 and 2: pairs (1, 1), (1, 2), (1, 2)
  const small = find({ comparison: 'seeds', taskA: 'sst2', runA: 'full', method: 'graft', sparsity: 0.01 })[0]!;
  close(small.jaccard.mean, 1 / 3, 'k = 1 across seeds');
  close(small.chance, mean([chanceJaccard(1, 1, N), chanceJaccard(1, 2, N), chanceJaccard(1, 2, N)]), 'chance');
  close(
    find({ comparison: 'seeds', taskA: 'rte', runA: 'full', method: 'graft', sparsity: 0.1 })[0]!.jaccard.mean,
    1 / 3,
    'rte',
  );

  const tasks = find({ comparison: 'tasks', runA: 'full', method: 'graft', sparsity: 0.1 });
  assert.equal(tasks.length, 1);
  assert.deepEqual([tasks[0]!.taskA, tasks[0]!.taskB, tasks[0]!.n], ['sst2', 'rte', 3]);
  close(tasks[0]!.jaccard.mean, 1 / 9, 'across tasks: disjoint, disjoint, 1/3');
  close(find({ comparison: 'tasks', runA: 'full', method: 'top_delta', sparsity: 0.1 })[0]!.jaccard.mean, 1, 'top');
  close(find({ comparison: 'tasks', runA: 'full', method: 'graft', sparsity: 0.01 })[0]!.jaccard.mean, 2 / 3, 'k=1');
  // hscore on rte: seeds 7 and 8 only
  assert.equal(find({ comparison: 'tasks', runA: 'hscore', method: 'graft', sparsity: 0.1 })[0]!.n, 2);

  const vs = find({ comparison: 'runs', taskA: 'sst2', method: 'graft', sparsity: 0.1 });
  assert.equal(vs.length, 1);
  assert.deepEqual([vs[0]!.runA, vs[0]!.runB, vs[0]!.n], ['full', 'hscore', 3]);
  close(vs[0]!.jaccard.mean, 4 / 9, 'full vs ticket');
  close(vs[0]!.jaccard.std, sampleStd([1, 1 / 3, 0]), 'full vs ticket std');
  const rte = find({ comparison: 'runs', taskA: 'rte', method: 'graft', sparsity: 0.1 })[0]!;
  assert.equal(rte.n, 2);
  close(rte.jaccard.mean, 1, 'rte: seeds 7, 8');
  assert.equal(find({ method: 'random' }).length, 0);
});

test('the plots: recovered and ECE by sparsity with their references, the task x task heatmap', () => {
  const { points, refs } = graftPoints(aggs, 'recovered');
  const p = points.find(
    (x) => x.task === 'sst2' && x.panel === 'a · full data' && x.method === 'graft (learned)' && x.sparsity === 0.1,
  )!;
  close(p.mean, mean([0.5, 0.8, 0.9]), 'point');
  assert.equal(points.filter((x) => x.method === 'task arithmetic').length, 0);
  assert.equal(points.length, 4 * 2 * 3);
  assert.deepEqual(
    refs.filter((r) => r.task === 'sst2' && r.panel === 'a · full data').map((r) => [r.label, r.value]),
    [
      ['fine-tuned', 1],
      ['pretrained body', 0.5],
    ],
  );
  const ece = graftPoints(aggs, 'ece');
  close(
    ece.points.find(
      (x) => x.task === 'sst2' && x.panel === 'a · full data' && x.method === 'graft (learned)' && x.sparsity === 0.1,
    )!.mean,
    0.1,
    'ece',
  );
  close(ece.refs.find((r) => r.task === 'sst2' && r.label === 'fine-tuned')!.value, 0.2, 'ece ref');

  const cells = overlapCells(overlaps).filter((c) => c.panel === 'a · full data' && c.sparsity === 0.1);
  const at = (a: string, b: string) => cells.find((c) => c.a === a && c.b === b)!.jaccard;
  assert.equal(cells.length, 4);
  close(at('sst2', 'sst2'), 5 / 9, 'diagonal: across seeds');
  close(at('rte', 'rte'), 1 / 3, 'diagonal rte');
  close(at('sst2', 'rte'), 1 / 9, 'off the diagonal');
  close(at('rte', 'sst2'), 1 / 9, 'symmetric');
});

test('the report: the grafting section, its plots with their data, tables/graft.csv and graft-overlap.csv', async () => {
  const out = await writeReport(cfg, outDir, grid, 'mlruns');
  const md = readFileSync(out.report, 'utf8');
  for (const s of [
    '## Skill localisation by grafting',
    '### sst2 · a · full data',
    '### rte · a · winning ticket',
    '### Overlap across tasks',
    '### Full data vs the winning ticket',
    'Graft jobs finished: 11 of 12',
  ])
    assert.ok(md.includes(s), s);
  for (const p of ['graft-recovered', 'graft-ece', 'graft-overlap-tasks'])
    assert.ok(existsSync(join(outDir, 'plots', `${p}.svg`)), p);
  const heat = JSON.parse(readFileSync(join(outDir, 'plots', 'graft-overlap-tasks.vl.json'), 'utf8'));
  const v = heat.data.values.find(
    (c: { a: string; b: string; sparsity: number; panel: string }) =>
      c.a === 'sst2' && c.b === 'rte' && c.sparsity === 0.1 && c.panel === 'a · full data',
  );
  close(v.jaccard, 1 / 9, 'the heatmap holds the across-task Jaccard');
  const rec = JSON.parse(readFileSync(join(outDir, 'plots', 'graft-recovered.vl.json'), 'utf8'));
  const y = rec.data.values.find(
    (x: Record<string, unknown>) =>
      x.kind === 'point' &&
      x.task === 'sst2' &&
      x.panel === 'a · full data' &&
      x.method === 'graft (learned)' &&
      x.sparsity === 0.1,
  );
  close(y.y, 100 * mean([0.5, 0.8, 0.9]), 'recovered in percent');

  const csv = readFileSync(join(outDir, 'tables', 'graft.csv'), 'utf8')
    .trim()
    .split('\n');
  assert.equal(csv.length, 1 + 4 * 10); // (task x run kind) x (2 endpoints + 2 sparsities x 3 masks + 2 lambdas)
  const head = csv[0]!.split(',');
  const line = csv.find((l) => l.startsWith('sst2,a,full,graft,0.1,,'))!.split(',');
  const f = (name: string) => line[head.indexOf(name)]!;
  assert.equal(f('n'), '3');
  assert.equal(f('seeds'), '7 8 9');
  close(Number(f('recovered_mean')), mean([0.5, 0.8, 0.9]), 'csv recovered');
  close(Number(f('ece_reduction')), 0.5, 'csv ece reduction');
  assert.ok(csv.some((l) => l.startsWith('sst2,a,full,task_arithmetic,,0.5,3,')));

  const ov = readFileSync(join(outDir, 'tables', 'graft-overlap.csv'), 'utf8')
    .trim()
    .split('\n');
  assert.equal(
    ov[0],
    'comparison,model,method,sparsity,task_a,task_b,run_kind_a,run_kind_b,pairs,jaccard_mean,jaccard_std,chance',
  );
  const across = ov
    .find((l) => l.startsWith('tasks,a,graft,0.1,sst2,rte,full,full,3,'))!
    .split(',')
    .slice(-3);
  close(Number(across[0]), 1 / 9, 'csv jaccard');
  close(Number(across[1]), sampleStd([0, 0, 1 / 3]), 'csv jaccard std');
  close(Number(across[2]), 1 / 19, 'csv chance');
  assert.ok(ov.some((l) => l.startsWith('runs,a,graft,0.1,sst2,sst2,full,hscore,3,')));
});

test('a grid without graft jobs: no section, no graft tables', async () => {
  const { graft: _, ...plain } = raw;
  const c = validateConfig({ ...plain, name: 'plain' }, () => 'test');
  const g = gridOf(c);
  const dir = join(root, 'results', 'plain');
  assert.deepEqual(await graftSection(c, g, dir, () => []), { md: [], html: [], plots: [] });
  const out = await writeReport(c, dir, g, 'mlruns');
  assert.ok(!readFileSync(out.report, 'utf8').includes('grafting'));
  assert.ok(!existsSync(join(dir, 'tables', 'graft.csv')));
});
