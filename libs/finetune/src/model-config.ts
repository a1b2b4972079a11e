// Any supported config.json: BERT, RoBERTa (encoders), OPT (decoder) or USE-Lite (our port), chosen by model_type.
import { readFileSync } from 'node:fs';
import { parseBertConfig, type BertConfig } from './bert-config.ts';
import { parseOptConfig, type OptConfig } from './opt-config.ts';
import { parseUseLiteConfig, type UseLiteConfig } from './use-lite-config.ts';
import type { HeadKind } from '@prunelab/core';

export type ModelConfig = BertConfig | OptConfig | UseLiteConfig;
export type Arch = ModelConfig['model_type'];

/** The task head on top of the body: sequence classification, extractive QA, multiple choice. */
export { HEADS, type HeadKind } from '@prunelab/core';

export function parseModelConfig(raw: Record<string, unknown>, file = 'config.json'): ModelConfig {
  const type = raw.model_type ?? 'bert';
  if (type === 'bert' || type === 'roberta') return parseBertConfig(raw, file);
  if (type === 'opt') return parseOptConfig(raw, file);
  if (type === 'use-lite') return parseUseLiteConfig(raw, file);
  throw new Error(`${file}: model_type '${String(type)}' is not supported; this engine loads 'bert', 'roberta', 'opt' and 'use-lite'`);
}

export function readModelConfig(file: string): ModelConfig {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: cannot read the model config (${(e as Error).message}); a model folder needs config.json`);
  }
  return parseModelConfig(raw, file);
}

/** The head a config.json was saved with: from `architectures` (…ForQuestionAnswering, …ForMultipleChoice),
 * else sequence classification (also for base or language-model checkpoints, whose head is new anyway). */
export function headOfConfig(c: ModelConfig): HeadKind {
  const saved = (c as { prunelab_head?: string }).prunelab_head; // OPT multiple choice has no HF class name
  if (saved === 'seqcls' || saved === 'qa' || saved === 'mc') return saved;
  const arch = c.architectures?.[0] ?? '';
  if (arch.endsWith('ForQuestionAnswering')) return 'qa';
  if (arch.endsWith('ForMultipleChoice')) return 'mc';
  return 'seqcls';
}

/** HF's initializer_range / init_std: the standard deviation of fresh linear and embedding weights. */
export function initStd(c: ModelConfig): number {
  return c.model_type === 'opt' ? c.init_std : c.initializer_range;
}

/** Width of the hidden states the heads read (OPT: after project_out). */
export function headWidth(c: ModelConfig): number {
  return c.model_type === 'opt' ? c.word_embed_proj_dim : c.hidden_size;
}
