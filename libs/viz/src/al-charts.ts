// The active-learning report's plots: learning curves (metric vs labelled examples, a band of ± one std over seeds,
// one colour per strategy, one panel per task and tuning), the never-learned share of the labelled examples vs their
// number (full fine-tuning vs PEFT), and linear CKA per layer between the pretrained and the fine-tuned model.
import { PALETTE } from './theme.ts';
import type { VegaLiteSpec } from './types.ts';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

export interface AlCurvePoint {
  task: string;
  /** the model entry and its tuning, as the legend or panel shows it: "use-lite-lora (lora)" */
  tuning: string;
  strategy: string;
  labelled: number;
  /** mean over seeds, fraction */
  mean: number;
  std: number;
  n: number;
}

/** A y domain with a margin, fixed: Vega's own collapses when every value is equal. */
function domain(values: number[]): [number, number] {
  const [lo, hi] = [Math.min(...values), Math.max(...values)];
  const pad = Math.max((hi - lo) * 0.08, 0.5);
  return [lo - pad, hi + pad];
}

function checkPoints<T>(points: T[], who: string, finite: (p: T) => boolean): void {
  if (!points.length) throw new Error(`${who}: no points; fix: pass the finished steps`);
  points.forEach((p, i) => {
    if (!finite(p)) throw new Error(`${who}: point ${i} has no finite value; fix: leave out unfinished steps`);
  });
}

export function learningCurvesChart(
  points: AlCurvePoint[],
  opts: { title: string; subtitle?: string; metricName: string },
): VegaLiteSpec {
  checkPoints(points, 'learningCurvesChart', (p) => Number.isFinite(p.mean));
  const strategies = [...new Set(points.map((p) => p.strategy))];
  const values = points.map((p) => ({
    ...p,
    metric: 100 * p.mean,
    lo: 100 * (p.mean - p.std),
    hi: 100 * (p.mean + p.std),
  }));
  const color = { field: 'strategy', type: 'nominal', sort: strategies, scale: { domain: strategies, range: PALETTE } };
  const x = { field: 'labelled', type: 'quantitative', title: 'labelled examples' };
  const y = (field: string) => ({
    field,
    type: 'quantitative',
    title: `${opts.metricName} (%)`,
    scale: { domain: domain(values.flatMap((v) => [v.lo, v.hi])), zero: false, nice: false },
    axis: { format: '.0f' },
  });
  return {
    $schema: SCHEMA,
    title: opts.subtitle ? { text: opts.title, subtitle: opts.subtitle } : { text: opts.title },
    data: { values },
    facet: {
      row: { field: 'tuning', type: 'nominal', title: null },
      column: { field: 'task', type: 'nominal', title: null },
    },
    spec: {
      width: 260,
      height: 170,
      layer: [
        { mark: { type: 'errorband', opacity: 0.18 }, encoding: { x, y: y('lo'), y2: { field: 'hi' }, color } },
        {
          mark: { type: 'line', point: { size: 30 }, strokeWidth: 1.6 },
          encoding: {
            x,
            y: y('metric'),
            color: { ...color, legend: { symbolOpacity: 1, symbolType: 'circle', labelLimit: 0 } },
            tooltip: [
              { field: 'strategy' },
              { field: 'labelled' },
              { field: 'metric', format: '.2f' },
              { field: 'n', title: 'seeds' },
            ],
          },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  } as unknown as VegaLiteSpec;
}

export interface TuningPoint {
  task: string;
  tuning: string;
  /** labelled examples (never-learned plot) or the layer's index (CKA plot) */
  x: number;
  /** the layer's name (CKA plot) */
  label?: string;
  /** fraction */
  value: number;
  n: number;
}

/** One line per tuning over x, a panel per task: the never-learned share or CKA by layer. */
export function tuningLinesChart(
  points: TuningPoint[],
  opts: { title: string; subtitle?: string; x: string; y: string; percent: boolean; layers?: boolean },
): VegaLiteSpec {
  checkPoints(points, 'tuningLinesChart', (p) => Number.isFinite(p.value));
  const tunings = [...new Set(points.map((p) => p.tuning))];
  const scale = opts.percent ? 100 : 1;
  const values = points.map((p) => ({ ...p, y: scale * p.value }));
  const x = opts.layers
    ? { field: 'label', type: 'ordinal', title: opts.x, sort: { field: 'x' }, axis: { labelAngle: 0 } }
    : { field: 'x', type: 'quantitative', title: opts.x };
  return {
    $schema: SCHEMA,
    title: opts.subtitle ? { text: opts.title, subtitle: opts.subtitle } : { text: opts.title },
    data: { values },
    facet: { column: { field: 'task', type: 'nominal', title: null } },
    spec: {
      width: 260,
      height: 180,
      mark: { type: 'line', point: { size: 40 }, strokeWidth: 1.8 },
      encoding: {
        x,
        y: {
          field: 'y',
          type: 'quantitative',
          title: opts.y,
          scale: { domain: domain(values.map((v) => v.y)), zero: false, nice: false },
          axis: { format: opts.percent ? '.0f' : '.2f' },
        },
        color: { field: 'tuning', type: 'nominal', sort: tunings, scale: { domain: tunings, range: PALETTE } },
        tooltip: [{ field: 'tuning' }, { field: 'y', format: '.3f' }, { field: 'n', title: 'runs' }],
      },
    },
  } as unknown as VegaLiteSpec;
}
