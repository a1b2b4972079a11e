// What peft 0.5.0's two prompt-learning methods (prefix.ts, prompt.ts) share: the sizes peft derives from the
// model config, option checks, the keys of their adapter_config.json, the weight-file names and the seeded
// initialisation of their tables.
import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '@prunelab/core';
import type { ModelConfig } from '../../model-config.ts';
import type { PeftOptions } from '../method.ts';
import { checkSavedConfig, peftBaseConfig } from './peft-common.ts';

export const PROMPT_LEARNING_FAMILIES = ['bert', 'roberta', 'opt'] as const;

/** The sizes peft's _prepare_prompt_learning_config reads from the model config. */
export type ModelDims = {
  token_dim: number;
  num_layers: number;
  num_attention_heads: number;
  num_transformer_submodules: number;
};

type TransformerConfig = { hidden_size: number; num_hidden_layers: number; num_attention_heads: number };

export function modelDims(c: ModelConfig, key: string): ModelDims {
  if (!(PROMPT_LEARNING_FAMILIES as readonly string[]).includes(c.model_type)) {
    throw new Error(
      `${key}: peft prompt learning applies to ${PROMPT_LEARNING_FAMILIES.join(', ')}, not model_type '${c.model_type}'`,
    );
  }
  const t = c as unknown as TransformerConfig;
  // encoder-only and decoder-only models have one transformer submodule (peft: 2 only for encoder-decoder)
  return {
    token_dim: t.hidden_size,
    num_layers: t.num_hidden_layers,
    num_attention_heads: t.num_attention_heads,
    num_transformer_submodules: 1,
  };
}

export function positiveInt(raw: PeftOptions, name: string, key: string, fallback?: number): number {
  const v = raw[name] ?? fallback;
  if (v === undefined) throw new Error(`${key}.${name}: required; allowed: a positive integer`);
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0)
    throw new Error(`${key}.${name}: ${JSON.stringify(v)} is not allowed; allowed: a positive integer`);
  return v;
}

export function bool(raw: PeftOptions, name: string, key: string, fallback: boolean): boolean {
  const v = raw[name] ?? fallback;
  if (typeof v !== 'boolean')
    throw new Error(`${key}.${name}: ${JSON.stringify(v)} is not allowed; allowed: true, false`);
  return v;
}

/** The model-derived sizes: given ones must equal the model's (peft would build a broken encoder otherwise). */
export function derivedDims(raw: PeftOptions, c: ModelConfig, key: string): ModelDims {
  const dims = modelDims(c, key);
  for (const [name, want] of Object.entries(dims)) {
    const v = raw[name];
    if (v !== undefined && v !== null && v !== want) {
      throw new Error(
        `${key}.${name}: ${JSON.stringify(v)} does not match the ${c.model_type} model; allowed: ${want} ` +
          `(or leave it out: it is derived from the model)`,
      );
    }
  }
  return dims;
}

/** The keys every peft prompt-learning adapter_config.json has besides the method's own (no modules_to_save;
 * base_model_name_or_path is added by the folder writer). Prompt learning is implemented for SEQ_CLS only. */
export function commonConfig(peftType: string): Record<string, unknown> {
  const { base_model_name_or_path: _b, modules_to_save: _m, ...rest } = peftBaseConfig(peftType);
  return rest;
}

/** The options a saved adapter_config.json holds (`own` keys); peft's bookkeeping keys are checked by
 * checkSavedConfig, any other key is an error naming the file. */
export function configOptions(
  json: Record<string, unknown>,
  peftType: string,
  own: readonly string[],
  file: string,
): PeftOptions {
  if (json.peft_type !== peftType) throw new Error(`${file}: peft_type '${String(json.peft_type)}' is not ${peftType}`);
  checkSavedConfig(json, own, { auto_mapping: null, revision: null }, file);
  return Object.fromEntries(Object.entries(json).filter(([k]) => own.includes(k)));
}

/** In-memory name -> the names in adapter_model.*: the table is `prompt_embeddings`, a head parameter
 * `base_model.<name>` (prompt-learning models have no inner `.model`). Parameters the file does not hold (the
 * prefix projection MLP): none. */
export function promptFileNames(name: string): string[] {
  if (name === 'prompt_encoder.embedding.weight') return ['prompt_embeddings'];
  if (name.startsWith('prompt_encoder.')) return [];
  return [`base_model.${name}`];
}

/** A seeded stream of draws for one parameter set: mulberry32 (the repo's generator for seeded numbers). */
export function seededDraws(seed: number): {
  normal(n: number): Float32Array;
  uniform(n: number, bound: number): Float32Array;
} {
  const rand = mulberry32(seed);
  return {
    // Box-Muller: N(0, 1), as nn.Embedding initialises its weight
    normal(n) {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i += 2) {
        const r = Math.sqrt(-2 * Math.log(1 - rand()));
        const a = 2 * Math.PI * rand();
        out[i] = r * Math.cos(a);
        if (i + 1 < n) out[i + 1] = r * Math.sin(a);
      }
      return out;
    },
    // U(-bound, bound): nn.Linear's default (kaiming_uniform(a=sqrt(5)) gives bound 1/sqrt(in) for the weight too)
    uniform(n, bound) {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = (2 * rand() - 1) * bound;
      return out;
    },
  };
}

export const variable = (data: Float32Array, shape: number[]): tf.Variable =>
  tf.tidy(() => tf.variable(tf.tensor(data, shape, 'float32'), true));
