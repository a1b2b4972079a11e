// The AL report from fixtures of finished steps' done.json: AUC, RIPL, the metric at the budget, forgetting and
// CKA against numbers worked out by hand here, a curve killed before its last step shown as partial and left out of
// AUC, and the plots rendered.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { tinyConfig } from '@prunelab/finetune';
import { aucRows, ckaRows, forgettingRows, neverLearnedRows, readCurves } from './al-report-tables.ts';
import type { AlStepResult } from './al-step.ts';
import { loadConfig } from './config.ts';
import { dataKey, type DataStates } from './data-digest.ts';
import { expandGrid, type AlStepJob, type Grid } from './grid.ts';
import { finishJob, jobDir, writeJsonAtomic } from './job-state.ts';
import { writeReport } from './report.ts';
import { cellSettings, type ExperimentConfig } from './schema.ts';
import type { ModelWeights } from './weights.ts';

const root = mkdtempSync(join(tmpdir(), 'prunelab-al-report-'));
after(() => rmSync(root, { recursive: true, force: true }));

const bert = join(root, 'bert');
mkdirSync(bert);
writeFileSync(join(bert, 'config.json'), JSON.stringify(tinyConfig('bert')));
const W: Record<string, ModelWeights> = {
  a: { dir: bert, digest: 'w', pretrain: null },
  b: { dir: bert, digest: 'w', pretrain: null },
};

/** a: full fine-tuning, b: LoRA; 3 steps (20, 30, 40 labelled), 2 strategies, 2 seeds. */
function cfgOf(name: string): ExperimentConfig {
  const yaml = [
    `name: ${name}`,
    'tasks: [sst2]',
    'models:',
    `  a: { path: ${bert} }`,
    `  b: { path: ${bert}, peft: { method: lora, r: 4 } }`,
    'al: { warm_start: 20, query: 10, budget: 40, strategies: [random, entropy], seeds: [1, 2], probe_size: 8 }',
    `output: { dir: ${join(root, 'results')} }`,
    '',
  ].join('\n');
  const f = join(root, `${name}.yaml`);
  writeFileSync(f, yaml);
  return loadConfig(f);
}

const DATA = { digest: 'd', splits: {}, read: { train: 500 }, used: { train: 500 }, official: {}, warnings: [] };
const dataOf = (cfg: ExperimentConfig): DataStates =>
  Object.fromEntries(
    Object.keys(cfg.models).map((m) => [dataKey('sst2', cellSettings(cfg, 'sst2', m).data), { record: DATA }]),
  );

// dev accuracy per (strategy, seed) at steps 0..2 for model a; model b is 0.05 higher everywhere
const METRIC: Record<string, number[]> = {
  'random-1': [0.5, 0.6, 0.7],
  'random-2': [0.5, 0.7, 0.7],
  'entropy-1': [0.5, 0.7, 0.8],
  'entropy-2': [0.6, 0.7, 0.9],
};
const shift = (model: string) => (model === 'b' ? 0.05 : 0);

function result(j: AlStepJob): AlStepResult {
  const k = j.model === 'a' ? 0.05 : 0.01;
  const events = (j.model === 'a' ? 0.5 : 0.2) + 0.1 * j.seed;
  return {
    step: j.step,
    labelled: j.labelled,
    devAccuracy: METRIC[`${j.strategy}-${j.seed}`]![j.step]! + shift(j.model),
    devMetric: METRIC[`${j.strategy}-${j.seed}`]![j.step]! + shift(j.model),
    devMetrics: {},
    metric: 'accuracy',
    trainAccuracy: 0.9,
    selected: j.query ? ['x'] : null,
    forgetting: {
      events,
      forgottenShare: events / 2,
      neverLearnedShare: (j.model === 'a' ? 0.4 : 0.2) - 0.1 * j.step + 0.02 * j.seed,
      n: j.labelled,
    },
    cka: {
      layers: ['embeddings', 'layer 1', 'layer 2'],
      pretrained: [0, 1, 2].map((l) => 1 - k * (l + 1) * (j.step + 1) - 0.01 * j.seed),
      previous: j.step === 0 ? null : [0, 1, 2].map((l) => 0.9 + 0.02 * j.step - 0.01 * l),
    },
    seconds: { train: 1.5, score: 0.25, select: 0.25 },
  };
}

/** Every step finished but the last step of b's entropy curve of seed 2: a run killed there. */
function finishAll(outDir: string, grid: Grid): AlStepJob[] {
  const jobs = grid.jobs as AlStepJob[];
  for (const j of jobs) {
    if (j.model === 'b' && j.strategy === 'entropy' && j.seed === 2 && j.step === 2) continue;
    const dir = jobDir(outDir, j);
    mkdirSync(dir, { recursive: true });
    writeJsonAtomic(join(dir, 'labelled.json'), { total: 500 });
    finishJob(dir, { hash: j.hash, finishedAt: 'then', seconds: 2, data: DATA, result: result(j) });
  }
  return jobs;
}

const near = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} vs ${b}`);
const sampleStd = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
};
// three points at 20, 30, 40: trapezoids of width 10 over a range of 20 give (y0 + 2 y1 + y2) / 4
const auc3 = (y: number[]) => (y[0]! + 2 * y[1]! + y[2]!) / 4;

test('AL report tables: AUC per seed, RIPL against random, the metric at the budget, a partial curve left out', async () => {
  const cfg = cfgOf('al-rep');
  const grid = expandGrid(cfg, W, dataOf(cfg));
  assert.equal(grid.jobs.length, 2 * 2 * 2 * 3);
  const outDir = join(root, 'results', 'al-rep');
  finishAll(outDir, grid);
  const curves = readCurves(grid, outDir);
  assert.equal(curves.length, 8);
  const partial = curves.filter((c) => !c.complete);
  assert.deepEqual(
    partial.map((c) => [c.id, c.steps.length, c.planned]),
    [['sst2/b/al/entropy-seed-2', 2, 3]],
  );

  const rows = aucRows(curves);
  const row = (model: string, strategy: string) => rows.find((r) => r.model === model && r.strategy === strategy)!;
  for (const model of ['a', 'b']) {
    const s = shift(model);
    const seeds = (strategy: string, which: number[]) =>
      which.map((seed) => auc3(METRIC[`${strategy}-${seed}`]!.map((y) => y + s)));
    const random = seeds('random', [1, 2]); // a: 0.6, 0.65; b: 0.65, 0.7
    const entropy = seeds('entropy', model === 'a' ? [1, 2] : [1]); // b's seed 2 is partial: not in the AUC
    const rm = (random[0]! + random[1]!) / 2;
    const em = entropy.reduce((x, y) => x + y, 0) / entropy.length;
    near(row(model, 'random').auc.mean, rm, `${model} random AUC`);
    near(row(model, 'random').auc.std, sampleStd(random), `${model} random AUC std`);
    near(row(model, 'entropy').auc.mean, em, `${model} entropy AUC`);
    assert.equal(row(model, 'entropy').auc.n, entropy.length);
    near(row(model, 'entropy').ripl!, (em - rm) / (1 - rm), `${model} RIPL`);
    assert.equal(row(model, 'random').ripl, 0);
  }
  near(rows[0]!.auc.mean, 0.625, 'a random by hand');
  near(row('a', 'entropy').ripl!, 0.2, 'a entropy RIPL by hand: (0.7 - 0.625) / 0.375');
  near(row('b', 'entropy').ripl!, (0.725 - 0.675) / 0.325, 'b entropy RIPL by hand');
  // at the budget: the last step of complete curves only
  near(row('a', 'entropy').final.mean, 0.85, 'a entropy final');
  assert.equal(row('b', 'entropy').final.n, 1);
  near(row('b', 'entropy').final.mean, 0.85, 'b entropy final (seed 1 only)');
  assert.deepEqual([row('b', 'entropy').complete, row('b', 'entropy').partial], [1, 1]);

  // forgetting: each curve's mean over its finished steps, then over curves (the partial one counts its two steps)
  const f = forgettingRows(curves);
  near(f[0]!.measures.events.mean, 0.65, 'a events'); // 0.6, 0.7, 0.6, 0.7
  near(f[0]!.measures.events.std, sampleStd([0.6, 0.7, 0.6, 0.7]), 'a events std');
  near(f[0]!.measures.forgottenShare.mean, 0.325, 'a forgotten');
  const bNever = [0.12, 0.14, 0.12, 0.2 - 0.05 + 0.04]; // steps 0..2 average step 1; the partial one step 0.5
  near(f[1]!.measures.neverLearnedShare.mean, bNever.reduce((x, y) => x + y) / 4, 'b never learned');
  near(f[1]!.measures.neverLearnedShare.std, sampleStd(bNever), 'b never learned std');
  assert.equal(f[1]!.measures.neverLearnedShare.n, 4);
  const never = neverLearnedRows(curves);
  const at40b = never.find((p) => p.model === 'b' && p.labelled === 40)!;
  assert.equal(at40b.n, 3); // the partial curve has no step at 40
  near(at40b.mean, (0.02 + 0.04 + 0.02) / 3, 'b never learned at 40');

  // CKA: at the last step of complete curves; to the previous step, each curve's mean over its steps
  const cka = ckaRows(curves);
  const ck = (model: string, layer: number) => cka.find((r) => r.model === model && r.index === layer)!;
  near(ck('a', 0).pretrained.mean, 0.835, 'a layer 0'); // 1 - 0.05 * 3 - 0.01 seed: 0.84, 0.83, 0.84, 0.83
  near(ck('a', 2).pretrained.mean, 1 - 0.45 - 0.015, 'a layer 2');
  assert.equal(ck('b', 0).pretrained.n, 3);
  near(ck('b', 0).pretrained.mean, (0.96 + 0.95 + 0.96) / 3, 'b layer 0');
  near(ck('b', 0).pretrained.std, sampleStd([0.96, 0.95, 0.96]), 'b layer 0 std');
  near(ck('a', 1).previous.mean, 0.92, 'a previous layer 1'); // mean of 0.9 + 0.02 s - 0.01 over s = 1, 2
  near(ck('b', 0).previous.mean, (3 * 0.93 + 0.92) / 4, 'b previous layer 0 (the partial curve has step 1 only)');

  // the markdown says the same: mean ± std (n), RIPL signed, the partial curve named
  const out = await writeReport(cfg, outDir, grid, 'mlruns');
  const md = readFileSync(out.report, 'utf8');
  assert.match(
    md,
    /\| sst2 \(accuracy\) \| a \(full\) \| random \| 62\.50 ± 3\.54 \(n = 2\) \| baseline \| 70\.00 ± 0\.00 \(n = 2\) @ 40 \| 2 complete \|/,
  );
  assert.match(
    md,
    /\| sst2 \(accuracy\) \| a \(full\) \| entropy \| 70\.00 ± 3\.54 \(n = 2\) \| \+20\.00% \| 85\.00 ± 7\.07 \(n = 2\) @ 40 \| 2 complete \|/,
  );
  assert.match(
    md,
    /\| b \(lora\) \| entropy \| 72\.50 \(n = 1\) \| \+15\.38% \| 85\.00 \(n = 1\) @ 40 \| 1 complete, 1 partial \|/,
  );
  assert.match(md, /- partial: sst2 · b \(lora\) entropy seed 2: 2 of 3 steps finished \(up to 30 of 40 labelled\)/);
  assert.match(md, /Curves \(task x model x strategy x seed\): 7 complete, 1 partial, 0 not started, of 8\./);
  assert.match(md, /Steps finished: 23 of 24\./);
  assert.match(
    md,
    /\| sst2 \| forgetting events per example \| 0\.650 ± 0\.058 \(n = 4\) \| 0\.350 ± 0\.058 \(n = 4\) \|/,
  );
  assert.match(md, /\| sst2 \| never learned % \| 33\.00 ± 1\.15 \(n = 4\) \|/);
  assert.match(
    md,
    /\| sst2 \| embeddings \| 0\.835 ± 0\.006 \(n = 4\) \| 0\.930 ± 0\.000 \(n = 4\) \| 0\.957 ± 0\.006 \(n = 3\) \|/,
  );
  // the header: what was read and run
  assert.match(
    md,
    /Models: a \(bert, .*; full fine-tuning; lr [\d.e-]+, 10 epochs, batch 16\); b \(bert, .*; LoRA \(peft [\d.]+\): r 4; lr 2e-5/,
  );
  assert.match(md, /Pool: sst2: the training split as data: reads it \(500 examples\)\./);
  assert.match(
    md,
    /warm start 20 examples .* 10 queried per step, budget 40; each step fine-tunes the pretrained model afresh\. Strategies: random, entropy\. Seeds: 1, 2\./,
  );
  // 23 steps x 2 s; training 23 x 1.5 s, scoring and selecting 23 x 0.25 s each
  assert.match(
    md,
    /Wall time: 46\.0 s, the sum of the finished steps' seconds \(training and evaluation 34\.5 s, scoring the pool 5\.8 s, selecting 5\.8 s\)/,
  );
  assert.doesNotMatch(md, /NaN|undefined/);
  assert.deepEqual(out.rows, []);

  // the CSVs and summary carry the numbers; a partial curve is marked in the summary
  const csv = readFileSync(out.csv, 'utf8').trim().split('\n');
  assert.equal(
    csv[0],
    'task,model,tuning,strategy,auc_mean,auc_std,auc_n,ripl,final_mean,final_std,final_n,budget,complete,partial',
  );
  assert.equal(csv.length, 1 + 4);
  const [, , , , aucMean, aucStd, aucN, ripl] = csv.find((l) => l.startsWith('sst2,a,full,entropy,'))!.split(',');
  near(Number(aucMean), 0.7, 'csv AUC');
  near(Number(aucStd), sampleStd([0.675, 0.725]), 'csv AUC std');
  assert.equal(aucN, '2');
  near(Number(ripl), 0.2, 'csv RIPL');
  const forgettingCsv = readFileSync(join(outDir, 'tables', 'forgetting.csv'), 'utf8');
  assert.match(forgettingCsv, /^sst2,b,lora,events,0\.35\d*,0\.057\d*,4$/m);
  const summary = JSON.parse(readFileSync(out.json, 'utf8')) as {
    curves: { id: string; complete: boolean; points: unknown[] }[];
  };
  assert.deepEqual(
    summary.curves.filter((c) => !c.complete).map((c) => [c.id, c.points.length]),
    [['sst2/b/al/entropy-seed-2', 2]],
  );
  for (const t of ['learning-curves', 'forgetting', 'never-learned', 'cka', 'auc-ripl'])
    assert.ok(existsSync(join(outDir, 'tables', `${t}.csv`)), t);

  // the plots render: SVG and PNG of each, their titles and legends in the SVG, inlined in the HTML
  assert.equal(out.plots.length, 6);
  for (const p of out.plots) assert.ok(existsSync(p) && readFileSync(p).length > 1000, p);
  const svg = (name: string) => readFileSync(join(outDir, 'plots', `${name}.svg`), 'utf8');
  for (const s of ['al-rep: learning curves', 'random', 'entropy', 'labelled examples', 'b (lora)', 'a (full)'])
    assert.ok(svg('learning-curves').includes(s), s);
  assert.ok(svg('cka-layers').includes('layer 2'));
  assert.ok(svg('never-learned').includes('never learned (% of labelled)'));
  const html = readFileSync(out.html, 'utf8');
  assert.equal((html.match(/<svg/g) ?? []).length, 3);
  assert.match(html, /<td class="n">62\.50 ± 3\.54 \(n = 2\)<\/td>/);
});

test('AL report with nothing finished: every curve not started, no plots, no NaN', async () => {
  const cfg = cfgOf('al-empty');
  const grid = expandGrid(cfg, W, dataOf(cfg));
  const out = await writeReport(cfg, join(root, 'results', 'al-empty'), grid, 'mlruns');
  const md = readFileSync(out.report, 'utf8');
  assert.match(md, /Steps finished: 0 of 24\. Curves .*: 0 complete, 0 partial, 8 not started, of 8\./);
  assert.match(md, /\| a \(full\) \| random \| - \| - \| - \| 0 complete, 2 not started \|/);
  assert.match(md, /size: no step finished yet/);
  assert.deepEqual(out.plots, []);
  assert.doesNotMatch(md, /NaN|undefined/);
});
