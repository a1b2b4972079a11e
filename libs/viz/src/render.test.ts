import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { subsetComparisonChart } from './charts.ts';
import { fontFiles } from './fonts.ts';
import { pngImageData, readPngSize } from './png.ts';
import { compileVegaLite, renderSvg, svgToPng, writeChart } from './render.ts';
import { FONT } from './theme.ts';
import type { VegaLiteSpec } from './types.ts';

const SPEC: VegaLiteSpec = {
  title: 'Tiny chart',
  width: 120,
  height: 60,
  data: {
    values: [
      { m: 'alpha', v: 3 },
      { m: 'beta', v: 7 },
    ],
  },
  mark: 'bar',
  encoding: { x: { field: 'v', type: 'quantitative' }, y: { field: 'm', type: 'nominal' } },
};

const svgSize = (svg: string) => {
  const m = /<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"/.exec(svg);
  assert.ok(m, 'svg has width and height');
  return { width: Number(m[1]), height: Number(m[2]) };
};
const stripText = (svg: string) => svg.replace(/<text[^>]*>[^<]*<\/text>/g, '');

test('fontFiles: resolves the DejaVu Sans TTFs from the package', () => {
  const files = fontFiles();
  assert.ok(files.some((f) => path.basename(f) === 'DejaVuSans.ttf'));
  for (const f of files) assert.ok(path.isAbsolute(f) && fs.statSync(f).size > 100_000, f);
});

test('compileVegaLite: the theme puts DejaVu Sans on title, axes, legends and text marks', () => {
  const vega = JSON.stringify(compileVegaLite(SPEC));
  assert.ok(vega.includes(`"font":"${FONT}"`));
  assert.ok(vega.includes(`"labelFont":"${FONT}"`) && vega.includes(`"titleFont":"${FONT}"`));
});

test('svgToPng: valid PNG at scale x the SVG size, and the text really is drawn', async () => {
  const svg = await renderSvg(SPEC);
  assert.ok(svg.includes('>Tiny chart</text>') && svg.includes('>alpha</text>'));
  const size = svgSize(svg);
  for (const scale of [1, 2]) {
    const png = svgToPng(svg, { scale });
    assert.deepEqual(readPngSize(png), {
      width: Math.round(size.width * scale),
      height: Math.round(size.height * scale),
    });
  }
  assert.deepEqual(readPngSize(svgToPng(svg)), readPngSize(svgToPng(svg, { scale: 2 })), 'default scale is 2');
  // same SVG without its <text> elements must rasterise differently, else the glyphs were dropped
  const withText = pngImageData(svgToPng(svg, { scale: 1 }));
  const noText = pngImageData(svgToPng(stripText(svg), { scale: 1 }));
  assert.notDeepEqual(withText, noText);
  // ...and that check can fail: resvg without font files drops the text silently
  const bare = (s: string) =>
    pngImageData(new Resvg(s, { background: 'white', font: { loadSystemFonts: false } }).render().asPng());
  assert.deepEqual(bare(svg), bare(stripText(svg)));
  assert.throws(() => svgToPng(svg, { scale: 0 }), /scale must be a positive number/);
  assert.throws(() => readPngSize(Buffer.from('not a png at all, really not a png')), /not a PNG/);
});

test('writeChart: writes <base>.svg, <base>.png and <base>.vl.json, creating folders', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'viz-'));
  try {
    const base = path.join(dir, 'plots', 'nested', 'comparison');
    const spec = subsetComparisonChart(
      [{ method: 'full data', subsetPct: 100, metric: 0.9, metricName: 'dev accuracy' }],
      { title: 'Written' },
    );
    const files = await writeChart(spec, base);
    assert.deepEqual(files, { svg: `${base}.svg`, png: `${base}.png`, json: `${base}.vl.json` });
    assert.ok(fs.readFileSync(files.svg, 'utf8').includes('>Written</text>'));
    assert.ok(readPngSize(fs.readFileSync(files.png)).width > 0);
    const json = JSON.parse(fs.readFileSync(files.json, 'utf8'));
    assert.equal(json.config.font, FONT);
    assert.deepEqual(json.data, (spec as { data: unknown }).data);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
