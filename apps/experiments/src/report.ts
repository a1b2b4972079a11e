// The report, re-rendered from whatever jobs have finished: the paper's tables per task x model (full data vs
// winning ticket vs the other H subsets, each baseline at the same size; mean ± std over seeds) as markdown and
// CSV, the plots as SVG + PNG (+ Vega-Lite JSON), and one self-contained HTML page.
import { readFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { getTask } from '@prunelab/datasets';
import { selectionMethod, subsetName, winningTicketRemoved } from '@prunelab/pruning';
import {
  dataMapChart,
  hscoreHistogramChart,
  htmlReport,
  metricVsSizeChart,
  trainingCurvesChart,
  writeChart,
  type CurvePoint,
  type HtmlBlock,
  type MapPoint,
  type SizePoint,
} from '@prunelab/viz';
import { ensureDir, writeFileAtomic } from './files.ts';
import type { Grid, Phase2Job, ScoresJob } from './grid.ts';
import { readDone } from './job-state.ts';
import type { Phase2Result } from './phase2.ts';
import { cellSettings, type ExperimentConfig } from './schema.ts';
import { readScores, type ScoresResult } from './scores.ts';
import { meanStd } from './stats.ts';
import { METRIC_TITLES, plannedTrainSize, TASK_META, taskKind } from './tasks.ts';

export interface ReportRow {
  task: string;
  model: string;
  /** 'all' or the runs_used/epochs_used variant ('r4', 'e2', ...) */
  variant: string;
  /** removed H values ('06'), '' for full data */
  subset: string;
  method: string;
  scoredBy: string;
  label: string;
  size: number;
  subsetPct: number;
  mean: number;
  std: number;
  n: number;
  seeds: number[];
  /** further evaluation splits (MNLI mismatched): mean and std over seeds */
  extra: Record<string, { mean: number; std: number }>;
  /** the task's other metrics on the evaluation split (SQuAD EM, STS-B Spearman, MRPC F1): mean and std over seeds */
  others: Record<string, { mean: number; std: number }>;
  /** mean dev metric per epoch over the seeds */
  curve: number[];
}

export interface ReportFiles {
  report: string;
  html: string;
  csv: string;
  json: string;
  plots: string[];
  rows: ReportRow[];
}

const pct = (x: number) => (100 * x).toFixed(2);

function shown(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : p;
}

function rowLabel(j: Phase2Job, R: number): string {
  if (!j.subset) return 'full data';
  const v = j.subset.variant.key === 'all' ? '' : ` [${j.subset.variant.key}]`;
  const ticket = j.subset.removed.join() === [0, R].join();
  const what = `${ticket ? 'winning ticket' : 'H subset'} remove ${j.subset.name}${v}`;
  if (j.method === 'hscore') return j.subset.scoredBy !== j.model ? `${what}, scored by ${j.subset.scoredBy}` : what;
  return `${j.method} (size of ${j.subset.name}${v})`;
}

/** Phase-2 results grouped over seeds into report rows, in grid order. */
export function reportRows(grid: Grid, outDir: string): ReportRow[] {
  const groups = new Map<string, { job: Phase2Job; results: { seed: number; r: Phase2Result }[] }>();
  for (const job of grid.jobs) {
    if (job.kind !== 'phase2') continue;
    const key = job.id.replace(/-seed-\d+$/, '');
    const g = groups.get(key) ?? { job, results: [] };
    groups.set(key, g);
    const done = readDone<Phase2Result>(outDir, job);
    if (done?.result) g.results.push({ seed: job.seed, r: done.result });
  }
  const rows: ReportRow[] = [];
  for (const { job, results } of groups.values()) {
    if (results.length === 0) continue;
    const { mean, std, n } = meanStd(results.map((x) => x.r.metric));
    // epochs that were evaluated (phase2.eval: last keeps only the final one); a curve point per evaluated epoch
    const epochs = Math.max(...results.flatMap((x) => x.r.epochs.map((ep) => ep.epoch)));
    const curve = Array.from(
      { length: epochs },
      (_, e) =>
        meanStd(
          results.flatMap((x) => {
            const ep = x.r.epochs.find((r) => r.epoch === e + 1);
            return ep ? [ep.devMetric ?? ep.devAccuracy] : [];
          }),
        ).mean,
    );
    const others: ReportRow['others'] = {};
    for (const name of Object.keys(results[0]!.r.metrics ?? {})) {
      if (name === TASK_META[job.task].metric) continue;
      const { mean: m, std: sd } = meanStd(results.map((x) => x.r.metrics?.[name] ?? NaN));
      others[name] = { mean: m, std: sd };
    }
    const extra: ReportRow['extra'] = {};
    for (const split of Object.keys(results[0]!.r.extra ?? {})) {
      const { mean: m, std: sd } = meanStd(results.map((x) => x.r.extra?.[split] ?? NaN));
      extra[split] = { mean: m, std: sd };
    }
    rows.push({
      extra,
      others,
      task: job.task,
      model: job.model,
      variant: job.subset?.variant.key ?? 'all',
      subset: job.subset?.name ?? '',
      method: job.method,
      scoredBy: job.subset?.scoredBy ?? job.model,
      label: rowLabel(job, job.subset?.variant.runsUsed ?? 0),
      size: results[0]!.r.size,
      subsetPct: 100 * results[0]!.r.fraction,
      mean,
      std,
      n,
      seeds: results.map((x) => x.seed),
      curve,
    });
  }
  return rows;
}

/** Metrics are fractions shown x 100: accuracy/F1/EM in %, correlations (Matthews, Pearson, Spearman) x 100 as GLUE reports them. */
const unit = (name: string) => (['matthews', 'pearson', 'spearman'].includes(name) ? 'x100' : '%');
const metricTitle = (name: string) => `${METRIC_TITLES[name] ?? name} ${unit(name)}`;

function cellTable(rows: ReportRow[], metricName: string, evalSplit: string): { header: string[]; rows: string[][] } {
  const extras = [...new Set(rows.flatMap((r) => Object.keys(r.extra)))];
  const others = [...new Set(rows.flatMap((r) => Object.keys(r.others)))];
  const cell = (m: number, s: number, n: number) => `${pct(m)}${n > 1 ? ` ± ${pct(s)}` : ''}`;
  return {
    header: [
      'training data',
      'examples',
      'size %',
      `${metricTitle(metricName)}${extras.length ? ` ${evalSplit}` : ''} (mean ± std)`,
      ...others.map(metricTitle),
      ...extras.map((x) => `${metricTitle(metricName)} ${x}`),
      'seeds',
    ],
    rows: rows.map((r) => [
      r.label,
      String(r.size),
      r.subsetPct.toFixed(1),
      cell(r.mean, r.std, r.n),
      ...others.map((x) => (r.others[x] ? cell(r.others[x]!.mean, r.others[x]!.std, r.n) : '')),
      ...extras.map((x) => (r.extra[x] ? cell(r.extra[x]!.mean, r.extra[x]!.std, r.n) : '')),
      String(r.n),
    ]),
  };
}

function csvOf(rows: ReportRow[]): string {
  const head =
    'task,model,variant,subset,method,scored_by,label,size,subset_pct,metric,metric_mean,metric_std,n,seeds,extra,other_metrics';
  const kv = (o: Record<string, { mean: number; std: number }>) =>
    JSON.stringify(
      Object.entries(o)
        .map(([k, v]) => `${k}=${v.mean.toFixed(6)}±${v.std.toFixed(6)}`)
        .join(' '),
    );
  return (
    [
      head,
      ...rows.map((r) =>
        [
          r.task,
          r.model,
          r.variant,
          r.subset,
          r.method,
          r.scoredBy,
          JSON.stringify(r.label),
          r.size,
          r.subsetPct.toFixed(3),
          TASK_META[r.task as keyof typeof TASK_META]?.metric ?? 'accuracy',
          r.mean.toFixed(6),
          r.std.toFixed(6),
          r.n,
          JSON.stringify(r.seeds.join(' ')),
          kv(r.extra),
          kv(r.others),
        ].join(','),
      ),
    ].join('\n') + '\n'
  );
}

/** Every training example's cartography and H of a finished scores job, thinned to at most `max` points. */
function mapPoints(outDir: string, job: ScoresJob, max = 2500): MapPoint[] {
  const lines = readFileSync(join(outDir, job.id, 'scores.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1);
  const step = Math.max(1, Math.ceil(lines.length / max));
  const out: MapPoint[] = [];
  for (let i = 0; i < lines.length; i += step) {
    const [, , h, confidence, variability] = lines[i]!.split(',');
    out.push({ h: Number(h), confidence: Number(confidence), variability: Number(variability) });
  }
  return out;
}

/** What each configured baseline keeps, from libs/pruning's table of selection methods. */
function methodsNote(cfg: ExperimentConfig): string[] {
  const docs = cfg.phase2.methods
    .filter((m) => m !== 'full' && m !== 'hscore')
    .map((b) => {
      const m = selectionMethod(b);
      return `${b}${m.citation ? ` (${m.citation})` : ''}: ${m.doc}`;
    });
  return docs.length ? [`Baselines: ${docs.join('; ')}.`] : [];
}

/** Where the runs are browsed: the server in REST mode (MLFLOW_TRACKING_URI=http(s)://...), else the mlruns folder. */
export function trackingLocation(outDir: string): string {
  const uri = process.env.MLFLOW_TRACKING_URI?.trim();
  return uri && /^https?:\/\//i.test(uri) ? uri : join(outDir, 'mlruns');
}

/** How much of the task a cell trains and evaluates on: subsampling is part of the result, so the report says it. */
export function dataNote(cfg: ExperimentConfig, task: ExperimentConfig['tasks'][number], model: string): string {
  const d = cellSettings(cfg, task, model).data;
  const official = getTask(task).official;
  const split = TASK_META[task].evalSplit;
  const fmt = (n: number) => n.toLocaleString('en-US');
  const train = plannedTrainSize(task, d);
  const trainAll = official.train;
  const evalAll = official[split];
  const evalN = d.dev_size === null || evalAll === undefined ? evalAll : Math.min(d.dev_size, evalAll);
  const sub = (n: number | undefined, all: number | undefined) =>
    n === undefined || all === undefined
      ? 'all'
      : n < all
        ? `${fmt(n)} of ${fmt(all)} (seeded subsample)`
        : `all ${fmt(all)}`;
  return (
    `data: ${sub(train, trainAll)} training examples (seed ${d.seed}); ${sub(evalN, evalAll)} ${split} ` +
    `examples; at most ${d.max_length} tokens each`
  );
}

export async function writeReport(
  cfg: ExperimentConfig,
  outDir: string,
  grid: Grid,
  tracking = trackingLocation(outDir),
): Promise<ReportFiles> {
  const rows = reportRows(grid, outDir);
  const taskMetrics = [...new Set(cfg.tasks.map((t) => TASK_META[t].metric))];
  // one metric for the whole grid when all tasks share it, else the cross-task plot says "metric"
  const metricName = taskMetrics.length === 1 ? taskMetrics[0]! : 'metric';
  const metricWords = taskMetrics.length === 1 ? (METRIC_TITLES[metricName] ?? metricName) : 'metric';
  const plotsDir = join(outDir, 'plots');
  const tablesDir = join(outDir, 'tables');
  ensureDir(plotsDir);
  ensureDir(tablesDir);
  const plots: string[] = [];
  const md: string[] = [`# ${cfg.name}: H-score dataset pruning`, ''];
  const html: HtmlBlock[] = [];
  const done = grid.jobs.filter((j) => readDone(outDir, j)).length;
  const intro = [
    `Jobs finished: ${done} of ${grid.jobs.length}. Tasks: ${cfg.tasks.join(', ')}. Models: ${Object.entries(cfg.models)
      .map(([n, m]) => `${n} (${m.family}, ${m.path})`)
      .join(', ')}.`,
    `Phase 1: R = ${cfg.phase1.seeds.length} runs x ${cfg.phase1.epochs} epochs, lr ${cfg.phase1.lr}; phase 2: ` +
      `${cfg.phase2.epochs} epochs, lr ${cfg.phase2.lr}, seeds ${cfg.phase2.seeds.join(', ')} (per-task and ` +
      `per-model overrides: config.json).`,
    `Baselines keep exactly as many examples as the H subset they are compared with. Metric: ${cfg.tasks.map((t) => `${t} ${METRIC_TITLES[TASK_META[t].metric]}`).join(', ')} on each task's evaluation split after the last epoch (other metrics of the task beside it), ${cfg.phase2.seeds.length > 1 ? 'mean ± sample std over seeds' : 'one seed'}.`,
    ...methodsNote(cfg),
    ...regressionNote(cfg),
    ...qaNote(cfg),
  ];
  md.push(...intro.map((t) => `- ${t}`), '');
  html.push({ text: intro });
  const ticket = ticketSummary(rows, grid, cfg);
  if (ticket.rows.length) {
    md.push(
      '## Winning ticket vs full data and baselines of the same size',
      '',
      `| ${ticket.header.join(' | ')} |`,
      `|${ticket.header.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`,
      ...ticket.rows.map((r) => `| ${r.join(' | ')} |`),
      '',
    );
    html.push({ heading: 'Winning ticket vs full data and baselines of the same size', table: ticket });
  }

  // Metric vs subset size, faceted by task and model: H subsets and each baseline along the sizes, full data at 100%.
  const size: SizePoint[] = rows
    .filter((r) => r.variant === 'all')
    .map((r) => ({
      task: r.task,
      model: r.model,
      method:
        r.method === 'hscore' && r.scoredBy !== r.model
          ? `hscore from ${r.scoredBy}`
          : r.method === 'full'
            ? 'full data'
            : r.method,
      subsetPct: r.subsetPct,
      mean: r.mean,
      std: r.std,
      n: r.n,
    }));
  if (size.length) {
    const files = await writeChart(
      metricVsSizeChart(size, {
        title: `${cfg.name}: ${metricWords} vs training subset size`,
        subtitle: 'band: ± 1 std over seeds',
        metricName: metricWords,
      }),
      join(plotsDir, 'metric-vs-size'),
    );
    plots.push(files.svg, files.png);
    md.push('![metric vs subset size](plots/metric-vs-size.svg)', '');
    html.push({
      heading: 'Metric vs subset size',
      svg: readFileSync(files.svg, 'utf8'),
      caption: "Each H subset and every baseline at that subset's size; full data at 100%.",
    });
  }

  const csvAll: ReportRow[] = [];
  for (const { task, model } of grid.cells) {
    const mine = rows.filter((r) => r.task === task && r.model === model);
    const title = `${task} · ${model}`;
    const slug = `${task}-${model}`;
    md.push(`## ${title}`, '');
    const block: HtmlBlock = { heading: title };
    html.push(block);
    const scoresJobs = grid.jobs.filter(
      (j): j is ScoresJob => j.kind === 'scores' && j.task === task && j.model === model,
    );
    const scored = scoresJobs
      .map((j) => [j, readScores(outDir, j)] as const)
      .filter((x): x is readonly [ScoresJob, ScoresResult] => x[1] !== undefined);
    const notes = [
      dataNote(cfg, task, model),
      `evaluated on the ${TASK_META[task].evalSplit} split after the last epoch`,
      ...scored.map(
        ([j, s]) =>
          `H histogram${j.variant.key === 'all' ? '' : ` [${j.variant.key}]`} (H = 0..${s.R}, ${s.total} examples): ${s.histogram.join(' / ')}`,
      ),
    ];
    md.push(...notes.map((n) => `- ${n}`), '');
    block.text = notes;
    if (mine.length) {
      const table = cellTable(mine, TASK_META[task].metric, TASK_META[task].evalSplit);
      md.push(
        `| ${table.header.join(' | ')} |`,
        `|${table.header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
        ...table.rows.map((r) => `| ${r.join(' | ')} |`),
        '',
      );
      block.table = table;
      writeFileAtomic(join(tablesDir, `${slug}.csv`), csvOf(mine));
      csvAll.push(...mine);
    } else {
      md.push('_no finished phase-2 runs yet_', '');
      block.text = [...notes, 'no finished phase-2 runs yet'];
    }
    for (const [j, s] of scored) {
      const v = j.variant.key === 'all' ? '' : `-${j.variant.key}`;
      const removed = j.subsets[0];
      const hist = await writeChart(
        hscoreHistogramChart(s.histogram, { title: `${title}: H-score histogram${v}`, ...(removed && { removed }) }),
        join(plotsDir, `${slug}${v}-hscore-histogram`),
      );
      const map = await writeChart(
        dataMapChart(mapPoints(outDir, j), {
          title: `${title}: data map${v}`,
          subtitle: `R = ${s.R} runs x ${s.E} epochs, coloured by H`,
          R: s.R,
        }),
        join(plotsDir, `${slug}${v}-data-map`),
      );
      plots.push(hist.svg, hist.png, map.svg, map.png);
      md.push(`![H histogram](plots/${slug}${v}-hscore-histogram.svg) ![data map](plots/${slug}${v}-data-map.svg)`, '');
      html.push(
        { svg: readFileSync(hist.svg, 'utf8') },
        {
          svg: readFileSync(map.svg, 'utf8'),
          caption:
            'Dataset cartography: confidence vs variability of the gold-label probability over all epochs x runs.',
        },
      );
    }
    const curves: CurvePoint[] = mine
      .filter((r) => r.variant === 'all')
      .flatMap((r) =>
        r.curve.flatMap((m, e) => (Number.isNaN(m) ? [] : [{ series: r.label, epoch: e + 1, metric: m }])),
      );
    if (curves.length) {
      const c = await writeChart(
        trainingCurvesChart(curves, {
          title: `${title}: training curves (phase 2)`,
          subtitle: 'mean over seeds',
          metricName: METRIC_TITLES[TASK_META[task].metric]!,
        }),
        join(plotsDir, `${slug}-curves`),
      );
      plots.push(c.svg, c.png);
      md.push(`![training curves](plots/${slug}-curves.svg)`, '');
      html.push({ svg: readFileSync(c.svg, 'utf8') });
    }
  }
  md.push(
    `Per-job folders (config, metrics per epoch, records, subsets, log): ${shown(outDir)}/<task>/<model>/. ` +
      `MLflow: ${/^https?:/i.test(tracking) ? `runs on the tracking server ${tracking}` : `\`mlflow ui --backend-store-uri ${shown(tracking)}\``}. Self-contained page: report.html.`,
    '',
  );
  const report = join(outDir, 'report.md');
  const htmlFile = join(outDir, 'report.html');
  const csv = join(outDir, 'summary.csv');
  const json = join(outDir, 'summary.json');
  writeFileAtomic(report, md.join('\n'));
  writeFileAtomic(htmlFile, htmlReport(`${cfg.name}: H-score dataset pruning`, html));
  writeFileAtomic(csv, csvOf(csvAll));
  writeFileAtomic(
    json,
    JSON.stringify({ name: cfg.name, jobs: grid.jobs.length, finished: done, rows }, null, 2) + '\n',
  );
  return { report, html: htmlFile, csv, json, plots, rows };
}

/** One line per (task, model): winning-ticket size, and full data vs the ticket vs each baseline drawn at the
 * ticket's size (the paper's main comparison); the task's main metric, mean ± std over seeds. */
export function ticketSummary(
  rows: ReportRow[],
  grid: Grid,
  cfg: ExperimentConfig,
): { header: string[]; rows: string[][] } {
  const mine = rows.filter((r) => r.variant === 'all' && r.scoredBy === r.model);
  const baselines = cfg.phase2.methods.filter((m) => m !== 'full' && m !== 'hscore');
  const cell = (r: ReportRow | undefined) => (r ? `${pct(r.mean)}${r.n > 1 ? ` ± ${pct(r.std)}` : ''}` : '');
  const out: string[][] = [];
  for (const { task, model } of grid.cells) {
    const R = cellSettings(cfg, task, model).phase1.seeds.length;
    const name = subsetName(winningTicketRemoved(R), R);
    const at = (method: string) =>
      mine.find(
        (r) => r.task === task && r.model === model && r.method === method && (method === 'full' || r.subset === name),
      );
    const t = at('hscore');
    if (!t && !at('full')) continue;
    const metric = TASK_META[task].metric;
    out.push([
      task,
      model,
      `${METRIC_TITLES[metric] ?? metric} ${unit(metric)}`,
      t ? t.subsetPct.toFixed(1) : '',
      cell(at('full')),
      cell(t),
      ...baselines.map((b) => cell(at(b))),
    ]);
  }
  return {
    header: ['task', 'model', 'metric', 'ticket size %', 'full data', 'winning ticket', ...baselines],
    rows: out,
  };
}

function regressionNote(cfg: ExperimentConfig): string[] {
  return cfg.tasks.some((t) => taskKind(t) === 'regression')
    ? [
        'Regression (STS-B): an example counts as correct for the H-score when |prediction - gold| <= 0.5 on the ' +
          '0..5 scale; the gold-label probability (cartography) is the surrogate exp(-(error/0.5)^2 / 2).',
      ]
    : [];
}

function qaNote(cfg: ExperimentConfig): string[] {
  return cfg.tasks.some((t) => taskKind(t) === 'extractive-qa')
    ? [
        'SQuAD v2: one training window per question (the first holding the whole answer; the first window when ' +
          'unanswerable), correct = argmax start and end both on the gold tokens; F1/EM over every window of every ' +
          'dev question (postprocessed answer texts).',
      ]
    : [];
}
