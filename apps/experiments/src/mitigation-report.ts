// The report's mitigation section (phase2.mitigation): per task, model (tuning) and phase-2 run group, each
// strategy's mean and sample std over seeds of macro-F1, accuracy and the task's metric, its model-steps per run
// and their ratio to the none run's; a std-vs-cost plot and a means plot; and, where the grid has the winning
// ticket and random at its size, whether their gap under each strategy is distinguishable from seed noise (the 95%
// paired t interval over seeds excludes 0).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mitigationMeansChart, stdVsCostChart, writeChart, type HtmlBlock, type MitigationPoint } from '@prunelab/viz';
import { winningTicketRemoved } from '@prunelab/pruning';
import { pctCell } from './al-report-format.ts';
import { writeFileAtomic } from './files.ts';
import type { Grid, Phase2Job } from './grid.ts';
import { readDone } from './job-state.ts';
import { phase2Title } from './names.ts';
import { tuningLabel } from './peft.ts';
import type { Phase2Result } from './phase2.ts';
import { pairedDiff } from './report-stats.ts';
import { cellSettings, type ExperimentConfig } from './schema.ts';
import { meanStd } from './stats.ts';
import { METRIC_TITLES, TASK_META } from './tasks.ts';

type Stat = { mean: number; std: number };

export interface MitigationRow {
  task: string;
  model: string;
  /** full fine-tuning or the PEFT method */
  tuning: string;
  /** the phase-2 run group: 'full data', a subset, a baseline at a subset's size */
  group: string;
  ticket: 'ticket' | 'random' | '';
  /** the mitigation's label, 'none' for the plain runs */
  strategy: string;
  method: string;
  n: number;
  seeds: number[];
  /** the task's main metric per seed (the tables' and the gap's values) */
  values: number[];
  metric: Stat;
  macroF1: Stat;
  accuracy: Stat;
  /** model-steps of one run, mean over seeds */
  modelSteps: number;
  /** the main model's own metric (before the vote or the averaging) */
  mainMetric: Stat;
  /** models voting */
  models: number;
  /** runs that started from the none run's snapshot */
  fromPrefix: number;
}

/** Every phase-2 group of the grid with at least one finished run, one row per strategy. */
export function mitigationRows(cfg: ExperimentConfig, grid: Grid, outDir: string): MitigationRow[] {
  const groups = new Map<string, { job: Phase2Job; done: { seed: number; r: Phase2Result }[] }>();
  for (const job of grid.jobs) {
    if (job.kind !== 'phase2') continue;
    const strategy = job.mitigation?.label ?? 'none';
    const key = `${job.task}\u0000${job.model}\u0000${phase2Title(job.method, job.subset, job.model)}\u0000${strategy}`;
    const g = groups.get(key) ?? { job, done: [] };
    groups.set(key, g);
    const d = readDone<Phase2Result>(outDir, job);
    if (d?.result) g.done.push({ seed: job.seed, r: { ...d.result, modelSteps: d.result.modelSteps ?? d.modelSteps } });
  }
  const rows: MitigationRow[] = [];
  for (const { job, done } of groups.values()) {
    if (done.length === 0) continue;
    const stat = (f: (r: Phase2Result) => number | undefined): Stat => {
      const { mean, std } = meanStd(done.map((x) => f(x.r) ?? Number.NaN));
      return { mean, std };
    };
    const winning =
      job.subset && job.subset.removed.join() === winningTicketRemoved(job.subset.variant.runsUsed).join();
    rows.push({
      task: job.task,
      model: job.model,
      tuning: phase2Tuning(cfg, job),
      group: phase2Title(job.method, job.subset, job.model),
      ticket: winning ? (job.method === 'hscore' ? 'ticket' : job.method === 'random' ? 'random' : '') : '',
      strategy: job.mitigation?.label ?? 'none',
      method: job.mitigation?.spec.method ?? 'none',
      n: done.length,
      seeds: done.map((x) => x.seed),
      values: done.map((x) => x.r.metric),
      metric: stat((r) => r.metric),
      macroF1: stat((r) => r.metrics?.macro_f1),
      accuracy: stat((r) => r.metrics?.accuracy),
      modelSteps: meanStd(done.map((x) => x.r.modelSteps ?? Number.NaN)).mean,
      mainMetric: stat((r) => r.mitigation?.mainMetric ?? r.metric),
      models: done[0]!.r.mitigation?.models ?? 1,
      fromPrefix: done.filter((x) => x.r.mitigation?.prefixFrom).length,
    });
  }
  return rows;
}

/** The phase-2 runs' tuning: what the mitigations act on. */
function phase2Tuning(cfg: ExperimentConfig, job: Phase2Job): string {
  const l = tuningLabel(cellSettings(cfg, job.task, job.model).phase2.peft);
  return l === 'full' ? 'full fine-tuning' : l;
}

const pct = (x: number) => pctCell(x);
const cell = (s: Stat, n: number) =>
  Number.isFinite(s.mean) ? `${pct(s.mean)}${n > 1 ? ` ± ${pct(s.std)}` : ''}` : '–';

export interface Table {
  header: string[];
  rows: string[][];
}

/** One table per (task, model): a row per group x strategy. */
export function strategyTable(rows: MitigationRow[]): Table {
  const metricName = METRIC_TITLES[TASK_META[rows[0]!.task as keyof typeof TASK_META]?.metric ?? 'accuracy'];
  const showMetric = !['accuracy'].includes(TASK_META[rows[0]!.task as keyof typeof TASK_META]?.metric ?? 'accuracy');
  const header = [
    'runs of',
    'strategy',
    'n',
    'macro-F1 (%)',
    'accuracy (%)',
    ...(showMetric ? [`${metricName} (%)`] : []),
    'std vs none',
    'model-steps / run',
    'cost vs none',
  ];
  const out: string[][] = [];
  for (const r of rows) {
    const none = rows.find((x) => x.group === r.group && x.strategy === 'none');
    const ratio = (a: number, b: number | undefined) =>
      b && Number.isFinite(a) && b > 0 ? `${(a / b).toFixed(2)}x` : '–';
    out.push([
      r.group,
      `${r.strategy}${r.models > 1 ? ` (vote of ${r.models})` : ''}`,
      String(r.n),
      cell(r.macroF1, r.n),
      cell(r.accuracy, r.n),
      ...(showMetric ? [cell(r.metric, r.n)] : []),
      r.strategy === 'none' ? '1.00x' : ratio(r.macroF1.std, none?.macroF1.std),
      Number.isFinite(r.modelSteps) ? Math.round(r.modelSteps).toLocaleString('en-US') : '–',
      r.strategy === 'none' ? '1.00x' : ratio(r.modelSteps, none?.modelSteps),
    ]);
  }
  return { header, rows: out };
}

/** Winning ticket minus random at its size, paired by seed, per strategy: distinguishable when the 95% t interval
 * excludes 0. */
export function gapTable(rows: MitigationRow[]): Table {
  const header = [
    'strategy',
    'n',
    'ticket − random (points)',
    '95% paired t interval',
    'distinguishable',
    'std of the gap',
  ];
  const out: string[][] = [];
  for (const t of rows.filter((r) => r.ticket === 'ticket')) {
    const rnd = rows.find((r) => r.ticket === 'random' && r.strategy === t.strategy);
    if (!rnd) continue;
    const d = pairedDiff({ seeds: t.seeds, values: t.values }, { seeds: rnd.seeds, values: rnd.values });
    const p = (x: number) => (100 * x).toFixed(2);
    out.push([
      t.strategy,
      String(d.n),
      Number.isFinite(d.mean) ? p(d.mean) : '–',
      d.t ? `[${p(d.t.lo)}, ${p(d.t.hi)}]` : '–',
      d.t ? (d.sign === '' ? 'no' : d.sign === 'up' ? 'yes (ticket higher)' : 'yes (random higher)') : 'one seed',
      d.n > 1 ? p(d.std) : '–',
    ]);
  }
  return { header, rows: out };
}

export function mitigationCsv(rows: MitigationRow[]): string {
  const head = [
    'task',
    'model',
    'tuning',
    'group',
    'strategy',
    'method',
    'n',
    'macro_f1_mean',
    'macro_f1_std',
    'accuracy_mean',
    'accuracy_std',
    'metric_mean',
    'metric_std',
    'main_model_metric_mean',
    'model_steps',
    'models',
    'runs_from_none_snapshot',
  ];
  const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = rows.map((r) =>
    [
      r.task,
      r.model,
      r.tuning,
      r.group,
      r.strategy,
      r.method,
      r.n,
      r.macroF1.mean,
      r.macroF1.std,
      r.accuracy.mean,
      r.accuracy.std,
      r.metric.mean,
      r.metric.std,
      r.mainMetric.mean,
      r.modelSteps,
      r.models,
      r.fromPrefix,
    ]
      .map((v) => q(typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v)))
      .join(','),
  );
  return [head.join(','), ...lines].join('\n') + '\n';
}

/** The section: markdown lines, html blocks, plot files. Nothing when no phase-2 job has a mitigation. */
export async function mitigationSection(
  cfg: ExperimentConfig,
  grid: Grid,
  outDir: string,
  mdTable: (t: Table, textCols?: number) => string[],
): Promise<{ md: string[]; html: HtmlBlock[]; plots: string[] }> {
  if (!grid.jobs.some((j) => j.kind === 'phase2' && j.mitigation)) return { md: [], html: [], plots: [] };
  const rows = mitigationRows(cfg, grid, outDir);
  const heading = 'Seed instability and its mitigations';
  const intro = [
    "Each strategy (phase2.mitigation) ran once per seed. macro-F1 and accuracy are the predictor's on the " +
      'evaluation split after training: the majority vote of the ensembles (each member with its own weights), ' +
      'the averaged weights of SWA, EMA and noisy interpolation. "std vs none": the sample std of macro-F1 over ' +
      "seeds as a multiple of the none runs'; model-steps: optimizer steps of every model a run trained (one model, " +
      "one step = 1), counted in full even where a run started from the none run's snapshot (docs/mitigation.md).",
  ];
  // what each strategy ran with: its options as the job keys hold them (defaults filled in)
  const specs = new Map<string, string>();
  for (const j of grid.jobs) {
    if (j.kind !== 'phase2' || !j.mitigation || specs.has(j.mitigation.label)) continue;
    const o = Object.entries(j.mitigation.spec.options).map(([k, v]) => `${k} ${v}`);
    const name =
      j.mitigation.label === j.mitigation.spec.method
        ? j.mitigation.label
        : `${j.mitigation.label} (${j.mitigation.spec.method})`;
    specs.set(j.mitigation.label, `${name}${o.length ? `: ${o.join(', ')}` : ''}`);
  }
  intro.push(`Strategies and their options: ${[...specs.values()].join('; ')}.`);
  const md: string[] = [`## ${heading}`, '', ...intro.map((t) => `- ${t}`), ''];
  const html: HtmlBlock[] = [{ heading, text: intro }];
  const plots: string[] = [];
  const cells = [...new Set(rows.map((r) => `${r.task}\u0000${r.model}`))];
  for (const c of cells) {
    const [task, model] = c.split('\u0000') as [string, string];
    const mine = rows.filter((r) => r.task === task && r.model === model);
    const title = `${task} · ${model} (${mine[0]!.tuning})`;
    const t = strategyTable(mine);
    md.push(`### ${title}`, '', ...mdTable(t, 2), '');
    html.push({ heading: title, table: t });
    const gap = gapTable(mine);
    if (gap.rows.length) {
      const lead = `Winning ticket minus random at its size under each strategy, paired by seed (${task} · ${model}):`;
      md.push(lead, '', ...mdTable(gap, 1), '');
      html.push({ text: [lead], table: gap });
    }
  }
  const points: MitigationPoint[] = rows
    .filter((r) => r.group === rows.find((x) => x.task === r.task && x.model === r.model)!.group && r.n > 1)
    .filter((r) => Number.isFinite(r.macroF1.mean) && Number.isFinite(r.modelSteps))
    .map((r) => ({
      task: r.task,
      tuning: `${r.model} (${r.tuning})`,
      strategy: r.strategy,
      mean: r.macroF1.mean,
      std: r.macroF1.std,
      n: r.n,
      cost: r.modelSteps,
    }));
  if (points.length) {
    const plotsDir = join(outDir, 'plots');
    const a = await writeChart(
      stdVsCostChart(points, {
        title: `${cfg.name}: seed-to-seed std of macro-F1 vs cost`,
        subtitle: 'one point per strategy; model-steps per run on a log scale',
        metricName: 'macro-F1',
      }),
      join(plotsDir, 'mitigation-std-vs-cost'),
    );
    const b = await writeChart(
      mitigationMeansChart(points, {
        title: `${cfg.name}: macro-F1 per strategy`,
        subtitle: 'mean ± 1 sample std over seeds',
        metricName: 'macro-F1',
      }),
      join(plotsDir, 'mitigation-means'),
    );
    plots.push(a.svg, a.png, b.svg, b.png);
    md.push('![std vs cost](plots/mitigation-std-vs-cost.svg)', '', '![means](plots/mitigation-means.svg)', '');
    html.push(
      { svg: readFileSync(a.svg, 'utf8'), caption: 'Lower is steadier; further left is cheaper.' },
      { svg: readFileSync(b.svg, 'utf8') },
    );
  }
  writeFileAtomic(join(outDir, 'tables', 'mitigation.csv'), mitigationCsv(rows));
  return { md, html, plots };
}
