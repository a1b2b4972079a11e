// Task heads with Hugging Face semantics and weight names, for every architecture:
//   seqcls  BERT: pooler + classifier; RoBERTa: classifier.dense + tanh + classifier.out_proj on <s>;
//           OPT: `score` (no bias) at the token (#non-pad - 1);
//           USE-Lite: dropout + classifier on its pretrained sentence features (tanh pooler of the token mean).
//   qa      qa_outputs on every token -> start/end logits [B, T].
//   mc      inputs [B, C, T] run as B*C rows; BERT/RoBERTa: pooler + classifier with 1 output;
//           OPT: the seqcls scorer with one logit. Scores reshaped to [B, C].
import * as tf from '@tensorflow/tfjs';
import { bertEncoder, encoderBodySpecs, encoderPrefix, firstToken, pooled, poolerSpecs, type BertInputs } from './bert.ts';
import { dropout, linear, type ForwardContext } from './layers.ts';
import { headWidth, type HeadKind, type ModelConfig } from './model-config.ts';
import { optBodySpecs, optDecoder, optPoolIndex } from './opt.ts';
import { linearSpecs, optionalParam, param, type ParamSpec, type Params } from './params.ts';
import { USE_LITE_PREFIX, useLiteBodySpecs, useLiteEncoder, useLitePooled } from './use-lite.ts';

export type HeadOutput =
  | { head: 'seqcls' | 'mc'; logits: tf.Tensor2D }
  | { head: 'qa'; startLogits: tf.Tensor2D; endLogits: tf.Tensor2D };

/** The model body's parameters (BERT/RoBERTa: no pooler). */
export function bodySpecs(c: ModelConfig): ParamSpec[] {
  if (c.model_type === 'use-lite') return useLiteBodySpecs(c);
  return c.model_type === 'opt' ? optBodySpecs(c) : encoderBodySpecs(c);
}

/** The head's own parameters; for BERT seqcls and BERT/RoBERTa mc that includes the pooler, as in HF. */
export function headSpecs(c: ModelConfig, head: HeadKind): ParamSpec[] {
  const w = headWidth(c);
  if (head === 'qa') return linearSpecs('qa_outputs', w, 2);
  if (c.model_type === 'opt') return linearSpecs('score', w, head === 'mc' ? 1 : c.num_labels, false);
  if (c.model_type === 'use-lite') return linearSpecs('classifier', w, head === 'mc' ? 1 : c.num_labels);
  if (head === 'mc') return [...poolerSpecs(c), ...linearSpecs('classifier', w, 1)];
  if (c.model_type === 'roberta') return [...linearSpecs('classifier.dense', w, w), ...linearSpecs('classifier.out_proj', w, c.num_labels)];
  return [...poolerSpecs(c), ...linearSpecs('classifier', w, c.num_labels)];
}

/** Every parameter of <Arch>For<Head>, in a fixed order, with HF names and shapes. */
export function modelParamSpecs(c: ModelConfig, head: HeadKind): ParamSpec[] {
  return [...bodySpecs(c), ...headSpecs(c, head)];
}

/** The Hugging Face class a (config, head) pair corresponds to; OPT multiple choice has none (see saveModel). */
export function hfClassName(c: ModelConfig, head: HeadKind): string {
  const arch = { bert: 'Bert', roberta: 'Roberta', opt: 'OPT', 'use-lite': 'UseLite' }[c.model_type];
  if (c.model_type === 'opt' && head === 'mc') return 'OPTForSequenceClassification';
  return arch + { seqcls: 'ForSequenceClassification', qa: 'ForQuestionAnswering', mc: 'ForMultipleChoice' }[head];
}

function body(params: Params, c: ModelConfig, inputs: BertInputs, ctx: ForwardContext): tf.Tensor3D {
  if (c.model_type === 'use-lite') return useLiteEncoder(params, c, inputs, ctx);
  return c.model_type === 'opt' ? optDecoder(params, c, inputs, ctx) : bertEncoder(params, c, inputs, ctx);
}

/** Rows [B, T] -> one score vector per row at OPT's pooled token: [B, K]. */
function optScore(params: Params, c: ModelConfig & { model_type: 'opt' }, ids: tf.Tensor2D, hidden: tf.Tensor3D): tf.Tensor2D {
  const [B, T] = hidden.shape;
  const logits = linear(hidden, param(params, 'score.weight'));
  const K = logits.shape[2]!;
  const idx = optPoolIndex(c, ids);
  const t = tf.scalar(T, 'int32');
  const wrapped = tf.mod(tf.add(idx, t), t); // an all-pad row gives -1, which torch reads as the last token
  const flat = tf.add(tf.mul(tf.range(0, B, 1, 'int32'), t), wrapped);
  return tf.gather(logits.reshape([B * T, K]), flat) as tf.Tensor2D;
}

/** Forward pass of <Arch>For<Head>. Multiple-choice inputs are [B, C, T]; the others [B, T]. */
export function forward(params: Params, c: ModelConfig, head: HeadKind, inputs: BertInputs, ctx: ForwardContext): HeadOutput {
  let rows = inputs;
  let choices = 0;
  if (head === 'mc') {
    if (inputs.inputIds.rank !== 3) throw new Error(`multiple choice needs input ids [batch, choices, length]; got shape [${inputs.inputIds.shape}]`);
    const [B, C, T] = inputs.inputIds.shape as [number, number, number];
    choices = C;
    const flat = (t: tf.Tensor) => t.reshape([B * C, T]);
    rows = { inputIds: flat(inputs.inputIds), attentionMask: flat(inputs.attentionMask), ...(inputs.tokenTypeIds ? { tokenTypeIds: flat(inputs.tokenTypeIds) } : {}) };
  } else if (inputs.inputIds.rank !== 2) {
    throw new Error(`${head} needs input ids [batch, length]; got shape [${inputs.inputIds.shape}]`);
  }
  const hidden = body(params, c, rows, ctx);
  if (head === 'qa') {
    const [B, T] = hidden.shape;
    const both = linear(hidden, param(params, 'qa_outputs.weight'), param(params, 'qa_outputs.bias'));
    const [start, end] = tf.split(both, 2, 2);
    return { head, startLogits: start!.reshape([B, T]) as tf.Tensor2D, endLogits: end!.reshape([B, T]) as tf.Tensor2D };
  }
  let scores: tf.Tensor2D;
  if (c.model_type === 'opt') {
    scores = optScore(params, c, rows.inputIds as tf.Tensor2D, hidden);
  } else if (c.model_type === 'use-lite') {
    const features = dropout(useLitePooled(params, c, hidden, rows.attentionMask), c.hidden_dropout_prob, ctx);
    scores = linear(features, param(params, 'classifier.weight'), param(params, 'classifier.bias')) as tf.Tensor2D;
  } else {
    const rate = c.classifier_dropout ?? c.hidden_dropout_prob;
    if (head === 'seqcls' && c.model_type === 'roberta') {
      // RobertaClassificationHead: dropout, dense, tanh, dropout, out_proj on the <s> token.
      let x: tf.Tensor = dropout(firstToken(hidden), rate, ctx);
      x = tf.tanh(linear(x, param(params, 'classifier.dense.weight'), param(params, 'classifier.dense.bias')));
      x = dropout(x, rate, ctx);
      scores = linear(x, param(params, 'classifier.out_proj.weight'), param(params, 'classifier.out_proj.bias')) as tf.Tensor2D;
    } else {
      // RobertaForMultipleChoice drops out with hidden_dropout_prob; BERT uses classifier_dropout when set.
      const r = head === 'mc' && c.model_type === 'roberta' ? c.hidden_dropout_prob : rate;
      scores = linear(dropout(pooled(params, c, hidden), r, ctx), param(params, 'classifier.weight'),
        optionalParam(params, 'classifier.bias')) as tf.Tensor2D;
    }
  }
  if (head === 'mc') return { head, logits: scores.reshape([-1, choices]) as tf.Tensor2D };
  return { head, logits: scores };
}

/** Every state_dict prefix a body's tensors start with (for base checkpoints saved without it). */
export function bodyPrefix(c: ModelConfig): string {
  if (c.model_type === 'use-lite') return USE_LITE_PREFIX;
  return c.model_type === 'opt' ? 'model' : encoderPrefix(c);
}
