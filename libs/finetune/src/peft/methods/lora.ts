// LoRA as Hugging Face peft 0.5.0 computes it (tuners/lora.py, Linear): on each target linear layer
//   y = x W + b + (dropout(x) A B) * scaling,   scaling = lora_alpha / r   (use_rslora: lora_alpha / sqrt(r))
// with A [in, r] Kaiming-uniform (torch's kaiming_uniform_(a=sqrt(5)) bound) and B [r, out] zeros at creation, so a
// fresh adapter leaves the model unchanged. merge folds A B * scaling into W (merge_and_unload); unmerge takes it out.
// use_rslora is ours (peft 0.5.0 has no such option; later peft versions read the same key with the same meaning).
import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '@prunelab/core';
import { dropout, linear } from '../../layers.ts';
import type { ModelConfig } from '../../model-config.ts';
import { param, type Params } from '../../params.ts';
import type { PeftMethod, PeftOptions } from '../method.ts';
import { pyFloat } from '../py-json.ts';
import {
  checkKeys,
  checkSavedConfig,
  familyDefault,
  linearModules,
  onlyValue,
  parseSaved,
  peftBaseConfig,
  resolveTargets,
  targetsOption,
} from './peft-common.ts';

export type LoraOptions = {
  r: number;
  lora_alpha: number;
  lora_dropout: number;
  /** a list (each entry matches a module name ending in `.<entry>`) or one regex the whole name must match */
  target_modules: string | string[];
  use_rslora: boolean;
};

/** peft's TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING; USE-Lite (ours): its fused q|k|v projection, as peft's
 * defaults for fused-attention models (GPT-2 c_attn, BLOOM query_key_value). */
export const LORA_DEFAULT_TARGETS: Record<string, string[]> = {
  bert: ['query', 'value'],
  roberta: ['query', 'value'],
  opt: ['q_proj', 'v_proj'],
  'use-lite': ['qkv'],
};

const OPTIONS = ['r', 'lora_alpha', 'lora_dropout', 'target_modules', 'use_rslora', 'fan_in_fan_out', 'bias'];

export const loraScaling = (o: LoraOptions): number =>
  o.use_rslora ? o.lora_alpha / Math.sqrt(o.r) : o.lora_alpha / o.r;

function parseLora(raw: PeftOptions, c: ModelConfig, key: string): LoraOptions {
  checkKeys(raw, OPTIONS, key, 'LoRA (peft 0.5.0)');
  const r = raw.r ?? 8;
  if (typeof r !== 'number' || !Number.isInteger(r) || r <= 0) {
    throw new Error(`${key}.r: ${JSON.stringify(r)} is not a valid rank; allowed: an integer >= 1`);
  }
  const alpha = raw.lora_alpha ?? 8;
  if (typeof alpha !== 'number' || !Number.isFinite(alpha) || alpha <= 0) {
    throw new Error(`${key}.lora_alpha: ${JSON.stringify(alpha)} is not valid; allowed: a number > 0`);
  }
  const p = raw.lora_dropout ?? 0;
  if (typeof p !== 'number' || !(p >= 0 && p < 1)) {
    throw new Error(`${key}.lora_dropout: ${JSON.stringify(p)} is not valid; allowed: a probability in [0, 1)`);
  }
  const rs = raw.use_rslora ?? false;
  if (typeof rs !== 'boolean') throw new Error(`${key}.use_rslora: ${JSON.stringify(rs)}; allowed: true, false`);
  onlyValue(raw, 'fan_in_fan_out', false, key, 'the engine keeps torch.nn.Linear weights, not GPT-2 Conv1D ones');
  onlyValue(raw, 'bias', 'none', key, 'only the LoRA matrices and the task head train; biases stay frozen');
  const where = `${key}.target_modules`;
  const target_modules = targetsOption(raw.target_modules, where, familyDefault(LORA_DEFAULT_TARGETS, c, where));
  resolveTargets(target_modules, c, where);
  return { r, lora_alpha: alpha, lora_dropout: p, target_modules, use_rslora: rs };
}

const modulesOf = (c: ModelConfig, o: LoraOptions) => resolveTargets(o.target_modules, c, 'peft.target_modules');

/** A [rows, cols] matrix of U(-bound, bound) from `rand`, row-major. */
function uniform(rows: number, cols: number, bound: number, rand: () => number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < out.length; i++) out[i] = (2 * rand() - 1) * bound;
  return out;
}

/** (A B) * scaling of `module`, [in, out] as W is kept in memory. */
const delta = (params: Params, module: string, scaling: number) =>
  tf.mul(tf.matMul(param(params, `${module}.lora_A.weight`), param(params, `${module}.lora_B.weight`)), scaling);

// keys of LoraConfig 0.5.0 that the engine does not model, with the only value it supports
const FIXED = {
  bias: 'none',
  fan_in_fan_out: false,
  init_lora_weights: true,
  layers_pattern: null,
  layers_to_transform: null,
  auto_mapping: null,
  modules_to_save: null,
  revision: null,
  // keys of later peft versions, at their defaults (use_rslora is modelled)
  use_dora: false,
  rank_pattern: {},
  alpha_pattern: {},
};

export const lora: PeftMethod<LoraOptions> = {
  name: 'lora',
  title: 'LoRA (peft 0.5.0)',
  library: 'peft',
  families: ['bert', 'roberta', 'opt', 'use-lite'],
  parseOptions: parseLora,
  create(c, o, seed) {
    const mods = linearModules(c);
    const rand = mulberry32(seed);
    const added: Params = new Map();
    for (const m of modulesOf(c, o)) {
      const [out, inDim] = mods.shape.get(m)!;
      // torch's kaiming_uniform_(a=sqrt(5)) on A [r, in]: gain sqrt(2 / (1 + a^2)), bound gain * sqrt(3 / fan_in)
      const bound = Math.sqrt(2 / (1 + 5)) * Math.sqrt(3 / inDim);
      const a = uniform(o.r, inDim, bound, rand); // drawn in peft's [r, in] layout, kept as [in, r]
      added.set(
        `${m}.lora_A.weight`,
        tf.tidy(() => tf.variable(tf.tensor2d(a, [o.r, inDim]).transpose(), true)),
      );
      added.set(`${m}.lora_B.weight`, tf.variable(tf.zeros([o.r, out]), true));
    }
    return added;
  },
  hooks(params, c, o) {
    const targets = new Set(modulesOf(c, o));
    const scaling = loraScaling(o);
    return {
      linear(module, x, w, b, ctx) {
        if (!targets.has(module)) return undefined;
        const A = param(params, `${module}.lora_A.weight`);
        const B = param(params, `${module}.lora_B.weight`);
        const h = linear(linear(dropout(x, o.lora_dropout, ctx), A), B);
        return tf.add(linear(x, w, b), tf.mul(h, scaling));
      },
    };
  },
  merge(params, c, o) {
    const s = loraScaling(o);
    for (const m of modulesOf(c, o)) {
      const w = param(params, `${m}.weight`);
      tf.tidy(() => w.assign(tf.add(w, delta(params, m, s))));
    }
  },
  unmerge(params, c, o) {
    const s = loraScaling(o);
    for (const m of modulesOf(c, o)) {
      const w = param(params, `${m}.weight`);
      tf.tidy(() => w.assign(tf.sub(w, delta(params, m, s))));
    }
  },
  checkpoint: {
    identifies: (json) => json.peft_type === 'LORA',
    fromConfig(json, c, file) {
      const modelled = ['r', 'lora_alpha', 'lora_dropout', 'target_modules', 'use_rslora'];
      checkSavedConfig(json, modelled, FIXED, file);
      const raw: PeftOptions = {};
      for (const k of modelled) if (json[k] !== undefined) raw[k] = json[k];
      return parseSaved(file, (key) => parseLora(raw, c, key));
    },
    toConfig(o) {
      const out: Record<string, unknown> = {
        ...peftBaseConfig('LORA'),
        bias: 'none',
        fan_in_fan_out: false,
        init_lora_weights: true,
        layers_pattern: null,
        layers_to_transform: null,
        // Python's types as LoraConfig holds them: lora_alpha an int (a float only when fractional), dropout a float
        lora_alpha: Number.isInteger(o.lora_alpha) ? o.lora_alpha : pyFloat(o.lora_alpha),
        lora_dropout: pyFloat(o.lora_dropout),
        r: o.r,
        target_modules: o.target_modules,
      };
      // peft 0.5.0 has no use_rslora: written only when on (later peft versions read it)
      if (o.use_rslora) out.use_rslora = true;
      return out;
    },
    // head parameters too: PeftModel's `base_model.model.` + the module name (the head copy without
    // `modules_to_save.default`)
    fileNames: (name) => [`base_model.model.${name}`],
    // A [in, r] and B [r, out] in memory; peft's Linear weights [r, in] and [out, r]
    transposed: () => true,
  },
};
