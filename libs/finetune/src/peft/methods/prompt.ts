// peft 0.5.0 prompt tuning (PromptTuningConfig, PromptEmbedding): num_virtual_tokens trained rows [P, token_dim]
// put before the word embeddings of every sequence. The bodies take the rest from the hook (hooks.ts `prompt`):
// mask and token types widened, positions numbered as HF numbers an inputs_embeds input, OPT pooling the last
// position. Only RANDOM init: TEXT tokenizes a text into the initial rows, and methods have no tokenizer.
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../../model-config.ts';
import { param, type Params } from '../../params.ts';
import type { PeftHooks } from '../hooks.ts';
import type { PeftMethod } from '../method.ts';
import {
  commonConfig,
  configOptions,
  derivedDims,
  type ModelDims,
  PROMPT_LEARNING_FAMILIES,
  positiveInt,
  promptFileNames,
  seededDraws,
  variable,
} from './prompt-learning.ts';
import { checkKeys, parseSaved } from './peft-common.ts';

export type PromptOptions = ModelDims & {
  num_virtual_tokens: number;
  prompt_tuning_init: 'RANDOM';
};

const OWN = ['num_virtual_tokens', 'prompt_tuning_init', 'prompt_tuning_init_text', 'tokenizer_name_or_path'];
const DERIVED = ['token_dim', 'num_layers', 'num_attention_heads', 'num_transformer_submodules'];

const EMBEDDING = 'prompt_encoder.embedding.weight';

function parseOptions(raw: Record<string, unknown>, c: ModelConfig, key: string): PromptOptions {
  checkKeys(raw, [...OWN, ...DERIVED], key, 'prompt');
  const init = raw.prompt_tuning_init ?? 'RANDOM';
  if (init === 'TEXT') {
    throw new Error(
      `${key}.prompt_tuning_init: TEXT initialises the rows from a tokenized text, which needs a tokenizer the ` +
        `engine's PEFT methods do not have; allowed: RANDOM`,
    );
  }
  if (init !== 'RANDOM')
    throw new Error(`${key}.prompt_tuning_init: ${JSON.stringify(init)} is not allowed; allowed: RANDOM`);
  for (const k of ['prompt_tuning_init_text', 'tokenizer_name_or_path']) {
    if (raw[k] !== undefined && raw[k] !== null)
      throw new Error(`${key}.${k}: only used by prompt_tuning_init TEXT, which is not supported; allowed: null`);
  }
  const dims = derivedDims(raw, c, key);
  // the rows join the token embeddings, which OPT keeps at word_embed_proj_dim; peft sizes them hidden_size
  const wordDim = (c as { word_embed_proj_dim?: number }).word_embed_proj_dim;
  if (wordDim !== undefined && wordDim !== dims.token_dim) {
    throw new Error(
      `${key}.method: 'prompt' needs token embeddings of hidden_size (${dims.token_dim}); this OPT model's are ` +
        `word_embed_proj_dim ${wordDim} (peft 0.5.0 fails there too)`,
    );
  }
  return { num_virtual_tokens: positiveInt(raw, 'num_virtual_tokens', key), prompt_tuning_init: 'RANDOM', ...dims };
}

function create(_c: ModelConfig, o: PromptOptions, seed: number): Params {
  const n = o.num_virtual_tokens * o.num_transformer_submodules;
  // nn.Embedding's N(0, 1)
  return new Map([[EMBEDDING, variable(seededDraws(seed).normal(n * o.token_dim), [n, o.token_dim])]]);
}

function hooks(params: Params): PeftHooks {
  return {
    prompt(batch: number) {
      const e = param(params, EMBEDDING);
      return tf.broadcastTo(e.reshape([1, ...e.shape]), [batch, e.shape[0]!, e.shape[1]!]);
    },
  };
}

export const prompt: PeftMethod<PromptOptions> = {
  name: 'prompt',
  title: 'prompt tuning (peft 0.5.0)',
  library: 'peft',
  families: PROMPT_LEARNING_FAMILIES,
  // QA would give logits for the virtual positions; multiple choice has no peft task model
  heads: ['seqcls'],
  parseOptions,
  create,
  hooks,
  checkpoint: {
    identifies: (json) => json.peft_type === 'PROMPT_TUNING',
    fromConfig: (json, c, file) =>
      parseSaved(file, (key) => parseOptions(configOptions(json, 'PROMPT_TUNING', [...OWN, ...DERIVED], file), c, key)),
    toConfig: (o) => ({
      ...commonConfig('PROMPT_TUNING'),
      num_attention_heads: o.num_attention_heads,
      num_layers: o.num_layers,
      num_transformer_submodules: o.num_transformer_submodules,
      num_virtual_tokens: o.num_virtual_tokens,
      prompt_tuning_init: o.prompt_tuning_init,
      prompt_tuning_init_text: null,
      token_dim: o.token_dim,
      tokenizer_name_or_path: null,
    }),
    fileNames: (name) => promptFileNames(name),
    transposed: () => false,
  },
};
