// The examples a subset is chosen from, with their ids in sorted order computed once: every ranking breaks
// ties by id, so a subset depends only on the scores and the id set, never on the input order.
import { stableSortPairs } from './radix.ts';

export interface IdPool {
  ids: string[];
  /** indices into ids, in ascending id order (JavaScript string order: UTF-16 code units) */
  byId: Uint32Array;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Sorts the ids without a million string comparisons: an MSD radix sort over 32-bit chunks. Each id's next
 * characters after the prefix its group shares are packed into one 32-bit key, each character replaced by its
 * rank in the alphabet the group uses (0 = past the end, so a prefix sorts first); groups of equal keys are sorted
 * the same way from the next characters on, small groups by plain string comparison. Throws on duplicate ids.
 */
export function idPool(ids: string[]): IdPool {
  const all = new Uint32Array(ids.length);
  for (let i = 0; i < ids.length; i++) all[i] = i;
  return { ids, byId: sortIds(ids, all, 0) };
}

const ranks = new WeakMap<IdPool, Uint32Array>();

/**
 * rank[i] = the position of ids[i] in ascending id order (the inverse of byId), computed once per pool. With it a
 * ranking can pick its candidates in index order (sequential reads) and still break ties by id.
 */
export function idRanks(pool: IdPool): Uint32Array {
  let rank = ranks.get(pool);
  if (!rank) {
    rank = invert(pool.byId);
    ranks.set(pool, rank);
  }
  return rank;
}

function invert(byId: Uint32Array): Uint32Array {
  const rank = new Uint32Array(byId.length);
  for (let j = 0; j < byId.length; j++) rank[byId[j]!] = j;
  return rank;
}

const SMALL = 16;

function duplicate(id: string): Error {
  return new Error(`idPool: id "${id}" appears more than once; example ids must be unique`);
}

/** idx (whose ids all share their first `offset` characters) in ascending id order. */
function sortIds(ids: string[], idx: Uint32Array, offset: number): Uint32Array {
  const n = idx.length;
  if (n <= SMALL) {
    const out = Uint32Array.from(Array.from(idx).sort((x, y) => cmp(ids[x]!, ids[y]!)));
    for (let j = 1; j < n; j++) if (ids[out[j]!] === ids[out[j - 1]!]) throw duplicate(ids[out[j]!]!);
    return out;
  }
  const first = ids[idx[0]!]!;
  // the prefix the whole group shares beyond `offset`
  let end = first.length;
  let minLen = first.length;
  for (let j = 1; j < n; j++) {
    const s = ids[idx[j]!]!;
    if (s.length < minLen) minLen = s.length;
    const m = Math.min(end, s.length);
    let c = offset;
    while (c < m && s.charCodeAt(c) === first.charCodeAt(c)) c++;
    end = c;
  }
  const start = end;
  if (start >= first.length) {
    // `first` ends inside the shared prefix: every other id continues past it or equals it
    let same = 0; // ids that ended within the shared part are all equal to `first`
    for (let j = 0; j < n; j++) if (ids[idx[j]!]!.length <= start) same++;
    if (same > 1) throw duplicate(first);
  }
  // the alphabet of the characters the key window can hold; the window grows until it covers `per` characters
  const seen = new Uint8Array(65536);
  let alphabet = 0;
  let scanned = 0;
  let per = 0;
  let noEnd = false;
  for (;;) {
    const want = Math.max(scanned + 1, per);
    for (let j = 0; j < n; j++) {
      const s = ids[idx[j]!]!;
      const stop = Math.min(s.length, start + want);
      for (let c = start + scanned; c < stop; c++) {
        const u = s.charCodeAt(c);
        if (!seen[u]) {
          seen[u] = 1;
          alphabet++;
        }
      }
    }
    scanned = want;
    // no id ends inside the window: no code for "past the end" is needed (e.g. 8 hex digits per key, not 6)
    const perNoEnd = Math.floor(32 / Math.max(1, Math.ceil(Math.log2(alphabet))));
    noEnd = minLen >= start + perNoEnd;
    per = noEnd ? perNoEnd : Math.floor(32 / Math.max(1, Math.ceil(Math.log2(alphabet + 1))));
    if (per <= scanned) break;
  }
  const bits = Math.max(1, Math.ceil(Math.log2(noEnd ? alphabet : alphabet + 1)));
  const rankOf = new Uint32Array(65536);
  let r = noEnd ? -1 : 0;
  for (let u = 0; u < 65536; u++) if (seen[u]) rankOf[u] = ++r; // in code-unit order: 0.. or 1.. (0 = past the end)
  const radix = 2 ** bits;
  const keys = new Uint32Array(n);
  for (let j = 0; j < n; j++) {
    const s = ids[idx[j]!]!;
    let k = 0;
    for (let c = start; c < start + per; c++) k = k * radix + (c < s.length ? rankOf[s.charCodeAt(c)]! : 0);
    keys[j] = k;
  }
  const sortedKeys = new Uint32Array(n);
  const out = stableSortPairs(idx, keys, sortedKeys);
  for (let a = 0; a < n; ) {
    let b = a + 1;
    while (b < n && sortedKeys[b] === sortedKeys[a]) b++;
    if (b - a > 1) out.set(sortIds(ids, out.slice(a, b), start + per), a);
    a = b;
  }
  return out;
}
