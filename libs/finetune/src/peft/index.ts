// The PEFT method table: `peft.method` in YAML -> its entry (method.ts). Adding a method is its file in methods/
// plus one row here; config checks, the app's method list and the checkpoint readers all read this table.
import type { PeftMethod } from './method.ts';
import { ahLora } from './methods/adapters_lora.ts';
import { doubleSeqBn } from './methods/double_seq_bn.ts';
import { ia3 } from './methods/ia3.ts';
import { lora } from './methods/lora.ts';
import { prefix } from './methods/prefix.ts';
import { ahPrefix } from './methods/prefix_tuning.ts';
import { prompt } from './methods/prompt.ts';
import { seqBn } from './methods/seq_bn.ts';
import { uniPelt } from './methods/unipelt.ts';

export const PEFT_METHODS: Record<string, PeftMethod> = {
  lora,
  ia3,
  prefix,
  prompt,
  seq_bn: seqBn,
  double_seq_bn: doubleSeqBn,
  ah_lora: ahLora,
  ah_prefix: ahPrefix,
  unipelt: uniPelt,
};

export const PEFT_METHOD_NAMES = (): string[] => Object.keys(PEFT_METHODS);

/** The entry of a method name; an unknown one is an error naming `key` and every method. */
export function peftMethod(name: unknown, key = 'peft.method'): PeftMethod {
  if (typeof name !== 'string' || !Object.hasOwn(PEFT_METHODS, name)) {
    throw new Error(`${key}: unknown PEFT method '${String(name)}'; known: ${PEFT_METHOD_NAMES().join(', ')}`);
  }
  return PEFT_METHODS[name]!;
}
