// The subset of a Hugging Face OPT config.json that the engine reads, with transformers' OPTConfig defaults.
import { expectModelType, numLabelsOf } from './families/family.ts';

export interface OptConfig {
  model_type: 'opt';
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  ffn_dim: number;
  max_position_embeddings: number;
  /** true: pre-LN (125m, 1.3b, ...); false: post-LN (350m). */
  do_layer_norm_before: boolean;
  _remove_final_layer_norm: boolean;
  /** Width of the token embeddings; differs from hidden_size in opt-350m (project_in/project_out). */
  word_embed_proj_dim: number;
  dropout: number;
  attention_dropout: number;
  activation_function: 'relu' | 'gelu';
  init_std: number;
  enable_bias: boolean;
  layer_norm_elementwise_affine: boolean;
  pad_token_id: number;
  bos_token_id: number;
  eos_token_id: number;
  num_labels: number;
  id2label?: Record<string, string>;
  architectures?: string[];
}

const DEFAULTS: Omit<OptConfig, 'vocab_size' | 'word_embed_proj_dim'> = {
  model_type: 'opt',
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  ffn_dim: 3072,
  max_position_embeddings: 2048,
  do_layer_norm_before: true,
  _remove_final_layer_norm: false,
  dropout: 0.1,
  attention_dropout: 0,
  activation_function: 'relu',
  init_std: 0.02,
  enable_bias: true,
  layer_norm_elementwise_affine: true,
  pad_token_id: 1,
  bos_token_id: 2,
  eos_token_id: 2,
  num_labels: 2,
};

/** OPT's LayerNorms are torch's default nn.LayerNorm. */
export const OPT_LAYER_NORM_EPS = 1e-5;

export function parseOptConfig(raw: Record<string, unknown>, file = 'config.json'): OptConfig {
  expectModelType(raw, 'opt', file);
  if (typeof raw.vocab_size !== 'number') throw new Error(`${file}: 'vocab_size' is missing or not a number`);
  const act = raw.activation_function ?? 'relu';
  if (act !== 'relu' && act !== 'gelu') {
    throw new Error(`${file}: activation_function '${String(act)}' is not supported; use 'relu' or 'gelu'`);
  }
  if (typeof raw.layerdrop === 'number' && raw.layerdrop > 0) {
    throw new Error(`${file}: layerdrop ${raw.layerdrop} is not supported; set it to 0`);
  }
  const hidden = typeof raw.hidden_size === 'number' ? raw.hidden_size : DEFAULTS.hidden_size;
  const cfg = {
    ...DEFAULTS,
    ...raw,
    model_type: 'opt',
    num_labels: numLabelsOf(raw),
    word_embed_proj_dim: typeof raw.word_embed_proj_dim === 'number' ? raw.word_embed_proj_dim : hidden,
  } as OptConfig;
  if (cfg.hidden_size % cfg.num_attention_heads !== 0) {
    throw new Error(
      `${file}: hidden_size ${cfg.hidden_size} is not a multiple of num_attention_heads ${cfg.num_attention_heads}`,
    );
  }
  return cfg;
}
