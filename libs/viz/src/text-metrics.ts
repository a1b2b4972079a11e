import fs from 'node:fs';
import * as vega from 'vega';
import { fontFiles } from './fonts.ts';

// Without a canvas, vega guesses every glyph to be 0.8 em wide, which pads charts with empty space
// and misplaces right-aligned text. We measure with the advance widths of the very DejaVu files
// resvg draws with, the same hook vl-convert uses (vega's textMetrics.width). Kerning is ignored
// (a percent or two); the total is what layout needs.

interface Face {
  unitsPerEm: number;
  advance: (codePoint: number) => number;
}

/** Advance widths of a TrueType font: cmap format 4 (the Basic Multilingual Plane) + hmtx. */
export function readFace(file: string): Face {
  const b = fs.readFileSync(file);
  const tables = new Map<string, number>();
  const numTables = b.readUInt16BE(4);
  for (let i = 0; i < numTables; i++) {
    const at = 12 + 16 * i;
    tables.set(b.toString('latin1', at, at + 4), b.readUInt32BE(at + 8));
  }
  const table = (tag: string): number => {
    const at = tables.get(tag);
    if (at === undefined) throw new Error(`${file}: TrueType table '${tag}' missing; fix: use a complete .ttf font`);
    return at;
  };
  const unitsPerEm = b.readUInt16BE(table('head') + 18);
  const numHMetrics = b.readUInt16BE(table('hhea') + 34);
  const hmtx = table('hmtx');
  const glyphAdvance = (g: number): number => b.readUInt16BE(hmtx + 4 * Math.min(g, numHMetrics - 1));

  const cmap = table('cmap');
  let sub = -1;
  for (let i = 0; i < b.readUInt16BE(cmap + 2); i++) {
    const rec = cmap + 4 + 8 * i;
    const platform = b.readUInt16BE(rec);
    const encoding = b.readUInt16BE(rec + 2);
    const at = cmap + b.readUInt32BE(rec + 4);
    if (platform === 3 && encoding === 1 && b.readUInt16BE(at) === 4) sub = at;
  }
  if (sub < 0) throw new Error(`${file}: no Unicode BMP (format 4) cmap; fix: use a standard .ttf font`);
  const segCount = b.readUInt16BE(sub + 6) / 2;
  const ends = sub + 14;
  const starts = ends + 2 * segCount + 2;
  const deltas = starts + 2 * segCount;
  const rangeOffsets = deltas + 2 * segCount;
  const glyphOf = (cp: number): number => {
    for (let s = 0; s < segCount; s++) {
      if (cp > b.readUInt16BE(ends + 2 * s)) continue;
      const start = b.readUInt16BE(starts + 2 * s);
      if (cp < start) return 0;
      const delta = b.readUInt16BE(deltas + 2 * s);
      const ro = b.readUInt16BE(rangeOffsets + 2 * s);
      if (ro === 0) return (cp + delta) & 0xffff;
      const g = b.readUInt16BE(rangeOffsets + 2 * s + ro + 2 * (cp - start));
      return g === 0 ? 0 : (g + delta) & 0xffff;
    }
    return 0;
  };
  const cache = new Map<number, number>();
  const advance = (cp: number): number => {
    let w = cache.get(cp);
    if (w === undefined) cache.set(cp, (w = cp > 0xffff ? unitsPerEm * 0.6 : glyphAdvance(glyphOf(cp))));
    return w;
  };
  return { unitsPerEm, advance };
}

let faces: { regular: Face; bold: Face } | undefined;

/** Width in px of one line of text in DejaVu Sans. */
export function measureText(text: string, fontSize: number, bold = false): number {
  faces ??= { regular: readFace(fontFiles()[0]!), bold: readFace(fontFiles()[1]!) };
  const face = bold ? faces.bold : faces.regular;
  let units = 0;
  for (const ch of text) units += face.advance(ch.codePointAt(0)!);
  return (units / face.unitsPerEm) * fontSize;
}

interface TextItem {
  fontSize?: number | string;
  fontWeight?: number | string;
}

let installed = false;

/** Point vega's text layout at measureText (idempotent; process-wide, as vega keeps one metrics object). */
export function installTextMetrics(): void {
  if (installed) return;
  const metrics = (vega as unknown as { textMetrics: { width: (item: TextItem, text: unknown) => number } })
    .textMetrics;
  metrics.width = (item, text) => {
    const size = item.fontSize != null ? Number(item.fontSize) || 0 : 11;
    const w = item.fontWeight;
    const bold = w === 'bold' || w === 'bolder' || Number(w) >= 600;
    return measureText(text == null ? '' : String(text).trim(), size, bold);
  };
  installed = true;
}
