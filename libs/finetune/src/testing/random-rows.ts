// Token rows for the family and feature tests: random ids 3..vocab-1 of lengths T, T-2, T-3 in turn (mask 1), then
// the family's pad id (mask 0), from a splitmix32 stream of `seed`.
import { splitmix32 } from '@prunelab/core';
import type { ModelConfig } from '../model-config.ts';

export function randomRows(
  c: ModelConfig,
  rows: number,
  T: number,
  seed: number,
): { ids: Int32Array; mask: Int32Array } {
  const rnd = splitmix32(seed);
  const ids = new Int32Array(rows * T);
  const mask = new Int32Array(rows * T);
  const pad = (c as { pad_token_id?: number }).pad_token_id ?? 0;
  for (let r = 0; r < rows; r++) {
    const len = T - [0, 2, 3][r % 3]!;
    for (let t = 0; t < T; t++) {
      mask[r * T + t] = t < len ? 1 : 0;
      ids[r * T + t] = t < len ? 3 + Math.floor(rnd() * (c.vocab_size - 3)) : pad;
    }
  }
  return { ids, mask };
}
