// The BERT / RoBERTa encoder as Hugging Face's BertModel / RobertaModel computes it. Parameters are named exactly
// as in HF checkpoints (`bert.*` or `roberta.*`) so real model.safetensors files load unchanged.
import * as tf from '@tensorflow/tfjs';
import type { BertConfig } from './bert-config.ts';
import type { ModelInputs } from './families/family.ts';
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
import { linearSpecs, normSpecs, param, type ParamSpec, type Params } from './params.ts';

export type { ParamKind, ParamSpec, Params } from './params.ts';

/** float32's most negative finite value: what HF adds to the scores of masked keys. */
export const FLOAT32_MIN = -3.4028234663852886e38;

export type BertInputs = ModelInputs;

/** How ids index position_embeddings. absolute (BERT): rows 0..T-1. padded (RoBERTa): real tokens count up from
 * pad + 1 and pads read row pad (HF's create_position_ids_from_input_ids), a row zeroed at initialisation. */
export type PositionIds = 'absolute' | 'padded';

/** `bert` or `roberta`: the state_dict prefix of the body. */
export function encoderPrefix(c: BertConfig): string {
  return c.model_type;
}

/** Embeddings and layers (no pooler), with HF names and shapes. */
export function encoderBodySpecs(c: BertConfig, positions: PositionIds): ParamSpec[] {
  const h = c.hidden_size;
  const e = `${encoderPrefix(c)}.embeddings`;
  const specs: ParamSpec[] = [
    { name: `${e}.word_embeddings.weight`, shape: [c.vocab_size, h], kind: 'embedding', zeroRow: c.pad_token_id },
    {
      name: `${e}.position_embeddings.weight`,
      shape: [c.max_position_embeddings, h],
      kind: 'embedding',
      ...(positions === 'padded' ? { zeroRow: c.pad_token_id } : {}),
    },
    { name: `${e}.token_type_embeddings.weight`, shape: [c.type_vocab_size, h], kind: 'embedding' },
    ...normSpecs(`${e}.LayerNorm`, h),
  ];
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `${encoderPrefix(c)}.encoder.layer.${i}`;
    specs.push(
      ...linearSpecs(`${p}.attention.self.query`, h, h),
      ...linearSpecs(`${p}.attention.self.key`, h, h),
      ...linearSpecs(`${p}.attention.self.value`, h, h),
      ...linearSpecs(`${p}.attention.output.dense`, h, h),
      ...normSpecs(`${p}.attention.output.LayerNorm`, h),
      ...linearSpecs(`${p}.intermediate.dense`, h, c.intermediate_size),
      ...linearSpecs(`${p}.output.dense`, c.intermediate_size, h),
      ...normSpecs(`${p}.output.LayerNorm`, h),
    );
  }
  return specs;
}

export function poolerSpecs(c: BertConfig): ParamSpec[] {
  return linearSpecs(`${encoderPrefix(c)}.pooler.dense`, c.hidden_size, c.hidden_size);
}

/** Every parameter of BertForSequenceClassification, with its HF name and HF shape. */
export function bertParamSpecs(c: BertConfig): ParamSpec[] {
  const classifier = linearSpecs('classifier', c.hidden_size, c.num_labels);
  return [...encoderBodySpecs(c, 'absolute'), ...poolerSpecs(c), ...classifier];
}

function selfAttention(
  x: tf.Tensor,
  addMask: tf.Tensor,
  params: Params,
  p: string,
  layer: number,
  c: BertConfig,
  ctx: ForwardContext,
): tf.Tensor {
  const [B, T, H] = x.shape as [number, number, number];
  const nh = c.num_attention_heads;
  const d = H / nh;
  const heads = (name: string) =>
    moduleLinear(`${p}.${name}`, x, param(params, `${p}.${name}.weight`), param(params, `${p}.${name}.bias`), ctx)
      .reshape([B, T, nh, d])
      .transpose([0, 2, 1, 3]);
  const q = heads('query');
  const kv = withPrefix(layer, x, heads('key'), heads('value'), addMask, ctx);
  const scores = tf.add(tf.div(tf.matMul(q, kv.k, false, true), Math.sqrt(d)), kv.addMask);
  const probs = dropout(tf.softmax(scores, -1), c.attention_probs_dropout_prob, ctx);
  return tf.matMul(probs, kv.v).transpose([0, 2, 1, 3]).reshape([B, T, H]);
}

/** RoBERTa's position-embedding rows: real (non-pad) tokens count up from pad+1 (+ past: peft prefix tuning's
 * virtual tokens), pads get row pad. */
function positionRows(c: BertConfig, ids: tf.Tensor2D, past: number): tf.Tensor2D {
  const real = tf.cast(tf.notEqual(ids, c.pad_token_id), 'int32');
  const count = past ? tf.add(tf.cumsum(real, 1), tf.scalar(past, 'int32')) : tf.cumsum(real, 1);
  return tf.add(tf.mul(count, real), tf.scalar(c.pad_token_id, 'int32')) as tf.Tensor2D;
}

/** The encoder's last hidden states [N, T, H] for ids [N, T] ([N, P + T, H] under peft prompt tuning). */
export function bertEncoder(
  params: Params,
  c: BertConfig,
  inputs: BertInputs,
  ctx: ForwardContext,
  positions: PositionIds,
): tf.Tensor3D {
  const ids = inputs.inputIds as tf.Tensor2D;
  const [B, T] = ids.shape;
  const H = c.hidden_size;
  // peft prompt tuning: P rows before the word embeddings (an inputs_embeds input); prefix tuning: `past` virtual
  // tokens the positions count after.
  const prompt = ctx.peft?.prompt?.(B, ctx);
  const P = prompt ? prompt.shape[1]! : 0;
  const past = ctx.peft?.pastLength ?? 0;
  const L = P + T;
  const limit = positions === 'padded' ? c.max_position_embeddings - c.pad_token_id - 1 : c.max_position_embeddings;
  if (L + past > limit) {
    const extra = P || past ? ` (${T} tokens + ${P || past} virtual)` : '';
    throw new Error(`sequence length ${L + past}${extra} exceeds the ${limit} positions of this ${c.model_type} model`);
  }
  const e = `${encoderPrefix(c)}.embeddings`;
  let word = tf.gather(param(params, `${e}.word_embeddings.weight`), ids.reshape([-1])).reshape([B, T, H]);
  let typeIds = inputs.tokenTypeIds ?? tf.zerosLike(ids);
  let mask = inputs.attentionMask;
  if (prompt) {
    word = tf.concat([prompt, word], 1);
    typeIds = tf.concat([tf.zeros([B, P], 'int32'), typeIds], 1);
    mask = tf.concat([tf.ones([B, P], 'int32'), tf.cast(mask, 'int32')], 1);
  }
  const type = tf.gather(param(params, `${e}.token_type_embeddings.weight`), typeIds.reshape([-1])).reshape([B, L, H]);
  const table = param(params, `${e}.position_embeddings.weight`);
  // BERT's rows 0..T-1 are one slice broadcast over the batch (a cheaper gradient than a gather). RoBERTa fed
  // inputs_embeds (prompt tuning) cannot see padding: rows pad+1 .. pad+L for every row, as HF numbers them.
  const pos =
    positions === 'absolute'
      ? tf.slice(table, [past, 0], [L, -1])
      : prompt
        ? tf.slice(table, [c.pad_token_id + 1, 0], [L, -1])
        : tf.gather(table, positionRows(c, ids, past).reshape([-1])).reshape([B, T, H]);
  let x: tf.Tensor = tf.add(tf.add(word, type), pos);
  x = layerNorm(x, param(params, `${e}.LayerNorm.weight`), param(params, `${e}.LayerNorm.bias`), c.layer_norm_eps);
  x = dropout(x, c.hidden_dropout_prob, ctx);
  ctx.hidden?.(0, x as tf.Tensor3D);

  // HF adds (1 - mask) * finfo(float32).min to the attention scores of padded keys.
  const addMask = tf.mul(tf.sub(1, tf.cast(mask, 'float32')), FLOAT32_MIN).reshape([B, 1, 1, L]);
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `${encoderPrefix(c)}.encoder.layer.${i}`;
    const ln = (name: string) => (y: tf.Tensor) =>
      layerNorm(y, param(params, `${name}.weight`), param(params, `${name}.bias`), c.layer_norm_eps);
    const dense = (name: string, y: tf.Tensor) =>
      moduleLinear(name, y, param(params, `${name}.weight`), param(params, `${name}.bias`), ctx);
    const attn = selfAttention(x, addMask, params, `${p}.attention.self`, i, c, ctx);
    const a = dropout(dense(`${p}.attention.output.dense`, attn), c.hidden_dropout_prob, ctx);
    x = sublayerEnd(i, 'attention', a, x, ln(`${p}.attention.output.LayerNorm`), ctx);
    const inter = gelu(dense(`${p}.intermediate.dense`, x));
    const f = dropout(dense(`${p}.output.dense`, inter), c.hidden_dropout_prob, ctx);
    x = sublayerEnd(i, 'ffn', f, x, ln(`${p}.output.LayerNorm`), ctx);
    ctx.hidden?.(i + 1, x as tf.Tensor3D);
  }
  return x as tf.Tensor3D;
}

/** The hidden state of the first token ([CLS] / <s>) of every row: [N, H]. */
export function firstToken(hidden: tf.Tensor3D): tf.Tensor2D {
  const [B, , H] = hidden.shape;
  return tf.slice(hidden, [0, 0, 0], [B, 1, H]).reshape([B, H]);
}

/** BertPooler: dense + tanh on the first token. */
export function pooled(params: Params, c: BertConfig, hidden: tf.Tensor3D): tf.Tensor2D {
  const p = `${encoderPrefix(c)}.pooler.dense`;
  return tf.tanh(linear(firstToken(hidden), param(params, `${p}.weight`), param(params, `${p}.bias`))) as tf.Tensor2D;
}

/** BertForSequenceClassification logits [B, num_labels]: pooler, dropout, classifier. */
export function bertSequenceClassifier(
  params: Params,
  c: BertConfig,
  inputs: BertInputs,
  ctx: ForwardContext,
): tf.Tensor2D {
  const hidden = bertEncoder(params, c, inputs, ctx, 'absolute');
  const rate = c.classifier_dropout ?? c.hidden_dropout_prob;
  return linear(
    dropout(pooled(params, c, hidden), rate, ctx),
    param(params, 'classifier.weight'),
    param(params, 'classifier.bias'),
  ) as tf.Tensor2D;
}
