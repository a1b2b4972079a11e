// The report's comparison plots: metric vs subset size per method (faceted by task and model, error bars),
// the data map (confidence vs variability coloured by H) and training curves.
import { PALETTE } from './theme.ts';
import type { VegaLiteSpec } from './types.ts';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

export interface SizePoint {
  task: string;
  model: string;
  /** its display name, as the legend shows it: "full data", "winning ticket", "random" */
  method: string;
  /** kept share of the training set, percent (0, 100] */
  subsetPct: number;
  /** mean metric as a fraction */
  mean: number;
  /** std over seeds as a fraction (0 with one seed) */
  std: number;
  n: number;
}

/** Pixels between methods drawn at the same subset size. */
const DODGE_PX = 7;

/**
 * Lines with points per method over subset size, an error bar of ± one std over seeds at every point (a band too
 * where a method has several sizes), one panel per (model row, task column). Methods compared at the same size
 * (a baseline at the winning ticket's size) are set side by side by a pixel offset: the data's x stays the true
 * size, so no method looks smaller than another of the same size.
 */
export function metricVsSizeChart(
  points: SizePoint[],
  opts: { title: string; subtitle?: string; metricName: string },
): VegaLiteSpec {
  if (points.length === 0)
    throw new Error('metricVsSizeChart: no points; fix: pass one point per (task, model, method, subset)');
  for (const [i, p] of points.entries()) {
    if (!(p.subsetPct > 0 && p.subsetPct <= 100))
      throw new Error(
        `metricVsSizeChart: point ${i} has subsetPct ${p.subsetPct}; fix: pass the kept share in percent`,
      );
    if (!Number.isFinite(p.mean))
      throw new Error(
        `metricVsSizeChart: point ${i} (${p.method}) has no finite mean; fix: leave out unfinished results`,
      );
  }
  const methods = [...new Set(points.map((p) => p.method))];
  const panel = (p: SizePoint) => `${p.task}|${p.model}`;
  const group = (p: SizePoint) => `${panel(p)}|${p.subsetPct}`;
  const members = new Map<string, string[]>();
  for (const p of points) members.set(group(p), [...(members.get(group(p)) ?? []), p.method]);
  const sizesOf = new Map<string, Set<number>>();
  for (const p of points) {
    const k = `${panel(p)}|${p.method}`;
    sizesOf.set(k, (sizesOf.get(k) ?? new Set()).add(p.subsetPct));
  }
  const values = points.map((p) => {
    const m = members.get(group(p))!;
    return {
      ...p,
      x: p.subsetPct,
      dx: (m.indexOf(p.method) - (m.length - 1) / 2) * DODGE_PX,
      metric: 100 * p.mean,
      lo: 100 * (p.mean - p.std),
      hi: 100 * (p.mean + p.std),
      band: sizesOf.get(`${panel(p)}|${p.method}`)!.size > 1,
    };
  });
  // An explicit y domain: Vega's own collapses when every value is equal (seeds that all predicted one class, std 0),
  // which labels the axis with one number and stretches zero-length bars over the whole panel.
  const ys = values.flatMap((v) => [v.lo, v.hi, v.metric]);
  const [yMin, yMax] = [Math.min(...ys), Math.max(...ys)];
  const pad = Math.max((yMax - yMin) * 0.08, 0.5);
  const yDomain = [yMin - pad, yMax + pad];
  const color = {
    field: 'method',
    type: 'nominal',
    title: 'method',
    sort: methods,
    scale: { domain: methods, range: PALETTE },
  } as const;
  const x = {
    field: 'x',
    type: 'quantitative',
    title: 'training examples kept (%)',
    scale: { domain: [0, 102] },
  } as const;
  const y = (field: string) =>
    ({
      field,
      type: 'quantitative',
      title: `${opts.metricName} (%)`,
      scale: { domain: yDomain, zero: false, nice: false },
      axis: { format: '.1f' },
    }) as const;
  const dodge = { expr: 'datum.dx' };
  return {
    $schema: SCHEMA,
    title: opts.subtitle ? { text: opts.title, subtitle: opts.subtitle } : { text: opts.title },
    data: { values },
    facet: {
      row: { field: 'model', type: 'nominal', title: null },
      column: { field: 'task', type: 'nominal', title: null },
    },
    spec: {
      width: 240,
      height: 170,
      layer: [
        {
          transform: [{ filter: 'datum.band' }],
          mark: { type: 'errorband', opacity: 0.18 },
          encoding: { x, y: y('lo'), y2: { field: 'hi' }, color },
        },
        {
          mark: { type: 'rule', strokeWidth: 1.4, xOffset: dodge },
          encoding: { x, y: y('lo'), y2: { field: 'hi' }, color },
        },
        {
          mark: { type: 'line', point: { size: 40, xOffset: dodge }, strokeWidth: 1.6, xOffset: dodge },
          encoding: {
            x,
            y: y('metric'),
            color: { ...color, legend: { symbolOpacity: 1, symbolType: 'circle', labelLimit: 0 } },
            tooltip: [
              { field: 'method' },
              { field: 'x', title: 'kept %', format: '.1f' },
              { field: 'metric', format: '.2f' },
              { field: 'std', title: 'std (fraction)', format: '.4f' },
              { field: 'n', title: 'seeds' },
            ],
          },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
    config: { legend: { symbolOpacity: 1 } },
  } as unknown as VegaLiteSpec;
}

export interface MapPoint {
  confidence: number;
  variability: number;
  h: number;
}

/** Dataset cartography: x variability, y confidence, colour = H-score (sequential, one shade per H value). */
export function dataMapChart(points: MapPoint[], opts: { title: string; subtitle?: string; R: number }): VegaLiteSpec {
  if (points.length === 0) throw new Error('dataMapChart: no points; fix: pass one point per training example');
  return {
    $schema: SCHEMA,
    title: opts.subtitle ? { text: opts.title, subtitle: opts.subtitle } : { text: opts.title },
    width: 360,
    height: 300,
    data: { values: points },
    mark: { type: 'circle', size: 14, opacity: 0.7 },
    encoding: {
      x: { field: 'variability', type: 'quantitative', title: 'variability (std of gold-label probability)' },
      y: {
        field: 'confidence',
        type: 'quantitative',
        title: 'confidence (mean gold-label probability)',
        scale: { domain: [0, 1] },
      },
      color: {
        field: 'h',
        type: 'ordinal',
        title: 'H',
        scale: { scheme: 'viridis', domain: Array.from({ length: opts.R + 1 }, (_, h) => h) },
      },
    },
  } as unknown as VegaLiteSpec;
}

export interface CurvePoint {
  series: string;
  epoch: number;
  metric: number;
}

/** Dev metric after each epoch, one line per series (method and subset), mean over seeds. */
export function trainingCurvesChart(
  points: CurvePoint[],
  opts: { title: string; subtitle?: string; metricName: string },
): VegaLiteSpec {
  if (points.length === 0) throw new Error('trainingCurvesChart: no points; fix: pass one point per (series, epoch)');
  const series = [...new Set(points.map((p) => p.series))];
  return {
    $schema: SCHEMA,
    title: opts.subtitle ? { text: opts.title, subtitle: opts.subtitle } : { text: opts.title },
    width: 360,
    height: 220,
    data: { values: points.map((p) => ({ ...p, pct: 100 * p.metric })) },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' } },
      y: { field: 'pct', type: 'quantitative', title: `${opts.metricName} (%)`, scale: { zero: false } },
      color: {
        field: 'series',
        type: 'nominal',
        title: null,
        sort: series,
        scale: { range: PALETTE },
        legend: { orient: 'bottom', columns: 2, labelLimit: 0 },
      },
    },
  } as unknown as VegaLiteSpec;
}
