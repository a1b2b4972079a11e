// The grafting report's plots (Panigrahi et al. 2023): a value per mask method against the sparsity of the mask (the
// share of the scope's parameters grafted, log axis), with dashed reference lines such as the fine-tuned model and
// the pretrained body - drawn once for the share of fine-tuned performance recovered and once for ECE - and the
// Jaccard overlap of masks across tasks as a task x task heatmap.
import { MUTED, PALETTE } from './theme.ts';
import type { VegaLiteSpec } from './types.ts';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Pixels between methods drawn at the same sparsity. */
const DODGE_PX = 6;

export interface GraftPoint {
  task: string;
  /** the panel row: the model and the run grafted, as the tables name them */
  panel: string;
  method: string;
  /** fraction of the scope's parameters, (0, 1) */
  sparsity: number;
  /** mean and sample std over seeds, fractions */
  mean: number;
  std: number;
  n: number;
}

/** A horizontal dashed line in one panel: the fine-tuned model, the pretrained body. */
export interface GraftRef {
  task: string;
  panel: string;
  label: string;
  /** a fraction */
  value: number;
}

/** The sparsity as the axes show it: percent of the scope, at most 3 significant digits. */
export const sparsityLabel = (s: number) => `${Number((100 * s).toPrecision(3))} %`;

/**
 * Mean ± 1 std per method over sparsity, lines with points, one panel per (panel row, task column); the references
 * as dashed grey lines told apart by their dash. Values are fractions, drawn in percent.
 */
export function graftSparsityChart(
  points: GraftPoint[],
  refs: GraftRef[],
  opts: { title: string; subtitle?: string; yTitle: string },
): VegaLiteSpec {
  if (points.length === 0)
    throw new Error('graftSparsityChart: no points; fix: pass one per (task, panel, method, sparsity)');
  for (const [i, p] of points.entries()) {
    if (!(p.sparsity > 0 && p.sparsity < 1))
      throw new Error(`graftSparsityChart: point ${i} has sparsity ${p.sparsity}; fix: pass a fraction in (0, 1)`);
    if (!Number.isFinite(p.mean) || !Number.isFinite(p.std))
      throw new Error(`graftSparsityChart: point ${i} (${p.method}) is not finite; fix: leave out unfinished results`);
  }
  const methods = [...new Set(points.map((p) => p.method))];
  // panels in the order the points come (the grid's), not alphabetical: sorted by an index field (a facet sorted by a
  // list of values put the headers and the cells in different orders)
  const panels = [...new Set(points.map((p) => p.panel))];
  const tasks = [...new Set(points.map((p) => p.task))];
  const order = (r: { panel: string; task: string }) => ({ pi: panels.indexOf(r.panel), ti: tasks.indexOf(r.task) });
  const values = [
    ...points.map((p) => ({
      ...p,
      ...order(p),
      kind: 'point',
      x: 100 * p.sparsity,
      // methods share every sparsity: set side by side in pixels, their x stays the true sparsity
      dx: (methods.indexOf(p.method) - (methods.length - 1) / 2) * DODGE_PX,
      y: 100 * p.mean,
      lo: 100 * (p.mean - p.std),
      hi: 100 * (p.mean + p.std),
    })),
    ...refs.filter((r) => Number.isFinite(r.value)).map((r) => ({ ...r, ...order(r), kind: 'ref', y: 100 * r.value })),
    // a (panel, task) pair with no result yet gets an empty cell: with one missing the renderer shifted every cell
    ...panels.flatMap((panel) =>
      tasks
        .filter((task) => !points.some((p) => p.panel === panel && p.task === task))
        .map((task) => ({ panel, task, ...order({ panel, task }), kind: 'empty' })),
    ),
  ];
  // an explicit y domain that holds the references too (and does not collapse when every value is equal)
  const ys = values.flatMap((v) => {
    const r = v as { lo?: number; hi?: number; y?: number };
    return [r.lo, r.hi, r.y].filter((x): x is number => x !== undefined);
  });
  const [yMin, yMax] = [Math.min(...ys), Math.max(...ys)];
  const pad = Math.max((yMax - yMin) * 0.08, 0.5);
  const y = (field: string) =>
    ({
      field,
      type: 'quantitative',
      title: opts.yTitle,
      scale: { domain: [yMin - pad, yMax + pad], zero: false, nice: false },
    }) as const;
  const xs = points.map((p) => 100 * p.sparsity);
  const x = {
    field: 'x',
    type: 'quantitative',
    title: 'parameters grafted (% of scope, log scale)',
    scale: { type: 'log', domain: [Math.min(...xs) / 2, Math.max(...xs) * 2], nice: false },
  } as const;
  const color = {
    field: 'method',
    type: 'nominal',
    title: 'mask',
    sort: methods,
    scale: { domain: methods, range: PALETTE },
  } as const;
  const dodge = { expr: 'datum.dx' };
  const refLabels = [...new Set(refs.map((r) => r.label))];
  return {
    $schema: SCHEMA,
    title: opts.subtitle ? { text: opts.title, subtitle: opts.subtitle } : { text: opts.title },
    data: { values },
    facet: {
      row: { field: 'panel', type: 'nominal', title: null, sort: { field: 'pi', op: 'min' } },
      column: { field: 'task', type: 'nominal', title: null, sort: { field: 'ti', op: 'min' } },
    },
    spec: {
      width: 240,
      height: 170,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'ref'" }],
          mark: { type: 'rule', color: MUTED, strokeWidth: 1.2 },
          encoding: {
            y: y('y'),
            strokeDash: {
              field: 'label',
              type: 'nominal',
              title: 'reference',
              sort: refLabels,
              scale: {
                domain: refLabels,
                range: [
                  [6, 3],
                  [2, 2],
                  [8, 2, 2, 2],
                ],
              },
            },
          },
        },
        {
          transform: [{ filter: "datum.kind === 'point'" }],
          mark: { type: 'rule', strokeWidth: 1.4, xOffset: dodge },
          encoding: { x, y: y('lo'), y2: { field: 'hi' }, color },
        },
        {
          transform: [{ filter: "datum.kind === 'point'" }],
          mark: { type: 'line', point: { size: 40, xOffset: dodge }, strokeWidth: 1.6, xOffset: dodge },
          encoding: {
            x,
            y: y('y'),
            color: { ...color, legend: { symbolOpacity: 1, symbolType: 'circle', labelLimit: 0 } },
            tooltip: [
              { field: 'method', title: 'mask' },
              { field: 'x', title: 'grafted (% of scope)' },
              { field: 'y', title: 'mean', format: '.2f' },
              { field: 'n', title: 'seeds' },
            ],
          },
        },
      ],
    },
    config: { legend: { symbolOpacity: 1 } },
  } as unknown as VegaLiteSpec;
}

export interface OverlapCell {
  /** the panel row (model and run) and column (the sparsity) */
  panel: string;
  sparsity: number;
  /** the two tasks (rows and columns of the matrix) */
  a: string;
  b: string;
  /** Jaccard overlap, mean over the pairs it was measured on */
  jaccard: number;
  n: number;
}

/**
 * A task x task heatmap of Jaccard overlaps per (panel row, sparsity column), the value written in each cell;
 * the colour scale is fixed to [0, 1] so nearly disjoint masks look nearly white in every panel.
 */
export function overlapHeatmapChart(
  cells: OverlapCell[],
  opts: { title: string; subtitle?: string; tasks: string[] },
): VegaLiteSpec {
  if (cells.length === 0) throw new Error('overlapHeatmapChart: no cells; fix: pass one per (panel, sparsity, a, b)');
  for (const [i, c] of cells.entries())
    if (!(c.jaccard >= 0 && c.jaccard <= 1))
      throw new Error(`overlapHeatmapChart: cell ${i} (${c.a}, ${c.b}) has Jaccard ${c.jaccard}; fix: pass [0, 1]`);
  const sparsities = [...new Set(cells.map((c) => c.sparsity))].sort((p, q) => p - q).map(sparsityLabel);
  const values = cells.map((c) => ({
    ...c,
    column: sparsityLabel(c.sparsity),
    text: c.jaccard >= 0.001 || c.jaccard === 0 ? c.jaccard.toFixed(3) : c.jaccard.toExponential(1),
  }));
  const band = (field: 'a' | 'b') => ({ field, type: 'nominal', title: null, sort: opts.tasks });
  return {
    $schema: SCHEMA,
    title: opts.subtitle ? { text: opts.title, subtitle: opts.subtitle } : { text: opts.title },
    data: { values },
    facet: {
      row: { field: 'panel', type: 'nominal', title: null, sort: [...new Set(cells.map((c) => c.panel))] },
      column: { field: 'column', type: 'nominal', title: 'grafted (% of scope)', sort: sparsities },
    },
    spec: {
      width: { step: 56 },
      height: { step: 30 },
      layer: [
        {
          mark: { type: 'rect', stroke: 'white' },
          encoding: {
            x: band('b'),
            y: band('a'),
            color: {
              field: 'jaccard',
              type: 'quantitative',
              title: 'Jaccard',
              scale: { scheme: 'blues', domain: [0, 1] },
            },
            tooltip: [
              { field: 'a' },
              { field: 'b' },
              { field: 'text', title: 'Jaccard' },
              { field: 'n', title: 'pairs' },
            ],
          },
        },
        {
          mark: { type: 'text', fontSize: 10 },
          encoding: {
            x: band('b'),
            y: band('a'),
            text: { field: 'text' },
            color: { condition: { test: 'datum.jaccard > 0.55', value: 'white' }, value: '#222222' },
          },
        },
      ],
    },
  } as unknown as VegaLiteSpec;
}
