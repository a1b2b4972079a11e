// The OPT decoder as Hugging Face's OPTModel computes it (transformers 4.31): learned positions with offset 2
// counted from the attention mask, causal + padding mask, pre- or post-LayerNorm layers, ReLU, optional
// project_in/project_out. Parameters carry HF's `model.decoder.*` names.
import * as tf from '@tensorflow/tfjs';
import { FLOAT32_MIN, type BertInputs } from './bert.ts';
import {
  dropout,
  gelu,
  layerNorm,
  linear,
  moduleLinear,
  sublayerEnd,
  withPrefix,
  type ForwardContext,
} from './layers.ts';
import { OPT_LAYER_NORM_EPS, type OptConfig } from './opt-config.ts';
import { linearSpecs, normSpecs, optionalParam, param, type ParamSpec, type Params } from './params.ts';

const D = 'model.decoder';
/** OPTLearnedPositionalEmbedding's offset: its table has max_position_embeddings + 2 rows. */
export const OPT_POSITION_OFFSET = 2;

export function optBodySpecs(c: OptConfig): ParamSpec[] {
  const h = c.hidden_size;
  const bias = c.enable_bias;
  const affine = c.layer_norm_elementwise_affine;
  const specs: ParamSpec[] = [
    {
      name: `${D}.embed_tokens.weight`,
      shape: [c.vocab_size, c.word_embed_proj_dim],
      kind: 'embedding',
      zeroRow: c.pad_token_id,
    },
    {
      name: `${D}.embed_positions.weight`,
      shape: [c.max_position_embeddings + OPT_POSITION_OFFSET, h],
      kind: 'embedding',
    },
  ];
  if (c.word_embed_proj_dim !== h) {
    specs.push(
      ...linearSpecs(`${D}.project_out`, h, c.word_embed_proj_dim, false),
      ...linearSpecs(`${D}.project_in`, c.word_embed_proj_dim, h, false),
    );
  }
  if (c.do_layer_norm_before && !c._remove_final_layer_norm)
    specs.push(...normSpecs(`${D}.final_layer_norm`, h, affine));
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `${D}.layers.${i}`;
    specs.push(
      ...linearSpecs(`${p}.self_attn.k_proj`, h, h, bias),
      ...linearSpecs(`${p}.self_attn.v_proj`, h, h, bias),
      ...linearSpecs(`${p}.self_attn.q_proj`, h, h, bias),
      ...linearSpecs(`${p}.self_attn.out_proj`, h, h, bias),
      ...normSpecs(`${p}.self_attn_layer_norm`, h, affine),
      ...linearSpecs(`${p}.fc1`, h, c.ffn_dim, bias),
      ...linearSpecs(`${p}.fc2`, c.ffn_dim, h, bias),
      ...normSpecs(`${p}.final_layer_norm`, h, affine),
    );
  }
  return specs;
}

function dense(params: Params, name: string, x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
  return moduleLinear(name, x, param(params, `${name}.weight`), optionalParam(params, `${name}.bias`), ctx);
}

function norm(params: Params, name: string, x: tf.Tensor): tf.Tensor {
  const w = optionalParam(params, `${name}.weight`);
  const b = optionalParam(params, `${name}.bias`);
  if (w && b) return layerNorm(x, w, b, OPT_LAYER_NORM_EPS);
  const { mean, variance } = tf.moments(x, x.shape.length - 1, true);
  return tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, OPT_LAYER_NORM_EPS)));
}

/** The additive attention mask [B, 1, T, T]: causal and padding parts, each 0 or float32 min, as HF sums them. */
function attentionMask(mask: tf.Tensor2D): tf.Tensor {
  const [B, T] = mask.shape;
  const causal = new Float32Array(T * T);
  for (let q = 0; q < T; q++) for (let k = q + 1; k < T; k++) causal[q * T + k] = FLOAT32_MIN;
  const padding = tf.mul(tf.sub(1, tf.cast(mask, 'float32')), FLOAT32_MIN).reshape([B, 1, 1, T]);
  return tf.add(tf.tensor4d(causal, [1, 1, T, T]), padding); // both masked: -Infinity, clamped after the add below
}

function selfAttention(
  x: tf.Tensor,
  addMask: tf.Tensor,
  params: Params,
  p: string,
  layer: number,
  c: OptConfig,
  ctx: ForwardContext,
): tf.Tensor {
  const [B, T, H] = x.shape as [number, number, number];
  const nh = c.num_attention_heads;
  const d = H / nh;
  const split = (y: tf.Tensor) => y.reshape([B, T, nh, d]).transpose([0, 2, 1, 3]);
  const q = split(tf.mul(dense(params, `${p}.q_proj`, x, ctx), d ** -0.5));
  const kv = withPrefix(
    layer,
    x,
    split(dense(params, `${p}.k_proj`, x, ctx)),
    split(dense(params, `${p}.v_proj`, x, ctx)),
    addMask,
    ctx,
  );
  // HF clamps to finfo.min after adding the mask, so a row with every key masked becomes uniform, not NaN.
  const scores = tf.maximum(tf.add(tf.matMul(q, kv.k, false, true), kv.addMask), FLOAT32_MIN);
  const probs = dropout(tf.softmax(scores, -1), c.attention_dropout, ctx);
  return dense(params, `${p}.out_proj`, tf.matMul(probs, kv.v).transpose([0, 2, 1, 3]).reshape([B, T, H]), ctx);
}

/** The decoder's last hidden states [N, T, word_embed_proj_dim] for ids [N, T] ([N, P + T, .] under peft prompt
 * tuning). */
export function optDecoder(params: Params, c: OptConfig, inputs: BertInputs, ctx: ForwardContext): tf.Tensor3D {
  const ids = inputs.inputIds as tf.Tensor2D;
  const [B, T] = ids.shape;
  // peft prompt tuning: P rows before the token embeddings, P leading ones in the mask; prefix tuning: `past`
  // virtual tokens that the positions count after (HF numbers positions on the mask widened by them).
  const prompt = ctx.peft?.prompt?.(B, ctx);
  const P = prompt ? prompt.shape[1]! : 0;
  const past = ctx.peft?.pastLength ?? 0;
  const L = P + T;
  if (L + past > c.max_position_embeddings) {
    const extra = P || past ? ` (${T} tokens + ${P || past} virtual)` : '';
    throw new Error(`sequence length ${L + past}${extra} exceeds max_position_embeddings ${c.max_position_embeddings}`);
  }
  let tokens: tf.Tensor = tf
    .gather(param(params, `${D}.embed_tokens.weight`), ids.reshape([-1]))
    .reshape([B, T, c.word_embed_proj_dim]);
  let mask = inputs.attentionMask as tf.Tensor2D;
  if (prompt) {
    tokens = tf.concat([prompt, tokens], 1);
    mask = tf.concat([tf.ones([B, P], 'int32'), tf.cast(mask, 'int32')], 1) as tf.Tensor2D;
  }
  // Positions count the real tokens: cumsum(mask) * mask - 1 (+ past), looked up at + 2 (pads get row 1).
  const m = tf.cast(mask, 'int32');
  const count = past ? tf.add(tf.cumsum(m, 1), tf.scalar(past, 'int32')) : tf.cumsum(m, 1);
  const rows = tf.add(tf.mul(count, m), tf.scalar(OPT_POSITION_OFFSET - 1, 'int32'));
  const pos = tf
    .gather(param(params, `${D}.embed_positions.weight`), rows.reshape([-1]))
    .reshape([B, L, c.hidden_size]);
  if (c.word_embed_proj_dim !== c.hidden_size) tokens = linear(tokens, param(params, `${D}.project_in.weight`));
  let x: tf.Tensor = tf.add(tokens, pos);
  ctx.hidden?.(0, x as tf.Tensor3D);
  const addMask = attentionMask(mask);
  const act = c.activation_function === 'relu' ? tf.relu : gelu;
  const pre = c.do_layer_norm_before;
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `${D}.layers.${i}`;
    const ln = (name: string) => (y: tf.Tensor) => norm(params, name, y);
    let h = pre ? norm(params, `${p}.self_attn_layer_norm`, x) : x;
    h = dropout(selfAttention(h, addMask, params, `${p}.self_attn`, i, c, ctx), c.dropout, ctx);
    x = sublayerEnd(i, 'attention', h, x, pre ? undefined : ln(`${p}.self_attn_layer_norm`), ctx);
    h = pre ? norm(params, `${p}.final_layer_norm`, x) : x;
    h = dropout(dense(params, `${p}.fc2`, act(dense(params, `${p}.fc1`, h, ctx)), ctx), c.dropout, ctx);
    x = sublayerEnd(i, 'ffn', h, x, pre ? undefined : ln(`${p}.final_layer_norm`), ctx);
    if (i < c.num_hidden_layers - 1) ctx.hidden?.(i + 1, x as tf.Tensor3D);
  }
  if (pre && !c._remove_final_layer_norm) x = norm(params, `${D}.final_layer_norm`, x);
  if (c.word_embed_proj_dim !== c.hidden_size) x = linear(x, param(params, `${D}.project_out.weight`));
  // the last layer's output as HF's hidden_states has it: after the final norm and project_out
  if (c.num_hidden_layers > 0) ctx.hidden?.(c.num_hidden_layers, x as tf.Tensor3D);
  return x as tf.Tensor3D;
}

/** transformers 4.31's pooled index for OPT sequence classification: (#tokens != pad) - 1 per row. That is the
 * last real token with right padding (with left padding it is not; newer transformers differ there). */
export function optPoolIndex(c: OptConfig, ids: tf.Tensor2D): tf.Tensor1D {
  return tf.sub(tf.sum(tf.cast(tf.notEqual(ids, c.pad_token_id), 'int32'), 1), tf.scalar(1, 'int32')) as tf.Tensor1D;
}
