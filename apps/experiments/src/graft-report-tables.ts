// The grafting section's numbers as tables and CSV (graft-report.ts writes the section): per (task, model, run
// kind) each mask at each sparsity grouped over seeds, beside the fine-tuned model, the pretrained body and task
// arithmetic; the overlaps of graft-overlap.ts across tasks and between full data and the other runs.
import { sparsityLabel } from '@prunelab/viz';
import { csv, pctCell } from './al-report-format.ts';
import type { GraftResult, GraftRow } from './graft-job.ts';
import type { OverlapRow } from './graft-overlap.ts';
import type { GraftJob } from './grid.ts';
import { methodTitle } from './names.ts';
import { meanStd } from './stats.ts';
import { METRIC_TITLES } from './tasks.ts';

type Stat = { mean: number; std: number };

export interface GraftDone {
  job: GraftJob;
  result: GraftResult;
}

/** One row of a table: a method at a sparsity (or lambda) over the seeds of one (task, model, run kind). */
export interface GraftAggregate {
  task: string;
  model: string;
  runKind: string;
  /** a mask method, 'task_arithmetic', or the endpoints 'finetuned' (gamma = 1) and 'pretrained' (gamma = 0) */
  method: string;
  sparsity: number | null;
  lambda: number | null;
  n: number;
  seeds: number[];
  /** entries selected, mean over seeds */
  k: number;
  recovered: Stat;
  /** (metric - pretrained body's) / (fine-tuned's - pretrained body's), per seed */
  gain: Stat;
  metric: Stat;
  metricName: string;
  ece: Stat;
  /** the fine-tuned model's ECE, mean over the same seeds */
  eceFinetuned: number;
  /** (ECE fine-tuned - ECE) / ECE fine-tuned, of the means: positive, the graft is better calibrated */
  eceReduction: number;
  scopeParams: number;
}

const ENDPOINTS = ['finetuned', 'pretrained'];

/** Every row of every finished job grouped over seeds; per (task, model, run kind): endpoints, masks by sparsity
 * (methods in `methods` order), task arithmetic by lambda. */
export function graftAggregates(done: GraftDone[], methods: readonly string[]): GraftAggregate[] {
  type Entry = Pick<GraftRow, 'sparsity' | 'lambda' | 'k' | 'metric' | 'recovered' | 'gainRecovered' | 'ece'> & {
    method: string;
  };
  type Seeded = { seed: number; row: Entry; eceFt: number; r: GraftResult };
  const groups = new Map<string, { job: GraftJob; rows: Seeded[] }>();
  for (const { job, result: r } of done) {
    const ft = r.finetuned;
    const pre = r.pretrained;
    const endpoints: Entry[] = [
      {
        method: 'finetuned',
        sparsity: null,
        k: r.scopeParams,
        metric: ft.metric,
        recovered: 1,
        gainRecovered: 1,
        ece: ft.ece,
      },
      {
        method: 'pretrained',
        sparsity: null,
        k: 0,
        metric: pre.metric,
        recovered: pre.metric / ft.metric,
        gainRecovered: 0,
        ece: pre.ece,
      },
    ];
    for (const row of [...endpoints, ...r.rows]) {
      const key = [job.task, job.model, job.runKind, row.method, row.sparsity, row.lambda].join('\0');
      const g = groups.get(key) ?? { job, rows: [] };
      groups.set(key, g);
      g.rows.push({ seed: job.seed, row, eceFt: ft.ece, r });
    }
  }
  const out: GraftAggregate[] = [];
  for (const { job, rows } of groups.values()) {
    const first = rows[0]!.row;
    const stat = (f: (x: Seeded) => number): Stat => {
      const { mean, std } = meanStd(rows.map(f));
      return { mean, std };
    };
    const ece = stat((x) => x.row.ece);
    const eceFinetuned = meanStd(rows.map((x) => x.eceFt)).mean;
    out.push({
      task: job.task,
      model: job.model,
      runKind: job.runKind,
      method: first.method,
      sparsity: first.sparsity,
      lambda: first.lambda ?? null,
      n: rows.length,
      seeds: rows.map((x) => x.seed),
      k: meanStd(rows.map((x) => x.row.k)).mean,
      recovered: stat((x) => x.row.recovered),
      gain: stat((x) => x.row.gainRecovered),
      metric: stat((x) => x.row.metric),
      metricName: rows[0]!.r.metricName,
      ece,
      eceFinetuned,
      eceReduction: (eceFinetuned - ece.mean) / eceFinetuned,
      scopeParams: rows[0]!.r.scopeParams,
    });
  }
  const rank = (a: GraftAggregate) =>
    ENDPOINTS.includes(a.method)
      ? [0, ENDPOINTS.indexOf(a.method)]
      : a.method === 'task_arithmetic'
        ? [2, a.lambda ?? 0]
        : [1, a.sparsity ?? 0, methods.indexOf(a.method)];
  const cell = (a: GraftAggregate) => [a.task, a.model, a.runKind].join('\0');
  const cells = [...new Set(out.map(cell))];
  return out.sort((a, b) => {
    const c = cells.indexOf(cell(a)) - cells.indexOf(cell(b));
    if (c) return c;
    const [x, y] = [rank(a), rank(b)];
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
    return 0;
  });
}

/** The run a graft job grafted, in words. */
export function runLabel(runKind: string): string {
  if (runKind === 'phase1') return 'phase-1 score runs';
  if (runKind === 'full') return 'full data';
  if (runKind === 'hscore') return 'winning ticket';
  return `${methodTitle(runKind)} at the ticket's size`;
}

const METHOD_TITLES: Record<string, string> = {
  finetuned: 'fine-tuned (γ = 1)',
  pretrained: 'pretrained body (γ = 0)',
  graft: 'graft (learned)',
  top_delta: 'top Δ (base patch)', // no '|': it would split a markdown table cell
  random: 'random',
  fisher: 'Fisher',
  task_arithmetic: 'task arithmetic',
};
export const graftMethodTitle = (m: string) => METHOD_TITLES[m] ?? m;

const pct = pctCell;
const meanCell = (s: Stat, n: number, f: (x: number) => string) =>
  Number.isFinite(s.mean) ? `${f(s.mean)}${n > 1 ? ` ± ${f(s.std)}` : ''}` : '–';
/** Jaccard values run from 1 down to chance levels near 1e-5: three decimals, or two significant digits. */
export const jaccardText = (x: number) =>
  !Number.isFinite(x) ? '–' : x === 0 || x >= 0.001 ? x.toFixed(3) : x.toExponential(1);

export interface Table {
  header: string[];
  rows: string[][];
}

/** One (task, model, run kind): a row per aggregate, with the across-seeds Jaccard of its masks where measured. */
export function graftTable(aggs: GraftAggregate[], overlaps: OverlapRow[]): Table {
  const metric = METRIC_TITLES[aggs[0]!.metricName] ?? aggs[0]!.metricName;
  const header = [
    'mask',
    'sparsity / λ',
    'n',
    'k',
    'recovered (%)',
    'gain recovered (%)',
    `${metric} (%)`,
    'ECE (%)',
    'ECE fine-tuned (%)',
    'ECE reduction',
    'Jaccard across seeds (chance)',
  ];
  const rows = aggs.map((a) => {
    const seeds = overlaps.find(
      (o) =>
        o.comparison === 'seeds' &&
        o.taskA === a.task &&
        o.model === a.model &&
        o.runA === a.runKind &&
        o.method === a.method &&
        o.sparsity === a.sparsity,
    );
    const where =
      a.method === 'finetuned'
        ? '100 %'
        : a.method === 'pretrained'
          ? '0 %'
          : a.lambda !== null
            ? `λ = ${a.lambda}`
            : sparsityLabel(a.sparsity!);
    return [
      graftMethodTitle(a.method),
      where,
      String(a.n),
      Math.round(a.k).toLocaleString('en-US'),
      meanCell(a.recovered, a.n, (x) => pct(x, 1)),
      meanCell(a.gain, a.n, (x) => pct(x, 1)),
      meanCell(a.metric, a.n, (x) => pct(x)),
      pct(a.ece.mean),
      pct(a.eceFinetuned),
      a.method === 'finetuned' || !Number.isFinite(a.eceReduction) ? '–' : `${pct(a.eceReduction, 1)} %`,
      seeds
        ? `${jaccardText(seeds.jaccard.mean)}${seeds.n > 1 ? ` ± ${jaccardText(seeds.jaccard.std)}` : ''} ` +
          `(${jaccardText(seeds.chance)})`
        : '–',
    ];
  });
  return { header, rows };
}

export function graftCsv(aggs: GraftAggregate[]): string {
  return csv(
    [
      'task',
      'model',
      'run_kind',
      'method',
      'sparsity',
      'lambda',
      'n',
      'seeds',
      'k_mean',
      'recovered_mean',
      'recovered_std',
      'gain_recovered_mean',
      'gain_recovered_std',
      'metric_name',
      'metric_mean',
      'metric_std',
      'ece_mean',
      'ece_std',
      'ece_finetuned_mean',
      'ece_reduction',
      'scope_params',
    ],
    aggs.map((a) => [
      a.task,
      a.model,
      a.runKind,
      a.method,
      a.sparsity,
      a.lambda,
      a.n,
      a.seeds.join(' '),
      a.k,
      a.recovered.mean,
      a.recovered.std,
      a.gain.mean,
      a.gain.std,
      a.metricName,
      a.metric.mean,
      a.metric.std,
      a.ece.mean,
      a.ece.std,
      a.eceFinetuned,
      a.eceReduction,
      a.scopeParams,
    ]),
  );
}

const jaccardCell = (o: Pick<OverlapRow, 'jaccard' | 'n'>) =>
  `${jaccardText(o.jaccard.mean)}${o.n > 1 ? ` ± ${jaccardText(o.jaccard.std)}` : ''}`;
const mean = (xs: number[]) => (xs.length ? meanStd(xs).mean : Number.NaN);

/**
 * Across tasks, a row per (model, run kind, mask, sparsity): the task pairs' Jaccard (each a mean over the seeds both
 * tasks have) as mean and range over the pairs, beside the same tasks' own Jaccard across seeds and chance.
 */
export function acrossTasksTable(overlaps: OverlapRow[]): Table {
  const header = [
    'model',
    'run',
    'mask',
    'sparsity',
    'task pairs',
    'Jaccard across tasks',
    'range',
    'same task, other seed',
    'chance',
  ];
  const groups = new Map<string, OverlapRow[]>();
  for (const o of overlaps.filter((x) => x.comparison === 'tasks')) {
    const key = [o.model, o.runA, o.method, o.sparsity].join('\0');
    groups.set(key, [...(groups.get(key) ?? []), o]);
  }
  const rows = [...groups.values()].map((g) => {
    const { model, runA, method, sparsity } = g[0]!;
    const js = g.map((o) => o.jaccard.mean);
    const own = overlaps.filter(
      (o) =>
        o.comparison === 'seeds' &&
        o.model === model &&
        o.runA === runA &&
        o.method === method &&
        o.sparsity === sparsity,
    );
    return [
      model,
      runLabel(runA),
      graftMethodTitle(method),
      sparsityLabel(sparsity),
      String(g.length),
      jaccardText(mean(js)),
      `${jaccardText(Math.min(...js))} – ${jaccardText(Math.max(...js))}`,
      jaccardText(mean(own.map((o) => o.jaccard.mean))),
      jaccardText(mean(g.map((o) => o.chance))),
    ];
  });
  return { header, rows };
}

/**
 * Full data vs each other run (the winning ticket, its baselines), same task, model, mask, sparsity and seed:
 * mean ± std over seeds, beside full data's own Jaccard across seeds (is the ticket's region as close to full data's
 * as another seed's is?) and chance.
 */
export function fullVsRunTable(overlaps: OverlapRow[]): Table {
  const header = [
    'task',
    'model',
    'run',
    'mask',
    'sparsity',
    'n',
    'Jaccard with full data',
    'full data, other seed',
    'chance',
  ];
  const rows = overlaps
    .filter((o) => o.comparison === 'runs')
    .map((o) => {
      const own = overlaps.find(
        (x) =>
          x.comparison === 'seeds' &&
          x.taskA === o.taskA &&
          x.model === o.model &&
          x.runA === 'full' &&
          x.method === o.method &&
          x.sparsity === o.sparsity,
      );
      return [
        o.taskA,
        o.model,
        runLabel(o.runB),
        graftMethodTitle(o.method),
        sparsityLabel(o.sparsity),
        String(o.n),
        jaccardCell(o),
        own ? `${jaccardCell(own)} (${own.n} pairs)` : '–',
        jaccardText(o.chance),
      ];
    });
  return { header, rows };
}
