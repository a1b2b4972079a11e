// A tokenised data set as every lib passes it: row-major int arrays, one row of maxLength per example
// (multiple choice: numChoices rows per example). Tokenizers and datasets produce it, the engine consumes it.

export interface EncodedSet {
  inputIds: Int32Array;
  attentionMask: Int32Array;
  /** Zeros for models without token types (RoBERTa, OPT). */
  tokenTypeIds: Int32Array;
  /** Class per example (classification), the right choice (multiple choice), a class for balanced baselines
   * only (regression: the rounded score; QA: answerable in its window or not). -1: unlabelled. */
  labels: Int32Array;
  n: number;
  maxLength: number;
  /** Multiple choice: each example is numChoices consecutive rows of maxLength ([n, numChoices, maxLength]). */
  numChoices?: number;
  /** Question answering: answer start/end token per example (HF puts unanswerable questions at 0, the CLS token). */
  startPositions?: Int32Array;
  endPositions?: Int32Array;
  /** Regression (a seqcls head with one output, HF problem_type "regression"): the float target per example. */
  targets?: Float32Array;
}

/** Rows per example: numChoices for multiple choice, else 1. */
export function rowsPerExample(data: EncodedSet): number {
  return data.numChoices ?? 1;
}

/** Examples of `data` (in the order given) as a new encoded set; a multiple-choice example is numChoices rows. */
export function selectRows(data: EncodedSet, rows: ArrayLike<number>): EncodedSet {
  const L = data.maxLength * rowsPerExample(data);
  const n = rows.length;
  const pick = (src: Int32Array, width: number) => {
    const out = new Int32Array(n * width);
    for (let i = 0; i < n; i++) out.set(src.subarray(rows[i]! * width, (rows[i]! + 1) * width), i * width);
    return out;
  };
  return {
    inputIds: pick(data.inputIds, L),
    attentionMask: pick(data.attentionMask, L),
    tokenTypeIds: pick(data.tokenTypeIds, L),
    labels: pick(data.labels, 1),
    n,
    maxLength: data.maxLength,
    ...(data.numChoices !== undefined && { numChoices: data.numChoices }),
    ...(data.startPositions && { startPositions: pick(data.startPositions, 1) }),
    ...(data.endPositions && { endPositions: pick(data.endPositions, 1) }),
    ...(data.targets && { targets: Float32Array.from({ length: n }, (_, i) => data.targets![rows[i]!]!) }),
  };
}
