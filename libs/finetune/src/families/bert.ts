// BERT: bert.ts's encoder with absolute positions; seqcls and multiple choice read the pooler ([CLS] + dense + tanh).
import type * as tf from '@tensorflow/tfjs';
import { BERT_DEFAULTS, parseEncoderConfig, type BertConfig } from '../bert-config.ts';
import { bertEncoder, encoderBodySpecs, encoderPrefix, pooled, poolerSpecs } from '../bert.ts';
import { dropout, linear, type ForwardContext } from '../layers.ts';
import { linearSpecs, optionalParam, param, type ParamSpec, type Params } from '../params.ts';
import { HEADS } from '@prunelab/core';
import { hfClasses, type ModelFamily } from './family.ts';

/** Half the width of Google's BERT-tiny (2 layers, hidden 64, 2 heads, FFN 256): 0.1M parameters besides the
 * 2.0M of the bert-base-uncased WordPiece embeddings. Width 128 trains 2.5x slower on 2 cores (76 vs 190
 * examples/s at length 32), which would stretch the smoke experiment past 10 minutes. */
export const TINY_BERT_SHAPE = {
  vocab_size: 30522,
  hidden_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 256,
  max_position_embeddings: 512,
  type_vocab_size: 2,
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  initializer_range: 0.02,
  layer_norm_eps: 1e-12,
  pad_token_id: 0,
  num_labels: 2,
};

/** The pooler and a classifier of `outputs`: BertFor{SequenceClassification,MultipleChoice},
 * RobertaForMultipleChoice. */
export function pooledScorerSpecs(c: BertConfig, outputs: number): ParamSpec[] {
  return [...poolerSpecs(c), ...linearSpecs('classifier', c.hidden_size, outputs)];
}

/** Dropout at `rate` on the pooled first token, then the classifier. */
export function pooledScore(
  params: Params,
  c: BertConfig,
  hidden: tf.Tensor3D,
  rate: number,
  ctx: ForwardContext,
): tf.Tensor2D {
  const h = dropout(pooled(params, c, hidden), rate, ctx) as tf.Tensor2D;
  const bias = optionalParam(params, 'classifier.bias');
  ctx.features?.(h, bias !== undefined);
  return linear(h, param(params, 'classifier.weight'), bias) as tf.Tensor2D;
}

export const bert: ModelFamily<BertConfig> = {
  modelType: 'bert',
  title: 'BERT',
  parseConfig: (raw, file) => parseEncoderConfig(raw, file, BERT_DEFAULTS),
  heads: HEADS,
  hfClass: hfClasses('Bert'),
  bodyPrefix: encoderPrefix,
  bodySpecs: (c) => encoderBodySpecs(c, 'absolute'),
  scorerSpecs: (c, head) => pooledScorerSpecs(c, head === 'mc' ? 1 : c.num_labels),
  body: (params, c, inputs, ctx) => bertEncoder(params, c, inputs, ctx, 'absolute'),
  score: (params, c, _head, hidden, _rows, ctx) =>
    pooledScore(params, c, hidden, c.classifier_dropout ?? c.hidden_dropout_prob, ctx),
  headWidth: (c) => c.hidden_size,
  initStd: (c) => c.initializer_range,
  // BertForPreTraining / BertForMaskedLM heads; the pooler when loading for QA, which does not use it.
  ignored: [/^cls\./, /^bert\.pooler\./],
  tiny: { config: TINY_BERT_SHAPE, tokenizer: { kind: 'hub-tokenizer-json', repo: 'bert-base-uncased' } },
};
