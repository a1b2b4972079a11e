// Stable example ids: derived from the content, not the row position, so the same sentence keeps
// its id when a file is reordered or subsampled, and H-score records can be joined across runs.
import { createHash } from 'node:crypto';

export function exampleId(task: string, split: string, fields: string[]): string {
  return createHash('sha1')
    .update([task, split, ...fields].join('\u0000'))
    .digest('hex')
    .slice(0, 16);
}

/**
 * Ids for a whole split. A repeated content gets `<id>-2`, `<id>-3`, ... in order of appearance so ids
 * stay unique (SST-2 train has a few hundred repeated sentences); `duplicates` counts those repeats.
 */
export function assignIds(
  task: string,
  split: string,
  items: { fields: string[] }[],
): { ids: string[]; duplicates: number } {
  const seen = new Map<string, number>();
  const ids: string[] = [];
  let duplicates = 0;
  for (const item of items) {
    const base = exampleId(task, split, item.fields);
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    if (n > 1) duplicates++;
    ids.push(n === 1 ? base : `${base}-${n}`);
  }
  return { ids, duplicates };
}
