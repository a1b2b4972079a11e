import type { Example } from './types.ts';
import type { WordPieceTokenizer } from './wordpiece.ts';

export interface EncodedExamples {
  /** Row-major n x maxLength. */
  inputIds: Int32Array;
  attentionMask: Int32Array;
  tokenTypeIds: Int32Array;
  labels: Int32Array;
  n: number;
  maxLength: number;
}

/** Tokenises a whole split into flat typed arrays, ready to become [n, maxLength] tensors. */
export function encodeExamples(tok: WordPieceTokenizer, examples: Example[], maxLength: number): EncodedExamples {
  const n = examples.length;
  const inputIds = new Int32Array(n * maxLength);
  const attentionMask = new Int32Array(n * maxLength);
  const tokenTypeIds = new Int32Array(n * maxLength);
  const labels = new Int32Array(n);
  examples.forEach((ex, i) => {
    const enc = tok.encode(ex.text, ex.textB, maxLength);
    inputIds.set(enc.inputIds, i * maxLength);
    attentionMask.set(enc.attentionMask, i * maxLength);
    tokenTypeIds.set(enc.tokenTypeIds, i * maxLength);
    labels[i] = ex.label;
  });
  return { inputIds, attentionMask, tokenTypeIds, labels, n, maxLength };
}
