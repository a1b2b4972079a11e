// One measurement of USE-Lite training on real SST-2 batches, the way the experiments train (the real tokenizer,
// batches cut to their longest row, AdamW, dropout 0.1): examples/s, real tokens/s and model GFLOP/s. FLOPs are
// counted at each batch's padded length (as benchFlops counts the peer), so packed and padded runs are compared on
// the same work. Used by bench:engine (a row, and the PEFT rows: `peft` attaches a method to the loaded model, so
// full fine-tuning, LoRA and adapters train the same batches), bench:use-lite and bench:profile --use-lite.
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { encodeExamples, findRepoRoot } from '@prunelab/datasets';
import {
  attachPeft,
  disposeParams,
  loadModel,
  nativeStatus,
  packingEnabled,
  readModelConfig,
  train,
  trainableNames,
  type PeftSpec,
} from '@prunelab/finetune';
import { loadTokenizer } from '@prunelab/tokenizers';
import { benchFlops } from './engine-cell.ts';

export interface UseLiteSpec {
  /** training sentences: the first n of SST-2 train */
  n: number;
  batch: number;
  /** batches not timed */
  warmup: number;
  model?: string;
  data?: string;
  /** called after every batch with its index (profilers start measuring after the warm-up) */
  onBatch?: (i: number) => void;
  /** a PEFT method on the model (seed 1); absent: full fine-tuning */
  peft?: PeftSpec;
}

export interface UseLiteResult extends UseLiteSpec {
  packed: boolean;
  native: string;
  exPerS: number;
  tokensPerS: number;
  gflops: number;
  /** share of the padded batch positions that are real tokens */
  realShare: number;
  seconds: number;
  examples: number;
  peakRssMb: number;
  /** most tensor bytes alive after a batch (tf.memory(): parameters, AdamW moments, what a step keeps) */
  peakTensorMb: number;
  /** parameters that train (all of them without PEFT) */
  trainable: number;
}

export const USE_LITE_DIR = () => join(findRepoRoot(), '.cache/models/use-lite');
export const SST2_TRAIN = () => resolve(findRepoRoot(), '../shared/data/glue/SST-2/train.tsv');

/** Why the cell cannot run here, or null. */
export function useLiteMissing(spec: Pick<UseLiteSpec, 'model' | 'data'> = {}): string | null {
  const dir = spec.model ?? USE_LITE_DIR();
  if (!existsSync(join(dir, 'config.json')))
    return `${dir}: no USE-Lite folder; run \`npm start\` once (it converts USE-Lite there) or pass --model`;
  const data = spec.data ?? SST2_TRAIN();
  if (!existsSync(data)) return `${data}: no SST-2 training file (see ../shared/data/README.md) or pass --data`;
  return null;
}

export async function runUseLite(spec: UseLiteSpec): Promise<UseLiteResult> {
  const missing = useLiteMissing(spec);
  if (missing) throw new Error(missing);
  const dir = spec.model ?? USE_LITE_DIR();
  const lines = readFileSync(spec.data ?? SST2_TRAIN(), 'utf8')
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .slice(0, spec.n);
  const examples = lines.map((l, i) => {
    const [text, label] = l.split('\t') as [string, string];
    return { id: `sst2-${i}`, text, label: Number(label) };
  });
  const data = encodeExamples(loadTokenizer(dir), examples, 64);
  const lengths = Array.from({ length: data.n }, (_, r) => {
    let k = 0;
    for (let t = 0; t < data.maxLength; t++) k += data.attentionMask[r * data.maxLength + t]!;
    return k;
  });
  const config = readModelConfig(join(dir, 'config.json'));
  const model = loadModel(dir, { head: 'seqcls', numLabels: 2, seed: 1 });
  if (spec.peft) attachPeft(model, spec.peft, 1);
  const trainable = trainableNames(model).reduce((a, n) => a + model.params.get(n)!.size, 0);
  let peakBytes = 0;
  let last = performance.now();
  let seen = 0;
  const t = { seconds: 0, examples: 0, tokens: 0, padded: 0, flops: 0 };
  await train(model, data, {
    epochs: 1,
    batchSize: spec.batch,
    lr: 1e-3,
    seed: 1,
    onBatch: (b) => {
      spec.onBatch?.(seen);
      const now = performance.now();
      peakBytes = Math.max(peakBytes, tf.memory().numBytes);
      if (seen++ >= spec.warmup) {
        const lens = [...b.rows].map((r) => lengths[r]!);
        const L = Math.max(...lens);
        t.seconds += (now - last) / 1000;
        t.examples += b.rows.length;
        t.tokens += lens.reduce((s, x) => s + x, 0);
        t.padded += L * b.rows.length;
        t.flops += benchFlops(config as Parameters<typeof benchFlops>[0], b.rows.length, L, true);
      }
      last = now;
    },
  });
  disposeParams(model.params);
  const { onBatch: _, ...plain } = spec;
  return {
    ...plain,
    packed: packingEnabled(),
    native: nativeStatus().summary,
    exPerS: t.examples / t.seconds,
    tokensPerS: t.tokens / t.seconds,
    gflops: t.flops / t.seconds / 1e9,
    realShare: t.tokens / t.padded,
    seconds: t.seconds,
    examples: t.examples,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    peakTensorMb: peakBytes / 2 ** 20,
    trainable,
  };
}
