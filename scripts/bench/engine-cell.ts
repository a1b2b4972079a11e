// One benchmark measurement: a BERT classifier of a given size, random weights, batch B of length L, trained with
// the engine's own train() (AdamW, dropout 0.1) or run in evaluation mode; median step time, FLOPs, memory.
import * as tf from '@tensorflow/tfjs';
import { splitmix32, type EncodedSet } from '@prunelab/core';
import {
  batchTensors,
  bertSequenceClassifier,
  chooseBackend,
  disposeBatch,
  disposeParams,
  EVAL,
  initParams,
  nativeStatus,
  parseBertConfig,
  train,
  type BertConfig,
} from '@prunelab/finetune';

/** The sizes of the PyTorch peer (../shared/tools/torch-bert-bench.py), so FLOPs and shapes match it. */
export const BENCH_SIZES: Record<string, { hidden: number; layers: number; heads: number; ffn: number }> = {
  'bert-tiny': { hidden: 128, layers: 2, heads: 2, ffn: 512 },
  'bert-mini': { hidden: 256, layers: 4, heads: 4, ffn: 1024 },
  'bert-small': { hidden: 512, layers: 4, heads: 8, ffn: 2048 },
  'use-lite': { hidden: 512, layers: 2, heads: 8, ffn: 1536 },
};

export interface CellSpec {
  size: string;
  seq: number;
  batch: number;
  mode: 'train' | 'infer';
  warmup: number;
  steps: number;
}

export interface CellResult extends CellSpec {
  engine: 'prunelab';
  backend: string;
  /** the device the backend named (webgpu: its adapter) */
  device?: string;
  native: string;
  /** the first step's seconds (warm-up included in nothing else): shader compilation on webgpu */
  firstS: number;
  /** what the cell computed, to compare backends: each step's training loss, or the first batch's logits */
  outputs: number[];
  medianS: number;
  exPerS: number;
  gflops: number;
  peakRssMb: number;
  heapMb: number | null;
  heapFirstMb: number | null;
  tensorsFirst: number;
  tensorsLast: number;
  bytesFirst: number;
  bytesLast: number;
}

export function benchConfig(size: string): BertConfig {
  const s = BENCH_SIZES[size];
  if (!s) throw new Error(`unknown bench size '${size}': use one of ${Object.keys(BENCH_SIZES).join(', ')}`);
  return parseBertConfig(
    {
      vocab_size: 30522,
      hidden_size: s.hidden,
      num_hidden_layers: s.layers,
      num_attention_heads: s.heads,
      intermediate_size: s.ffn,
      num_labels: 2,
    },
    `bench size ${size}`,
  );
}

/** Model FLOPs per step, counted as the peer counts them (dense + attention products; training = 3x forward). */
export function benchFlops(c: BertConfig, B: number, L: number, training: boolean): number {
  const H = c.hidden_size;
  const tokenDense = c.num_hidden_layers * (4 * H * H + 2 * H * c.intermediate_size);
  const headDense = H * H + H * c.num_labels;
  const fwd = 2 * tokenDense * B * L + 2 * headDense * B + 4 * c.num_hidden_layers * B * L * L * H;
  return training ? 3 * fwd : fwd;
}

/** Random full-length sentence pairs: train() cuts each batch to its longest row, and the peer always runs all L
 * positions, so every row is L long here to do the same work. */
export function benchData(n: number, L: number, vocab: number, seed: number): EncodedSet {
  const rand = splitmix32(seed);
  const set: EncodedSet = {
    inputIds: new Int32Array(n * L),
    attentionMask: new Int32Array(n * L),
    tokenTypeIds: new Int32Array(n * L),
    labels: new Int32Array(n),
    n,
    maxLength: L,
  };
  for (let r = 0; r < n; r++) {
    const len = L;
    const sep = len >> 1;
    for (let t = 0; t < len; t++) {
      set.inputIds[r * L + t] =
        t === 0 ? 101 : t === sep || t === len - 1 ? 102 : 1000 + Math.floor(rand() * (vocab - 1000));
      set.attentionMask[r * L + t] = 1;
      set.tokenTypeIds[r * L + t] = t > sep ? 1 : 0;
    }
    set.labels[r] = rand() < 0.5 ? 0 : 1;
  }
  return set;
}

function wasmHeapMb(): number | null {
  const b = tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } };
  return b.wasm ? b.wasm.HEAPU8.length / 2 ** 20 : null;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

export async function runCell(spec: CellSpec, backend?: string): Promise<CellResult> {
  const chosen = await chooseBackend(backend);
  const c = benchConfig(spec.size);
  const params = initParams(c, 1);
  const total = spec.warmup + spec.steps;
  const times: number[] = [];
  const mem: { tensors: number; bytes: number; heap: number | null }[] = [];
  const outputs: number[] = [];
  if (spec.mode === 'train') {
    const data = benchData(spec.batch * total, spec.seq, c.vocab_size, 7);
    let last = performance.now();
    await train({ config: c, params }, data, {
      epochs: 1,
      batchSize: spec.batch,
      lr: 5e-5,
      weightDecay: 0.01,
      seed: 3,
      onBatch: ({ loss }) => {
        outputs.push(loss);
        const now = performance.now();
        times.push((now - last) / 1000);
        const m = tf.memory();
        mem.push({ tensors: m.numTensors, bytes: m.numBytes, heap: wasmHeapMb() });
        last = now;
      },
    });
  } else {
    const data = benchData(spec.batch * 3, spec.seq, c.vocab_size, 7);
    const batches = [0, 1, 2].map((i) =>
      batchTensors(
        data,
        Array.from({ length: spec.batch }, (_, j) => i * spec.batch + j),
      ),
    );
    for (let i = 0; i < total; i++) {
      const t0 = performance.now();
      const logits = tf.tidy(() => bertSequenceClassifier(params, c, batches[i % 3]!.inputs, EVAL));
      const v = await logits.data();
      if (i === 0) outputs.push(...v);
      logits.dispose();
      times.push((performance.now() - t0) / 1000);
      const m = tf.memory();
      mem.push({ tensors: m.numTensors, bytes: m.numBytes, heap: wasmHeapMb() });
    }
    batches.forEach(disposeBatch);
  }
  disposeParams(params);
  const measured = times.slice(spec.warmup);
  const med = median(measured);
  const flops = benchFlops(c, spec.batch, spec.seq, spec.mode === 'train');
  const first = mem[spec.warmup]!;
  const lastMem = mem[mem.length - 1]!;
  return {
    ...spec,
    engine: 'prunelab',
    backend: chosen.name,
    ...(chosen.device && { device: chosen.device }),
    native: nativeStatus().summary,
    firstS: times[0]!,
    outputs,
    medianS: med,
    exPerS: spec.batch / med,
    gflops: flops / med / 1e9,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    heapMb: wasmHeapMb(),
    heapFirstMb: first.heap,
    tensorsFirst: first.tensors,
    tensorsLast: lastMem.tensors,
    bytesFirst: first.bytes,
    bytesLast: lastMem.bytes,
  };
}
