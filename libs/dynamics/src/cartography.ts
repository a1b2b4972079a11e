// Dataset cartography (Swayamdipta et al. 2020), pooled over all epochs x runs: the ambiguity baseline of
// method.md section 3 keeps the examples of highest variability.

export interface Cartography {
  /** mean gold-label probability */
  confidence: Float32Array;
  /** population std of the gold-label probability (the ambiguity score) */
  variability: Float32Array;
  /** fraction of (run, epoch) pairs where the example was correct */
  correctness: Float32Array;
}

/**
 * goldProb[r][e][i] and correct[r][e][i] for runs r and epochs e. With T = the number of (r, e) pairs:
 *   confidence(i)  = mu = (1/T) sum_{r,e} p[r][e][i]
 *   variability(i) = sqrt( (1/T) sum_{r,e} (p[r][e][i] - mu)^2 )   (population std: divide by T, not T - 1)
 *   correctness(i) = (1/T) sum_{r,e} correct[r][e][i]
 */
export function cartography(goldProb: Float32Array[][], correct: Uint8Array[][]): Cartography {
  if (goldProb.length === 0) throw new Error('cartography: no runs given; pass goldProb[run][epoch] from readRunRecord of each run');
  if (correct.length !== goldProb.length) throw new Error(`cartography: ${goldProb.length} goldProb runs but ${correct.length} correct runs; pass both from the same records`);
  const n = goldProb[0]![0]?.length ?? 0;
  const p: Float32Array[] = [];
  const c: Uint8Array[] = [];
  goldProb.forEach((run, r) => {
    const cr = correct[r]!;
    if (run.length !== cr.length) throw new Error(`cartography: run ${r} has ${run.length} goldProb epochs but ${cr.length} correct epochs; pass both from the same record`);
    run.forEach((a, e) => {
      const b = cr[e]!;
      if (a.length !== n || b.length !== n) throw new Error(`cartography: run ${r} epoch ${e} has ${a.length} probabilities and ${b.length} correctness values, expected ${n}; all records must cover the same ids`);
      p.push(a);
      c.push(b);
    });
  });
  const T = p.length;
  if (T === 0) throw new Error('cartography: the runs hold no epochs; record at least one epoch');
  const confidence = new Float32Array(n);
  const variability = new Float32Array(n);
  const correctness = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    let hits = 0;
    for (let t = 0; t < T; t++) { sum += p[t]![i]!; hits += c[t]![i] ? 1 : 0; }
    const mu = sum / T;
    let sq = 0; // two-pass variance: no catastrophic cancellation
    for (let t = 0; t < T; t++) { const d = p[t]![i]! - mu; sq += d * d; }
    confidence[i] = mu;
    variability[i] = Math.sqrt(sq / T);
    correctness[i] = hits / T;
  }
  return { confidence, variability, correctness };
}
