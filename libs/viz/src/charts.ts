import { MUTED, PALETTE } from './theme.ts';
import type { VegaLiteSpec } from './types.ts';

export interface SubsetComparisonRow {
  /** e.g. "full data", "winning ticket (H-score, remove 0, 3)", "random (same size)". */
  method: string;
  /** Share of the training set kept, in percent (0..100]. */
  subsetPct: number;
  /** Mean evaluation metric of the runs as a FRACTION (0.8123 = 81.23%); the chart shows percent. */
  metric: number;
  /** e.g. "dev accuracy"; must be the same for every row. */
  metricName: string;
  /** Standard deviation over the n runs, same unit as metric (a fraction); draws an error bar. */
  std?: number;
  n?: number;
}

export interface ChartTitle {
  title: string;
  subtitle?: string;
}

/**
 * Horizontal bars, one per method, in the given order. The y label carries the subset size
 * ("winning ticket (H-score) · 38.2%") and each bar ends in its value ("81.23% ± 0.40").
 *
 * The x axis runs from ZERO to 100%. For accuracy-like metrics the bars of competing methods are then
 * nearly equal in length, which is the honest picture (a truncated axis turns 0.1 points into a
 * visual 2x); the differences a reviewer needs are in the printed value labels and error bars.
 */
export function subsetComparisonChart(rows: SubsetComparisonRow[], opts: ChartTitle): VegaLiteSpec {
  checkRows(rows);
  const metricName = rows[0]!.metricName;
  const hasStd = rows.some((r) => r.std !== undefined);
  const values = rows.map((r) => {
    const pct = 100 * r.metric;
    const std = 100 * (r.std ?? 0);
    return {
      label: `${r.method} · ${formatPct(r.subsetPct)}`,
      metric: pct,
      lo: pct - std,
      hi: pct + std,
      // the label sits past the error bar so the whisker never crosses the digits
      labelAt: Math.max(pct, pct + std),
      text: r.std === undefined ? `${pct.toFixed(2)}%` : `${pct.toFixed(2)}% ± ${std.toFixed(2)}`,
    };
  });
  const labels = values.map((v) => v.label);
  const lowest = Math.min(0, ...values.map((v) => v.lo));
  const y = {
    field: 'label',
    type: 'nominal',
    sort: labels,
    title: null,
    axis: { labelLimit: 0, labelFontSize: 12, ticks: false, labelPadding: 6 },
  } as const;
  // every layer's x carries the same title and scale, otherwise Vega-Lite joins the field names ("metric, lo")
  const x = (field: string) =>
    ({
      field,
      type: 'quantitative',
      title: xTitle(metricName, rows, hasStd),
      scale: { domain: [lowest, 100], nice: true },
      axis: { tickCount: 5, grid: true, labelExpr: "datum.label + '%'" },
    }) as const;
  const layers: object[] = [
    {
      mark: { type: 'bar', height: { band: 0.7 } },
      encoding: {
        y,
        x: x('metric'),
        color: { field: 'label', type: 'nominal', sort: labels, scale: { range: PALETTE }, legend: null },
        tooltip: [
          { field: 'label', title: 'method' },
          { field: 'text', title: metricName },
        ],
      },
    },
  ];
  if (hasStd) {
    layers.push({
      mark: { type: 'errorbar', ticks: { size: 10 }, color: '#222222', thickness: 1.2 },
      encoding: { y, x: x('lo'), x2: { field: 'hi' } },
    });
  }
  layers.push({
    mark: { type: 'text', align: 'left', baseline: 'middle', dx: 5, fontSize: 12, fontWeight: 'bold' },
    encoding: { y, x: x('labelAt'), text: { field: 'text' } },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: titleOf(opts),
    width: 380,
    height: { step: 34 },
    data: { values },
    layer: layers,
  } as VegaLiteSpec;
}

export interface HscoreHistogramOptions extends ChartTitle {
  /** H values the subset drops; default [0, R] = the winning ticket. */
  removed?: number[];
}

/**
 * Examples per H-score (H = 0..R, R = counts.length - 1), bars coloured by whether the subset keeps
 * them. The default subtitle states the resulting subset size, the number Table 5 of the paper reports.
 */
export function hscoreHistogramChart(counts: number[], opts: HscoreHistogramOptions): VegaLiteSpec {
  if (counts.length < 2)
    throw new Error(
      `hscoreHistogramChart: need counts for H = 0..R with R >= 1, got ${counts.length} value(s); fix: pass one ` +
        `count per H value`,
    );
  counts.forEach((c, h) => {
    if (!Number.isInteger(c) || c < 0)
      throw new Error(
        `hscoreHistogramChart: counts[${h}] = ${c} is not a non-negative integer; fix: pass example counts per H value`,
      );
  });
  const R = counts.length - 1;
  const removed = opts.removed ?? [0, R];
  for (const h of removed) {
    if (!Number.isInteger(h) || h < 0 || h > R)
      throw new Error(
        `hscoreHistogramChart: removed H value ${h} is outside 0..${R}; fix: pass H values between 0 and ` +
          `counts.length - 1`,
      );
  }
  const drop = new Set(removed);
  const total = counts.reduce((a, b) => a + b, 0);
  const kept = counts.reduce((a, c, h) => (drop.has(h) ? a : a + c), 0);
  const values = counts.map((count, h) => ({ H: h, count, status: drop.has(h) ? 'removed' : 'kept' }));
  const subtitle =
    opts.subtitle ??
    `subset keeps ${kept.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} examples ` +
      `(${formatPct(total === 0 ? 0 : (100 * kept) / total)}); removes H ∈ ` +
      `{${[...drop].sort((a, b) => a - b).join(', ')}}`;
  const x = {
    field: 'H',
    type: 'ordinal',
    title: `H-score (runs correct at every epoch, of R = ${R})`,
    axis: { labelAngle: 0, ticks: false },
  } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: titleOf({ title: opts.title, subtitle }),
    // fixed width: a band per H value; wide enough that R = 3 does not leave a sliver under a long title
    width: 420,
    height: 240,
    data: { values },
    layer: [
      {
        mark: { type: 'bar', width: { band: 0.8 } },
        encoding: {
          x,
          y: {
            field: 'count',
            type: 'quantitative',
            title: 'examples',
            axis: { tickCount: 5, tickMinStep: 1, format: ',d' },
          },
          color: {
            field: 'status',
            type: 'nominal',
            // kept = the strong colour; removed = neutral grey, still distinct in greyscale
            scale: { domain: ['kept', 'removed'], range: [PALETTE[0], '#b0b0b0'] },
            legend: { title: null, orient: 'top', direction: 'horizontal', symbolType: 'square' },
          },
          tooltip: [{ field: 'H' }, { field: 'count' }, { field: 'status' }],
        },
      },
      {
        mark: { type: 'text', baseline: 'bottom', dy: -3, fontSize: 10, color: MUTED },
        encoding: {
          x,
          y: { field: 'count', type: 'quantitative' },
          text: { field: 'count', type: 'quantitative', format: ',d' },
        },
      },
    ],
  } as VegaLiteSpec;
}

function titleOf(opts: ChartTitle): object | string {
  return opts.subtitle ? { text: opts.title, subtitle: opts.subtitle } : { text: opts.title };
}

function checkRows(rows: SubsetComparisonRow[]): void {
  if (rows.length === 0)
    throw new Error(
      'subsetComparisonChart: no rows; fix: pass one row per method (e.g. full data, winning ticket, random)',
    );
  const name = rows[0]!.metricName;
  rows.forEach((r, i) => {
    const at = `subsetComparisonChart: row ${i} (${JSON.stringify(r.method)})`;
    if (!r.method) throw new Error(`${at}: empty method name; fix: name every row`);
    if (r.metricName !== name)
      throw new Error(
        `${at}: metricName ${JSON.stringify(r.metricName)} differs from ${JSON.stringify(name)}; fix: chart one ` +
          `metric at a time`,
      );
    if (!(Number.isFinite(r.metric) && Math.abs(r.metric) <= 1))
      throw new Error(
        `${at}: metric ${r.metric} is not a fraction in [-1, 1]; fix: pass the mean metric as a fraction, e.g. ` +
          `0.8123 for 81.23%`,
      );
    if (!(r.subsetPct > 0 && r.subsetPct <= 100))
      throw new Error(
        `${at}: subsetPct ${r.subsetPct} is outside (0, 100]; fix: pass the kept share in percent, e.g. 38.2`,
      );
    if (r.std !== undefined && !(r.std >= 0 && Number.isFinite(r.std)))
      throw new Error(
        `${at}: std ${r.std} is not a non-negative number; fix: pass the standard deviation over runs or omit it`,
      );
    if (r.n !== undefined && !(Number.isInteger(r.n) && r.n >= 1))
      throw new Error(`${at}: n ${r.n} is not a positive integer; fix: pass the number of runs or omit it`);
  });
  if (new Set(rows.map((r) => r.method)).size !== rows.length)
    throw new Error('subsetComparisonChart: duplicate method names; fix: give each row a distinct method');
}

/** "dev accuracy (%) · mean ± std over 3 runs": says what the error bars are, once, on the axis. */
function xTitle(metricName: string, rows: SubsetComparisonRow[], hasStd: boolean): string {
  if (!hasStd) return `${metricName} (%)`;
  const ns = new Set(rows.map((r) => r.n));
  const n = ns.size === 1 ? [...ns][0] : undefined;
  return `${metricName} (%) · mean ± std${n !== undefined ? ` over ${n} runs` : ''}`;
}

function formatPct(pct: number): string {
  return `${pct >= 99.95 ? '100' : pct.toFixed(1)}%`;
}
