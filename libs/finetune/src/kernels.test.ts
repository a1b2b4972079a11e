// The fast kernel paths against the plain ones on the same inputs: the wasm backend with the native addon, the
// wasm backend with it switched off (XNNPACK-only BatchMatMul), and tfjs' cpu backend as the reference.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { chooseBackend } from './backend.ts';
import { nativeEnabled, nativeStatus, setNativeEnabled } from './kernels-native.ts';
import { fusedAdamW, fusedGlobalNorm, type AdamWScalars } from './kernels-adamw.ts';
import { dropout, dropoutMask, gelu, layerNorm, linear } from './layers.ts';

const MATMULS: [number[], number[], boolean, boolean][] = [
  [[5, 3], [3, 4], false, false],
  [[3, 5], [3, 4], true, false],
  [[5, 3], [4, 3], false, true],
  [[3, 5], [4, 3], true, true],
  [[2, 5, 3], [2, 3, 4], false, false],
  [[2, 3, 5], [2, 4, 3], true, true],
  [[2, 2, 5, 3], [2, 2, 4, 3], false, true],
  [[2, 5, 3], [3, 4], false, false],
  [[5, 3], [2, 3, 4], false, false],
  [[1, 5, 3], [2, 3, 4], false, false],
];

/** Every kernel the fast paths replace, on fixed seeded inputs; each entry is one output's values. */
function outputs(): number[][] {
  return tf.tidy(() => {
    const out: tf.Tensor[] = [];
    for (const [as, bs, ta, tb] of MATMULS) {
      out.push(tf.matMul(tf.randomNormal(as, 0, 1, 'float32', 1), tf.randomNormal(bs, 0, 1, 'float32', 2), ta, tb));
    }
    const x = tf.randomNormal([4, 6, 8], 0, 1, 'float32', 3);
    const g = tf.randomNormal([8], 1, 0.1, 'float32', 4);
    const b = tf.randomNormal([8], 0, 0.1, 'float32', 5);
    const w = tf.randomNormal([4, 6, 8], 0, 1, 'float32', 6);
    const lin = tf.randomNormal([8, 5], 0, 1, 'float32', 7);
    const bias = tf.randomNormal([5], 0, 1, 'float32', 8);
    out.push(layerNorm(x, g, b, 1e-12), gelu(x), linear(x, lin, bias));
    out.push(
      ...tf.grads((x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(layerNorm(x, g, b, 1e-12), w)))([
        x,
        g,
        b,
      ]),
    );
    out.push(tf.grad((x: tf.Tensor) => tf.sum(tf.mul(gelu(x), w)))(x));
    out.push(
      ...tf.grads((x: tf.Tensor, l: tf.Tensor, c: tf.Tensor) => tf.sum(tf.square(linear(x, l, c))))([x, lin, bias]),
    );
    out.push(tf.add(x, 1.5), tf.sub(x, b), tf.mul(2, x), tf.div(x, w), tf.sqrt(tf.abs(x)), tf.square(x));
    out.push(tf.add(x, tf.randomNormal([4, 1, 8], 0, 1, 'float32', 9))); // not a suffix broadcast: the wasm kernel
    const col = tf.randomNormal([4, 6, 1], 1, 0.5, 'float32', 10); // trailing broadcast, either side, every op
    out.push(
      tf.mul(col, x),
      tf.sub(x, col),
      tf.div(col, x),
      tf.div(x, col),
      tf.add(tf.randomNormal([4, 1, 1], 0, 1, 'float32', 11), x),
    );
    out.push(tf.sum(x), tf.sum(x, 0), tf.sum(x, [0, 1], true), tf.sum(x, -1), tf.sum(x, 1));
    const ids = tf.tensor2d(
      [
        [3, 0, 3],
        [1, 2, 0],
      ],
      undefined,
      'int32',
    );
    out.push(tf.gather(x, ids), tf.gather(x, ids.reshape([-1]), 1)); // axis 0: row copies; axis 1: the wasm kernel
    out.push(...tf.grads((x: tf.Tensor) => tf.sum(tf.mul(tf.gather(x.reshape([24, 8]), ids), 2)))([x]));
    return out.map((t) => Array.from(t.dataSync()));
  });
}

function maxDiff(a: number[][], b: number[][]): number {
  assert.equal(a.length, b.length);
  return Math.max(
    ...a.map((row, i) => {
      assert.equal(row.length, b[i]!.length, `output ${i} has ${row.length} values, expected ${b[i]!.length}`);
      return Math.max(...row.map((v, j) => Math.abs(v - b[i]![j]!) / Math.max(1, Math.abs(b[i]![j]!))));
    }),
  );
}

describe('fast kernels agree with the plain ones', () => {
  let reference: number[][];
  before(async () => {
    await chooseBackend('cpu');
    reference = outputs();
    await chooseBackend('wasm');
  });
  after(() => setNativeEnabled(true));

  test('wasm without the native addon matches the cpu backend', () => {
    setNativeEnabled(false);
    assert.equal(nativeEnabled(), false);
    const d = maxDiff(outputs(), reference);
    assert.ok(d < 1e-5, `max relative diff ${d}`);
  });

  test('wasm with the native addon (when it builds) matches the cpu backend and the addon-free path', (t) => {
    setNativeEnabled(true);
    if (!nativeEnabled()) {
      t.skip(`native addon unavailable here: ${nativeStatus().summary}`);
      return;
    }
    const native = outputs();
    assert.ok(maxDiff(native, reference) < 1e-5);
    setNativeEnabled(false);
    const plain = outputs();
    assert.ok(maxDiff(native, plain) < 1e-5);
  });

  test('the fused AdamW update and global norm equal the compositions adamw.ts runs', (t) => {
    setNativeEnabled(true);
    if (!nativeEnabled()) {
      t.skip(`native addon unavailable here: ${nativeStatus().summary}`);
      return;
    }
    const [p, m, g] = [11, 12, 13].map((seed) => tf.randomNormal([40, 7], 0, 1, 'float32', seed));
    const v = tf.abs(tf.randomNormal([40, 7], 0, 1, 'float32', 14));
    for (const s of [
      { scale: 1, b1: 0.9, b2: 0.999, eps: 1e-8, decay: 1, bc1: 1 - 0.9, bc2: 1 - 0.999, lr: 1e-3 },
      {
        scale: 0.37,
        b1: 0.9,
        b2: 0.98,
        eps: 1e-6,
        decay: 1 - 2e-5 * 0.01,
        bc1: 1 - 0.9 ** 3,
        bc2: 1 - 0.98 ** 3,
        lr: 2e-5,
      },
    ] as AdamWScalars[]) {
      const composed = tf.tidy(() => {
        // adamw.ts' update, op for op
        const gs = s.scale === 1 ? g! : tf.mul(g!, s.scale);
        const m2 = tf.add(tf.mul(m!, s.b1), tf.mul(gs, 1 - s.b1));
        const v2 = tf.add(tf.mul(v, s.b2), tf.mul(tf.square(gs), 1 - s.b2));
        const decayed = s.decay !== 1 ? tf.mul(p!, s.decay) : p!;
        const denom = tf.add(tf.div(tf.sqrt(v2), Math.sqrt(s.bc2)), s.eps);
        return [tf.sub(decayed, tf.mul(tf.div(m2, denom), s.lr / s.bc1)), m2, v2].map((x) => Array.from(x.dataSync()));
      });
      const fused = fusedAdamW(p!, m!, v, g!, s)!;
      assert.ok(
        maxDiff(
          fused.map((x) => Array.from(x.dataSync())),
          composed,
        ) < 1e-6,
      );
      tf.dispose(fused);
    }
    const composedNorm = tf.tidy(() => tf.sqrt(tf.addN([p!, g!].map((t) => tf.sum(tf.square(t))))).dataSync()[0]!);
    const norm = fusedGlobalNorm([p!, g!])!;
    assert.ok(Math.abs(norm - composedNorm) < 1e-5 * composedNorm, `${norm} vs ${composedNorm}`);
    setNativeEnabled(false);
    assert.equal(fusedGlobalNorm([p!]), null);
    assert.equal(
      fusedAdamW(p!, m!, v, g!, { scale: 1, b1: 0.9, b2: 0.999, eps: 1e-8, decay: 1, bc1: 0.1, bc2: 0.001, lr: 1 }),
      null,
    );
    tf.dispose([p!, m!, v, g!]);
  });

  test('dropout masks: seeded, rate-shaped, scaled to keep the mean, and off in evaluation', () => {
    const m = dropoutMask(100_000, 0.1, 42);
    assert.deepEqual(m, dropoutMask(100_000, 0.1, 42));
    assert.notDeepEqual(m, dropoutMask(100_000, 0.1, 43));
    const zeros = m.filter((v) => v === 0).length;
    assert.ok(Math.abs(zeros / m.length - 0.1) < 0.005, `dropped ${zeros}`);
    assert.ok(m.every((v) => v === 0 || Math.abs(v - 1 / 0.9) < 1e-6));
    const x = tf.ones([40, 50]);
    assert.equal(dropout(x, 0.5, { training: false, nextSeed: () => 1 }), x);
    for (const native of [false, true]) {
      // the native mask is the same stream, bit for bit
      setNativeEnabled(native);
      const y = dropout(x, 0.3, { training: true, nextSeed: () => 7 });
      assert.deepEqual(Array.from(y.dataSync()), Array.from(dropoutMask(2000, 0.3, 7)));
      y.dispose();
    }
    x.dispose();
  });
});
