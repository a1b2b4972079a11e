// The examples a subset is chosen from, with their ids in sorted order computed once: every ranking breaks
// ties by id, so a subset depends only on the scores and the id set, never on the input order.
import { stableSortByKey64 } from './radix.ts';

export interface IdPool {
  ids: string[];
  /** indices into ids, in ascending id order (JavaScript string order: UTF-16 code units) */
  byId: Uint32Array;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Sorts the ids without a million string comparisons: each id is packed into a 64-bit key (hi, lo) made of its
 * first characters after the prefix all ids share, each character replaced by its rank in the alphabet the ids
 * use (0 = past the end, so a prefix sorts first). Equal keys (ids alike in all packed characters) are then put
 * in order by plain string comparison. Throws on duplicate ids.
 */
export function idPool(ids: string[]): IdPool {
  const n = ids.length;
  let lcp = n ? ids[0]!.length : 0;
  const first = ids[0] ?? '';
  for (let i = 1; i < n && lcp > 0; i++) {
    const s = ids[i]!;
    let j = 0;
    const m = Math.min(lcp, s.length);
    while (j < m && s.charCodeAt(j) === first.charCodeAt(j)) j++;
    lcp = j;
  }
  const rankOf = new Uint32Array(65536);
  for (let i = 0; i < n; i++) {
    const s = ids[i]!;
    const end = Math.min(s.length, lcp + 64); // only the first 2 * 32 characters can ever be packed
    for (let j = lcp; j < end; j++) rankOf[s.charCodeAt(j)] = 1;
  }
  let alphabet = 0;
  for (let c = 0; c < 65536; c++) if (rankOf[c]) rankOf[c] = ++alphabet; // 1..alphabet, in code-unit order
  const bits = Math.max(1, Math.ceil(Math.log2(alphabet + 1)));
  const per = Math.floor(32 / bits); // characters per 32-bit word
  const hi = new Uint32Array(n);
  const lo = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const s = ids[i]!;
    let h = 0;
    let l = 0;
    for (let j = 0; j < per; j++) {
      const p = lcp + j;
      h = h * (1 << bits) + (p < s.length ? rankOf[s.charCodeAt(p)]! : 0);
      const q = lcp + per + j;
      l = l * (1 << bits) + (q < s.length ? rankOf[s.charCodeAt(q)]! : 0);
    }
    hi[i] = h;
    lo[i] = l;
  }
  const start = new Uint32Array(n);
  for (let i = 0; i < n; i++) start[i] = i;
  const sortedHi = new Uint32Array(n);
  const byId = stableSortByKey64(start, hi, lo, sortedHi);
  // runs of equal keys: settle them by full string comparison (rare unless ids share long stretches); the
  // sorted hi words make the common case (hi differs from the neighbour) a sequential scan
  for (let a = 0; a < n;) {
    let b = a + 1;
    while (b < n && sortedHi[b] === sortedHi[a] && lo[byId[b]!] === lo[byId[a]!]) b++;
    if (b - a > 1) {
      const run = Array.from(byId.subarray(a, b)).sort((x, y) => cmp(ids[x]!, ids[y]!));
      byId.set(run, a);
    }
    for (let j = a + 1; j < b; j++) {
      if (ids[byId[j]!] === ids[byId[j - 1]!]) throw new Error(`idPool: id "${ids[byId[j]!]}" appears more than once; example ids must be unique`);
    }
    a = b;
  }
  return { ids, byId };
}
