// One (task, model) cell of the grid, prepared once per process and shared by its jobs: the examples, the model
// folder and the encoded tensors.
import { encodeExamples, encodeMultipleChoice, loadTokenizer } from '@prunelab/data';
import type { EncodedSet, HeadKind } from '@prunelab/finetune';
import { ensureModel } from './models.ts';
import type { DataCfg, ExperimentConfig, TaskName } from './schema.ts';
import { loadTaskData, type TaskData } from './tasks.ts';

export interface Cell {
  task: TaskName;
  model: string;
  modelDir: string;
  data: TaskData;
  /** the model head the task trains */
  head: HeadKind;
  /** classes (classification) or choices (multiple choice) */
  numClasses: number;
  train: EncodedSet;
  dev: EncodedSet;
  trainIds: string[];
  /** further evaluation sets (MNLI mismatched), by split name */
  extraEval: { split: string; set: EncodedSet }[];
  /** id -> row of `train` */
  rowOf: Map<string, number>;
}

/** Examples of `data` (in the order given) as a new encoded set; a multiple-choice example is numChoices rows. */
export function selectRows(data: EncodedSet, rows: ArrayLike<number>): EncodedSet {
  const L = data.maxLength * (data.numChoices ?? 1);
  const n = rows.length;
  const pick = (src: Int32Array, width: number) => {
    const out = new Int32Array(n * width);
    for (let i = 0; i < n; i++) out.set(src.subarray(rows[i]! * width, (rows[i]! + 1) * width), i * width);
    return out;
  };
  return {
    inputIds: pick(data.inputIds, L), attentionMask: pick(data.attentionMask, L), tokenTypeIds: pick(data.tokenTypeIds, L),
    labels: pick(data.labels, 1), n, maxLength: data.maxLength, ...(data.numChoices !== undefined && { numChoices: data.numChoices }),
  };
}

export async function prepareCell(cfg: ExperimentConfig, task: TaskName, model: string, data: DataCfg, log: (l: string) => void): Promise<Cell> {
  const loaded = await loadTaskData(task, data);
  log(`data ${task}: ${loaded.description}`);
  for (const w of loaded.warnings) log(`warning: ${w}`);
  const modelDir = await ensureModel(model, cfg.models[model]!, log);
  const tokenizer = loadTokenizer(modelDir); // WordPiece (BERT) or byte-level BPE (RoBERTa, OPT)
  let train: EncodedSet;
  let dev: EncodedSet;
  let numClasses = loaded.labels.length;
  if (loaded.head === 'multiple-choice') {
    train = encodeMultipleChoice(tokenizer, loaded.train, data.max_length);
    dev = encodeMultipleChoice(tokenizer, loaded.dev, data.max_length);
    numClasses = train.numChoices!;
  } else {
    train = encodeExamples(tokenizer, loaded.train, data.max_length);
    dev = encodeExamples(tokenizer, loaded.dev, data.max_length);
  }
  const trainIds = loaded.train.map((e) => e.id);
  const head: HeadKind = loaded.head === 'multiple-choice' ? 'mc' : 'seqcls';
  const extraEval = loaded.extra.map((x) => ({ split: x.split, set: encodeExamples(tokenizer, x.examples, data.max_length) as EncodedSet }));
  return { task, model, modelDir, data: loaded, head, numClasses, train, dev, extraEval, trainIds, rowOf: new Map(trainIds.map((id, i) => [id, i])) };
}
