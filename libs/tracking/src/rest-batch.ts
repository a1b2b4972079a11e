// runs/log-batch limits enforced by the server (2.10.2): at most 1000 metrics, 100 params and 100
// tags, 1000 entities in all, per request. The documented 1 MB body limit is not enforced, but a
// proxy in front may be: we keep every request under it too.
import type { Batch, KeyValue, WireMetric } from './rest-types.ts';

export const MAX_BATCH_METRICS = 1000;
export const MAX_BATCH_PARAMS = 100;
export const MAX_BATCH_TAGS = 100;
export const MAX_BATCH_ENTITIES = 1000;
export const MAX_BATCH_BYTES = 900_000;

export interface BatchLimits {
  metrics: number;
  params: number;
  tags: number;
  entities: number;
  bytes: number;
}

export const BATCH_LIMITS: BatchLimits = {
  metrics: MAX_BATCH_METRICS,
  params: MAX_BATCH_PARAMS,
  tags: MAX_BATCH_TAGS,
  entities: MAX_BATCH_ENTITIES,
  bytes: MAX_BATCH_BYTES,
};

const ENVELOPE_BYTES = 200; // run_id and the three array names

/**
 * Split a batch into requests within the limits, greedily, params first, then tags, then metrics,
 * each in the given order. Deterministic: the journal replay relies on the same input giving the
 * same chunks.
 */
export function splitBatch(batch: Batch, limits: BatchLimits = BATCH_LIMITS): Batch[] {
  const items: ({ kind: 'params' | 'tags'; item: KeyValue } | { kind: 'metrics'; item: WireMetric })[] = [
    ...batch.params.map((item) => ({ kind: 'params' as const, item })),
    ...batch.tags.map((item) => ({ kind: 'tags' as const, item })),
    ...batch.metrics.map((item) => ({ kind: 'metrics' as const, item })),
  ];
  const chunks: Batch[] = [];
  let cur: Batch = { metrics: [], params: [], tags: [] };
  let bytes = ENVELOPE_BYTES;
  let count = 0;
  const flush = (): void => {
    if (count > 0) chunks.push(cur);
    cur = { metrics: [], params: [], tags: [] };
    bytes = ENVELOPE_BYTES;
    count = 0;
  };
  for (const { kind, item } of items) {
    const size = Buffer.byteLength(JSON.stringify(item)) + 1;
    if (ENVELOPE_BYTES + size > limits.bytes) {
      throw new Error(
        `log-batch: ${kind.slice(0, -1)} '${item.key}' alone is ${size} bytes, over the ${limits.bytes}-byte request ` +
          `budget; store it as an artifact`,
      );
    }
    const full =
      count >= limits.entities ||
      cur[kind].length >= limits[kind] ||
      bytes + size > limits.bytes ||
      // a param key twice in one request is rejected: the second goes to the next request
      (kind === 'params' && cur.params.some((p) => p.key === item.key));
    if (full) flush();
    (cur[kind] as unknown[]).push(item);
    bytes += size;
    count++;
  }
  flush();
  return chunks;
}

/** Entities in a batch. */
export function batchSize(b: Batch): number {
  return b.metrics.length + b.params.length + b.tags.length;
}
