// The H-score (method.md section 2): H(i) = sum over runs r of prod over epochs e of correct[r][e][i],
// i.e. the number of runs in which example i was classified correctly at EVERY epoch. H is in 0..R.

export interface HScoreOptions {
  /** use only the first runsUsed runs (ablation knob, 1..R); default all runs */
  runsUsed?: number;
  /** use only the first epochsUsed epochs of each run (ablation knob, 1..E); default all epochs */
  epochsUsed?: number;
}

/** `correct[r][e]` holds run r's epoch-e correctness (0/1) for every example, all in the same id order. */
export function hScore(correct: Uint8Array[][], opts: HScoreOptions = {}): Uint8Array {
  const R = correct.length;
  if (R === 0)
    throw new Error('hScore: no runs given; pass correct[run][epoch] from readRunRecord of each phase-1 run');
  if (R > 255) throw new Error(`hScore: ${R} runs; H is stored as a byte, so at most 255 runs are supported`);
  const runsUsed = opts.runsUsed ?? R;
  if (!Number.isInteger(runsUsed) || runsUsed < 1 || runsUsed > R) {
    throw new Error(`hScore: runsUsed = ${runsUsed} but ${R} runs were given; choose an integer in 1..${R}`);
  }
  const epochCounts = correct.slice(0, runsUsed).map((run) => run.length);
  const minE = Math.min(...epochCounts);
  let epochsUsed = opts.epochsUsed;
  if (epochsUsed === undefined) {
    if (epochCounts.some((e) => e !== minE)) {
      throw new Error(
        `hScore: runs have different epoch counts (${epochCounts.join(', ')}); finish the short runs or pass ` +
          `epochsUsed <= ${minE}`,
      );
    }
    epochsUsed = minE;
  }
  if (!Number.isInteger(epochsUsed) || epochsUsed < 1 || epochsUsed > minE) {
    throw new Error(
      `hScore: epochsUsed = ${epochsUsed} but the shortest used run has ${minE} epochs; choose an integer in ` +
        `1..${minE}`,
    );
  }
  const n = correct[0]![0]?.length ?? 0;
  for (let r = 0; r < runsUsed; r++) {
    for (let e = 0; e < epochsUsed; e++) {
      const len = correct[r]![e]!.length;
      if (len !== n)
        throw new Error(
          `hScore: run ${r} epoch ${e} has ${len} examples but run 0 epoch 0 has ${n}; all records must cover the ` +
            `same ids`,
        );
    }
  }
  const h = new Uint8Array(n);
  for (let r = 0; r < runsUsed; r++) {
    const run = correct[r]!.slice(0, epochsUsed);
    if (epochsUsed === 3) {
      // the paper's E = 3, unrolled: one pass over three arrays
      const [a, b, c] = run as [Uint8Array, Uint8Array, Uint8Array];
      for (let i = 0; i < n; i++) h[i]! += ((a[i]! + 255) >> 8) & ((b[i]! + 255) >> 8) & ((c[i]! + 255) >> 8); // no branch: 1 iff all three bytes are not 0
      continue;
    }
    for (let i = 0; i < n; i++) {
      let all = 1;
      for (let e = 0; e < epochsUsed && all; e++) all = run[e]![i] ? 1 : 0;
      h[i]! += all;
    }
  }
  return h;
}

/** counts[v] = number of examples with H = v, for v in 0..R. */
export function hHistogram(h: ArrayLike<number>, R: number): number[] {
  if (!Number.isInteger(R) || R < 0)
    throw new Error(`hHistogram: R = ${R}; pass the number of runs (a non-negative integer)`);
  const counts = new Array<number>(R + 1).fill(0);
  for (let i = 0; i < h.length; i++) {
    const v = h[i]!;
    if (!Number.isInteger(v) || v < 0 || v > R)
      throw new Error(`hHistogram: H[${i}] = ${v} is outside 0..${R}; pass the R the H-scores were computed with`);
    counts[v]!++;
  }
  return counts;
}
