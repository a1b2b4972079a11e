// Any supported config.json, parsed by the family its model_type names (families/index.ts).
import { readFileSync } from 'node:fs';
import type { HeadKind } from '@prunelab/core';
import { familyOf, familyOfConfig, UNTYPED_FAMILY, type ModelConfig } from './families/index.ts';

export { HEADS, type HeadKind } from '@prunelab/core';
export type { Arch, ModelConfig } from './families/index.ts';

export function parseModelConfig(raw: Record<string, unknown>, file = 'config.json'): ModelConfig {
  return familyOf(raw.model_type ?? UNTYPED_FAMILY, file).parseConfig(raw, file);
}

export function readModelConfig(file: string): ModelConfig {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(
      `${file}: cannot read the model config (${(e as Error).message}); a model folder needs config.json`,
    );
  }
  return parseModelConfig(raw, file);
}

/** The head a config.json was saved with: from `architectures` (…ForQuestionAnswering, …ForMultipleChoice),
 * else sequence classification (also for base or language-model checkpoints, whose head is new anyway). */
export function headOfConfig(c: ModelConfig): HeadKind {
  const saved = (c as { prunelab_head?: string }).prunelab_head; // a head with no HF class (OPT multiple choice)
  if (saved === 'seqcls' || saved === 'qa' || saved === 'mc') return saved;
  const arch = c.architectures?.[0] ?? '';
  if (arch.endsWith('ForQuestionAnswering')) return 'qa';
  if (arch.endsWith('ForMultipleChoice')) return 'mc';
  return 'seqcls';
}

/** HF's initializer_range / init_std: the standard deviation of fresh linear and embedding weights. */
export function initStd(c: ModelConfig): number {
  return familyOfConfig(c).initStd(c);
}

/** Width of the hidden states the heads read (OPT: after project_out). */
export function headWidth(c: ModelConfig): number {
  return familyOfConfig(c).headWidth(c);
}
