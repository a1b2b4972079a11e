// The webgpu backend (Dawn from npm on a Vulkan driver; lavapipe on a machine without a GPU): the hf-tiny exactness
// checks, the kernels prunelab replaces there, and a short fine-tuning run against wasm. Without a WebGPU adapter
// every GPU test is reported skipped with the reason (PRUNELAB_REQUIRE_WEBGPU=1, which CI sets once it has
// installed a driver, makes that a failure instead).
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { capBufferPool, checkWebgpu } from './backend-webgpu.ts';
import { chooseBackend } from './backend.ts';
import { parseBertConfig } from './bert-config.ts';
import { disposeParams, initParams } from './checkpoint.ts';
import { addNChunks } from './kernels-webgpu-addn.ts';
import { picksSplitK } from './kernels-webgpu-matmul.ts';
import { segmentRows } from './kernels-webgpu-segment-sum.ts';
import { numericBuild } from './numeric-build.ts';
import { hfTinySuite } from './testing/hf-tiny-suite.ts';
import { keywordTask } from './testing/keyword-task.ts';
import { train } from './train.ts';

// wasm first: the reference backend of the comparisons below, registered before webgpu takes over
await chooseBackend('wasm');
const gpu = await chooseBackend('webgpu').then(
  (c) => ({ device: c.device ?? 'unnamed adapter', why: undefined }),
  (e: Error) => ({ device: undefined, why: e.message }),
);
const skip = gpu.why ? `${gpu.why.split('. ')[0]} (the fix: this file's first line)` : undefined;
const onGpu = skip ? { skip } : {};
if (skip) console.log(`# webgpu tests skipped: ${gpu.why}`);
else console.log(`# webgpu on ${gpu.device}`);

test('a machine that must have WebGPU has it (PRUNELAB_REQUIRE_WEBGPU=1)', {
  skip: process.env.PRUNELAB_REQUIRE_WEBGPU === '1' ? false : 'PRUNELAB_REQUIRE_WEBGPU is not set',
}, () => {
  assert.equal(skip, undefined, skip);
  assert.equal(numericBuild().backend, 'webgpu');
  assert.match(numericBuild().key, /^webgpu on .+ tfjs-4\.22\.0/);
});

hfTinySuite({ label: 'webgpu', ...(skip && { skip }) });

/** Run `f` with the wasm backend active, then return to webgpu. */
async function onWasm<T>(f: () => Promise<T> | T): Promise<T> {
  await tf.setBackend('wasm');
  try {
    return await f();
  } finally {
    await tf.setBackend('webgpu');
  }
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

async function values(f: () => tf.Tensor): Promise<Float32Array> {
  const t = f();
  const v = (await t.data()) as Float32Array;
  t.dispose();
  return v;
}

/** tfjs-backend-webgpu 4.22's BufferManager as far as the cap touches it: free buffers pooled by exact size. */
class Pool {
  freeBuffers = new Map<string, Buf[]>();
  numBytesAllocated = 0;
  numBytesUsed = 0;
  numFreeBuffers = 0;
  destroyed: Buf[] = [];
  acquire(size: number): Buf {
    const free = this.freeBuffers.get(`${size}_1`);
    let b = free?.pop();
    if (b) this.numFreeBuffers--;
    else {
      const made: Buf = { size, usage: 1, destroy: () => this.destroyed.push(made) };
      b = made;
      this.numBytesAllocated += size;
    }
    this.numBytesUsed += size;
    return b;
  }
  releaseBuffer(b: Buf, reuse = true): void {
    this.numBytesUsed -= b.size;
    if (!reuse) {
      b.destroy();
      this.numBytesAllocated -= b.size;
      return;
    }
    const key = `${b.size}_${b.usage}`;
    this.freeBuffers.set(key, [...(this.freeBuffers.get(key) ?? []), b]);
    this.numFreeBuffers++;
  }
}
interface Buf {
  size: number;
  usage: number;
  destroy(): void;
}

test('the GPU buffer pool keeps at most its cap, dropping the oldest released buffers; reuse still works', () => {
  const pool = new Pool();
  capBufferPool(pool, 1000);
  const held = [100, 200, 300, 400, 500, 600].map((n) => pool.acquire(n));
  for (const b of held) pool.releaseBuffer(b);
  // after each release at most 1,000 bytes stay pooled, the oldest released going first
  const sizes = () => pool.destroyed.map((b) => b.size);
  assert.deepEqual(sizes(), [100, 200, 300, 400, 500]);
  assert.equal(pool.numBytesAllocated - pool.numBytesUsed, 600);
  assert.equal(pool.numFreeBuffers, 1);
  const again = pool.acquire(600); // reused, not made
  assert.equal(again, held[5]);
  pool.releaseBuffer(again);
  pool.releaseBuffer(pool.acquire(700)); // 1,300 pooled: 600 goes
  assert.deepEqual(sizes(), [100, 200, 300, 400, 500, 600]);
  assert.equal(pool.numBytesAllocated, 700);
});

describe('the kernels prunelab replaces on webgpu', () => {
  test('AddN chunks keep the left-to-right order within the binding limit', () => {
    assert.deepEqual(addNChunks(3, 7), [[0, 1, 2]]);
    assert.deepEqual(addNChunks(10, 4), [
      [0, 1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ]);
    for (const [n, k] of [
      [40, 7],
      [8, 7],
      [9, 2],
    ] as const) {
      const chunks = addNChunks(n, k);
      assert.deepEqual(
        chunks.flat(),
        Array.from({ length: n }, (_, i) => i),
      );
      assert.ok(chunks[0]!.length <= k && chunks.slice(1).every((c) => c.length <= k - 1));
    }
  });

  test('segment rows: each segment lists its rows in order; ids outside [0, n) are dropped', () => {
    const { order, starts } = segmentRows([2, 0, 2, 5, -1, 0, 2], 4);
    assert.deepEqual([...starts], [0, 2, 2, 5, 5]);
    assert.deepEqual([...order], [1, 5, 0, 2, 6]);
  });

  test("split-K is recognised where tfjs' heuristic picks it (batch 1, K >= 2000, few output tiles)", () => {
    assert.equal(picksSplitK([32, 4096], [4096, 64], false, false, 64), true);
    assert.equal(picksSplitK([4096, 32], [4096, 64], true, false, 64), true); // a weight gradient: x^T dy
    assert.equal(picksSplitK([32, 1999], [1999, 64], false, false, 64), false);
    assert.equal(picksSplitK([2, 32, 4096], [2, 4096, 64], false, false, 64), false);
    assert.equal(picksSplitK([8, 4096], [4096, 8], false, false, 64), false); // 64 outputs: the reduce program
    assert.equal(picksSplitK([512, 4096], [4096, 512], false, false, 64), false); // many tiles
  });

  test(
    'softmax of a row whose every entry is float32 min is uniform, as on wasm (tfjs webgpu gives NaN)',
    onGpu,
    async () => {
      const min = -3.4028234663852886e38;
      const got = await values(() => tf.softmax(tf.fill([3, 200], min)));
      for (const v of got) assert.equal(v, Math.fround(1 / 200));
      const x = tf.randomNormal([16, 300], 0, 3, 'float32', 1);
      const xs = await x.data();
      const ref = await onWasm(() => values(() => tf.softmax(tf.tensor(xs, [16, 300]))));
      assert.ok(maxDiff(await values(() => tf.softmax(x)), ref) < 1e-7);
      x.dispose();
      checkWebgpu();
    },
  );

  test('AddN over 40 tensors (more than a shader may bind) equals wasm', onGpu, async () => {
    const parts = Array.from({ length: 40 }, (_, i) => tf.randomUniform([257], -1, 1, 'float32', i));
    const host = await Promise.all(parts.map((p) => p.data()));
    const ref = await onWasm(() => values(() => tf.addN(host.map((h) => tf.tensor(h)))));
    assert.deepEqual(await values(() => tf.addN(parts)), ref);
    tf.dispose(parts);
    checkWebgpu();
  });

  test(
    'segment sums (the gather gradient) equal wasm and repeat bit for bit, ids from host or device',
    onGpu,
    async () => {
      const rows = 3000;
      const idsHost = Int32Array.from({ length: rows }, (_, i) => (i * 7919) % 97);
      const x = tf.randomNormal([rows, 24], 0, 1, 'float32', 3);
      const xs = await x.data();
      const ref = await onWasm(() =>
        values(() => tf.unsortedSegmentSum(tf.tensor(xs, [rows, 24]), tf.tensor1d(idsHost, 'int32'), 100)),
      );
      const fromHost = () => tf.unsortedSegmentSum(x, tf.tensor1d(idsHost, 'int32'), 100);
      // computed on the device: not readable synchronously, so the kernel scans
      const fromDevice = () =>
        tf.unsortedSegmentSum(x, tf.add<tf.Tensor1D>(tf.tensor1d(idsHost, 'int32'), tf.scalar(0, 'int32')), 100);
      const a = await values(fromHost);
      assert.ok(maxDiff(a, ref) < 1e-5, `host ids: ${maxDiff(a, ref)}`);
      assert.deepEqual(await values(fromHost), a);
      const b = await values(fromDevice);
      assert.deepEqual(b, a);
      assert.deepEqual(await values(fromDevice), b);
      x.dispose();
      checkWebgpu();
    },
  );

  test('a product tfjs would split along K repeats bit for bit and equals wasm', onGpu, async () => {
    const a = tf.randomNormal([4096, 32], 0, 1, 'float32', 4);
    const b = tf.randomNormal([4096, 48], 0, 1, 'float32', 5);
    const [ah, bh] = [await a.data(), await b.data()];
    const ref = await onWasm(() =>
      values(() => tf.matMul(tf.tensor(ah, [4096, 32]), tf.tensor(bh, [4096, 48]), true, false)),
    );
    const got = await values(() => tf.matMul(a, b, true, false));
    assert.ok(maxDiff(got, ref) < 1e-3, `vs wasm ${maxDiff(got, ref)}`);
    for (let i = 0; i < 3; i++) assert.deepEqual(await values(() => tf.matMul(a, b, true, false)), got);
    tf.dispose([a, b]);
    checkWebgpu();
  });
});

const config = parseBertConfig({
  vocab_size: 40,
  hidden_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 64,
  max_position_embeddings: 16,
  num_labels: 2,
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
});

/** Two epochs on the keyword task: every training pass's logits, the epoch losses and the final weights. */
async function fineTune() {
  const model = { config, params: initParams(config, 9) };
  const logits: number[] = [];
  const epochs = await train(model, keywordTask(96, 4, 12), {
    epochs: 2,
    batchSize: 16,
    lr: 2e-3,
    seed: 11,
    maxGradNorm: 1,
    onBatch: ({ logits: l }) => logits.push(...l),
  });
  const weights = new Map<string, Float32Array>();
  for (const [n, v] of model.params) weights.set(n, (await v.data()) as Float32Array);
  disposeParams(model.params);
  return { logits, losses: epochs.map((e) => e.loss), weights };
}

test('a short fine-tuning run on webgpu repeats bit for bit and follows wasm within 1e-4', onGpu, async (t) => {
  const ref = await onWasm(fineTune);
  const a = await fineTune();
  const b = await fineTune();
  assert.deepEqual(b.logits, a.logits, 'the same seed gives the same run');
  assert.deepEqual(b.weights, a.weights);
  const dLogits = maxDiff(a.logits, ref.logits);
  const dLoss = maxDiff(a.losses, ref.losses);
  let dWeights = 0;
  for (const [n, w] of a.weights) dWeights = Math.max(dWeights, maxDiff(w, ref.weights.get(n)!));
  t.diagnostic(
    `vs wasm: logits ${dLogits.toExponential(2)}, losses ${dLoss.toExponential(2)}, weights ${dWeights.toExponential(2)}`,
  );
  assert.ok(dLogits < 1e-4 && dLoss < 1e-4 && dWeights < 1e-4, `logits ${dLogits}, loss ${dLoss}, weights ${dWeights}`);
  checkWebgpu();
});

test('a device error is not silent: checkWebgpu throws with it', onGpu, async () => {
  // last in this file: the error stays recorded for the rest of the process
  const device = (tf.backend() as unknown as { device: { createBuffer(d: object): { destroy(): void } } }).device;
  device.createBuffer({ size: 4, usage: 0 }); // no usage: a validation error
  await new Promise((r) => setTimeout(r, 100));
  for (let i = 0; i < 20; i++) {
    try {
      checkWebgpu();
    } catch (e) {
      assert.match((e as Error).message, /the WebGPU device reported an error, so results computed since are wrong/);
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail('no error was recorded');
});
