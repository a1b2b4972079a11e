// The subset of a Hugging Face BERT or RoBERTa config.json that the engine reads, with HF's defaults.
// RoBERTa is BERT with other position ids and defaults (pad 1, bos 0, eos 2), so both share this type.
import { readFileSync } from 'node:fs';

export interface BertConfig {
  model_type: 'bert' | 'roberta';
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

const DEFAULTS: Omit<BertConfig, 'vocab_size'> = {
  model_type: 'bert', hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072,
  hidden_act: 'gelu', hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1, classifier_dropout: null,
  max_position_embeddings: 512, type_vocab_size: 2, initializer_range: 0.02, layer_norm_eps: 1e-12, pad_token_id: 0,
  num_labels: 2,
};

// transformers' RobertaConfig defaults differ from BertConfig's only in the special token ids.
const ROBERTA_DEFAULTS = { ...DEFAULTS, model_type: 'roberta' as const, pad_token_id: 1, bos_token_id: 0, eos_token_id: 2 };

/** Parse a BERT or RoBERTa config object (no model_type means BERT); `file` only names the source in errors. */
export function parseBertConfig(raw: Record<string, unknown>, file = 'config.json'): BertConfig {
  if (raw.model_type !== undefined && raw.model_type !== 'bert' && raw.model_type !== 'roberta') {
    throw new Error(`${file}: model_type '${String(raw.model_type)}' is not an encoder this engine knows; use 'bert' or 'roberta' (or parseModelConfig for 'opt')`);
  }
  if (raw.position_embedding_type !== undefined && raw.position_embedding_type !== 'absolute') {
    throw new Error(`${file}: position_embedding_type '${String(raw.position_embedding_type)}' is not supported; use 'absolute'`);
  }
  if (typeof raw.vocab_size !== 'number') throw new Error(`${file}: 'vocab_size' is missing or not a number`);
  if (raw.hidden_act !== undefined && raw.hidden_act !== 'gelu') {
    throw new Error(`${file}: hidden_act '${String(raw.hidden_act)}' is not supported; use 'gelu'`);
  }
  const id2label = raw.id2label as Record<string, string> | undefined;
  const numLabels = typeof raw.num_labels === 'number' ? raw.num_labels : id2label ? Object.keys(id2label).length : 2;
  const cfg = { ...(raw.model_type === 'roberta' ? ROBERTA_DEFAULTS : DEFAULTS), ...raw, num_labels: numLabels } as BertConfig;
  if (cfg.hidden_size % cfg.num_attention_heads !== 0) {
    throw new Error(`${file}: hidden_size ${cfg.hidden_size} is not a multiple of num_attention_heads ${cfg.num_attention_heads}`);
  }
  return cfg;
}

export function readBertConfig(file: string): BertConfig {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: cannot read the model config (${(e as Error).message}); a model folder needs config.json`);
  }
  return parseBertConfig(raw, file);
}
