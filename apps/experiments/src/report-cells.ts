// What the report says about each (task, model) cell besides its table: the data the jobs actually read (sizes
// from the jobs' done.json beside the official sizes, loader warnings, the data digest), the training settings the
// cell ran with (per-task and per-model overrides applied), and the runs whose predictions collapsed onto one class.
import { join } from 'node:path';
import { getTask } from '@prunelab/datasets';
import { collapseOf, collapseText, COLLAPSE_SHARE } from './collapse.ts';
import type { DataRecord } from './data-digest.ts';
import type { Grid, Job } from './grid.ts';
import { jobDir, readDone, readJson } from './job-state.ts';
import { runTitle } from './names.ts';
import type { Phase1Result } from './phase1.ts';
import type { Phase2Result } from './phase2.ts';
import { cellSettings, type CellSettings, type DataCfg, type ExperimentConfig, type TaskName } from './schema.ts';
import { tuningWords, usesPeft } from './peft.ts';
import { TASK_META } from './tasks.ts';

export interface CellData {
  /** the first finished job's record; undefined: no finished job recorded one */
  record?: DataRecord;
  /** every warning of the cell's jobs, once */
  warnings: string[];
  /** distinct data digests over the cell's jobs (more than one: its jobs did not read the same data) */
  digests: string[];
}

/**
 * Whether a model's jobs trained from random weights (job.json `random_weights`, set from the tiny-model marker):
 * true if any started job of the model says so, false if they all say not, undefined before any job started.
 */
export function randomWeightsOf(outDir: string, grid: Grid, model: string): boolean | undefined {
  let seen: boolean | undefined;
  for (const j of grid.jobs.filter((x) => x.model === model)) {
    const r = readJson<{ random_weights?: boolean }>(join(jobDir(outDir, j), 'job.json'))?.random_weights;
    if (r === true) return true;
    if (r === false) seen = false;
  }
  return seen;
}

export const RANDOM_WEIGHTS_NOTE =
  'RANDOM WEIGHTS: generated tiny model, not pretrained; its numbers show that the pipeline works, not what ' +
  'fine-tuning a pretrained model does';

const fmt = (n: number) => n.toLocaleString('en-US');
const inCell = (task: string, model: string) => (j: Job) => j.task === task && j.model === model;

/** The data records of a cell's finished jobs, merged. */
export function cellData(outDir: string, grid: Grid, task: string, model: string): CellData {
  const records = grid.jobs.filter(inCell(task, model)).flatMap((j) => {
    const d = (readDone(outDir, j) as { data?: DataRecord } | undefined)?.data;
    return d?.read ? [d] : [];
  });
  return {
    ...(records[0] && { record: records[0] }),
    warnings: [...new Set(records.flatMap((r) => r.warnings ?? []))],
    digests: [...new Set(records.map((r) => r.digest))],
  };
}

/**
 * How much of the task a cell trained and was evaluated on: the sizes its jobs read, what the subsample kept, and
 * the official sizes beside them. Without a data record the sizes are not known, and the note says so instead of
 * printing the official sizes as if read.
 */
export function dataNote(task: TaskName, d: DataCfg, data: CellData): string {
  const split = TASK_META[task].evalSplit;
  const tokens = `at most ${d.max_length} tokens each`;
  const r = data.record;
  // few-shot (data.per_class; absent in configs made before it): K of each class, train_size ignored
  const K = d.per_class ?? null;
  const fewShot = K === null ? '' : `${K} per class (seed ${d.seed})`;
  if (!r) {
    const cap = d.train_size === null ? 'all' : `up to ${fmt(d.train_size)}`;
    const evalCap = d.dev_size === null ? 'all' : `up to ${fmt(d.dev_size)}`;
    const train = K === null ? `${cap} training examples (seed ${d.seed})` : `${fewShot} training examples`;
    return (
      `data: ${train}, ${evalCap} ${split} examples; sizes read not recorded ` +
      `(these jobs finished before done.json recorded them); ${tokens}`
    );
  }
  const official = { ...getTask(task).official, ...r.official };
  const part = (name: string, what: string, cap: number | null, seedNote: string) => {
    const read = r.read[name];
    const off = official[name] !== undefined ? `official: ${fmt(official[name]!)}` : 'no official size';
    if (read === undefined) return `${what} examples: size read not recorded (${off})`;
    const used = r.used?.[name] ?? (cap === null ? read : Math.min(cap, read));
    if (name === 'train' && K !== null)
      return `${fewShot}: ${fmt(used)} of ${fmt(read)} ${what} examples read (${off})`;
    return used < read
      ? `${fmt(used)} of ${fmt(read)} ${what} examples read (seeded subsample${seedNote}; ${off})`
      : `all ${fmt(read)} ${what} examples read (${off})`;
  };
  const extra = (TASK_META[task].extraEval ?? []).filter((x) => r.read[x] !== undefined);
  const digest = data.digests.length > 1 ? `; the jobs read different data (digests ${data.digests.join(', ')})` : '';
  return (
    `data: ${part('train', 'training', d.train_size, `, seed ${d.seed}`)}; ${part(split, split, d.dev_size, '')}` +
    `${extra.map((x) => `; ${part(x, x, d.dev_size, '')}`).join('')}; ${tokens}; data digest ${r.digest}${digest}`
  );
}

const num = (x: number) => (x !== 0 && Math.abs(x) < 1e-2 ? x.toExponential() : String(x));

/** One phase's effective settings in a few words. */
function phaseWords(p: CellSettings['phase1'] | CellSettings['phase2']): string {
  return [
    `${p.epochs} epoch${p.epochs === 1 ? '' : 's'}`,
    `lr ${num(p.lr)}`,
    `batch ${p.batch_size}${p.grad_accum > 1 ? ` x ${p.grad_accum} accumulated` : ''}`,
    ...(p.warmup_steps ? [`warmup ${p.warmup_steps} steps`] : []),
    ...(p.weight_decay ? [`weight decay ${num(p.weight_decay)}`] : []),
  ].join(', ');
}

/** The ticket seeds, where they add any: full data and the winning ticket's size get more seeds than the rest. */
function ticketWords(s: CellSettings): string {
  const more = s.phase2.ticket_seeds.filter((x) => !s.phase2.seeds.includes(x));
  return more.length ? ` (full data and the winning ticket's size also ${more.join(', ')})` : '';
}

/** The settings a cell's jobs ran with: the config's sections with its model's and task's overrides applied. */
export function settingsNote(s: CellSettings): string {
  return (
    `training: phase 1 R = ${s.phase1.seeds.length} runs (seeds ${s.phase1.seeds.join(', ')}), ` +
    `${phaseWords(s.phase1)}; phase 2 ${phaseWords(s.phase2)}, seeds ${s.phase2.seeds.join(', ')}${ticketWords(s)}, ` +
    'evaluated ' +
    `${s.phase2.eval === 'last' ? 'after the last epoch only' : 'after every epoch'}` +
    // said once a phase uses PEFT (full fine-tuning otherwise; reports of such grids read as before)
    (usesPeft(s) ? `; tuning: phase 1 ${tuningWords(s.phase1.peft)}, phase 2 ${tuningWords(s.phase2.peft)}` : '')
  );
}

/** The settings of a cell as its jobs carry them (the config's when the grid has no job of the cell). */
export function cellSettingsOf(cfg: ExperimentConfig, grid: Grid, task: TaskName, model: string): CellSettings {
  return grid.jobs.find(inCell(task, model))?.settings ?? cellSettings(cfg, task, model);
}

export interface CollapsedRun {
  task: string;
  model: string;
  /** the run in words: "phase 1 score run, seed 1", "random at the size of winning ticket (drop H=0,3), seed 7" */
  run: string;
  text: string;
}

/** Finished training jobs whose last evaluation collapsed onto one class; `counted`: how many recorded counts. */
export function collapsedRuns(outDir: string, grid: Grid): { runs: CollapsedRun[]; counted: number } {
  const runs: CollapsedRun[] = [];
  let counted = 0;
  for (const j of grid.jobs) {
    if (j.kind === 'scores' || j.kind === 'al' || j.kind === 'graft') continue;
    const done = readDone<Phase1Result | Phase2Result>(outDir, j);
    if (!done?.result) continue;
    const counts =
      j.kind === 'phase2'
        ? (done.result as Phase2Result).predCounts
        : (done.result as Phase1Result).epochs.at(-1)?.predCounts;
    if (!counts) continue;
    counted++;
    const c = collapseOf(counts);
    if (!c) continue;
    const what =
      j.kind === 'phase1'
        ? 'phase 1 score run'
        : runTitle({
            method: j.method,
            model: j.model,
            subset: j.subset && {
              removed: j.subset.removed,
              R: j.subset.variant.runsUsed,
              variantKey: j.subset.variant.key,
              scoredBy: j.subset.scoredBy,
            },
          });
    runs.push({
      task: j.task,
      model: j.model,
      run: `${what}${j.kind === 'phase2' && j.mitigation ? ` (${j.mitigation.label})` : ''}, seed ${j.seed}`,
      text: collapseText(c, getTask(j.task).labels),
    });
  }
  return { runs, counted };
}

/** The report's section on collapsed runs: its lines, or none when no finished job counted its predictions. */
export function collapseSection(found: { runs: CollapsedRun[]; counted: number }): string[] {
  const rule =
    `A run counts as collapsed when at least ${100 * COLLAPSE_SHARE}% of its predictions on the evaluation ` +
    'split after the last epoch are one class (classification tasks): its metric is the share of that class, not ' +
    'something it learned. Phase-2 results with a collapsed seed are marked † in the tables.';
  if (found.counted === 0)
    return [`${rule} No finished run recorded its prediction counts (results from before they were).`];
  if (found.runs.length === 0) return [`${rule} None of the ${found.counted} runs with counts collapsed.`];
  return [
    `${rule} ${found.runs.length} of the ${found.counted} runs with counts collapsed:`,
    ...found.runs.map((r) => `${r.task} · ${r.model}: ${r.run}: ${r.text}`),
  ];
}

/**
 * Which numeric builds made the finished jobs that compute (scores jobs only count records): one build named once,
 * several listed with their job counts, since records of one job can differ between builds (scripts/compare-builds.ts).
 */
export function buildsNote(outDir: string, grid: Grid): string | undefined {
  const count = new Map<string, number>();
  for (const job of grid.jobs) {
    if (job.kind === 'scores') continue;
    const done = readDone(outDir, job);
    if (!done) continue;
    const key = done.build?.key ?? 'not recorded (finished before done.json recorded builds)';
    count.set(key, (count.get(key) ?? 0) + 1);
  }
  const n = [...count.values()].reduce((a, b) => a + b, 0);
  if (n === 0) return undefined;
  if (count.size === 1) return `Numeric build: ${[...count.keys()][0]} (all ${n} finished training jobs).`;
  const parts = [...count].sort((a, b) => b[1] - a[1]).map(([k, c]) => `${k}: ${c} job(s)`);
  return `Numeric builds: ${count.size} made the ${n} finished training jobs (run.numeric_build: strict redoes the ones not made by the running build): ${parts.join('; ')}.`;
}
