// BERT for sequence classification, as Hugging Face's BertForSequenceClassification computes it.
// Parameters are named exactly as in HF checkpoints so real model.safetensors files load unchanged.
import * as tf from '@tensorflow/tfjs';
import type { BertConfig } from './bert-config.ts';
import { dropout, gelu, layerNorm, linear, type ForwardContext } from './layers.ts';

/** linear: stored transposed in memory; embedding/norm/bias: stored as in the checkpoint. */
export type ParamKind = 'linear' | 'embedding' | 'norm' | 'bias';
export interface ParamSpec { name: string; shape: number[]; kind: ParamKind }
export type Params = Map<string, tf.Variable>;

function linearSpecs(prefix: string, inDim: number, outDim: number): ParamSpec[] {
  return [
    { name: `${prefix}.weight`, shape: [outDim, inDim], kind: 'linear' },
    { name: `${prefix}.bias`, shape: [outDim], kind: 'bias' },
  ];
}

function normSpecs(prefix: string, dim: number): ParamSpec[] {
  return [
    { name: `${prefix}.weight`, shape: [dim], kind: 'norm' },
    { name: `${prefix}.bias`, shape: [dim], kind: 'bias' },
  ];
}

/** Every parameter of BertForSequenceClassification, with its HF name and HF shape. */
export function bertParamSpecs(c: BertConfig): ParamSpec[] {
  const h = c.hidden_size;
  const specs: ParamSpec[] = [
    { name: 'bert.embeddings.word_embeddings.weight', shape: [c.vocab_size, h], kind: 'embedding' },
    { name: 'bert.embeddings.position_embeddings.weight', shape: [c.max_position_embeddings, h], kind: 'embedding' },
    { name: 'bert.embeddings.token_type_embeddings.weight', shape: [c.type_vocab_size, h], kind: 'embedding' },
    ...normSpecs('bert.embeddings.LayerNorm', h),
  ];
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `bert.encoder.layer.${i}`;
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
  specs.push(...linearSpecs('bert.pooler.dense', h, h), ...linearSpecs('classifier', h, c.num_labels));
  return specs;
}

export interface BertInputs {
  inputIds: tf.Tensor2D; // int32 [B, T]
  attentionMask: tf.Tensor2D; // int32 [B, T], 1 = real token
  tokenTypeIds?: tf.Tensor2D; // int32 [B, T]
}

function param(params: Params, name: string): tf.Variable {
  const p = params.get(name);
  if (!p) throw new Error(`model parameter '${name}' is missing`);
  return p;
}

function selfAttention(x: tf.Tensor, addMask: tf.Tensor, params: Params, p: string, c: BertConfig, ctx: ForwardContext): tf.Tensor {
  const [B, T, H] = x.shape as [number, number, number];
  const nh = c.num_attention_heads;
  const d = H / nh;
  const heads = (name: string) =>
    linear(x, param(params, `${p}.${name}.weight`), param(params, `${p}.${name}.bias`))
      .reshape([B, T, nh, d]).transpose([0, 2, 1, 3]);
  const q = heads('query');
  const k = heads('key');
  const v = heads('value');
  const scores = tf.add(tf.div(tf.matMul(q, k, false, true), Math.sqrt(d)), addMask);
  const probs = dropout(tf.softmax(scores, -1), c.attention_probs_dropout_prob, ctx);
  return tf.matMul(probs, v).transpose([0, 2, 1, 3]).reshape([B, T, H]);
}

/** The encoder's last hidden states [B, T, H]. */
export function bertEncoder(params: Params, c: BertConfig, inputs: BertInputs, ctx: ForwardContext): tf.Tensor3D {
  const [B, T] = inputs.inputIds.shape;
  if (T > c.max_position_embeddings) {
    throw new Error(`sequence length ${T} exceeds max_position_embeddings ${c.max_position_embeddings}`);
  }
  const word = tf.gather(param(params, 'bert.embeddings.word_embeddings.weight'), inputs.inputIds.reshape([-1]));
  const pos = tf.slice(param(params, 'bert.embeddings.position_embeddings.weight'), [0, 0], [T, -1]);
  const typeIds = inputs.tokenTypeIds ?? tf.zerosLike(inputs.inputIds);
  const type = tf.gather(param(params, 'bert.embeddings.token_type_embeddings.weight'), typeIds.reshape([-1]));
  let x: tf.Tensor = tf.add(tf.add(word, type).reshape([B, T, c.hidden_size]), pos);
  x = layerNorm(x, param(params, 'bert.embeddings.LayerNorm.weight'), param(params, 'bert.embeddings.LayerNorm.bias'), c.layer_norm_eps);
  x = dropout(x, c.hidden_dropout_prob, ctx);

  // HF adds (1 - mask) * finfo(float32).min to the attention scores of padded keys.
  const addMask = tf.mul(tf.sub(1, tf.cast(inputs.attentionMask, 'float32')), -3.4028234663852886e38).reshape([B, 1, 1, T]);
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `bert.encoder.layer.${i}`;
    const ln = (name: string, y: tf.Tensor) =>
      layerNorm(y, param(params, `${name}.weight`), param(params, `${name}.bias`), c.layer_norm_eps);
    const dense = (name: string, y: tf.Tensor) => linear(y, param(params, `${name}.weight`), param(params, `${name}.bias`));
    const attn = selfAttention(x, addMask, params, `${p}.attention.self`, c, ctx);
    x = ln(`${p}.attention.output.LayerNorm`, tf.add(dropout(dense(`${p}.attention.output.dense`, attn), c.hidden_dropout_prob, ctx), x));
    const inter = gelu(dense(`${p}.intermediate.dense`, x));
    x = ln(`${p}.output.LayerNorm`, tf.add(dropout(dense(`${p}.output.dense`, inter), c.hidden_dropout_prob, ctx), x));
  }
  return x as tf.Tensor3D;
}

/** Logits [B, num_labels]: pooler (dense + tanh on the first token), dropout, classifier. */
export function bertSequenceClassifier(params: Params, c: BertConfig, inputs: BertInputs, ctx: ForwardContext): tf.Tensor2D {
  const hidden = bertEncoder(params, c, inputs, ctx);
  const [B, , H] = hidden.shape;
  const first = tf.slice(hidden, [0, 0, 0], [B, 1, H]).reshape([B, H]);
  const pooled = tf.tanh(linear(first, param(params, 'bert.pooler.dense.weight'), param(params, 'bert.pooler.dense.bias')));
  const rate = c.classifier_dropout ?? c.hidden_dropout_prob;
  return linear(dropout(pooled, rate, ctx), param(params, 'classifier.weight'), param(params, 'classifier.bias')) as tf.Tensor2D;
}
