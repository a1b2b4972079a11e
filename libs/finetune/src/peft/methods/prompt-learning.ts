// What peft 0.5.0's two prompt-learning methods (prefix.ts, prompt.ts) share: the sizes peft derives from the
// model config, option checks, the keys of their adapter_config.json, the weight-file names and the seeded
// initialisation of their tables.
import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '@prunelab/core';
import type { ModelConfig } from '../../model-config.ts';
import type { PeftOptions } from '../method.ts';

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

/** Throws for raw keys outside `allowed`. */
export function checkKeys(raw: PeftOptions, allowed: readonly string[], key: string, method: string): void {
  for (const k of Object.keys(raw)) {
    if (!allowed.includes(k))
      throw new Error(`${key}.${k}: not an option of ${method}; allowed: ${allowed.join(', ')}`);
  }
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

/** The keys every peft prompt-learning adapter_config.json has besides the method's own (no
 * base_model_name_or_path: the folder writer adds it). Prompt learning is implemented for SEQ_CLS only. */
export function commonConfig(peftType: string): Record<string, unknown> {
  return { auto_mapping: null, inference_mode: true, peft_type: peftType, revision: null, task_type: 'SEQ_CLS' };
}

/**
 * The options a saved adapter_config.json holds: its keys other than peft's bookkeeping (peft_type,
 * base_model_name_or_path, inference_mode) that must hold the values the engine implements. `own` lists the
 * method's option keys; any other key is an error naming the file.
 */
export function configOptions(
  json: Record<string, unknown>,
  peftType: string,
  own: readonly string[],
  file: string,
): PeftOptions {
  if (json.peft_type !== peftType) throw new Error(`${file}: peft_type '${String(json.peft_type)}' is not ${peftType}`);
  const fixed: Record<string, unknown> = { auto_mapping: null, revision: null, task_type: 'SEQ_CLS' };
  const out: PeftOptions = {};
  for (const [k, v] of Object.entries(json)) {
    if (k === 'peft_type' || k === 'base_model_name_or_path') continue;
    if (k in fixed) {
      if (v !== fixed[k])
        throw new Error(`${file}: ${k} ${JSON.stringify(v)} is not supported; supported: ${JSON.stringify(fixed[k])}`);
    } else if (k === 'inference_mode') {
      if (typeof v !== 'boolean') throw new Error(`${file}: inference_mode ${JSON.stringify(v)} is not a boolean`);
    } else if (own.includes(k)) out[k] = v;
    else throw new Error(`${file}: '${k}' is not a key of peft 0.5.0's ${peftType} config`);
  }
  return out;
}

/** Parse a saved config's options with parse(key): an option error names the file (`<file>: <option>: ...`). */
export function parseSaved<O>(file: string, parse: (key: string) => O): O {
  try {
    return parse(file);
  } catch (e) {
    const err = e as Error;
    if (err.message.startsWith(`${file}.`)) err.message = `${file}: ${err.message.slice(file.length + 1)}`;
    throw err;
  }
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
