// Score-ranked baselines: the ambiguous subset of dataset cartography keeps the k most variable examples.

/** The k ids with the highest ('desc') or lowest ('asc') score, in rank order; ties broken by id (ascending). */
export function topK(ids: string[], score: ArrayLike<number>, k: number, order: 'desc' | 'asc'): string[] {
  if (ids.length !== score.length) throw new Error(`topK: ${ids.length} ids but ${score.length} scores; pass one score per id`);
  if (!Number.isInteger(k) || k < 0 || k > ids.length) throw new Error(`topK: k = ${k} is out of range; choose an integer in 0..${ids.length}`);
  const idx = Array.from(ids, (_, i) => i);
  for (const i of idx) if (Number.isNaN(score[i]!)) throw new Error(`topK: the score of id "${ids[i]}" is NaN; fix the score computation`);
  const sign = order === 'desc' ? -1 : 1;
  idx.sort((a, b) => {
    const d = sign * (score[a]! - score[b]!);
    if (d !== 0) return d;
    const ia = ids[a]!;
    const ib = ids[b]!;
    return ia < ib ? -1 : ia > ib ? 1 : 0;
  });
  return idx.slice(0, k).map((i) => ids[i]!);
}

/** Swayamdipta et al. 2020: the k examples of highest variability (std of the gold-label probability). */
export function ambiguousSubset(ids: string[], variability: ArrayLike<number>, k: number): string[] {
  return topK(ids, variability, k, 'desc');
}
