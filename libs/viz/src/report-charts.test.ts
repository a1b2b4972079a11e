import { test } from 'node:test';
import assert from 'node:assert/strict';
import { htmlReport } from './html.ts';
import { dataMapChart, metricVsSizeChart, trainingCurvesChart, type SizePoint } from './report-charts.ts';
import { renderSvg } from './render.ts';

const texts = (svg: string) =>
  [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));

const POINTS: SizePoint[] = [
  { task: 'sst2', model: 'roberta', method: 'full data', subsetPct: 100, mean: 0.9, std: 0.01, n: 3 },
  { task: 'sst2', model: 'roberta', method: 'hscore', subsetPct: 24, mean: 0.905, std: 0.004, n: 3 },
  { task: 'sst2', model: 'roberta', method: 'hscore', subsetPct: 12, mean: 0.88, std: 0.02, n: 3 },
  { task: 'sst2', model: 'roberta', method: 'random', subsetPct: 24, mean: 0.87, std: 0.01, n: 3 },
  { task: 'rte', model: 'opt', method: 'hscore', subsetPct: 40, mean: 0.6, std: 0, n: 1 },
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
    'hscore',
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
      table: { header: ['data', 'acc'], rows: [['full', '90.00 ± 0.10']] },
    },
    { svg: '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><text>x</text></svg>', caption: 'fig' },
  ]);
  assert.match(html, /<title>R&amp;D &lt;report&gt;<\/title>/);
  assert.match(html, /<p>a &lt; b<\/p>/);
  assert.match(html, /<td class="n">90.00 ± 0.10<\/td>/);
  assert.match(html, /<figure><svg xmlns/);
  assert.ok(!html.includes('<?xml'));
  assert.ok(!/<script|<link|src=/.test(html), 'no external resources');
});
