import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ckaLayerChart,
  learningCurveChart,
  neverLearnedChart,
  type AlCurvePoint,
  type CkaLayerPoint,
} from './al-charts.ts';
import { renderSvg } from './render.ts';

const texts = (svg: string) =>
  [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));

const CURVE: AlCurvePoint[] = ['random', 'entropy'].flatMap((strategy, s) =>
  ['bert (full)', 'bert-lora (lora)'].flatMap((tuning) =>
    [100, 150, 200].map((labelled, i) => ({
      task: 'trec',
      tuning,
      strategy,
      labelled,
      mean: 0.6 + 0.05 * i + 0.02 * s,
      std: 0.01 * (i + 1),
      n: 3,
    })),
  ),
);

test('learningCurveChart: a panel per tuning and task, colour = strategy, a ± 1 std band in percent', async () => {
  const spec = learningCurveChart(CURVE, { title: 'al: learning curves', metricName: 'accuracy' });
  const t = texts(await renderSvg(spec));
  for (const s of [
    'al: learning curves',
    'trec',
    'bert (full)',
    'bert-lora (lora)',
    'random',
    'entropy',
    'labelled examples',
    'accuracy (%)',
  ])
    assert.ok(t.includes(s), `missing ${JSON.stringify(s)} in ${JSON.stringify(t)}`);
  const values = (spec as unknown as { data: { values: { y: number; lo: number; hi: number }[] } }).data.values;
  for (const [i, v] of values.entries()) {
    assert.ok(Math.abs(v.y - 100 * CURVE[i]!.mean) < 1e-9);
    assert.ok(Math.abs(v.hi - v.lo - 200 * CURVE[i]!.std) < 1e-9);
  }
  assert.throws(() => learningCurveChart([], { title: 'x', metricName: 'm' }), /no points/);
  assert.throws(
    () => learningCurveChart([{ ...CURVE[0]!, mean: NaN }], { title: 'x', metricName: 'm' }),
    /point 0 has mean NaN/,
  );
});

test('neverLearnedChart: colour = tuning, one panel per task', async () => {
  const points = CURVE.filter((p) => p.strategy === 'random').map(({ strategy: _, ...p }) => ({ ...p, task: 'sst2' }));
  const t = texts(await renderSvg(neverLearnedChart(points, { title: 'never learned', subtitle: 'band' })));
  for (const s of ['never learned', 'sst2', 'bert (full)', 'bert-lora (lora)', 'never learned (% of labelled)'])
    assert.ok(t.includes(s), `missing ${JSON.stringify(s)}`);
});

test('ckaLayerChart: layers in model order whatever the order given, y up to 1, bars of ± 1 std', async () => {
  const points: CkaLayerPoint[] = ['full', 'lora'].flatMap((tuning) =>
    [2, 0, 1].map((index) => ({
      task: 'trec',
      tuning,
      layer: index === 0 ? 'embeddings' : `layer ${index}`,
      index,
      mean: 1 - 0.1 * index,
      std: 0.02,
      n: 6,
    })),
  );
  const spec = ckaLayerChart(points, { title: 'cka' }) as unknown as {
    spec: {
      layer: { mark: { type: string }; encoding: { x: { sort: string[] }; y: { scale: { domain: number[] } } } }[];
    };
  };
  const x = spec.spec.layer[1]!.encoding.x;
  assert.deepEqual(x.sort, ['embeddings', 'layer 1', 'layer 2']);
  assert.equal(spec.spec.layer[0]!.mark.type, 'rule');
  assert.deepEqual(spec.spec.layer[1]!.encoding.y.scale.domain, [1 - 0.2 - 0.02 - 0.05, 1.005]);
  const t = texts(await renderSvg(spec as never));
  const order = ['embeddings', 'layer 1', 'layer 2'].map((l) => t.indexOf(l));
  assert.ok(
    order.every((i, k) => i >= 0 && (k === 0 || i > order[k - 1]!)),
    `axis labels ${JSON.stringify(t)}`,
  );
  assert.ok(t.includes('CKA to the pretrained model'));
});
