// Packing (packing.ts): where the real tokens sit, the moves between [B, T, C] and [n, C], the wasm kernels that
// move q, k, v and attention's result (exact against tfjs' composition, forward and backward), and USE-Lite packed
// against padded: the same outputs and gradients up to float rounding, on wasm (the kernels) and cpu (composition).
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { chooseBackend } from './backend.ts';
import { disposeParams, initParams } from './checkpoint.ts';
import { tinyConfig } from './families/index.ts';
import { forward } from './heads.ts';
import { PACKED_HEADS } from './kernels-wasm-copies.ts';
import { EVAL } from './layers.ts';
import { headLoss } from './losses.ts';
import { parseModelConfig } from './model-config.ts';
import { expand, mergeHeads, pack, packedHeads, packingEnabled, packingOf } from './packing.ts';
import { splitmix32 } from '@prunelab/core';

after(() => {
  delete process.env.PRUNELAB_PACK;
});

const MASK = [
  [1, 1, 1, 0, 0],
  [1, 0, 1, 1, 0], // a pad inside a row too: packing reads the mask, not lengths
  [1, 1, 1, 1, 1],
];

function randn(shape: number[], seed: number): tf.Tensor {
  const rnd = splitmix32(seed);
  const n = shape.reduce((a, d) => a * d, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => rnd() * 2 - 1),
    shape,
  );
}

test('PRUNELAB_PACK: on by default, 0 turns it off, anything else is an error naming the values', () => {
  delete process.env.PRUNELAB_PACK;
  assert.equal(packingEnabled(), true);
  process.env.PRUNELAB_PACK = '0';
  assert.equal(packingEnabled(), false);
  process.env.PRUNELAB_PACK = 'no';
  assert.throws(() => packingEnabled(), /PRUNELAB_PACK=no: expected 1 .* or 0/);
  delete process.env.PRUNELAB_PACK;
});

test('packingOf: each real token, its place in its row, and every position its packed row (n for a pad)', async () => {
  await chooseBackend('wasm');
  const p = packingOf(tf.tensor2d(MASK, undefined, 'int32'));
  assert.equal(p.n, 11);
  assert.deepEqual([p.B, p.T], [3, 5]);
  assert.deepEqual(Array.from(p.flat.dataSync()), [0, 1, 2, 5, 7, 8, 10, 11, 12, 13, 14]);
  assert.deepEqual(Array.from(p.position.dataSync()), [0, 1, 2, 0, 2, 3, 0, 1, 2, 3, 4]);
  assert.deepEqual(Array.from(p.expand.dataSync()), [0, 1, 2, 11, 11, 3, 11, 4, 5, 11, 6, 7, 8, 9, 10]);
  tf.dispose([p.flat, p.position, p.expand]);
});

test('pack and expand: the real rows out and back, zeros at the pads', async () => {
  await chooseBackend('wasm');
  tf.tidy(() => {
    const p = packingOf(tf.tensor2d(MASK, undefined, 'int32'));
    const x = randn([3, 5, 4], 1);
    const packed = pack(x, p);
    assert.deepEqual(packed.shape, [11, 4]);
    const back = expand(packed, p).arraySync();
    const orig = x.arraySync() as number[][][];
    MASK.forEach((row, b) =>
      row.forEach((m, t) => assert.deepEqual(back[b]![t], m ? orig[b]![t] : [0, 0, 0, 0], `[${b}, ${t}]`)),
    );
  });
});

for (const backend of ['wasm', 'cpu']) {
  test(`${backend}: packedHeads and mergeHeads equal the composition they replace, values and gradients`, async () => {
    await chooseBackend(backend);
    // wasm runs the kernels (registered with the backend), cpu the composition itself
    assert.equal(!!tf.getKernel(PACKED_HEADS.split, tf.getBackend()), backend === 'wasm');
    tf.tidy(() => {
      const p = packingOf(tf.tensor2d(MASK, undefined, 'int32'));
      const heads = 2;
      const W = 6;
      const qkv = randn([p.n, 3 * W], 2);
      const r = [3, 4, 5].map((s) => randn([3, heads, 5, W / heads], s));
      const rm = randn([p.n, W], 6);
      // the definition: expand to [B, T, 3W], split, heads to the front; and back
      const composed = (x: tf.Tensor) =>
        tf.split(expand(x, p), 3, 2).map((y) => y!.reshape([3, 5, heads, W / heads]).transpose([0, 2, 1, 3]));
      const merged = (y: tf.Tensor) => pack(y.transpose([0, 2, 1, 3]).reshape([3, 5, W]), p);
      const fused = packedHeads(qkv, p, heads);
      composed(qkv).forEach((c, i) => assert.deepEqual(fused[i]!.arraySync(), c.arraySync(), `part ${i}`));
      assert.deepEqual(mergeHeads(r[0]!, p).arraySync(), merged(r[0]!).arraySync());
      const loss = (parts: tf.Tensor[], m: tf.Tensor) =>
        tf.add(tf.addN(parts.map((t, i) => tf.sum(tf.mul(t, r[i]!)))), tf.sum(tf.mul(m, rm)));
      const g1 = tf.grads((x: tf.Tensor, y: tf.Tensor) => loss(packedHeads(x, p, heads), mergeHeads(y, p)));
      const g2 = tf.grads((x: tf.Tensor, y: tf.Tensor) => loss(composed(x), merged(y)));
      const [a, b] = [g1([qkv, r[1]!]), g2([qkv, r[1]!])];
      assert.deepEqual(a[0]!.arraySync(), b[0]!.arraySync(), 'd qkv');
      assert.deepEqual(a[1]!.arraySync(), b[1]!.arraySync(), 'd heads');
    });
  });

  test(`${backend}: USE-Lite packed gives the padded path's logits and gradients (float rounding apart)`, async () => {
    await chooseBackend(backend);
    const c = parseModelConfig(tinyConfig('use-lite'));
    const params = initParams(c, 5);
    const rnd = splitmix32(9);
    const ids = MASK.map((row) => row.map((m) => (m ? 3 + Math.floor(rnd() * (c.vocab_size - 3)) : 0)));
    const batch = {
      inputs: { inputIds: tf.tensor2d(ids, undefined, 'int32'), attentionMask: tf.tensor2d(MASK, undefined, 'int32') },
      labels: tf.tensor1d([0, 1, 1], 'int32'),
    };
    const run = (pack: '0' | '1') => {
      process.env.PRUNELAB_PACK = pack;
      const out = { logits: [] as number[], grads: new Map<string, Float32Array>() };
      tf.tidy(() => {
        const o = forward(params, c, 'seqcls', batch.inputs, EVAL);
        out.logits = Array.from(o.head === 'qa' ? [] : o.logits.dataSync());
        const { grads } = tf.variableGrads(() => headLoss(forward(params, c, 'seqcls', batch.inputs, EVAL), batch));
        for (const [name, v] of params) out.grads.set(name, grads[v.name]!.dataSync() as Float32Array);
      });
      return out;
    };
    const padded = run('0');
    const packed = run('1');
    delete process.env.PRUNELAB_PACK;
    packed.logits.forEach((v, i) =>
      assert.ok(Math.abs(v - padded.logits[i]!) < 1e-5, `logit ${i}: ${v} vs ${padded.logits[i]}`),
    );
    assert.deepEqual([...packed.grads.keys()], [...padded.grads.keys()]);
    for (const [name, g] of packed.grads) {
      const h = padded.grads.get(name)!;
      const scale = Math.max(1e-6, ...h.map(Math.abs));
      const worst = g.reduce((m, v, i) => Math.max(m, Math.abs(v - h[i]!)), 0);
      assert.ok(worst <= 1e-4 * scale, `${name}: gradient differs by ${worst} (largest ${scale})`);
    }
    tf.dispose([batch.inputs.inputIds, batch.inputs.attentionMask, batch.labels]);
    disposeParams(params);
  });
}
