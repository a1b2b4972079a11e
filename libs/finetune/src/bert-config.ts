// The subset of a Hugging Face BERT config.json that the engine reads, with HF's defaults.
import { readFileSync } from 'node:fs';

export interface BertConfig {
  model_type: 'bert';
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
}

const DEFAULTS: Omit<BertConfig, 'vocab_size'> = {
  model_type: 'bert', hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072,
  hidden_act: 'gelu', hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1, classifier_dropout: null,
  max_position_embeddings: 512, type_vocab_size: 2, initializer_range: 0.02, layer_norm_eps: 1e-12, pad_token_id: 0,
  num_labels: 2,
};

/** Parse a config object; `file` only names the source in errors. */
export function parseBertConfig(raw: Record<string, unknown>, file = 'config.json'): BertConfig {
  if (raw.model_type !== undefined && raw.model_type !== 'bert') {
    throw new Error(`${file}: model_type '${String(raw.model_type)}' is not supported yet; this engine loads 'bert' models`);
  }
  if (typeof raw.vocab_size !== 'number') throw new Error(`${file}: 'vocab_size' is missing or not a number`);
  if (raw.hidden_act !== undefined && raw.hidden_act !== 'gelu') {
    throw new Error(`${file}: hidden_act '${String(raw.hidden_act)}' is not supported; use 'gelu'`);
  }
  const id2label = raw.id2label as Record<string, string> | undefined;
  const numLabels = typeof raw.num_labels === 'number' ? raw.num_labels : id2label ? Object.keys(id2label).length : 2;
  const cfg = { ...DEFAULTS, ...raw, num_labels: numLabels } as BertConfig;
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
