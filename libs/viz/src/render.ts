import fs from 'node:fs';
import path from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { View, parse, type Spec } from 'vega';
import { compile } from 'vega-lite';
import { FONT, withTheme } from './theme.ts';
import { fontFiles } from './fonts.ts';
import { installTextMetrics } from './text-metrics.ts';
import type { VegaLiteSpec } from './types.ts';

/** Vega-Lite -> Vega, with the project theme applied. */
export function compileVegaLite(spec: VegaLiteSpec): Spec {
  // deep copy: Vega reuses inline data objects as tuples and tags them with an id symbol, which would
  // otherwise leak into the caller's spec
  return compile(withTheme(structuredClone(spec))).spec;
}

/** Headless SVG: renderer 'none' needs no canvas or DOM; toSVG() builds the markup from the scenegraph. */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  installTextMetrics();
  const view = new View(parse(compileVegaLite(spec)), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface PngOptions {
  /** Pixel zoom over the SVG's own size; 2 gives crisp figures on paper and HiDPI screens. */
  scale?: number;
}

/** Rasterise an SVG to PNG with the bundled DejaVu fonts only: without font files resvg silently drops all text. */
export function svgToPng(svg: string, opts: PngOptions = {}): Buffer {
  const scale = opts.scale ?? 2;
  if (!(scale > 0 && Number.isFinite(scale)))
    throw new Error(`svgToPng: scale must be a positive number, got ${scale}; fix: pass e.g. { scale: 2 }`);
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: { fontFiles: fontFiles(), loadSystemFonts: false, defaultFontFamily: FONT, sansSerifFamily: FONT },
  });
  return resvg.render().asPng();
}

export interface ChartFiles {
  svg: string;
  png: string;
  json: string;
}

/**
 * A file whole or not at all (temp + rename): a full disk leaves no truncated PNG; the error names the file.
 * `write` lets a caller (the experiments app) use its own atomic writer and messages.
 */
function writeWhole(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    const code = (e as NodeJS.ErrnoException).code;
    const cause =
      code === 'ENOSPC'
        ? 'disk full (ENOSPC)'
        : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
          ? `permission denied (read-only?) (${code})`
          : (e as Error).message;
    throw Object.assign(new Error(`cannot write ${file}: ${cause}`, { cause: e }), { code, path: file });
  }
}

export interface ChartOptions extends PngOptions {
  /** how each file is written; default: temp file + rename */
  write?: (file: string, data: string | Uint8Array) => void;
}

/** Write <outBase>.svg, <outBase>.png and the themed spec as <outBase>.vl.json (renders the same in the Vega editor). */
export async function writeChart(spec: VegaLiteSpec, outBase: string, opts: ChartOptions = {}): Promise<ChartFiles> {
  const files: ChartFiles = { svg: `${outBase}.svg`, png: `${outBase}.png`, json: `${outBase}.vl.json` };
  const svg = await renderSvg(spec);
  const write = opts.write ?? writeWhole;
  fs.mkdirSync(path.dirname(path.resolve(outBase)), { recursive: true });
  write(files.svg, svg);
  write(files.png, svgToPng(svg, opts));
  write(files.json, JSON.stringify(withTheme(spec), null, 2) + '\n');
  return files;
}
