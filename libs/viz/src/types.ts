import type { TopLevelSpec } from 'vega-lite';

/** A complete Vega-Lite chart (data inlined), the unit every function here takes. */
export type VegaLiteSpec = TopLevelSpec;
