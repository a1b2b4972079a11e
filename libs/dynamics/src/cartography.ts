// Dataset cartography (Swayamdipta et al. 2020), pooled over all epochs x runs: the ambiguity baseline of
// method.md section 3 keeps the examples of highest variability. The data map's regions: ambiguous = high
// variability; easy-to-learn = high confidence, low variability; hard-to-learn = low confidence, low variability.
// Since p is in [0, 1], variability <= sqrt(confidence * (1 - confidence)): the extremes of confidence are
// automatically the low-variability corners, so ranking by confidence alone finds the easy and hard regions.

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
  if (goldProb.length === 0)
    throw new Error('cartography: no runs given; pass goldProb[run][epoch] from readRunRecord of each run');
  if (correct.length !== goldProb.length)
    throw new Error(
      `cartography: ${goldProb.length} goldProb runs but ${correct.length} correct runs; pass both from the same ` +
        `records`,
    );
  const n = goldProb[0]![0]?.length ?? 0;
  const p: Float32Array[] = [];
  const c: Uint8Array[] = [];
  goldProb.forEach((run, r) => {
    const cr = correct[r]!;
    if (run.length !== cr.length)
      throw new Error(
        `cartography: run ${r} has ${run.length} goldProb epochs but ${cr.length} correct epochs; pass both from the ` +
          `same record`,
      );
    run.forEach((a, e) => {
      const b = cr[e]!;
      if (a.length !== n || b.length !== n)
        throw new Error(
          `cartography: run ${r} epoch ${e} has ${a.length} probabilities and ${b.length} correctness values, ` +
            `expected ${n}; all records must cover the same ids`,
        );
      p.push(a);
      c.push(b);
    });
  });
  const T = p.length;
  if (T === 0) throw new Error('cartography: the runs hold no epochs; record at least one epoch');
  // Blocks of examples, epoch-major inside a block: the accumulators stay in L1 cache and every input array is
  // read once, in order (no per-example objects). The variance is accumulated around the first value (d = p - p0):
  // one pass, exactly 0 for a constant sequence, and no cancellation since |d| <= 1 in float64.
  const confidence = new Float32Array(n);
  const variability = new Float32Array(n);
  const correctness = new Float32Array(n);
  const B = 4096;
  const s1 = new Float64Array(B);
  const s2 = new Float64Array(B);
  const hits = new Uint32Array(B);
  for (let i0 = 0; i0 < n; i0 += B) {
    const m = Math.min(B, n - i0);
    const p0 = p[0]!.subarray(i0, i0 + m);
    s1.fill(0);
    s2.fill(0);
    hits.fill(0);
    let t = 0;
    for (; t + 3 <= T; t += 3) {
      // three (run, epoch) arrays per sweep: a third of the accumulator traffic
      const pa = p[t]!.subarray(i0, i0 + m);
      const pb = p[t + 1]!.subarray(i0, i0 + m);
      const pc = p[t + 2]!.subarray(i0, i0 + m);
      const ca = c[t]!.subarray(i0, i0 + m);
      const cb = c[t + 1]!.subarray(i0, i0 + m);
      const cc = c[t + 2]!.subarray(i0, i0 + m);
      for (let j = 0; j < m; j++) {
        const z = p0[j]!;
        const a = pa[j]! - z;
        const b = pb[j]! - z;
        const d = pc[j]! - z;
        s1[j]! += a + b + d;
        s2[j]! += a * a + b * b + d * d;
        hits[j]! += ((ca[j]! + 255) >> 8) + ((cb[j]! + 255) >> 8) + ((cc[j]! + 255) >> 8); // 1 iff the byte is not 0, no branch
      }
    }
    for (; t < T; t++) {
      const pt = p[t]!.subarray(i0, i0 + m);
      const ct = c[t]!.subarray(i0, i0 + m);
      for (let j = 0; j < m; j++) {
        const d = pt[j]! - p0[j]!;
        s1[j]! += d;
        s2[j]! += d * d;
        hits[j]! += (ct[j]! + 255) >> 8;
      }
    }
    for (let j = 0; j < m; j++) {
      const md = s1[j]! / T;
      confidence[i0 + j] = p0[j]! + md;
      variability[i0 + j] = Math.sqrt(Math.max(0, s2[j]! / T - md * md));
      correctness[i0 + j] = hits[j]! / T;
    }
  }
  return { confidence, variability, correctness };
}
