// Packing: the token-wise parts of an encoder (embeddings, projections, feed-forward, layer norms, dropout) run on
// the batch's real tokens only, [N, C] with N = the mask's ones, instead of on [B, T, C] with its padding. SST-2
// batches cut to their longest row are about two thirds padding, and those rows cost as much as real ones. Only
// attention needs the [B, T] layout; it gets it by expanding the packed rows (pads read a zero row) and gives it
// back by packing. Both are gathers, so autograd needs nothing new (the gradient of a gather is a segment sum).
// The values are the padded path's (pads never reach a real token: attention masks them); the summation order of
// the weight gradients and the dropout draws differ, so packed runs are another numeric build (numeric-build.ts).
import * as tf from '@tensorflow/tfjs';
import { PACKED_HEADS } from './kernels-wasm-copies.ts';

/** PRUNELAB_PACK=0 runs every position, padding included (the engine before packing; its numeric build). */
export function packingEnabled(): boolean {
  const v = process.env.PRUNELAB_PACK;
  if (v === undefined || v === '' || v === '1') return true;
  if (v === '0') return false;
  throw new Error(`PRUNELAB_PACK=${v}: expected 1 (skip padding in token-wise layers, the default) or 0 (compute it)`);
}

/** Where a batch's real tokens sit. Tensors are int32 and owned by the caller (dispose, or make inside a tidy). */
export interface Packing {
  B: number;
  T: number;
  /** real tokens */
  n: number;
  /** [n]: each real token's position in the flattened [B * T] batch, row by row */
  flat: tf.Tensor1D;
  /** [n]: each real token's position in its row (for position embeddings) */
  position: tf.Tensor1D;
  /** [B * T]: each position's row in the packed [n] list, or n for a pad (a zero row appended by expand) */
  expand: tf.Tensor1D;
}

/** The packing of a [B, T] attention mask (1 = token, 0 = pad; pads may sit anywhere). Reads the mask to the host. */
export function packingOf(mask: tf.Tensor): Packing {
  const [B, T] = mask.shape as [number, number];
  const m = mask.dataSync();
  let n = 0;
  for (let i = 0; i < m.length; i++) if (m[i] !== 0) n++;
  const flat = new Int32Array(n);
  const position = new Int32Array(n);
  const expand = new Int32Array(B * T);
  for (let i = 0, k = 0; i < m.length; i++) {
    if (m[i] !== 0) {
      flat[k] = i;
      position[k] = i % T;
      expand[i] = k++;
    } else expand[i] = n;
  }
  return {
    B,
    T,
    n,
    flat: tf.tensor1d(flat, 'int32'),
    position: tf.tensor1d(position, 'int32'),
    expand: tf.tensor1d(expand, 'int32'),
  };
}

/** [B, T, C] -> [n, C]: the real tokens' rows. */
export function pack(x: tf.Tensor, p: Packing): tf.Tensor2D {
  const C = x.shape[x.rank - 1]!;
  return tf.gather(x.reshape([p.B * p.T, C]), p.flat) as tf.Tensor2D;
}

/** [n, C] -> [B, T, C]: the real tokens back in place, zeros at the pads. */
export function expand(x: tf.Tensor, p: Packing): tf.Tensor3D {
  const C = x.shape[1]!;
  return tf.gather(tf.concat([x, tf.zeros([1, C])], 0), p.expand).reshape([p.B, p.T, C]) as tf.Tensor3D;
}

const fusedHeads = () => tf.getBackend() === 'wasm' && !!tf.getKernel(PACKED_HEADS.split, 'wasm');

const runKernel = (name: string, inputs: tf.NamedTensorMap, attrs: object) =>
  tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];

/** Packed q|k|v projections [n, 3W] -> q, k, v as [B, heads, T, W / heads], zeros at the pads. */
export function packedHeads(qkv: tf.Tensor, p: Packing, heads: number): [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D] {
  const width = qkv.shape[1]! / 3;
  if (!fusedHeads())
    return tf
      .split(expand(qkv, p), 3, 2)
      .map((y) => y!.reshape([p.B, p.T, heads, width / heads]).transpose([0, 2, 1, 3])) as [
      tf.Tensor4D,
      tf.Tensor4D,
      tf.Tensor4D,
    ];
  const attrs = { B: p.B, T: p.T, heads, width, parts: 3, n: p.n };
  return runKernel(PACKED_HEADS.split, { x: qkv, expand: p.expand }, attrs) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
}

/** Attention's result [B, heads, T, d] -> [n, heads d], the real tokens' rows. */
export function mergeHeads(x: tf.Tensor, p: Packing): tf.Tensor2D {
  const [B, heads, T, d] = x.shape as [number, number, number, number];
  if (!fusedHeads()) return pack(x.transpose([0, 2, 1, 3]).reshape([B, T, heads * d]), p);
  const attrs = { B, T, heads, width: heads * d, parts: 1, n: p.n };
  return runKernel(PACKED_HEADS.merge, { x, expand: p.expand }, attrs) as tf.Tensor2D;
}
