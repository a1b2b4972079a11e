// OPT: opt.ts's decoder; seqcls and multiple choice score the token at (#non-pad - 1) with `score` (no bias).
// Multiple choice has no HF class: it is saved as OPTForSequenceClassification with one label (see family.ts).
import * as tf from '@tensorflow/tfjs';
import { linear, type ForwardContext } from '../layers.ts';
import { parseOptConfig, type OptConfig } from '../opt-config.ts';
import { optBodySpecs, optDecoder, optPoolIndex } from '../opt.ts';
import { linearSpecs, param, type Params } from '../params.ts';
import { HEADS } from '@prunelab/core';
import type { ModelFamily } from './family.ts';

/** A pre-LN OPT decoder of the tiny BERT's size (opt-125m's layout; opt-350m is post-LN with projections). */
export const TINY_OPT_SHAPE = {
  model_type: 'opt',
  architectures: ['OPTForSequenceClassification'],
  vocab_size: 50272,
  hidden_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  ffn_dim: 256,
  max_position_embeddings: 2048,
  word_embed_proj_dim: 64,
  do_layer_norm_before: true,
  dropout: 0.1,
  attention_dropout: 0,
  activation_function: 'relu',
  init_std: 0.02,
  pad_token_id: 1,
  bos_token_id: 2,
  eos_token_id: 2,
  num_labels: 2,
};

/** Rows [B, T] -> one score vector per row at OPT's pooled token: [B, K]. */
function optScore(
  params: Params,
  c: OptConfig,
  ids: tf.Tensor2D,
  hidden: tf.Tensor3D,
  ctx: ForwardContext,
): tf.Tensor2D {
  const [B, T, D] = hidden.shape;
  const logits = linear(hidden, param(params, 'score.weight'));
  const K = logits.shape[2]!;
  // peft prompt tuning feeds inputs_embeds (no input_ids): transformers 4.31 then pools the last position
  const idx = ctx.peft?.prompt ? tf.fill([B], T - 1, 'int32') : optPoolIndex(c, ids);
  const t = tf.scalar(T, 'int32');
  const wrapped = tf.mod(tf.add(idx, t), t); // an all-pad row gives -1, which torch reads as the last token
  const flat = tf.add(tf.mul(tf.range(0, B, 1, 'int32'), t), wrapped);
  // `score` runs on every token and only the pooled one is kept, so the pooled token's state is its input
  if (ctx.features) ctx.features(tf.gather(hidden.reshape([B * T, D]), flat) as tf.Tensor2D, false);
  return tf.gather(logits.reshape([B * T, K]), flat) as tf.Tensor2D;
}

export const opt: ModelFamily<OptConfig> = {
  modelType: 'opt',
  title: 'OPT',
  parseConfig: parseOptConfig,
  heads: HEADS,
  hfClass: { seqcls: 'OPTForSequenceClassification', qa: 'OPTForQuestionAnswering' },
  bodyPrefix: () => 'model',
  bodySpecs: optBodySpecs,
  scorerSpecs: (c, head) => linearSpecs('score', c.word_embed_proj_dim, head === 'mc' ? 1 : c.num_labels, false),
  body: optDecoder,
  score: (params, c, _head, hidden, rows, ctx) => optScore(params, c, rows.inputIds as tf.Tensor2D, hidden, ctx),
  headWidth: (c) => c.word_embed_proj_dim, // after project_out
  initStd: (c) => c.init_std,
  // OPTForCausalLM's head; a final_layer_norm the config does not use (post-LN like opt-350m, or
  // _remove_final_layer_norm), which transformers ignores too.
  ignored: [/^lm_head\./, /^model\.decoder\.final_layer_norm\./],
  tiny: {
    config: TINY_OPT_SHAPE,
    tokenizer: {
      kind: 'gpt2-bpe',
      tokenizerConfig: {
        tokenizer_class: 'GPT2Tokenizer',
        add_bos_token: true,
        bos_token: '</s>',
        eos_token: '</s>',
        pad_token: '<pad>',
        unk_token: '<unk>',
        model_max_length: 2048,
      },
    },
  },
};
