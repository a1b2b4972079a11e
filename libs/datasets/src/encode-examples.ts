// Classification and regression examples (single sentences and pairs) to flat typed arrays.
import type { EncodedSet } from '@prunelab/core';
import type { Tokenizer } from '@prunelab/tokenizers';
import type { Example } from './types.ts';

/** Row-major n x maxLength (labels: class ids, -1 for unlabelled rows), with the example ids. */
export interface EncodedClassification extends EncodedSet {
  ids: string[];
  /** Regression targets (STS-B scores); present instead of meaningful `labels` for regression tasks. */
  scores?: Float32Array;
}

/** Tokenises a whole split into flat typed arrays, ready to become [n, maxLength] tensors. */
export function encodeExamples(
  tok: Tokenizer,
  examples: Example[],
  maxLength: number,
  opts: { regression?: boolean } = {},
): EncodedClassification {
  const n = examples.length;
  const inputIds = new Int32Array(n * maxLength);
  const attentionMask = new Int32Array(n * maxLength);
  const tokenTypeIds = new Int32Array(n * maxLength);
  const labels = new Int32Array(n);
  const scores = opts.regression ? new Float32Array(n) : undefined;
  examples.forEach((ex, i) => {
    const enc = tok.encode(ex.text, ex.textB, { maxLength, truncation: 'longest_first', padding: 'max_length' });
    if (enc.inputIds.length > maxLength)
      throw new Error(
        `tokenizer returned ${enc.inputIds.length} ids for example ${ex.id}, more than maxLength ${maxLength}`,
      );
    inputIds.set(enc.inputIds, i * maxLength);
    attentionMask.set(enc.attentionMask, i * maxLength);
    tokenTypeIds.set(enc.tokenTypeIds, i * maxLength);
    if (scores) {
      scores[i] = ex.label;
      labels[i] = -1;
    } else labels[i] = ex.label;
  });
  const out: EncodedClassification = {
    inputIds,
    attentionMask,
    tokenTypeIds,
    labels,
    n,
    maxLength,
    ids: examples.map((e) => e.id),
  };
  if (scores) out.scores = scores;
  return out;
}
