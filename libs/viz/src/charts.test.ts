import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hscoreHistogramChart, subsetComparisonChart, type SubsetComparisonRow } from './charts.ts';
import { renderSvg } from './render.ts';

const ROWS: SubsetComparisonRow[] = [
  { method: 'full data', subsetPct: 100, metric: 0.8123, metricName: 'dev accuracy', std: 0.004, n: 3 },
  {
    method: 'winning ticket (H-score, remove 0, 3)',
    subsetPct: 38.2,
    metric: 0.8051,
    metricName: 'dev accuracy',
    std: 0.006,
    n: 3,
  },
  { method: 'random (same size)', subsetPct: 38.2, metric: 0.7912, metricName: 'dev accuracy', std: 0.01, n: 3 },
];

/** The text content of every <text> element, entities decoded (Vega escapes &, <, >). */
function svgTexts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) =>
    m[1]!.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>'),
  );
}

test('subsetComparisonChart: SVG shows title, methods with subset %, metric as percent with std', async () => {
  const texts = svgTexts(
    await renderSvg(subsetComparisonChart(ROWS, { title: 'SST-2 · dev accuracy by subset', subtitle: 'R = 3 runs' })),
  );
  for (const t of [
    'SST-2 · dev accuracy by subset',
    'R = 3 runs',
    'full data · 100%',
    'winning ticket (H-score, remove 0, 3) · 38.2%',
    'random (same size) · 38.2%',
    '81.23% ± 0.40',
    '80.51% ± 0.60',
    '79.12% ± 1.00',
    'dev accuracy (%) · mean ± std over 3 runs',
  ])
    assert.ok(texts.includes(t), `missing text ${JSON.stringify(t)} in ${JSON.stringify(texts)}`);
  // zero-based axis up to 100%
  assert.ok(texts.includes('0%') && texts.includes('100%'));
});

test('subsetComparisonChart: no std -> plain value labels and no error bar layer', async () => {
  const rows = ROWS.map(({ std: _s, n: _n, ...r }) => r);
  const spec = subsetComparisonChart(rows, { title: 't' });
  assert.equal((spec as { layer: object[] }).layer.length, 2);
  const texts = svgTexts(await renderSvg(spec));
  assert.ok(texts.includes('81.23%') && texts.includes('dev accuracy (%)'), JSON.stringify(texts));
});

test('subsetComparisonChart: rejects bad rows with a fix', () => {
  assert.throws(() => subsetComparisonChart([], { title: 't' }), /no rows; fix/);
  assert.throws(
    () => subsetComparisonChart([{ ...ROWS[0]!, metric: 81.23 }], { title: 't' }),
    /fraction.*fix: .*0\.8123/,
  );
  assert.throws(() => subsetComparisonChart([{ ...ROWS[0]!, subsetPct: 0 }], { title: 't' }), /subsetPct 0 is outside/);
  assert.throws(
    () => subsetComparisonChart([ROWS[0]!, { ...ROWS[1]!, metricName: 'f1' }], { title: 't' }),
    /metricName/,
  );
  assert.throws(() => subsetComparisonChart([ROWS[0]!, ROWS[0]!], { title: 't' }), /duplicate method/);
});

test('hscoreHistogramChart: a labelled bar per H, kept/removed legend, default removes 0 and R', async () => {
  const counts = [1200, 300, 500, 4000];
  const spec = hscoreHistogramChart(counts, { title: 'H-score histogram' });
  const values = (spec as { data: { values: { H: number; count: number; status: string }[] } }).data.values;
  assert.deepEqual(
    values.map((v) => v.status),
    ['removed', 'kept', 'kept', 'removed'],
  );
  const texts = svgTexts(await renderSvg(spec));
  for (const t of [
    'H-score histogram',
    '1,200',
    '300',
    '500',
    '4,000',
    'kept',
    'removed',
    '0',
    '1',
    '2',
    '3',
    'subset keeps 800 of 6,000 examples (13.3%); removes H ∈ {0, 3}',
  ]) {
    assert.ok(texts.includes(t), `missing text ${JSON.stringify(t)} in ${JSON.stringify(texts)}`);
  }
});

test('hscoreHistogramChart: custom removed set and input checks', () => {
  const spec = hscoreHistogramChart([5, 5, 5], { title: 't', removed: [0] });
  const values = (spec as { data: { values: { status: string }[] } }).data.values;
  assert.deepEqual(
    values.map((v) => v.status),
    ['removed', 'kept', 'kept'],
  );
  assert.throws(() => hscoreHistogramChart([3], { title: 't' }), /R >= 1/);
  assert.throws(() => hscoreHistogramChart([3, 1.5], { title: 't' }), /counts\[1\]/);
  assert.throws(() => hscoreHistogramChart([3, 1], { title: 't', removed: [2] }), /outside 0\.\.1/);
});
