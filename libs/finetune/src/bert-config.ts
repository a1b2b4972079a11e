// The subset of a Hugging Face BERT or RoBERTa config.json that the engine reads, with HF's defaults.
// RoBERTa is BERT with other position ids and defaults (pad 1, bos 0, eos 2), so both share this type.
import { expectModelType, numLabelsOf } from './families/family.ts';

export interface BertConfig {
  /** bert, roberta, or another family built on this encoder (families/). */
  model_type: string;
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  hidden_act: 'gelu';
  hidden_dropout_prob: number;
  attention_probs_dropout_prob: number;
  classifier_dropout: number | null;
  max_position_embeddings: number;
  type_vocab_size: number;
  initializer_range: number;
  layer_norm_eps: number;
  pad_token_id: number;
  num_labels: number;
  id2label?: Record<string, string>;
  architectures?: string[];
  bos_token_id?: number;
  eos_token_id?: number;
}

export const BERT_DEFAULTS: Omit<BertConfig, 'vocab_size'> = {
  model_type: 'bert',
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  classifier_dropout: null,
  max_position_embeddings: 512,
  type_vocab_size: 2,
  initializer_range: 0.02,
  layer_norm_eps: 1e-12,
  pad_token_id: 0,
  num_labels: 2,
};

/** Parse a BERT config object (no model_type means BERT); `file` only names the source in errors. RoBERTa's
 * family parses with its own defaults (families/roberta.ts); parseModelConfig takes any model_type. */
export function parseBertConfig(raw: Record<string, unknown>, file = 'config.json'): BertConfig {
  return parseEncoderConfig(raw, file, BERT_DEFAULTS);
}

/** A BERT-style encoder config over `defaults` (whose model_type the config must have, or none). */
export function parseEncoderConfig(
  raw: Record<string, unknown>,
  file: string,
  defaults: Omit<BertConfig, 'vocab_size'>,
): BertConfig {
  expectModelType(raw, defaults.model_type, file);
  if (raw.position_embedding_type !== undefined && raw.position_embedding_type !== 'absolute') {
    throw new Error(
      `${file}: position_embedding_type '${String(raw.position_embedding_type)}' is not supported; use 'absolute'`,
    );
  }
  if (typeof raw.vocab_size !== 'number') throw new Error(`${file}: 'vocab_size' is missing or not a number`);
  if (raw.hidden_act !== undefined && raw.hidden_act !== 'gelu') {
    throw new Error(`${file}: hidden_act '${String(raw.hidden_act)}' is not supported; use 'gelu'`);
  }
  const cfg = { ...defaults, ...raw, num_labels: numLabelsOf(raw) } as BertConfig;
  if (cfg.hidden_size % cfg.num_attention_heads !== 0) {
    throw new Error(
      `${file}: hidden_size ${cfg.hidden_size} is not a multiple of num_attention_heads ${cfg.num_attention_heads}`,
    );
  }
  return cfg;
}
