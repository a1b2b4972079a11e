// Forgetting events (Toneva et al. 2019): an example is forgotten when it goes from correct to incorrect
// between two consecutive presentations. We see each example once per epoch, so a forgetting event is
// correct at epoch e and incorrect at epoch e + 1, counted within each run. An example never correct in a
// run is "never learned" there: Toneva count it as forgotten infinitely often, so it outranks every example
// that was learned at least once.
import { type UseOptions, useRecords } from './records-shape.ts';

export interface Forgetting {
  /** forgetting events summed over the used runs (runs where the example was never learned add 0) */
  events: Uint16Array;
  /** number of used runs in which the example was never correct at any used epoch */
  neverLearned: Uint8Array;
  /**
   * The ranking key, higher = more forgettable: neverLearned * (R * floor(E / 2) + 1) + events. The multiplier
   * exceeds the largest possible events sum, so examples order first by never-learned runs (each one an
   * infinite count, as in Toneva), then by events. Summing over runs ranks exactly like averaging.
   */
  score: Float32Array;
}

/** `correct[r][e][i]` as in hScore. */
export function forgetting(correct: Uint8Array[][], opts: UseOptions = {}): Forgetting {
  const { runs, R, E, n } = useRecords('forgetting', correct, opts);
  if (R > 255) throw new Error(`forgetting: ${R} runs; neverLearned is a byte, so at most 255 runs are supported`);
  const events = new Uint16Array(n);
  const neverLearned = new Uint8Array(n);
  // per example: a run is scanned epoch by epoch; `any` = was correct at some epoch of the run
  for (const run of runs) {
    if (E === 3) {
      // the paper's 3 epochs, unrolled
      const [a, b, c] = run as [Uint8Array, Uint8Array, Uint8Array];
      for (let i = 0; i < n; i++) {
        const x = (a[i]! + 255) >> 8; // 1 iff the byte is not 0, without a branch
        const y = (b[i]! + 255) >> 8;
        const z = (c[i]! + 255) >> 8;
        events[i]! += (x & (y ^ 1)) + (y & (z ^ 1));
        neverLearned[i]! += (x | y | z) ^ 1;
      }
      continue;
    }
    for (let i = 0; i < n; i++) {
      let prev = run[0]![i]!;
      let any = prev;
      let ev = 0;
      for (let e = 1; e < E; e++) {
        const cur = run[e]![i]!;
        if (prev && !cur) ev++;
        any |= cur;
        prev = cur;
      }
      events[i]! += ev;
      if (!any) neverLearned[i]!++;
    }
  }
  const weight = R * Math.floor(E / 2) + 1;
  const score = new Float32Array(n);
  for (let i = 0; i < n; i++) score[i] = neverLearned[i]! * weight + events[i]!;
  return { events, neverLearned, score };
}
