// RoBERTa: BERT's encoder with positions counted from the padding id; seqcls has its own classification head on
// <s> (no pooler), multiple choice uses the pooler like BERT.
import * as tf from '@tensorflow/tfjs';
import { BERT_DEFAULTS, parseEncoderConfig, type BertConfig } from '../bert-config.ts';
import { bertEncoder, encoderBodySpecs, encoderPrefix, firstToken } from '../bert.ts';
import { dropout, linear, type ForwardContext } from '../layers.ts';
import { linearSpecs, param, type Params } from '../params.ts';
import { pooledScore, pooledScorerSpecs } from './bert.ts';
import { HEADS } from '@prunelab/core';
import { hfClasses, type ModelFamily } from './family.ts';

// transformers' RobertaConfig defaults differ from BertConfig's only in the special token ids.
const ROBERTA_DEFAULTS = {
  ...BERT_DEFAULTS,
  model_type: 'roberta' as const,
  pad_token_id: 1,
  bos_token_id: 0,
  eos_token_id: 2,
};

/** The tiny BERT's size with RoBERTa's conventions (pad 1, positions offset by 2, one token type, eps 1e-5). */
export const TINY_ROBERTA_SHAPE = {
  model_type: 'roberta',
  architectures: ['RobertaForSequenceClassification'],
  vocab_size: 50265,
  hidden_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 256,
  max_position_embeddings: 514,
  type_vocab_size: 1,
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  initializer_range: 0.02,
  layer_norm_eps: 1e-5,
  pad_token_id: 1,
  bos_token_id: 0,
  eos_token_id: 2,
  num_labels: 2,
};

/** RobertaClassificationHead: dropout, dense, tanh, dropout, out_proj on the <s> token. */
function classificationHead(params: Params, c: BertConfig, hidden: tf.Tensor3D, ctx: ForwardContext): tf.Tensor2D {
  const rate = c.classifier_dropout ?? c.hidden_dropout_prob;
  let x: tf.Tensor = dropout(firstToken(hidden), rate, ctx);
  x = tf.tanh(linear(x, param(params, 'classifier.dense.weight'), param(params, 'classifier.dense.bias')));
  x = dropout(x, rate, ctx);
  ctx.features?.(x as tf.Tensor2D, true);
  const out = linear(x, param(params, 'classifier.out_proj.weight'), param(params, 'classifier.out_proj.bias'));
  return out as tf.Tensor2D;
}

export const roberta: ModelFamily<BertConfig> = {
  modelType: 'roberta',
  title: 'RoBERTa',
  parseConfig: (raw, file) => parseEncoderConfig(raw, file, ROBERTA_DEFAULTS),
  heads: HEADS,
  hfClass: hfClasses('Roberta'),
  bodyPrefix: encoderPrefix,
  bodySpecs: (c) => encoderBodySpecs(c, 'padded'),
  scorerSpecs: (c, head) =>
    head === 'mc'
      ? pooledScorerSpecs(c, 1)
      : [
          ...linearSpecs('classifier.dense', c.hidden_size, c.hidden_size),
          ...linearSpecs('classifier.out_proj', c.hidden_size, c.num_labels),
        ],
  body: (params, c, inputs, ctx) => bertEncoder(params, c, inputs, ctx, 'padded'),
  // RobertaForMultipleChoice drops out with hidden_dropout_prob (not classifier_dropout).
  score: (params, c, head, hidden, _rows, ctx) =>
    head === 'mc'
      ? pooledScore(params, c, hidden, c.hidden_dropout_prob, ctx)
      : classificationHead(params, c, hidden, ctx),
  headWidth: (c) => c.hidden_size,
  initStd: (c) => c.initializer_range,
  // RobertaForMaskedLM's head; the pooler of a base or multiple-choice checkpoint loaded for seqcls or QA.
  ignored: [/^lm_head\./, /^roberta\.pooler\./],
  tiny: {
    config: TINY_ROBERTA_SHAPE,
    tokenizer: {
      kind: 'gpt2-bpe',
      tokenizerConfig: {
        tokenizer_class: 'RobertaTokenizer',
        bos_token: '<s>',
        eos_token: '</s>',
        pad_token: '<pad>',
        unk_token: '<unk>',
        mask_token: { content: '<mask>', lstrip: true },
        model_max_length: 512,
      },
    },
  },
};
