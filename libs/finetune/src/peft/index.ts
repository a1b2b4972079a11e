// The PEFT method table: `peft.method` in YAML -> its entry (method.ts). Adding a method is its file in methods/
// plus one row here; config checks, the app's method list and the checkpoint readers all read this table.
import type { PeftMethod } from './method.ts';
import { ia3 } from './methods/ia3.ts';
import { lora } from './methods/lora.ts';
import { prefix } from './methods/prefix.ts';
import { prompt } from './methods/prompt.ts';

export const PEFT_METHODS: Record<string, PeftMethod> = {
  lora,
  ia3,
  prefix,
  prompt,
};

export const PEFT_METHOD_NAMES = (): string[] => Object.keys(PEFT_METHODS);

/** The entry of a method name; an unknown one is an error naming `key` and every method. */
export function peftMethod(name: unknown, key = 'peft.method'): PeftMethod {
  if (typeof name !== 'string' || !Object.hasOwn(PEFT_METHODS, name)) {
    throw new Error(`${key}: unknown PEFT method '${String(name)}'; known: ${PEFT_METHOD_NAMES().join(', ')}`);
  }
  return PEFT_METHODS[name]!;
}
