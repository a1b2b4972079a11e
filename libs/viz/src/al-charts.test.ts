// The active-learning plots render headless with their panels, legends and axis titles.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { learningCurvesChart, tuningLinesChart, type AlCurvePoint } from './al-charts.ts';
import { renderSvg } from './render.ts';

const texts = (svg: string) =>
  [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));

const CURVE: AlCurvePoint[] = [100, 150, 200].flatMap((labelled, i) =>
  ['random', 'entropy'].flatMap((strategy, s) =>
    ['full', 'lora'].map((tuning) => ({
      task: 'trec',
      tuning,
      strategy,
      labelled,
      mean: 0.5 + 0.1 * i + 0.02 * s,
      std: 0.01,
      n: 3,
    })),
  ),
);

test('learningCurvesChart: a panel per task and tuning, strategies in the legend, labelled examples on x', async () => {
  const t = texts(await renderSvg(learningCurvesChart(CURVE, { title: 'curves', metricName: 'accuracy' })));
  for (const s of ['curves', 'trec', 'full', 'lora', 'random', 'entropy', 'labelled examples', 'accuracy (%)'])
    assert.ok(t.includes(s), `missing ${s} in ${JSON.stringify(t)}`);
  assert.throws(() => learningCurvesChart([], { title: 'x', metricName: 'm' }), /no points/);
  assert.throws(
    () => learningCurvesChart([{ ...CURVE[0]!, mean: Number.NaN }], { title: 'x', metricName: 'm' }),
    /point 0/,
  );
});

test('tuningLinesChart: never-learned share over labelled examples, CKA over named layers', async () => {
  const share = tuningLinesChart(
    [
      { task: 'sst2', tuning: 'full', x: 100, value: 0.3, n: 6 },
      { task: 'sst2', tuning: 'full', x: 150, value: 0.2, n: 6 },
      { task: 'sst2', tuning: 'lora', x: 100, value: 0.4, n: 6 },
    ],
    { title: 'never learned', x: 'labelled examples', y: 'never learned (%)', percent: true },
  );
  const a = texts(await renderSvg(share));
  for (const s of ['never learned', 'sst2', 'full', 'lora', 'never learned (%)']) assert.ok(a.includes(s), s);
  const cka = tuningLinesChart(
    ['embeddings', 'layer 1', 'layer 2'].flatMap((label, x) =>
      ['full', 'lora'].map((tuning, i) => ({ task: 'trec', tuning, x, label, value: 1 - 0.2 * x * (1 - i / 2), n: 9 })),
    ),
    { title: 'CKA', x: 'layer', y: 'CKA', percent: false, layers: true },
  );
  const b = texts(await renderSvg(cka));
  for (const s of ['embeddings', 'layer 1', 'layer 2', 'CKA']) assert.ok(b.includes(s), s);
});
