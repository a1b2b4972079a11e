// H-score subsets (method.md section 2). A subset is named by the H values it REMOVES: '06' removes H = 0
// and H = 6 and keeps H in 1..5 (the winning ticket for R = 6 runs).

/**
 * Name of the subset that removes the H values `removed`: the sorted distinct values joined.
 * Values are single digits while every value and R are below 10 ('06', '0126'). If R >= 10 is passed, or any
 * removed value is >= 10, the values are joined with '-' instead ('0-1-12'), because '012' would be ambiguous.
 * So pass R whenever R >= 10; parseSubsetName(name, R) reads both forms back.
 */
export function subsetName(removed: number[], R?: number): string {
  const vals = [...new Set(removed)].sort((a, b) => a - b);
  for (const v of vals) {
    if (!Number.isInteger(v) || v < 0)
      throw new Error(`subsetName: removed H value ${v} is not a non-negative integer`);
    if (R !== undefined && v > R) throw new Error(`subsetName: removed H value ${v} is above R = ${R}`);
  }
  if (vals.length === 0)
    throw new Error(
      'subsetName: no H values removed; a subset removes at least one H value (the full set is not a subset name)',
    );
  const dashed = (R !== undefined && R >= 10) || vals[vals.length - 1]! >= 10;
  return vals.join(dashed ? '-' : '');
}

/** Inverse of subsetName for R runs: '06' -> [0, 6]; with R >= 10 the name must use '-' ('0-12'). */
export function parseSubsetName(name: string, R: number): number[] {
  if (!Number.isInteger(R) || R < 1) throw new Error(`parseSubsetName: R = ${R}; pass the number of runs`);
  const dashed = R >= 10 || name.includes('-');
  const parts = dashed ? name.split('-') : name.split('');
  const fix =
    R >= 10
      ? `with R = ${R} >= 10 write the removed H values joined by '-' (e.g. '0-${R}')`
      : `write the removed H values as digits 0..${R} (e.g. '0${R}')`;
  // no leading zeros: with R >= 10, '01' could mean [0, 1] or [1]
  if (name === '' || parts.some((p) => !/^(0|[1-9]\d*)$/.test(p)))
    throw new Error(`parseSubsetName: "${name}" is not a subset name; ${fix}`);
  const vals = parts.map(Number);
  for (let i = 0; i < vals.length; i++) {
    if (vals[i]! > R) throw new Error(`parseSubsetName: "${name}" removes H = ${vals[i]} but H is in 0..${R}; ${fix}`);
    if (i > 0 && vals[i]! <= vals[i - 1]!)
      throw new Error(
        `parseSubsetName: "${name}" is not in increasing order without repeats; write it as "${subsetName(vals, R)}"`,
      );
  }
  return vals;
}

/** The ids whose H is not removed, in input order. */
export function selectByH(ids: string[], h: ArrayLike<number>, removed: number[]): string[] {
  if (ids.length !== h.length)
    throw new Error(`selectByH: ${ids.length} ids but ${h.length} H values; pass the H-scores of exactly these ids`);
  const drop = new Set(removed);
  const out: string[] = [];
  for (let i = 0; i < ids.length; i++) if (!drop.has(h[i]!)) out.push(ids[i]!);
  return out;
}

/** The winning ticket removes the never-correct (H = 0) and the always-correct (H = R) examples. */
export function winningTicketRemoved(R: number): number[] {
  if (!Number.isInteger(R) || R < 1)
    throw new Error(`winningTicketRemoved: R = ${R}; pass the number of phase-1 runs (an integer >= 1)`);
  return [0, R];
}

/** The paper's subsets for R = 6, in the paper's order. */
export const PAPER_SUBSETS_R6 = ['06', '016', '0126', '01236', '0156', '012346', '012356'];

/**
 * The automatic subsets for R runs, as lists of removed H values. Every subset removes 0 and R (so each one is
 * nested in the winning ticket); the others also remove a prefix 1..k of the low H values, alone or together
 * with the high value R-1. The families, for R runs:
 *   winning ticket  [0, R]
 *   low prefixes    [0..k, R]        for k = 1..R-2   (k = R-2 keeps only H = R-1)
 *   low + high      [0..k, R-1, R]   for k = 1 and k = R-3, the two the paper uses (k = R-3 keeps only H = R-2)
 * Order (the paper's for R = 6): the winning ticket, the low prefixes with k = 1..R-3, low + high with k = 1,
 * then the two subsets that keep a single H level: [0..R-2, R] and [0..R-3, R-1, R].
 *   R = 6: 06, 016, 0126, 01236, 0156, 012346, 012356   (exactly PAPER_SUBSETS_R6)
 *   R = 7: 07, 017, 0127, 01237, 012347, 0167, 0123457, 0123467
 * Duplicates are dropped (for R = 4, k = 1 = R-3) and a candidate that keeps no H level is skipped, so
 * R = 4 gives 04, 014, 0134, 0124; R = 3 gives 03, 013; R = 2 gives 02.
 */
export function automaticSubsets(R: number): number[][] {
  if (!Number.isInteger(R) || R < 2)
    throw new Error(
      `automaticSubsets: R = ${R}; with fewer than 2 runs removing H = 0 and H = R keeps nothing, use R >= 2`,
    );
  const upTo = (k: number) => Array.from({ length: k + 1 }, (_, v) => v); // [0..k]
  const candidates: number[][] = [[0, R]];
  for (let k = 1; k <= R - 3; k++) candidates.push([...upTo(k), R]);
  if (1 <= R - 3) candidates.push([...upTo(1), R - 1, R]);
  if (R - 2 >= 1) candidates.push([...upTo(R - 2), R]);
  if (R - 3 >= 1) candidates.push([...upTo(R - 3), R - 1, R]);
  const out: number[][] = [];
  const seen = new Set<string>();
  for (const removed of candidates) {
    const key = removed.join(',');
    if (removed.length >= R + 1 || seen.has(key)) continue; // keeps no H level, or a duplicate
    seen.add(key);
    out.push(removed);
  }
  return out;
}

/** selectByH as indices (ascending), for millions of examples: a lookup table instead of a Set. */
export function selectByHIndices(h: ArrayLike<number>, removed: number[]): Uint32Array {
  let maxH = 0;
  for (const v of removed) maxH = Math.max(maxH, v);
  const drop = new Uint8Array(256 + maxH);
  for (const v of removed) drop[v] = 1;
  if (h instanceof Uint8Array) return keptIndices(h, drop);
  const n = h.length;
  let kept = 0;
  for (let i = 0; i < n; i++) if (!drop[h[i]!]) kept++;
  const out = new Uint32Array(kept);
  let m = 0;
  for (let i = 0; i < n; i++) if (!drop[h[i]!]) out[m++] = i;
  return out;
}

/** selectByHIndices of byte H-scores (all inside the table), without a branch per example: H levels are coin flips to the CPU. */
function keptIndices(h: Uint8Array, drop: Uint8Array): Uint32Array {
  const n = h.length;
  let kept = 0;
  for (let i = 0; i < n; i++) kept += 1 - drop[h[i]!]!;
  const out = new Uint32Array(kept);
  let m = 0;
  for (let i = 0; m < kept; i++) {
    out[m] = i;
    m += 1 - drop[h[i]!]!;
  } // out[m] is overwritten until a kept i moves m on
  return out;
}

/** Size of the subset removing `removed`, from the H histogram alone (histogram[v] = number of examples with H = v). */
export function hSubsetSize(histogram: number[], removed: number[]): number {
  const drop = new Set(removed);
  let k = 0;
  histogram.forEach((count, v) => {
    if (!drop.has(v)) k += count;
  });
  return k;
}
