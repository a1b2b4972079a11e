// USE-Lite (our port of Google's Universal Sentence Encoder Lite, use-lite.ts): seqcls and multiple choice put a
// classifier on the pretrained sentence features (tanh pooler of the token mean). Its pretrained weights ship in an
// npm dependency, so a missing folder is converted from there rather than made as a tiny random model.
import type * as tf from '@tensorflow/tfjs';
import { dropout, linear } from '../layers.ts';
import { linearSpecs, param } from '../params.ts';
import { parseUseLiteConfig, type UseLiteConfig } from '../use-lite-config.ts';
import { USE_LITE_PACKAGE, writeUseLiteWeights } from '../use-lite-convert.ts';
import { USE_LITE_PREFIX, useLiteBodySpecs, useLiteEncoder, useLitePooled } from '../use-lite.ts';
import { HEADS } from '@prunelab/core';
import { hfClasses, type ModelFamily } from './family.ts';

export const useLite: ModelFamily<UseLiteConfig> = {
  modelType: 'use-lite',
  title: 'USE-Lite',
  parseConfig: parseUseLiteConfig,
  heads: HEADS,
  hfClass: hfClasses('UseLite'),
  bodyPrefix: () => USE_LITE_PREFIX,
  bodySpecs: useLiteBodySpecs,
  scorerSpecs: (c, head) => linearSpecs('classifier', c.hidden_size, head === 'mc' ? 1 : c.num_labels),
  body: useLiteEncoder,
  score: (params, c, _head, hidden, rows, ctx) => {
    const features = dropout(useLitePooled(params, c, hidden, rows.attentionMask), c.hidden_dropout_prob, ctx);
    ctx.features?.(features as tf.Tensor2D, true);
    return linear(features, param(params, 'classifier.weight'), param(params, 'classifier.bias')) as tf.Tensor2D;
  },
  headWidth: (c) => c.hidden_size,
  initStd: (c) => c.initializer_range,
  ignored: [],
  // The shipped shape scaled down (layer 0 still widens embedding_size -> hidden_size); for tests only.
  tiny: {
    config: {
      model_type: 'use-lite',
      vocab_size: 64,
      embedding_size: 16,
      hidden_size: 32,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      intermediate_size: 64,
      max_position_embeddings: 32,
      num_labels: 2,
    },
  },
  makeFolder: {
    source: USE_LITE_PACKAGE,
    write: (dir) => ({ kind: 'unigram', vocab: writeUseLiteWeights(dir).vocab }),
  },
};
