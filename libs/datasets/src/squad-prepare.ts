// SQuAD v2 sliding-window preparation (as Hugging Face's run_qa does): question first, context
// second, only the context is split into windows of maxLength tokens that overlap by `stride` tokens.
// Answer characters map to tokens through the tokenizer's offsets; an unanswerable question, or an
// answer not wholly inside a window, points at token 0 ([CLS] / <s>) in that window.
import type { Tokenizer } from '@prunelab/tokenizers';
import type { QaExample } from './types.ts';

export interface SquadPrepareOptions {
  /** Tokens per window including special tokens (384 as in BERT/HF). */
  maxLength?: number;
  /** Tokens shared by consecutive windows (HF's `stride`, 128). */
  stride?: number;
  /** Questions longer than this many tokens are cut (BERT's run_squad uses 64). */
  maxQueryLength?: number;
}

export interface SquadFeature {
  /** Index of the example in the prepared list, and its id. */
  exampleIndex: number;
  exampleId: string;
  inputIds: number[];
  attentionMask: number[];
  tokenTypeIds: number[];
  /** Character span in the context of each position; null for question, special and pad tokens. */
  offsets: Array<[number, number] | null>;
  /** Gold token span (both 0 when unanswerable or out of this window). */
  startPosition: number;
  endPosition: number;
}

export const SQUAD_DEFAULTS = { maxLength: 384, stride: 128, maxQueryLength: 64 } as const;

export function prepareSquadFeatures(
  tok: Tokenizer,
  examples: QaExample[],
  opts: SquadPrepareOptions = {},
): SquadFeature[] {
  const features: SquadFeature[] = [];
  forEachSquadFeature(tok, examples, opts, (f) => features.push(f));
  return features;
}

/** The same windows one at a time, so a large split can be packed without holding every feature object. */
export function forEachSquadFeature(
  tok: Tokenizer,
  examples: QaExample[],
  opts: SquadPrepareOptions,
  visit: (f: SquadFeature) => void,
): void {
  const maxLength = opts.maxLength ?? SQUAD_DEFAULTS.maxLength;
  const stride = opts.stride ?? SQUAD_DEFAULTS.stride;
  const maxQuery = opts.maxQueryLength ?? SQUAD_DEFAULTS.maxQueryLength;
  const special = tok.numSpecialTokens(true);
  examples.forEach((ex, exampleIndex) => {
    // HF strips leading spaces of questions: some SQuAD questions start with many blanks.
    const qIds = tok.pieces(ex.question.trimStart()).ids.slice(0, maxQuery);
    const ctx = tok.pieces(ex.context);
    const room = maxLength - qIds.length - special;
    if (room <= stride) {
      throw new Error(
        `SQuAD example ${ex.id}: a ${maxLength}-token window leaves ${room} context tokens after the ` +
          `${qIds.length}-token question, ` +
          `not more than the stride ${stride}; raise maxLength or lower stride/maxQueryLength`,
      );
    }
    const n = ctx.ids.length;
    const answer = ex.answers[0];
    const startChar = answer?.start ?? -1;
    const endChar = answer ? answer.start + answer.text.length : -1;
    for (let s = 0; ; s += room - stride) {
      const e = Math.min(s + room, n);
      const w = tok.withSpecialTokens(qIds, ctx.ids.slice(s, e));
      const offsets: Array<[number, number] | null> = [];
      let k = s;
      let firstCtx = -1;
      w.sequenceIds.forEach((sid, pos) => {
        if (sid === 1) {
          if (firstCtx < 0) firstCtx = pos;
          offsets.push(ctx.offsets[k++] as [number, number]);
        } else offsets.push(null);
      });
      let startPosition = 0;
      let endPosition = 0;
      if (answer && e > s) {
        const first = ctx.offsets[s] as [number, number];
        const last = ctx.offsets[e - 1] as [number, number];
        if (first[0] <= startChar && last[1] >= endChar) {
          // Start: the last token starting at or before the answer; end: the first token ending at or after it.
          let ts = s;
          while (ts + 1 < e && (ctx.offsets[ts + 1] as [number, number])[0] <= startChar) ts++;
          let te = e - 1;
          while (te - 1 >= ts && (ctx.offsets[te - 1] as [number, number])[1] >= endChar) te--;
          startPosition = firstCtx + (ts - s);
          endPosition = firstCtx + (te - s);
        }
      }
      const len = w.inputIds.length;
      const pad = maxLength - len;
      visit({
        exampleIndex,
        exampleId: ex.id,
        inputIds: [...w.inputIds, ...new Array<number>(pad).fill(tok.padId)],
        attentionMask: [...new Array<number>(len).fill(1), ...new Array<number>(pad).fill(0)],
        tokenTypeIds: [...w.tokenTypeIds, ...new Array<number>(pad).fill(0)],
        offsets: [...offsets, ...new Array<null>(pad).fill(null)],
        startPosition,
        endPosition,
      });
      if (e >= n) break;
    }
  });
}

/** Flat row-major arrays of the features, ready to become [nFeatures, maxLength] tensors. */
export function packSquadFeatures(
  features: SquadFeature[],
  maxLength: number,
): {
  inputIds: Int32Array;
  attentionMask: Int32Array;
  tokenTypeIds: Int32Array;
  startPositions: Int32Array;
  endPositions: Int32Array;
  n: number;
} {
  const n = features.length;
  const inputIds = new Int32Array(n * maxLength);
  const attentionMask = new Int32Array(n * maxLength);
  const tokenTypeIds = new Int32Array(n * maxLength);
  const startPositions = new Int32Array(n);
  const endPositions = new Int32Array(n);
  features.forEach((f, i) => {
    inputIds.set(f.inputIds, i * maxLength);
    attentionMask.set(f.attentionMask, i * maxLength);
    tokenTypeIds.set(f.tokenTypeIds, i * maxLength);
    startPositions[i] = f.startPosition;
    endPositions[i] = f.endPosition;
  });
  return { inputIds, attentionMask, tokenTypeIds, startPositions, endPositions, n };
}
