// What every stage of an experiment shares: the config, the data as ids and encoded tensors, the model folder,
// where outputs go, and the MLflow parent run.
import type { LoadedTask } from '@prunelab/data';
import type { EncodedSet } from '@prunelab/finetune';
import type { FileStore, RunHandle } from '@prunelab/tracking';
import type { ExperimentConfig } from './schema.ts';

export interface RunContext {
  cfg: ExperimentConfig;
  /** Content hashes: phase-1 records depend on task, data, model and phase1; phase-2 jobs on all but output. */
  configHash: string;
  phase2Hash: string;
  outDir: string; // results/<name>
  data: LoadedTask;
  train: EncodedSet;
  dev: EncodedSet;
  trainIds: string[];
  modelDir: string;
  backend: string;
  tracker: FileStore;
  experimentId: string;
  parent: RunHandle;
  log: (line: string) => void;
}

/** Rows of `data` (in the order given) as a new encoded set. */
export function selectRows(data: EncodedSet, rows: ArrayLike<number>): EncodedSet {
  const L = data.maxLength;
  const n = rows.length;
  const pick = (src: Int32Array, width: number) => {
    const out = new Int32Array(n * width);
    for (let i = 0; i < n; i++) out.set(src.subarray(rows[i]! * width, (rows[i]! + 1) * width), i * width);
    return out;
  };
  return {
    inputIds: pick(data.inputIds, L), attentionMask: pick(data.attentionMask, L), tokenTypeIds: pick(data.tokenTypeIds, L),
    labels: pick(data.labels, 1), n, maxLength: L,
  };
}
