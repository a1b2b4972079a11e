import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type DiffPoint, differenceChart } from './difference-chart.ts';
import { renderSvg } from './render.ts';

const texts = (svg: string) =>
  [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));

const POINTS: DiffPoint[] = [
  { series: 'winning ticket', against: '− random', mean: 0.0065, lo: -0.017, hi: 0.03, n: 3, verdict: 'holds 0' },
  { series: 'ambiguous', against: '− random', mean: -0.28, lo: -0.33, hi: -0.24, n: 3, verdict: 'below 0' },
  { series: 'H-score subset 016', against: '− random', mean: -0.012, n: 1, verdict: 'n = 1' },
  { series: 'winning ticket', against: '− full data', mean: 0.01, lo: 0.002, hi: 0.018, n: 3, verdict: 'above 0' },
];

test('differenceChart: a panel per reference, rows by name, bars only where there is an interval', async () => {
  const spec = differenceChart(POINTS, { title: 'diffs', metricName: 'accuracy' }) as unknown as {
    data: { values: { diff: number; lo?: number; hi?: number }[] };
  };
  // drawn in points: x 100
  assert.deepEqual(
    spec.data.values.map((v) => [v.diff, v.lo, v.hi]),
    POINTS.map((p) => [100 * p.mean, p.lo && 100 * p.lo, p.hi && 100 * p.hi]),
  );
  const svg = await renderSvg(spec as never);
  const t = texts(svg);
  for (const s of ['diffs', '− random', '− full data', 'winning ticket', 'ambiguous', 'H-score subset 016', 'above 0'])
    assert.ok(t.includes(s), `missing ${JSON.stringify(s)} in ${JSON.stringify(t)}`);
  assert.ok(t.includes('difference in accuracy (points)'));
  // one horizontal bar per interval (3: none for n = 1), a point per row with its interval in words
  const labels = [...svg.matchAll(/aria-label="([^"]*)"/g)].map((m) => m[1]!);
  const bars = labels.filter((l) => /; hi: /.test(l) && !l.includes('seeds paired'));
  assert.equal(bars.length, 3, bars.join('\n'));
  const points = labels.filter((l) => l.includes('seeds paired'));
  assert.equal(points.length, 4);
  assert.ok(points.some((l) => l.includes('interval (95%): none (one seed)')));
  assert.ok(points.some((l) => l.includes('interval (95%): [+0.20, +1.80]')));
});

test('differenceChart: no points, a non-finite mean or a lopsided interval is an error naming the point', () => {
  assert.throws(() => differenceChart([], { title: 'x', metricName: 'm' }), /no points/);
  assert.throws(
    () => differenceChart([{ ...POINTS[0]!, mean: Number.NaN }], { title: 'x', metricName: 'm' }),
    /point 0 \(winning ticket\) has no finite mean/,
  );
  assert.throws(
    () => differenceChart([{ ...POINTS[0]!, lo: 0.1 }], { title: 'x', metricName: 'm' }),
    /point 0 \(winning ticket\) has the interval \[0.1, 0.03\]/,
  );
  const { hi: _hi, ...noHi } = POINTS[0]!;
  assert.throws(() => differenceChart([noHi], { title: 'x', metricName: 'm' }), /both ends/);
});
