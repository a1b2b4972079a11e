// OPTForCausalLM's next-token objective on our OPT decoder: logits = hidden states x embed_tokens^T (HF ties
// lm_head to the token embeddings), loss = mean NLL of each position's next token, masked positions excluded.
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVAL, type ForwardContext } from './layers.ts';
import { optBodySpecs, optDecoder } from './opt.ts';
import type { OptConfig } from './opt-config.ts';
import { param, type Params } from './params.ts';
import { writeSafetensors, type RawTensor } from './safetensors.ts';

/** Logits [B*T, V] of ids [B, T] (every position real: packed blocks have no padding). */
export function lmLogits(params: Params, c: OptConfig, ids: tf.Tensor2D, ctx: ForwardContext = EVAL): tf.Tensor2D {
  if (c.word_embed_proj_dim !== c.hidden_size)
    throw new Error('causal LM: word_embed_proj_dim must equal hidden_size (no project_in/out)');
  const mask = tf.onesLike(ids);
  const h = optDecoder(params, c, { inputIds: ids, attentionMask: mask }, ctx);
  const [B, T, H] = h.shape;
  return tf.matMul(
    h.reshape([B * T, H]),
    param(params, 'model.decoder.embed_tokens.weight'),
    false,
    true,
  ) as tf.Tensor2D;
}

// NLL per row with its gradient written out (softmax - one-hot): tfjs' own gradients of gather on the flat
// logits or of logSumExp cost 3-4x this on wasm for [2048, 8260] logits (measured 3.2 s vs 0.85 s a step).
const nllRows = tf.customGrad(((logits: tf.Tensor2D, oneHot: tf.Tensor2D, save: tf.GradSaveFunc) => {
  const lse = tf.logSumExp(logits, 1, true);
  save([logits, lse, oneHot]);
  return {
    value: tf.sub(lse.reshape([-1]), tf.sum(tf.mul(logits, oneHot), 1)),
    gradFunc: (dy: tf.Tensor, [l, z, o]: tf.Tensor[]) => [
      tf.mul(tf.sub(tf.exp(tf.sub(l!, z!)), o!), dy.reshape([-1, 1])),
      tf.zerosLike(o!),
    ],
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (
  logits: tf.Tensor2D,
  oneHot: tf.Tensor2D,
) => tf.Tensor1D;

/** Summed NLL of `targets` [B, T] under logits [B*T, V], over positions where `weights` [B, T] is 1, and that count. */
export function nllSum(
  logits: tf.Tensor2D,
  targets: tf.Tensor2D,
  weights?: tf.Tensor2D,
): { sum: tf.Scalar; count: tf.Scalar } {
  const nll = nllRows(logits, tf.oneHot(targets.reshape([-1]).toInt(), logits.shape[1]).toFloat() as tf.Tensor2D);
  const w = weights ? weights.reshape([-1]).toFloat() : tf.onesLike(nll);
  return { sum: tf.sum(tf.mul(nll, w)) as tf.Scalar, count: tf.sum(w) as tf.Scalar };
}

/** Mean next-token NLL of ids [B, T+1]: inputs are [:, :T], targets [:, 1:]. */
export function lmLoss(
  params: Params,
  c: OptConfig,
  block: tf.Tensor2D,
  ctx: ForwardContext = EVAL,
  weights?: tf.Tensor2D,
): tf.Scalar {
  const [B, T1] = block.shape;
  const inputs = block.slice([0, 0], [B, T1 - 1]) as tf.Tensor2D;
  const targets = block.slice([0, 1], [B, T1 - 1]) as tf.Tensor2D;
  const { sum, count } = nllSum(lmLogits(params, c, inputs, ctx), targets, weights);
  return tf.div(sum, tf.maximum(count, 1)) as tf.Scalar;
}

/** Blocks [n, T+1] of a token stream, block i = stream[i*T .. i*T+T] (consecutive blocks share one token). */
export function streamBlocks(stream: Int32Array, T: number, rows: ArrayLike<number>): tf.Tensor2D {
  const out = new Int32Array(rows.length * (T + 1));
  for (let r = 0; r < rows.length; r++) out.set(stream.subarray(rows[r]! * T, rows[r]! * T + T + 1), r * (T + 1));
  return tf.tensor2d(out, [rows.length, T + 1], 'int32');
}

/** Perplexity exp(total NLL / tokens) of a stream cut into blocks of T (every next token predicted once). */
export function perplexity(
  params: Params,
  c: OptConfig,
  stream: Int32Array,
  T: number,
  batch = 32,
  maxBlocks = Infinity,
): { ppl: number; nll: number; tokens: number } {
  const n = Math.min(maxBlocks, Math.floor((stream.length - 1) / T));
  let sum = 0;
  let count = 0;
  for (let b = 0; b < n; b += batch) {
    const rows = Array.from({ length: Math.min(batch, n - b) }, (_, i) => b + i);
    const [s, k] = tf.tidy(() => {
      const block = streamBlocks(stream, T, rows);
      const r = nllSum(
        lmLogits(params, c, block.slice([0, 0], [rows.length, T]) as tf.Tensor2D),
        block.slice([0, 1], [rows.length, T]) as tf.Tensor2D,
      );
      return [r.sum.dataSync()[0]!, r.count.dataSync()[0]!];
    });
    sum += s;
    count += k;
  }
  const nll = sum / Math.max(1, count);
  return { ppl: Math.exp(nll), nll, tokens: count };
}

/** An OPTForCausalLM folder: config.json + model.safetensors with the decoder only (lm_head is tied to
 * embed_tokens, so HF saves no separate copy). Fine-tuning loads it with a fresh `score` head. */
export function saveCausalLm(dir: string, c: OptConfig, params: Params, extra: Record<string, unknown> = {}): void {
  mkdirSync(dir, { recursive: true });
  const tensors = new Map<string, RawTensor>();
  for (const spec of optBodySpecs(c)) {
    const v = param(params, spec.name);
    const data = tf.tidy(() => (spec.kind === 'linear' ? v.transpose() : v).dataSync() as Float32Array);
    tensors.set(spec.name, { shape: spec.shape, data: new Float32Array(data) });
  }
  writeSafetensors(join(dir, 'model.safetensors'), tensors);
  const out = { ...c, ...extra, architectures: ['OPTForCausalLM'], tie_word_embeddings: true };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(out, null, 2) + '\n');
}
