// The active-learning report's plots: learning curves (dev metric vs labelled examples, colour = strategy, one
// panel per task x tuning), the never-learned share vs labelled examples (colour = tuning) and CKA to the
// pretrained model per layer (colour = tuning). Each is a mean line over seeds with a ± 1 std band or bar.
import { PALETTE } from './theme.ts';
import type { VegaLiteSpec } from './types.ts';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** A mean over seeds (or curves) and its sample std, as fractions; n: how many values. */
interface Summary {
  mean: number;
  std: number;
  n: number;
}

export interface AlCurvePoint extends Summary {
  task: string;
  /** the model and its tuning, as the tables name it: 'use-lite (full)', 'use-lite-lora (lora)' */
  tuning: string;
  strategy: string;
  /** examples trained on at the step */
  labelled: number;
}

export interface NeverLearnedPoint extends Summary {
  task: string;
  tuning: string;
  labelled: number;
}

export interface CkaLayerPoint extends Summary {
  task: string;
  tuning: string;
  /** its name ('embeddings', 'layer 3') and place (0 = embeddings): the x axis keeps that order */
  layer: string;
  index: number;
}

interface Lines {
  values: (Record<string, unknown> & Summary)[];
  x: Record<string, unknown>;
  /** the y axis: title and whether the values are fractions shown in percent */
  y: { title: string; percent: boolean; domain?: [number, number] };
  color: { field: string; title: string };
  /** facet rows (optional) and columns */
  row?: string;
  column: string;
  /** a band for quantitative x, bars for discrete x */
  spread: 'band' | 'bar';
  tooltip: { field: string; title?: string; format?: string }[];
}

function check(name: string, points: Summary[], what: string): void {
  if (points.length === 0) throw new Error(`${name}: no points; fix: pass ${what}`);
  for (const [i, p] of points.entries())
    if (!Number.isFinite(p.mean) || !Number.isFinite(p.std))
      throw new Error(`${name}: point ${i} has mean ${p.mean}, std ${p.std}; fix: leave out unfinished results`);
}

/** Mean lines with points, a ± 1 std band (or bars), faceted; an explicit y domain so equal values keep an axis. */
function bandLines(l: Lines, opts: { title: string; subtitle?: string }): VegaLiteSpec {
  const k = l.y.percent ? 100 : 1;
  const values = l.values.map((v) => ({ ...v, y: k * v.mean, lo: k * (v.mean - v.std), hi: k * (v.mean + v.std) }));
  const ys = values.flatMap((v) => [v.lo, v.hi]);
  const [yMin, yMax] = [Math.min(...ys), Math.max(...ys)];
  const pad = Math.max((yMax - yMin) * 0.08, l.y.percent ? 0.5 : 0.005);
  const yDomain = l.y.domain ?? [yMin - pad, yMax + pad];
  const series = [...new Set(l.values.map((v) => String(v[l.color.field])))];
  const color = {
    field: l.color.field,
    type: 'nominal',
    title: l.color.title,
    sort: series,
    scale: { domain: series, range: PALETTE },
  };
  const y = (field: string) => ({
    field,
    type: 'quantitative',
    title: l.y.title,
    scale: { domain: yDomain, zero: false, nice: false },
    axis: { format: l.y.percent ? '.1f' : '.2f' },
  });
  return {
    $schema: SCHEMA,
    title: opts.subtitle ? { text: opts.title, subtitle: opts.subtitle } : { text: opts.title },
    data: { values },
    facet: {
      ...(l.row && { row: { field: l.row, type: 'nominal', title: null } }),
      column: { field: l.column, type: 'nominal', title: null },
    },
    spec: {
      width: 240,
      height: 170,
      layer: [
        l.spread === 'band'
          ? {
              mark: { type: 'errorband', opacity: 0.18 },
              encoding: { x: l.x, y: y('lo'), y2: { field: 'hi' }, color },
            }
          : { mark: { type: 'rule', strokeWidth: 1.4 }, encoding: { x: l.x, y: y('lo'), y2: { field: 'hi' }, color } },
        {
          mark: { type: 'line', point: { size: 36 }, strokeWidth: 1.6 },
          encoding: {
            x: l.x,
            y: y('y'),
            color: { ...color, legend: { symbolOpacity: 1, symbolType: 'circle', labelLimit: 0 } },
            tooltip: [...l.tooltip, { field: 'y', title: 'mean', format: '.3f' }, { field: 'n', title: 'n' }],
          },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
    // the legend takes the band's colours otherwise: pale swatches
    config: { legend: { symbolOpacity: 1 } },
  } as unknown as VegaLiteSpec;
}

/** Dev metric vs labelled examples per strategy, one panel per tuning (row) and task (column). */
export function learningCurveChart(
  points: AlCurvePoint[],
  opts: { title: string; subtitle?: string; metricName: string },
): VegaLiteSpec {
  check('learningCurveChart', points, 'one point per (task, tuning, strategy, labelled size)');
  return bandLines(
    {
      values: points.map((p) => ({ ...p })),
      x: { field: 'labelled', type: 'quantitative', title: 'labelled examples', scale: { zero: false } },
      y: { title: `${opts.metricName} (%)`, percent: true },
      color: { field: 'strategy', title: 'strategy' },
      row: 'tuning',
      column: 'task',
      spread: 'band',
      tooltip: [{ field: 'strategy' }, { field: 'labelled' }],
    },
    opts,
  );
}

/** The share of a step's labelled examples never learned in its training, vs labelled examples, per tuning. */
export function neverLearnedChart(
  points: NeverLearnedPoint[],
  opts: { title: string; subtitle?: string },
): VegaLiteSpec {
  check('neverLearnedChart', points, 'one point per (task, tuning, labelled size)');
  return bandLines(
    {
      values: points.map((p) => ({ ...p })),
      x: { field: 'labelled', type: 'quantitative', title: 'labelled examples', scale: { zero: false } },
      y: { title: 'never learned (% of labelled)', percent: true },
      color: { field: 'tuning', title: 'tuning' },
      column: 'task',
      spread: 'band',
      tooltip: [{ field: 'tuning' }, { field: 'labelled' }],
    },
    opts,
  );
}

/** Linear CKA of each layer to the pretrained model, per tuning, one panel per task; layers in model order. */
export function ckaLayerChart(points: CkaLayerPoint[], opts: { title: string; subtitle?: string }): VegaLiteSpec {
  check('ckaLayerChart', points, 'one point per (task, tuning, layer)');
  const layers = [...new Map(points.map((p) => [p.layer, p.index])).entries()]
    .sort((a, b) => a[1] - b[1])
    .map(([l]) => l);
  const lo = Math.min(...points.map((p) => p.mean - p.std));
  return bandLines(
    {
      values: points.map((p) => ({ ...p })),
      x: { field: 'layer', type: 'ordinal', title: 'layer', sort: layers, axis: { labelAngle: -40 } },
      // CKA is at most 1: the axis ends there, and starts below the lowest bar
      y: { title: 'CKA to the pretrained model', percent: false, domain: [Math.max(0, lo - 0.05), 1.005] },
      color: { field: 'tuning', title: 'tuning' },
      column: 'task',
      spread: 'bar',
      tooltip: [{ field: 'tuning' }, { field: 'layer' }],
    },
    opts,
  );
}
