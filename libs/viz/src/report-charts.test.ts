import { test } from 'node:test';
import assert from 'node:assert/strict';
import { htmlReport } from './html.ts';
import { dataMapChart, metricVsSizeChart, trainingCurvesChart, type SizePoint } from './report-charts.ts';
import { renderSvg } from './render.ts';

const texts = (svg: string) =>
  [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));

const POINTS: SizePoint[] = [
  { task: 'sst2', model: 'roberta', method: 'full data', subsetPct: 100, mean: 0.9, std: 0.01, n: 3 },
  { task: 'sst2', model: 'roberta', method: 'winning ticket', subsetPct: 24, mean: 0.905, std: 0.004, n: 3 },
  { task: 'sst2', model: 'roberta', method: 'winning ticket', subsetPct: 12, mean: 0.88, std: 0.02, n: 3 },
  { task: 'sst2', model: 'roberta', method: 'random', subsetPct: 24, mean: 0.87, std: 0.01, n: 3 },
  { task: 'rte', model: 'opt', method: 'winning ticket', subsetPct: 40, mean: 0.6, std: 0, n: 1 },
];

test('metricVsSizeChart: one panel per task and model, methods in the legend, percent axes', async () => {
  const svg = await renderSvg(metricVsSizeChart(POINTS, { title: 'metric vs size', metricName: 'dev accuracy' }));
  const t = texts(svg);
  for (const s of [
    'metric vs size',
    'sst2',
    'rte',
    'roberta',
    'opt',
    'full data',
    'winning ticket',
    'random',
    'training examples kept (%)',
    'dev accuracy (%)',
  ]) {
    assert.ok(t.includes(s), `missing ${JSON.stringify(s)} in ${JSON.stringify(t)}`);
  }
  assert.throws(() => metricVsSizeChart([], { title: 'x', metricName: 'm' }), /no points/);
  assert.throws(
    () => metricVsSizeChart([{ ...POINTS[0]!, subsetPct: 0 }], { title: 'x', metricName: 'm' }),
    /subsetPct 0/,
  );
});

test('metricVsSizeChart: x is the true size, same-size methods side by side in pixels, bars of ± 1 std', async () => {
  const spec = metricVsSizeChart(POINTS, { title: 't', metricName: 'acc' }) as unknown as {
    data: { values: { method: string; x: number; dx: number; lo: number; hi: number; band: boolean }[] };
    spec: { layer: { mark: { type: string; xOffset?: unknown } }[] };
  };
  const rows = spec.data.values;
  assert.deepEqual(
    rows.map((r) => r.x),
    POINTS.map((p) => p.subsetPct),
  );
  // the ticket and random share 24%: offsets of opposite sign, in pixels; the others are alone at their size
  assert.deepEqual(
    rows.map((r) => r.dx),
    [0, -3.5, 0, 3.5, 0],
  );
  for (const [i, r] of rows.entries()) {
    assert.ok(Math.abs(r.hi - 100 * (POINTS[i]!.mean + POINTS[i]!.std)) < 1e-9);
    assert.ok(Math.abs(r.lo - 100 * (POINTS[i]!.mean - POINTS[i]!.std)) < 1e-9);
  }
  // a band only for a method with several sizes in its panel (the ticket's two H subsets)
  assert.deepEqual(
    rows.map((r) => r.band),
    [false, true, true, false, false],
  );
  const rule = spec.spec.layer.find((l) => l.mark.type === 'rule')!;
  assert.deepEqual(rule.mark.xOffset, { expr: 'datum.dx' });
  // the bars are drawn, one vertical rule per point; the two at 24% stand 7 pixels apart
  const svg = await renderSvg(spec as never);
  const bars = [
    ...svg.matchAll(/aria-label="([^"]*)"[^>]*rule mark" transform="translate\(([\d.]+),[\d.]+\)" x2="0"/g),
  ];
  assert.equal(bars.length, POINTS.length);
  const at24 = bars.filter((m) => m[1]!.includes('kept (%): 24;')).map((m) => Number(m[2]));
  assert.equal(at24.length, 2);
  assert.ok(Math.abs(Math.abs(at24[0]! - at24[1]!) - 7) < 1e-6, `bars at ${at24}`);
});

test('metricVsSizeChart: seeds that all scored the same (std 0) get a y axis with distinct ticks', async () => {
  const same: SizePoint[] = ['full data', 'winning ticket', 'random'].map((method, i) => ({
    task: 'imdb',
    model: 'tiny',
    method,
    subsetPct: i === 0 ? 100 : 43.7,
    mean: 0.4625,
    std: 0,
    n: 3,
  }));
  const spec = metricVsSizeChart(same, { title: 't', metricName: 'accuracy' });
  const layers = (spec as unknown as { spec: { layer: { encoding: { y: { scale: { domain: number[] } } } }[] } }).spec;
  const [lo, hi] = layers.layer[2]!.encoding.y.scale.domain as [number, number];
  assert.ok(lo < 46.25 && hi > 46.25 && hi - lo >= 1, `domain ${lo}..${hi} holds 46.25 with room`);
  const svg = await renderSvg(spec);
  const ticks = texts(svg).filter((x) => /^\d+\.\d$/.test(x));
  assert.ok(new Set(ticks).size >= 2, `distinct y ticks: ${ticks.join(', ')}`);
});

test('dataMapChart and trainingCurvesChart render their axes and legends', async () => {
  const map = texts(
    await renderSvg(
      dataMapChart(
        [
          { confidence: 0.9, variability: 0.05, h: 3 },
          { confidence: 0.2, variability: 0.3, h: 0 },
        ],
        { title: 'map', R: 3 },
      ),
    ),
  );
  for (const s of [
    'map',
    'variability (std of gold-label probability)',
    'confidence (mean gold-label probability)',
    'H',
    '0',
    '3',
  ])
    assert.ok(map.includes(s), s);
  const curves = texts(
    await renderSvg(
      trainingCurvesChart(
        [
          { series: 'full data', epoch: 1, metric: 0.8 },
          { series: 'full data', epoch: 2, metric: 0.85 },
          { series: 'winning ticket', epoch: 1, metric: 0.82 },
        ],
        { title: 'curves', metricName: 'dev accuracy' },
      ),
    ),
  );
  for (const s of ['curves', 'epoch', 'dev accuracy (%)', 'full data', 'winning ticket'])
    assert.ok(curves.includes(s), s);
});

test('htmlReport: self-contained, escaped text, inline SVG, numeric cells right-aligned', () => {
  const html = htmlReport('R&D <report>', [
    {
      heading: 'sst2 · roberta',
      text: ['a < b'],
      table: {
        header: ['data', 'acc', 'diff'],
        rows: [
          ['full', '90.00 ± 0.10', '+0.65 [-1.74, +3.04] (n = 3)'],
          ['ambiguous', '50.00 ± 0.00 †', '-28.33 [-33.12, -23.53] ▼ †'],
        ],
      },
    },
    { svg: '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><text>x</text></svg>', caption: 'fig' },
  ]);
  assert.match(html, /<title>R&amp;D &lt;report&gt;<\/title>/);
  assert.match(html, /<p>a &lt; b<\/p>/);
  assert.match(html, /<td class="n">90.00 ± 0.10<\/td>/);
  for (const c of ['50.00 ± 0.00 †', '+0.65 [-1.74, +3.04] (n = 3)', '-28.33 [-33.12, -23.53] ▼ †'])
    assert.ok(html.includes(`<td class="n">${c}</td>`), c);
  assert.match(html, /<figure><svg xmlns/);
  assert.ok(!html.includes('<?xml'));
  assert.ok(!/<script|<link|src=/.test(html), 'no external resources');
});
