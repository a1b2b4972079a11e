// The report's numbers: phase-2 results grouped over seeds into rows (mean ± std), each cell's table, the CSV, and
// the one-line-per-cell summary of the winning ticket against full data and the baselines at its size. Rows are
// named by names.ts (one display name per method and subset); a † marks rows with a collapsed seed (collapse.ts).
import { subsetName, winningTicketRemoved } from '@prunelab/pruning';
import { collapseOf } from './collapse.ts';
import type { Grid, Phase2Job } from './grid.ts';
import { readDone } from './job-state.ts';
import { isWinningTicket, methodTitle, phase2Title } from './names.ts';
import type { Phase2Result } from './phase2.ts';
import { cellSettings, type ExperimentConfig } from './schema.ts';
import { cellTuning, usesPeft } from './peft.ts';
import { meanStd } from './stats.ts';
import { METRIC_TITLES, TASK_META } from './tasks.ts';

export interface ReportRow {
  task: string;
  model: string;
  /** 'all' or the runs_used/epochs_used variant ('r4', 'e2', ...) */
  variant: string;
  /** removed H values ('06'), '' for full data */
  subset: string;
  method: string;
  scoredBy: string;
  /** the row's display name (names.ts runTitle) */
  label: string;
  /** an H subset (or a baseline at the size of one) that is the winning ticket */
  ticket: boolean;
  size: number;
  subsetPct: number;
  mean: number;
  std: number;
  n: number;
  seeds: number[];
  /** the seeds whose predictions collapsed onto one class (collapse.ts) */
  collapsedSeeds: number[];
  /** per seed, the main metric after the last epoch (the mean and std are over these) */
  values: number[];
  /** further evaluation splits (MNLI mismatched): mean and std over seeds */
  extra: Record<string, { mean: number; std: number }>;
  /** the task's other metrics on the evaluation split (SQuAD EM, STS-B Spearman, MRPC F1): mean and std over seeds */
  others: Record<string, { mean: number; std: number }>;
  /** mean dev metric per epoch over the seeds */
  curve: number[];
}

export const pct = (x: number) => (100 * x).toFixed(2);

/** A row's metric cell: mean ± std, and † when some seed collapsed onto one class. */
export const metricCell = (r: Pick<ReportRow, 'mean' | 'std' | 'n' | 'collapsedSeeds'>) =>
  `${pct(r.mean)}${r.n > 1 ? ` ± ${pct(r.std)}` : ''}${r.collapsedSeeds.length ? ' †' : ''}`;

/** Phase-2 results grouped over seeds into report rows, in grid order. */
export function reportRows(grid: Grid, outDir: string): ReportRow[] {
  const groups = new Map<string, { job: Phase2Job; results: { seed: number; r: Phase2Result }[] }>();
  for (const job of grid.jobs) {
    // mitigated runs have their own section (mitigation-report.ts): the pruning tables are the plain runs'
    if (job.kind !== 'phase2' || job.mitigation) continue;
    const key = job.id.replace(/-seed-\d+$/, '');
    const g = groups.get(key) ?? { job, results: [] };
    groups.set(key, g);
    const done = readDone<Phase2Result>(outDir, job);
    if (done?.result) g.results.push({ seed: job.seed, r: done.result });
  }
  const rows: ReportRow[] = [];
  for (const { job, results } of groups.values()) {
    if (results.length === 0) continue;
    const values = results.map((x) => x.r.metric);
    const { mean, std, n } = meanStd(values);
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
      // macro-F1 is the mitigation section's measure (mitigation-report.ts), not a column of the pruning tables
      if (name === TASK_META[job.task].metric || name === 'macro_f1') continue;
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
      label: phase2Title(job.method, job.subset, job.model),
      ticket: job.subset ? isWinningTicket(job.subset.removed, job.subset.variant.runsUsed) : false,
      size: results[0]!.r.size,
      subsetPct: 100 * results[0]!.r.fraction,
      mean,
      std,
      n,
      seeds: results.map((x) => x.seed),
      collapsedSeeds: results.filter((x) => collapseOf(x.r.predCounts)).map((x) => x.seed),
      values,
      curve,
    });
  }
  return rows;
}

/** Metrics are fractions shown x 100: accuracy/F1/EM in %, correlations (Matthews, Pearson, Spearman) x 100 as
 * GLUE reports them. */
const unit = (name: string) => (['matthews', 'pearson', 'spearman'].includes(name) ? 'x100' : '%');
export const metricTitle = (name: string) => `${METRIC_TITLES[name] ?? name} ${unit(name)}`;

export function cellTable(
  rows: ReportRow[],
  metricName: string,
  evalSplit: string,
): { header: string[]; rows: string[][] } {
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
      metricCell(r),
      ...others.map((x) => (r.others[x] ? cell(r.others[x]!.mean, r.others[x]!.std, r.n) : '')),
      ...extras.map((x) => (r.extra[x] ? cell(r.extra[x]!.mean, r.extra[x]!.std, r.n) : '')),
      r.collapsedSeeds.length ? `${r.n} (${r.collapsedSeeds.length} collapsed)` : String(r.n),
    ]),
  };
}

/** A row's identity in the CSVs (summary.csv, differences.csv): task, model, variant, subset, method, scored_by, label. */
export function csvRowKey(r: ReportRow): (string | number)[] {
  return [r.task, r.model, r.variant, r.subset, r.method, r.scoredBy, JSON.stringify(r.label)];
}

/** A row's size columns in the CSVs: size, subset_pct, metric. */
export function csvRowSize(r: ReportRow): (string | number)[] {
  return [r.size, r.subsetPct.toFixed(3), TASK_META[r.task as keyof typeof TASK_META]?.metric ?? 'accuracy'];
}

export function csvOf(rows: ReportRow[]): string {
  const head =
    'task,model,variant,subset,method,scored_by,label,size,subset_pct,metric,metric_mean,metric_std,n,seeds,extra,' +
    'other_metrics,collapsed_seeds';
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
          ...csvRowKey(r),
          ...csvRowSize(r),
          r.mean.toFixed(6),
          r.std.toFixed(6),
          r.n,
          JSON.stringify(r.seeds.join(' ')),
          kv(r.extra),
          kv(r.others),
          JSON.stringify(r.collapsedSeeds.join(' ')),
        ].join(','),
      ),
    ].join('\n') + '\n'
  );
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
  const cell = (r: ReportRow | undefined) => (r ? metricCell(r) : '');
  const out: string[][] = [];
  // a tuning column once any cell uses PEFT: LoRA runs are never read as full fine-tuning
  const tuned = grid.cells.some(({ task, model }) => usesPeft(cellSettings(cfg, task, model)));
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
      ...(tuned ? [cellTuning(cellSettings(cfg, task, model))] : []),
      metricTitle(metric),
      t ? `${t.subsetPct.toFixed(1)} (drop H=${winningTicketRemoved(R).join(',')})` : '',
      cell(at('full')),
      cell(t),
      ...baselines.map((b) => cell(at(b))),
    ]);
  }
  return {
    header: [
      'task',
      'model',
      ...(tuned ? ['tuning'] : []),
      'metric',
      'ticket size %',
      methodTitle('full'),
      'winning ticket',
      ...baselines.map(methodTitle),
    ],
    rows: out,
  };
}
