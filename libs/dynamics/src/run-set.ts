// The R phase-1 runs of one model on one task, read together and checked to fit: every score takes arrays
// indexed [run][epoch][example] over the same ids, from the same kind of pass.
import type { RunRecordHeader } from './record.ts';
import { readRunRecord } from './store.ts';

export interface RunSet<H extends RunRecordHeader = RunRecordHeader> {
  dirs: string[];
  headers: H[];
  /** the shared id order: value i of every array belongs to ids[i] */
  ids: string[];
  correct: Uint8Array[][];
  goldProb: Float32Array[][];
  loss: Float32Array[][];
  margin: Float32Array[][];
  /** present only when every run recorded EL2N */
  el2n?: Float32Array[][];
}

/** Reads run folders and checks that they share task, split, model, pass and id order. */
export function readRunRecords<H extends RunRecordHeader = RunRecordHeader>(dirs: string[]): RunSet<H> {
  if (dirs.length === 0) throw new Error('readRunRecords: no run folders given; pass the phase-1 run folders');
  const recs = dirs.map((d) => readRunRecord<H>(d));
  const first = recs[0]!.header;
  recs.forEach((rec, r) => {
    const h = rec.header;
    for (const key of ['task', 'split', 'model', 'pass'] as const) {
      if (h[key] !== first[key]) {
        throw new Error(
          `readRunRecords: ${dirs[r]}/header.json has ${key} "${h[key]}" but ${dirs[0]}/header.json has ` +
            `"${first[key]}"; score runs of one ${key} together`,
        );
      }
    }
    if (h.ids.length !== first.ids.length)
      throw new Error(
        `readRunRecords: ${dirs[r]} has ${h.ids.length} ids but ${dirs[0]} has ${first.ids.length}; the runs must ` +
          `cover the same training set`,
      );
    for (let i = 0; i < h.ids.length; i++) {
      if (h.ids[i] !== first.ids[i])
        throw new Error(
          `readRunRecords: ${dirs[r]} has id "${h.ids[i]}" at position ${i} where ${dirs[0]} has "${first.ids[i]}"; ` +
            `the runs must list the same ids in the same order`,
        );
    }
  });
  const withEl2n = recs.every((r) => r.el2n !== undefined);
  return {
    dirs,
    headers: recs.map((r) => r.header),
    ids: first.ids,
    correct: recs.map((r) => r.correct),
    goldProb: recs.map((r) => r.goldProb),
    loss: recs.map((r) => r.loss),
    margin: recs.map((r) => r.margin),
    ...(withEl2n ? { el2n: recs.map((r) => r.el2n!) } : {}),
  };
}
