// Which differences seed noise explains: every phase-2 result minus random at the same size and minus full data,
// paired by seed, with the 95% paired t interval over the common seeds (report-stats.ts), a ▲ / ▼ where the
// interval excludes 0, the tables the report shows (per cell, and at the winning ticket's size) and the CSV.
// Methods come from the rows, so every method of libs/pruning's table appears by its title with no list here.
import type { DiffPoint } from '@prunelab/viz';
import type { Grid } from './grid.ts';
import { methodTitle } from './names.ts';
import { csvRowKey, csvRowSize, metricCell, metricTitle, pct, type ReportRow } from './report-tables.ts';
import { BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, pairedDiff, studentTQuantile, type PairedDiff } from './report-stats.ts';
import { TASK_META } from './tasks.ts';

/** What a row is compared with: random at the same size (same subset, variant and scoring model), or full data. */
export const AGAINST = ['random', 'full'] as const;
export type Against = (typeof AGAINST)[number];

export interface Difference {
  /** the row compared (the minuend) */
  row: ReportRow;
  against: Against;
  /** the row subtracted */
  base: ReportRow;
  diff: PairedDiff;
  /** a paired seed of either side predicted one class (collapse.ts) */
  collapsed: boolean;
}

/** The row to subtract from r: random at r's subset (same variant and scoring model), or the cell's full data. */
function baseOf(rows: ReportRow[], r: ReportRow, against: Against): ReportRow | undefined {
  if (r.method === against) return undefined;
  if (against === 'full')
    return rows.find((x) => x.task === r.task && x.model === r.model && x.method === 'full' && x.variant === 'all');
  if (!r.subset) return undefined;
  return rows.find(
    (x) =>
      x.task === r.task &&
      x.model === r.model &&
      x.method === 'random' &&
      x.variant === r.variant &&
      x.subset === r.subset &&
      x.scoredBy === r.scoredBy,
  );
}

/** Every row's differences to random at its size and to full data, where the grid has that row. */
export function differences(rows: ReportRow[]): Difference[] {
  const out: Difference[] = [];
  for (const row of rows) {
    for (const against of AGAINST) {
      const base = baseOf(rows, row, against);
      if (!base) continue;
      const diff = pairedDiff(row, base);
      const paired = new Set(diff.seeds);
      const collapsed = [...row.collapsedSeeds, ...base.collapsedSeeds].some((s) => paired.has(s));
      out.push({ row, against, base, diff, collapsed });
    }
  }
  return out;
}

export const MARK = { up: '▲', down: '▼', '': '' } as const;

const signed = (x: number) => `${x >= 0 ? '+' : ''}${pct(x)}`;

/** "+0.65 [-1.23, +2.53]", "+1.20 ▲" with the mark, "+0.40" at n = 1, "" without a common seed; † if collapsed. */
export function diffCell(d: Difference): string {
  const { diff } = d;
  if (diff.n === 0) return 'no common seed';
  const interval = diff.t ? ` [${signed(diff.t.lo)}, ${signed(diff.t.hi)}]` : '';
  const mark = MARK[diff.sign] ? ` ${MARK[diff.sign]}` : '';
  return `${signed(diff.mean)}${interval}${mark}${d.collapsed ? ' †' : ''}`;
}

/** How many seeds were paired, and the ones only one side ran: "3", "1 (not paired: 1, 2 of full data)". */
export function pairedCell(d: Difference): string {
  const { diff } = d;
  const lone = [
    ...(diff.onlyA.length ? [`${diff.onlyA.join(', ')} of this row`] : []),
    ...(diff.onlyB.length ? [`${diff.onlyB.join(', ')} of ${d.against === 'full' ? 'full data' : 'random'}`] : []),
  ];
  return `${diff.n}${lone.length ? ` (not paired: ${lone.join('; ')})` : ''}`;
}

/** The legend under every table of differences: what the numbers are and what a mark means. */
export function differencesLegend(n: number[]): string[] {
  const ns = [...new Set(n.filter((x) => x >= 2))].sort((a, b) => a - b);
  return [
    'Differences: the row minus random at the same size (same H subset, variant and scoring model) and minus full ' +
      "data, in the metric's points, paired by seed (each seed's run minus the same seed's run), mean over the " +
      'seeds both ran with its 95% paired t interval, mean ± t(0.975, n-1) x sd / sqrt(n)' +
      `${ns.length ? ` (t = ${ns.map((k) => `${tQuantileText(k)} at n = ${k}`).join(', ')})` : ''}. ` +
      '▲ / ▼: the interval lies above / below 0, a difference seed noise does not explain; no mark: it holds 0 ' +
      '(not distinguishable from seed noise at these seeds, which is no proof of equality) or n = 1 (one seed: no ' +
      'interval). Seeds only one side ran are not paired and are named. Each mark is its own 95% test: among many ' +
      'rows without any effect about 1 in 20 is marked by chance.',
    `differences.csv also holds a seeded percentile bootstrap interval (${BOOTSTRAP_RESAMPLES} resamples, seed ` +
      `${BOOTSTRAP_SEED}); the marks use t because with 3 seeds the bootstrap interval is just the range of the ` +
      'three differences and excludes 0 whenever they share a sign, 1 time in 4 with no effect at all.',
  ];
}

const tQuantileText = (n: number) => studentTQuantile(0.975, n - 1).toFixed(3);

/** A cell's table of differences: every row but full data, minus random at its size and minus full data. */
export function cellDifferences(diffs: Difference[], rows: ReportRow[]): { header: string[]; rows: string[][] } {
  const out: string[][] = [];
  for (const r of rows) {
    const vs = (a: Against) => diffs.find((d) => d.row === r && d.against === a);
    const random = vs('random');
    const full = vs('full');
    if (!random && !full) continue;
    out.push([
      r.label,
      r.subsetPct.toFixed(1),
      // random's own row is the reference of that column
      random ? diffCell(random) : r.method === 'random' ? '—' : '',
      random ? pairedCell(random) : '',
      full ? diffCell(full) : '',
      full ? pairedCell(full) : '',
    ]);
  }
  return {
    header: [
      'training data',
      'size %',
      '− random at the same size (95% CI)',
      'seeds paired',
      '− full data (95% CI)',
      'seeds paired',
    ],
    rows: out,
  };
}

/**
 * The paper's question at the winning ticket's size, one row per method there (the H subset itself, random and
 * every baseline drawn at that size, pruning.baselines_at: [winning] included): its metric, and its differences
 * to random and to full data with their intervals.
 */
export function ticketDifferences(
  diffs: Difference[],
  rows: ReportRow[],
  grid: Grid,
): { header: string[]; rows: string[][] } {
  const out: string[][] = [];
  for (const { task, model } of grid.cells) {
    const at = rows.filter(
      (r) => r.task === task && r.model === model && r.ticket && r.variant === 'all' && r.scoredBy === r.model,
    );
    for (const r of at) {
      const vs = (a: Against) => diffs.find((d) => d.row === r && d.against === a);
      const cell = (d: Difference | undefined) => (d ? `${diffCell(d)} (n = ${d.diff.n})` : '');
      out.push([
        task,
        model,
        r.method === 'hscore' ? 'winning ticket' : methodTitle(r.method),
        r.subsetPct.toFixed(1),
        metricCell(r),
        r.method === 'random' ? '—' : cell(vs('random')),
        cell(vs('full')),
      ]);
    }
  }
  const metrics = [...new Set(rows.map((r) => TASK_META[r.task as keyof typeof TASK_META]?.metric ?? 'accuracy'))];
  return {
    header: [
      'task',
      'model',
      'training data',
      'size %',
      metrics.length === 1 ? `${metricTitle(metrics[0]!)} (mean ± std)` : 'metric (mean ± std)',
      '− random (95% CI)',
      '− full data (95% CI)',
    ],
    rows: out,
  };
}

/** differences.csv: one line per difference, fractions like summary.csv, both intervals. */
export function differencesCsv(diffs: Difference[]): string {
  const head =
    'task,model,variant,subset,method,scored_by,label,against,size,subset_pct,metric,n,seeds,only_row,' +
    'only_against,mean,std,t_lo,t_hi,bootstrap_lo,bootstrap_hi,mark,collapsed';
  const f = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '' : x.toFixed(6));
  const lines = diffs.map(({ row: r, against, diff: d, collapsed }) =>
    [
      ...csvRowKey(r),
      against,
      ...csvRowSize(r),
      d.n,
      JSON.stringify(d.seeds.join(' ')),
      JSON.stringify(d.onlyA.join(' ')),
      JSON.stringify(d.onlyB.join(' ')),
      f(d.mean),
      f(d.std),
      f(d.t?.lo),
      f(d.t?.hi),
      f(d.bootstrap?.lo),
      f(d.bootstrap?.hi),
      MARK[d.sign],
      collapsed,
    ].join(','),
  );
  return [head, ...lines].join('\n') + '\n';
}

const AGAINST_TITLE = { random: '− random at the same size', full: '− full data' } as const;

/** The difference plot's points: every paired difference, in the cell table's row order. */
export function diffPoints(diffs: Difference[]): DiffPoint[] {
  return diffs
    .filter((d) => d.diff.n > 0)
    .map(({ row, against, diff }) => ({
      series: row.label,
      against: AGAINST_TITLE[against],
      mean: diff.mean,
      ...(diff.t && { lo: diff.t.lo, hi: diff.t.hi }),
      n: diff.n,
      verdict: !diff.t ? 'n = 1' : diff.sign === 'up' ? 'above 0' : diff.sign === 'down' ? 'below 0' : 'holds 0',
    }));
}
