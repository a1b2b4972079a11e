// One (task, model) cell of the grid, prepared once per process and shared by its jobs: the examples, the model
// folder and the encoded tensors. How a task's examples become rows is its kind's (libs/datasets kinds/): every
// kind gives one training row per example id, so phase-1 records, subsets and phase-2 selections all speak of the
// same ids (SQuAD v2: one window per question for training, every window for evaluation).
import { getTask, kindOfTask, type EvalSet, type KindEncodeOptions } from '@prunelab/datasets';
import { loadTokenizer } from '@prunelab/tokenizers';
import type { EncodedSet, HeadKind } from '@prunelab/finetune';
import { dataRecord } from './data-digest.ts';
import { ensureModel, hasRandomWeights } from './models.ts';
import type { DataCfg, ExperimentConfig, TaskName } from './schema.ts';
import { loadTaskData, type TaskData } from './tasks.ts';

export type { EvalSet };

export interface Cell {
  task: TaskName;
  model: string;
  modelDir: string;
  /** the folder holds a tiny model's random weights (tiny-model.ts marker): job.json and MLflow say so */
  randomWeights: boolean;
  data: TaskData;
  /** the digest of `data` (data-digest.ts): a job whose key holds another one would record data it did not read */
  dataDigest: string;
  /** the model head the task trains */
  head: HeadKind;
  /** seqcls outputs (classes; 1 for regression), for loadModel */
  numLabels: number;
  /** classes of the training rows' `labels` (choices for multiple choice; score bins; answerable or not), for baselines */
  numClasses: number;
  train: EncodedSet;
  dev: EvalSet;
  trainIds: string[];
  /** further evaluation sets (MNLI mismatched), by split name */
  extraEval: { split: string; set: EvalSet }[];
  /** id -> row of `train` */
  rowOf: Map<string, number>;
}

export async function prepareCell(
  cfg: ExperimentConfig,
  task: TaskName,
  model: string,
  data: DataCfg,
  log: (l: string) => void,
): Promise<Cell> {
  const loaded = await loadTaskData(task, data);
  log(`data ${task}: ${loaded.description}`);
  for (const w of loaded.warnings) log(`warning: ${w}`);
  const modelDir = await ensureModel(model, cfg.models[model]!, log);
  const tokenizer = loadTokenizer(modelDir); // WordPiece (BERT), byte-level BPE (RoBERTa, OPT) or unigram (USE-Lite)
  const kind = kindOfTask(task);
  const spec = getTask(task);
  const opts = (split: string): KindEncodeOptions => ({
    maxLength: data.max_length,
    docStride: data.doc_stride,
    log,
    task,
    split,
  });
  const trainIds = loaded.train.map((e) => e.id);
  const train = kind.encodeTrain(tokenizer, loaded.train, opts('train'));
  return {
    task,
    model,
    modelDir,
    randomWeights: hasRandomWeights(modelDir),
    data: loaded,
    dataDigest: dataRecord(loaded).digest,
    trainIds,
    rowOf: new Map(trainIds.map((id, i) => [id, i])),
    head: kind.head,
    numLabels: kind.numLabels(spec),
    numClasses: kind.classes(spec).length,
    train,
    dev: kind.encodeEval(tokenizer, loaded.dev, opts(loaded.evalSplit)),
    extraEval: loaded.extra.map((x) => ({
      split: x.split,
      set: kind.encodeEval(tokenizer, x.examples, opts(x.split)),
    })),
  };
}
