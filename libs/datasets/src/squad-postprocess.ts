// Start/end logits of every window back to one answer text per question (HF's
// postprocess_qa_predictions with version_2_with_negative): the n-best start and end positions of
// each window are paired (context tokens only, end >= start, at most maxAnswerLength tokens), the
// best span over all windows competes with the smallest null score ([CLS] start + end) over the
// windows, and the answer is "" when null - best > nullScoreDiffThreshold.
import type { SquadFeature } from './squad-prepare.ts';
import type { QaExample } from './types.ts';

export interface SquadPostprocessOptions {
  nBest?: number;
  maxAnswerLength?: number;
  nullScoreDiffThreshold?: number;
}

export interface SquadPrediction {
  text: string;
  /** Best span score (start + end logit); -Infinity when no valid span exists. */
  bestScore: number;
  /** Smallest [CLS] score over the question's windows. */
  nullScore: number;
}

/** Indices of the `k` largest values, largest first (ties: lower index first). */
function topK(values: ArrayLike<number>, k: number): number[] {
  const idx = Array.from({ length: values.length }, (_, i) => i);
  idx.sort((a, b) => (values[b] as number) - (values[a] as number) || a - b);
  return idx.slice(0, k);
}

/**
 * `startLogits[i]` / `endLogits[i]` belong to `features[i]`. Returns question id -> prediction;
 * `predictions` maps id -> text for squadV2Metrics.
 */
export function postprocessSquad(
  examples: QaExample[],
  features: SquadFeature[],
  startLogits: ArrayLike<number>[],
  endLogits: ArrayLike<number>[],
  opts: SquadPostprocessOptions = {},
): { predictions: Map<string, string>; details: Map<string, SquadPrediction> } {
  if (startLogits.length !== features.length || endLogits.length !== features.length) {
    throw new Error(
      `postprocessSquad: ${features.length} features but ${startLogits.length} start and ${endLogits.length} end ` +
        `logit rows`,
    );
  }
  const nBest = opts.nBest ?? 20;
  const maxLen = opts.maxAnswerLength ?? 30;
  const threshold = opts.nullScoreDiffThreshold ?? 0;
  const byExample = new Map<number, number[]>();
  features.forEach((f, i) => {
    const list = byExample.get(f.exampleIndex) ?? [];
    list.push(i);
    byExample.set(f.exampleIndex, list);
  });
  const predictions = new Map<string, string>();
  const details = new Map<string, SquadPrediction>();
  examples.forEach((ex, exampleIndex) => {
    const feats = byExample.get(exampleIndex) ?? [];
    if (feats.length === 0) throw new Error(`postprocessSquad: example ${ex.id} has no features`);
    let nullScore = Infinity;
    let best = { score: -Infinity, start: 0, end: 0 };
    for (const fi of feats) {
      const f = features[fi] as SquadFeature;
      const sl = startLogits[fi] as ArrayLike<number>;
      const el = endLogits[fi] as ArrayLike<number>;
      const fNull = (sl[0] as number) + (el[0] as number);
      if (fNull < nullScore) nullScore = fNull;
      for (const s of topK(sl, nBest)) {
        const so = f.offsets[s];
        if (!so) continue;
        for (const e of topK(el, nBest)) {
          const eo = f.offsets[e];
          if (!eo || e < s || e - s + 1 > maxLen) continue;
          const score = (sl[s] as number) + (el[e] as number);
          if (score > best.score) best = { score, start: so[0], end: eo[1] };
        }
      }
    }
    const spanText = best.score === -Infinity ? '' : ex.context.slice(best.start, best.end);
    // No valid span, or the null answer wins by more than the threshold: predict "no answer".
    const text = spanText === '' || nullScore - best.score > threshold ? '' : spanText;
    predictions.set(ex.id, text);
    details.set(ex.id, { text, bestScore: best.score, nullScore });
  });
  return { predictions, details };
}
