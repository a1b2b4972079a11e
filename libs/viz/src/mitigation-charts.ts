// The mitigation report's plots: the seed-to-seed std of the metric against each strategy's cost in model-steps
// (one point per strategy, a panel per task x tuning), and the mean ± 1 std of the metric per strategy.
import { PALETTE } from './theme.ts';
import type { VegaLiteSpec } from './types.ts';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

export interface MitigationPoint {
  task: string;
  /** the model and its tuning, as the tables name it */
  tuning: string;
  strategy: string;
  /** mean and sample std over runs, fractions */
  mean: number;
  std: number;
  n: number;
  /** model-steps of one run (mean over runs) */
  cost: number;
}

function check(points: MitigationPoint[], name: string): void {
  if (points.length === 0) throw new Error(`${name}: no points; fix: pass one per (task, tuning, strategy)`);
  for (const [i, p] of points.entries())
    if (![p.mean, p.std, p.cost].every(Number.isFinite))
      throw new Error(`${name}: point ${i} (${p.strategy}) is not finite; fix: leave out strategies with one run`);
}

const colour = (points: MitigationPoint[]) => {
  const series = [...new Set(points.map((p) => p.strategy))];
  return {
    field: 'strategy',
    type: 'nominal',
    title: 'strategy',
    sort: series,
    scale: { domain: series, range: PALETTE },
  };
};

/** The frame both charts share: title, data, a panel per tuning (row) x task (column), independent scales. */
function panels(
  values: object[],
  layer: object[],
  opts: { title: string; subtitle?: string },
  independent: ('x' | 'y')[],
): VegaLiteSpec {
  return {
    $schema: SCHEMA,
    title: opts.subtitle ? { text: opts.title, subtitle: opts.subtitle } : { text: opts.title },
    data: { values },
    facet: {
      row: { field: 'tuning', type: 'nominal', title: null },
      column: { field: 'task', type: 'nominal', title: null },
    },
    spec: { width: 240, height: 170, layer },
    resolve: { scale: Object.fromEntries(independent.map((k) => [k, 'independent'])) },
  } as unknown as VegaLiteSpec;
}

/** Std over runs (y, points) against model-steps per run (x, log scale): lower and further left is better. */
export function stdVsCostChart(
  points: MitigationPoint[],
  opts: { title: string; subtitle?: string; metricName: string },
): VegaLiteSpec {
  check(points, 'stdVsCostChart');
  const values = points.map((p) => ({ ...p, stdPct: 100 * p.std, meanPct: 100 * p.mean }));
  return panels(
    values,
    [
      {
        mark: { type: 'point', filled: true, size: 70 },
        encoding: {
          x: {
            field: 'cost',
            type: 'quantitative',
            title: 'model-steps per run',
            scale: { type: 'log', nice: false },
          },
          y: {
            field: 'stdPct',
            type: 'quantitative',
            title: `std of ${opts.metricName} (points)`,
            scale: { zero: true },
          },
          color: colour(points),
          tooltip: [
            { field: 'strategy' },
            { field: 'cost', title: 'model-steps', format: ',.0f' },
            { field: 'stdPct', title: 'std', format: '.2f' },
            { field: 'meanPct', title: 'mean', format: '.2f' },
            { field: 'n', title: 'runs' },
          ],
        },
      },
      {
        mark: { type: 'text', dx: 6, align: 'left', fontSize: 9 },
        encoding: {
          x: { field: 'cost', type: 'quantitative', scale: { type: 'log', nice: false } },
          y: { field: 'stdPct', type: 'quantitative' },
          text: { field: 'strategy' },
          color: colour(points),
        },
      },
    ],
    opts,
    ['x', 'y'],
  );
}

/** Mean ± 1 std over runs per strategy, a panel per task x tuning. */
export function mitigationMeansChart(
  points: MitigationPoint[],
  opts: { title: string; subtitle?: string; metricName: string },
): VegaLiteSpec {
  check(points, 'mitigationMeansChart');
  const values = points.map((p) => ({ ...p, y: 100 * p.mean, lo: 100 * (p.mean - p.std), hi: 100 * (p.mean + p.std) }));
  const order = [...new Set(points.map((p) => p.strategy))];
  const x = { field: 'strategy', type: 'nominal', title: null, sort: order, axis: { labelAngle: -40 } };
  return panels(
    values,
    [
      {
        mark: { type: 'rule', strokeWidth: 1.6 },
        encoding: {
          x,
          y: { field: 'lo', type: 'quantitative', title: `${opts.metricName} (%)`, scale: { zero: false } },
          y2: { field: 'hi' },
          color: { ...colour(points), legend: null },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 60 },
        encoding: {
          x,
          y: { field: 'y', type: 'quantitative' },
          color: { ...colour(points), legend: null },
          tooltip: [{ field: 'strategy' }, { field: 'y', title: 'mean', format: '.2f' }, { field: 'n', title: 'runs' }],
        },
      },
    ],
    opts,
    ['y'],
  );
}
