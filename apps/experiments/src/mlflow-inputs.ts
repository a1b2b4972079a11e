// What a job read, as MLflow dataset inputs: the training split (or the subset file a phase-2 job trained on) and
// the evaluation splits, each by the digest of its prepared examples (data-digest.ts), so two runs that read the
// same data point at one dataset in MLflow's UI.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatasetInput } from '@prunelab/tracking';
import type { Cell } from './cell.ts';
import type { Job } from './grid.ts';

const input = (name: string, digest: string, uri: string, rows: number, context: string): DatasetInput => ({
  dataset: {
    name,
    digest,
    source_type: 'local',
    source: JSON.stringify({ uri }),
    profile: JSON.stringify({ num_rows: rows }),
  },
  tags: [{ key: 'mlflow.data.context', value: context }],
});

/** sha256 of a file's bytes, 16 hex digits (the length of the data digests). */
export const fileDigest = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 16);

/** `subset`: the subset file a phase-2 job trains on (path, digest, example count) instead of the full split. */
export function jobInputs(
  job: Job,
  cell: Cell,
  subset?: { file: string; digest: string; rows: number },
): DatasetInput[] {
  const rec = job.data;
  if (!rec) return [];
  const where = cell.data.files[0] ? dirname(cell.data.files[0]) : job.task;
  const out: DatasetInput[] = [];
  if (subset) {
    const name = `${job.task}/train/${job.id.split('/phase2/')[1] ?? 'subset'}`;
    out.push(input(name, subset.digest, subset.file, subset.rows, 'train'));
  } else if (rec.splits.train) {
    out.push(input(`${job.task}/train`, rec.splits.train, where, rec.used.train ?? cell.train.n, 'train'));
  }
  for (const [split, digest] of Object.entries(rec.splits)) {
    if (split === 'train') continue;
    out.push(input(`${job.task}/${split}`, digest, where, rec.used[split] ?? 0, 'eval'));
  }
  return out;
}
