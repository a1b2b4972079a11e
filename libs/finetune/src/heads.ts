// Task heads with Hugging Face semantics and weight names, for every family (families/):
//   seqcls  the family's scorer with num_labels outputs (BERT: pooler + classifier; RoBERTa: classifier.dense +
//           tanh + classifier.out_proj on <s>; OPT: `score` at the last real token; USE-Lite: classifier on its
//           sentence features).
//   qa      qa_outputs on every token -> start/end logits [B, T], the same for every family.
//   mc      inputs [B, C, T] run as B*C rows through the family's scorer with one output; scores reshaped to [B, C].
import * as tf from '@tensorflow/tfjs';
import type { ModelFamily, ModelInputs } from './families/family.ts';
import { familyOfConfig } from './families/index.ts';
import { linear, type ForwardContext } from './layers.ts';
import type { HeadKind, ModelConfig } from './model-config.ts';
import { linearSpecs, param, type ParamSpec, type Params } from './params.ts';

export type HeadOutput =
  | { head: 'seqcls' | 'mc'; logits: tf.Tensor2D }
  | { head: 'qa'; startLogits: tf.Tensor2D; endLogits: tf.Tensor2D };

function familyWithHead(c: ModelConfig, head: HeadKind): ModelFamily<ModelConfig> {
  const f = familyOfConfig(c);
  if (!f.heads.includes(head)) {
    throw new Error(`${f.title} (model_type '${c.model_type}') has no '${head}' head; it has ${f.heads.join(', ')}`);
  }
  return f;
}

/** The model body's parameters (BERT/RoBERTa: no pooler). */
export function bodySpecs(c: ModelConfig): ParamSpec[] {
  return familyOfConfig(c).bodySpecs(c);
}

/** The head's own parameters; for BERT seqcls and BERT/RoBERTa mc that includes the pooler, as in HF. */
export function headSpecs(c: ModelConfig, head: HeadKind): ParamSpec[] {
  const f = familyWithHead(c, head);
  return head === 'qa' ? linearSpecs('qa_outputs', f.headWidth(c), 2) : f.scorerSpecs(c, head);
}

/** Every parameter of <Arch>For<Head>, in a fixed order, with HF names and shapes. */
export function modelParamSpecs(c: ModelConfig, head: HeadKind): ParamSpec[] {
  return [...bodySpecs(c), ...headSpecs(c, head)];
}

/** The Hugging Face class a (config, head) pair corresponds to; a head without one (OPT multiple choice) is saved
 * under the seqcls class (see saveModel). */
export function hfClassName(c: ModelConfig, head: HeadKind): string {
  const f = familyOfConfig(c);
  return f.hfClass[head] ?? f.hfClass.seqcls;
}

/** Forward pass of <Arch>For<Head>. Multiple-choice inputs are [B, C, T]; the others [B, T]. */
export function forward(
  params: Params,
  c: ModelConfig,
  head: HeadKind,
  inputs: ModelInputs,
  ctx: ForwardContext,
): HeadOutput {
  const f = familyWithHead(c, head);
  let rows = inputs;
  let choices = 0;
  if (head === 'mc') {
    if (inputs.inputIds.rank !== 3)
      throw new Error(`multiple choice needs input ids [batch, choices, length]; got shape [${inputs.inputIds.shape}]`);
    const [B, C, T] = inputs.inputIds.shape as [number, number, number];
    choices = C;
    const flat = (t: tf.Tensor) => t.reshape([B * C, T]);
    rows = {
      inputIds: flat(inputs.inputIds),
      attentionMask: flat(inputs.attentionMask),
      ...(inputs.tokenTypeIds ? { tokenTypeIds: flat(inputs.tokenTypeIds) } : {}),
    };
  } else if (inputs.inputIds.rank !== 2) {
    throw new Error(`${head} needs input ids [batch, length]; got shape [${inputs.inputIds.shape}]`);
  }
  if (head === 'qa') rows = { ...rows, readsPads: true };
  const body = f.body(params, c, rows, ctx);
  const hidden = (ctx.encoderOutput ? ctx.encoderOutput(body) : body) as typeof body;
  if (head === 'qa') {
    const [B, T] = hidden.shape;
    const both = linear(hidden, param(params, 'qa_outputs.weight'), param(params, 'qa_outputs.bias'));
    const [start, end] = tf.split(both, 2, 2);
    return { head, startLogits: start!.reshape([B, T]) as tf.Tensor2D, endLogits: end!.reshape([B, T]) as tf.Tensor2D };
  }
  const scores = f.score(params, c, head, hidden, rows, ctx);
  if (head === 'mc') return { head, logits: scores.reshape([-1, choices]) as tf.Tensor2D };
  return { head, logits: scores };
}

/** Every state_dict prefix a body's tensors start with (for base checkpoints saved without it). */
export function bodyPrefix(c: ModelConfig): string {
  return familyOfConfig(c).bodyPrefix(c);
}
