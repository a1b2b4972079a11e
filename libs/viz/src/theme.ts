import type { Config } from 'vega-lite';
import type { VegaLiteSpec } from './types.ts';

/** The one font of every chart: resvg is given exactly these files, so SVG viewers and PNGs agree. */
export const FONT = 'DejaVu Sans';

/** Okabe-Ito: distinguishable under the common colour-vision deficiencies and in greyscale print. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'];

export const INK = '#222222';
export const MUTED = '#666666';

/** Readable at paper-figure size: 11-12 px labels, 15 px title, light grid, no chart border. */
export const THEME: Config = {
  font: FONT,
  background: 'white',
  padding: 12,
  view: { stroke: null },
  title: {
    font: FONT,
    fontSize: 15,
    fontWeight: 'bold',
    color: INK,
    anchor: 'start',
    subtitleFont: FONT,
    subtitleFontSize: 12,
    subtitleColor: MUTED,
    offset: 10,
  },
  axis: {
    labelFont: FONT,
    titleFont: FONT,
    labelFontSize: 11,
    titleFontSize: 12,
    titleFontWeight: 'normal',
    labelColor: INK,
    titleColor: INK,
    domainColor: '#888888',
    tickColor: '#888888',
    gridColor: '#e6e6e6',
  },
  legend: {
    labelFont: FONT,
    titleFont: FONT,
    labelFontSize: 11,
    titleFontSize: 12,
    titleFontWeight: 'normal',
    labelColor: INK,
    titleColor: INK,
  },
  header: { labelFont: FONT, titleFont: FONT },
  mark: { font: FONT },
  text: { font: FONT, fontSize: 11, color: INK },
  range: { category: PALETTE },
};

/** The spec with THEME as its config; settings the spec makes itself win (one level deep merge). */
export function withTheme(spec: VegaLiteSpec): VegaLiteSpec {
  const own = (spec.config ?? {}) as Record<string, unknown>;
  const config: Record<string, unknown> = { ...THEME };
  for (const [key, value] of Object.entries(own)) {
    const base = config[key];
    config[key] = isPlainObject(base) && isPlainObject(value) ? { ...base, ...value } : value;
  }
  return { ...spec, config: config as Config } as VegaLiteSpec;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
