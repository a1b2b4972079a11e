import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type GraftPoint,
  type GraftRef,
  graftSparsityChart,
  overlapHeatmapChart,
  sparsityLabel,
} from './graft-charts.ts';
import { renderSvg } from './render.ts';

const texts = (svg: string) =>
  [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));

const P = { panel: 'roberta · full data', n: 3 };
const POINTS: GraftPoint[] = [
  { ...P, task: 'sst2', method: 'graft', sparsity: 0.0001, mean: 0.7, std: 0.05 },
  { ...P, task: 'sst2', method: 'top Δ', sparsity: 0.0001, mean: 0.6, std: 0.02 },
  { ...P, task: 'sst2', method: 'graft', sparsity: 0.01, mean: 0.95, std: 0 },
  { ...P, task: 'sst2', method: 'top Δ', sparsity: 0.01, mean: 0.9, std: 0.01 },
  { ...P, task: 'rte', method: 'graft', sparsity: 0.0001, mean: 0.8, std: 0.1 },
];
const REFS: GraftRef[] = [
  { ...P, task: 'sst2', label: 'fine-tuned', value: 1 },
  { ...P, task: 'sst2', label: 'pretrained body', value: 0.55 },
  { ...P, task: 'rte', label: 'pretrained body', value: Number.NaN }, // dropped
];

test('sparsityLabel: percent of the scope, 3 significant digits', () => {
  assert.deepEqual([0.0001, 0.001, 0.01, 1 / 3].map(sparsityLabel), ['0.01 %', '0.1 %', '1 %', '33.3 %']);
});

test('graftSparsityChart: points in percent on a log x, methods set apart in pixels, references as dashed rules', async () => {
  const spec = graftSparsityChart(POINTS, REFS, { title: 'recovered', yTitle: 'recovered (%)' }) as unknown as {
    data: { values: Record<string, number | string>[] };
    facet: { column: { sort: unknown } };
    spec: { layer: { encoding: { x?: { scale: { type: string } } } }[] };
  };
  const pts = spec.data.values.filter((v) => v.kind === 'point');
  assert.deepEqual(
    pts.map((v) => [v.x, v.y, v.lo, v.hi, v.dx]),
    POINTS.map((p) => {
      const dx = p.method === 'graft' ? -3 : 3;
      return [100 * p.sparsity, 100 * p.mean, 100 * (p.mean - p.std), 100 * (p.mean + p.std), dx];
    }),
  );
  const refs = spec.data.values.filter((v) => v.kind === 'ref');
  assert.deepEqual(
    refs.map((v) => [v.task, v.label, v.y]),
    [
      ['sst2', 'fine-tuned', 100],
      ['sst2', 'pretrained body', 100 * 0.55],
    ],
  );
  // the points' order, not alphabetical, by an index field
  assert.deepEqual(
    [...new Set(spec.data.values.filter((v) => v.kind === 'point').map((v) => `${v.ti}:${v.task}`))],
    ['0:sst2', '1:rte'],
  );
  assert.deepEqual(spec.facet.column.sort, { field: 'ti', op: 'min' });
  assert.equal(spec.spec.layer[1]!.encoding.x!.scale.type, 'log');
  const t = texts(await renderSvg(spec as never));
  for (const s of [
    'recovered',
    'sst2',
    'rte',
    'roberta · full data',
    'graft',
    'top Δ',
    'fine-tuned',
    'pretrained body',
  ])
    assert.ok(t.includes(s), `missing ${JSON.stringify(s)} in ${JSON.stringify(t)}`);
  assert.ok(t.includes('recovered (%)'));
});

test('graftSparsityChart: no points, a sparsity outside (0, 1) or a non-finite mean is an error', () => {
  const o = { title: 't', yTitle: 'y' };
  assert.throws(() => graftSparsityChart([], [], o), /no points/);
  assert.throws(() => graftSparsityChart([{ ...POINTS[0]!, sparsity: 0 }], [], o), /sparsity 0/);
  assert.throws(() => graftSparsityChart([{ ...POINTS[0]!, mean: Number.NaN }], [], o), /not finite/);
});

test('overlapHeatmapChart: a matrix per panel and sparsity, sparsities in numeric order, values written in cells', async () => {
  const cells = [0.1, 0.001, 0.01].flatMap((sparsity) =>
    [
      ['sst2', 'sst2', 0.4],
      ['sst2', 'rte', 0.00005],
      ['rte', 'sst2', 0.00005],
      ['rte', 'rte', 0],
    ].map(([a, b, jaccard]) => ({
      panel: 'm · full data',
      sparsity,
      a: a as string,
      b: b as string,
      jaccard: jaccard as number,
      n: 3,
    })),
  );
  const spec = overlapHeatmapChart(cells, { title: 'overlap', tasks: ['sst2', 'rte'] }) as unknown as {
    data: { values: { text: string; column: string }[] };
    facet: { column: { sort: unknown } };
    spec: { layer: { encoding: { color: { scale?: { domain: number[] } } } }[] };
  };
  assert.deepEqual(spec.facet.column.sort, ['0.1 %', '1 %', '10 %']);
  assert.deepEqual(
    spec.data.values.slice(0, 4).map((v) => [v.column, v.text]),
    [
      ['10 %', '0.400'],
      ['10 %', '5.0e-5'],
      ['10 %', '5.0e-5'],
      ['10 %', '0.000'],
    ],
  );
  assert.deepEqual(spec.spec.layer[0]!.encoding.color.scale!.domain, [0, 1]);
  const t = texts(await renderSvg(spec as never));
  for (const s of ['overlap', 'sst2', 'rte', '0.400', '5.0e-5', '0.1 %', '10 %', 'm · full data'])
    assert.ok(t.includes(s), `missing ${JSON.stringify(s)} in ${JSON.stringify(t)}`);
  assert.throws(() => overlapHeatmapChart([], { title: 't', tasks: [] }), /no cells/);
  assert.throws(() => overlapHeatmapChart([{ ...cells[0]!, jaccard: 1.5 }], { title: 't', tasks: [] }), /Jaccard 1.5/);
});

test('graftSparsityChart: a (panel, task) pair without results is an empty cell, so no cell moves', () => {
  const other = { ...POINTS[0]!, panel: 'roberta · winning ticket' }; // sst2 only: (ticket, rte) has no result
  const spec = graftSparsityChart([...POINTS, other], [], { title: 't', yTitle: 'y' }) as unknown as {
    data: { values: Record<string, number | string>[] };
  };
  const empty = spec.data.values.filter((v) => v.kind === 'empty');
  assert.deepEqual(
    empty.map((v) => [v.panel, v.task, v.pi, v.ti]),
    [['roberta · winning ticket', 'rte', 1, 1]],
  );
});
