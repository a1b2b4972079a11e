// Put a PEFT method on a loaded model: check the method against the family and head, add its parameters, and
// mark what trains (the added parameters and the task head; everything else is frozen: no gradient, no AdamW
// state). train() and evaluate() read model.peft.
import type { HeadKind } from '@prunelab/core';
import { familyOfConfig } from '../families/index.ts';
import { bodyPrefix, headSpecs } from '../heads.ts';
import type { ModelConfig } from '../model-config.ts';
import type { Params } from '../params.ts';
import type { PeftHooks } from './hooks.ts';
import { peftMethod } from './index.ts';
import type { PeftMethod, PeftOptions } from './method.ts';

/** `peft:` in YAML: the method and its options (library names). */
export interface PeftSpec {
  method: string;
  [option: string]: unknown;
}

export interface PeftState {
  method: PeftMethod;
  /** the parsed options, defaults filled in */
  options: PeftOptions;
  hooks: PeftHooks;
  /** names of the added parameters */
  added: string[];
  /** every parameter that trains: added + the task head (not BERT's pooler, which the libraries freeze) */
  trainable: string[];
  /** merged into the base weights: the hooks are off */
  merged: boolean;
}

interface PeftModel {
  config: ModelConfig;
  params: Params;
  head?: HeadKind;
  peft?: PeftState;
}

/** The head parameters that train under PEFT: the head's own, without the body's pooler (peft's modules_to_save,
 * adapters' train_adapter). */
export function trainedHeadNames(c: ModelConfig, head: HeadKind): string[] {
  const body = bodyPrefix(c) + '.';
  return headSpecs(c, head)
    .map((s) => s.name)
    .filter((n) => !n.startsWith(body));
}

/** Whether `method` applies to this model's family and head; an error naming `key` and what it applies to. */
export function checkApplies(method: PeftMethod, c: ModelConfig, head: HeadKind, key = 'peft'): void {
  const family = familyOfConfig(c);
  if (!method.families.includes(c.model_type)) {
    throw new Error(
      `${key}.method: '${method.name}' does not apply to ${family.title} (model_type '${c.model_type}'); it applies ` +
        `to ${method.families.join(', ')}`,
    );
  }
  if (method.heads && !method.heads.includes(head)) {
    throw new Error(`${key}.method: '${method.name}' supports the ${method.heads.join(', ')} head(s), not '${head}'`);
  }
}

/** Check a spec against a model without building anything; returns the parsed options. `key` names the source. */
export function checkPeft(
  spec: PeftSpec,
  c: ModelConfig,
  head: HeadKind,
  key = 'peft',
): {
  method: PeftMethod;
  options: PeftOptions;
} {
  const method = peftMethod(spec.method, `${key}.method`);
  checkApplies(method, c, head, key);
  const { method: _m, ...raw } = spec;
  return { method, options: method.parseOptions(raw, c, key) };
}

/** Add the method's parameters to `model` (seeded) and freeze the rest. A model carries at most one method. */
export function attachPeft(model: PeftModel, spec: PeftSpec, seed: number, key = 'peft'): PeftState {
  const { method, options } = checkPeft(spec, model.config, model.head ?? 'seqcls', key);
  return attachParsed(model, method, options, seed, key);
}

/** attachPeft with options already parsed (a checkpoint's config read by method.checkpoint.fromConfig). */
export function attachParsed(
  model: PeftModel,
  method: PeftMethod,
  options: PeftOptions,
  seed: number,
  key = 'peft',
): PeftState {
  if (model.peft) throw new Error(`${key}: the model already carries '${model.peft.method.name}'`);
  const head = model.head ?? 'seqcls';
  checkApplies(method, model.config, head, key);
  const added = method.create(model.config, options, seed);
  for (const [name, v] of added) {
    if (model.params.has(name)) throw new Error(`${key}: '${method.name}' adds '${name}', which the model has`);
    model.params.set(name, v);
  }
  const state: PeftState = {
    method,
    options,
    hooks: method.hooks(model.params, model.config, options),
    added: [...added.keys()],
    trainable: [...added.keys(), ...trainedHeadNames(model.config, head)],
    merged: false,
  };
  model.peft = state;
  return state;
}

/** The parameters that train: all of them without PEFT. */
export function trainableNames(model: PeftModel): string[] {
  return model.peft ? model.peft.trainable : [...model.params.keys()];
}

/** Fold the method into the base weights where the library can (LoRA, IA3): the hooks go off. */
export function mergePeft(model: PeftModel): void {
  const s = model.peft;
  if (!s) throw new Error('mergePeft: the model carries no PEFT method');
  if (!s.method.merge) throw new Error(`'${s.method.name}' cannot be merged into the base weights`);
  if (s.merged) return;
  s.method.merge(model.params, model.config, s.options);
  s.merged = true;
}

export function unmergePeft(model: PeftModel): void {
  const s = model.peft;
  if (!s?.merged) return;
  if (!s.method.unmerge) throw new Error(`'${s.method.name}' cannot be unmerged`);
  s.method.unmerge(model.params, model.config, s.options);
  s.merged = false;
}

/** The hooks a forward pass of this model uses (none when merged). */
export function activeHooks(model: PeftModel): PeftHooks | undefined {
  return model.peft && !model.peft.merged ? model.peft.hooks : undefined;
}
