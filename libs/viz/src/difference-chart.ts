// Differences with their intervals: one row per result (method at a subset), its mean difference to a reference
// (random at the same size, full data) as a point, its interval as a horizontal bar, and a line at 0, one panel
// per reference. Whether the interval excludes 0 is the caller's verdict (the point's colour shows it).
import { MUTED, PALETTE } from './theme.ts';
import type { VegaLiteSpec } from './types.ts';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

export interface DiffPoint {
  /** the row's display name, as the tables name it */
  series: string;
  /** what it is compared with, the panel's title: "− random at the same size", "− full data" */
  against: string;
  /** mean difference as a fraction (drawn x 100) */
  mean: number;
  /** the interval as fractions; absent with one paired seed */
  lo?: number;
  hi?: number;
  n: number;
  /** the interval lies above 0, below 0, holds it, or there is none */
  verdict: 'above 0' | 'below 0' | 'holds 0' | 'n = 1';
}

const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;

const VERDICTS = ['above 0', 'below 0', 'holds 0', 'n = 1'] as const;

/** Points with interval bars per row, one panel per reference, a rule at 0; rows in the order given. */
export function differenceChart(
  points: DiffPoint[],
  opts: { title: string; subtitle?: string; metricName: string },
): VegaLiteSpec {
  if (points.length === 0)
    throw new Error('differenceChart: no points; fix: pass one point per (row, reference) with a paired seed');
  for (const [i, p] of points.entries()) {
    if (!Number.isFinite(p.mean))
      throw new Error(`differenceChart: point ${i} (${p.series}) has no finite mean; fix: leave out unpaired rows`);
    if ((p.lo === undefined) !== (p.hi === undefined) || (p.lo !== undefined && !(p.lo <= p.mean && p.mean <= p.hi!)))
      throw new Error(
        `differenceChart: point ${i} (${p.series}) has the interval [${p.lo}, ${p.hi}] around ${p.mean}; fix: pass ` +
          'both ends, lo <= mean <= hi, or neither',
      );
  }
  const series = [...new Set(points.map((p) => p.series))];
  const values = points.map((p) => ({
    ...p,
    diff: 100 * p.mean,
    ...(p.lo !== undefined && { lo: 100 * p.lo, hi: 100 * p.hi! }),
    interval: p.lo === undefined ? 'none (one seed)' : `[${signed(100 * p.lo)}, ${signed(100 * p.hi!)}]`,
  }));
  const y = {
    field: 'series',
    type: 'nominal',
    title: null,
    sort: series,
    axis: { labelLimit: 0 },
  } as const;
  const x = (field: string) =>
    ({ field, type: 'quantitative', title: `difference in ${opts.metricName} (points)` }) as const;
  return {
    $schema: SCHEMA,
    title: opts.subtitle ? { text: opts.title, subtitle: opts.subtitle } : { text: opts.title },
    data: { values },
    facet: {
      column: { field: 'against', type: 'nominal', title: null, sort: [...new Set(points.map((p) => p.against))] },
    },
    spec: {
      width: 260,
      height: { step: 18 },
      layer: [
        { mark: { type: 'rule', color: MUTED, strokeDash: [3, 3] }, encoding: { x: { datum: 0 } } },
        {
          transform: [{ filter: 'isValid(datum.lo)' }],
          mark: { type: 'rule', strokeWidth: 1.6, color: PALETTE[0] },
          encoding: { y, x: x('lo'), x2: { field: 'hi' } },
        },
        {
          mark: { type: 'point', filled: true, size: 50 },
          encoding: {
            y,
            x: x('diff'),
            color: {
              field: 'verdict',
              type: 'nominal',
              title: '95% interval',
              scale: { domain: [...VERDICTS], range: [PALETTE[2], PALETTE[3], MUTED, '#bbbbbb'] },
            },
            tooltip: [
              { field: 'series', title: 'row' },
              { field: 'against' },
              { field: 'diff', title: 'difference', format: '+.2f' },
              { field: 'interval', title: 'interval (95%)' },
              { field: 'n', title: 'seeds paired' },
            ],
          },
        },
      ],
    },
    resolve: { scale: { x: 'independent' } },
  } as unknown as VegaLiteSpec;
}
