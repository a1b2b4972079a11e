// (IA)^3 as Hugging Face peft 0.5.0 computes it (tuners/ia3.py, Linear): a learned vector l (ones at creation)
//   feedforward layers scale the input:                y = (x * l) W + b     l [1, in]
//   the others scale the output, bias included:        y = (x W + b) * l     l [out, 1]
// A target is feedforward when its name ends with a feedforward_modules entry: a plain endswith, so BERT/RoBERTa's
// default 'output.dense' also makes attention.output.dense a feedforward layer (README of peft-tiny).
// merge is peft 0.5.0's: W's rows (or columns) times l, the bias NOT scaled, so a merged model differs from the
// unmerged one by the scaled-away bias (the fixtures' merged_logits record it). unmerge divides by l + 1e-8 as peft.
import * as tf from '@tensorflow/tfjs';
import { linear } from '../../layers.ts';
import type { ModelConfig } from '../../model-config.ts';
import { param, type Params } from '../../params.ts';
import type { PeftMethod, PeftOptions } from '../method.ts';
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

export type Ia3Options = {
  target_modules: string | string[];
  /** entries a target's name ends with (plain endswith), or one regex the whole name must match */
  feedforward_modules: string | string[];
};

/** peft's TRANSFORMERS_MODELS_TO_IA3_TARGET_MODULES_MAPPING / ..._FEEDFORWARD_MODULES_MAPPING. USE-Lite (ours): its
 * fused q|k|v projection and the FFN output, as peft's defaults for GPT-2 (c_attn, mlp.c_proj). */
export const IA3_DEFAULTS: Record<string, { targets: string[]; feedforward: string[] }> = {
  bert: { targets: ['key', 'value', 'output.dense'], feedforward: ['output.dense'] },
  roberta: { targets: ['key', 'value', 'output.dense'], feedforward: ['output.dense'] },
  opt: { targets: ['q_proj', 'k_proj', 'fc2'], feedforward: ['fc2'] },
  'use-lite': { targets: ['qkv', 'fc2'], feedforward: ['fc2'] },
};

const OPTIONS = ['target_modules', 'feedforward_modules', 'fan_in_fan_out'];

/** peft 0.5.0's feedforward test: re.fullmatch for a string, else key.endswith(entry) (no '.' needed). */
function isFeedforward(module: string, ff: string | string[]): boolean {
  if (typeof ff === 'string') return new RegExp(`^(?:${ff})$`).test(module);
  return ff.some((e) => module.endsWith(e));
}

function parseIa3(raw: PeftOptions, c: ModelConfig, key: string): Ia3Options {
  checkKeys(raw, OPTIONS, key, 'IA3 (peft 0.5.0)');
  onlyValue(raw, 'fan_in_fan_out', false, key, 'the engine keeps torch.nn.Linear weights, not GPT-2 Conv1D ones');
  const tw = `${key}.target_modules`;
  const fw = `${key}.feedforward_modules`;
  const d = familyDefault(IA3_DEFAULTS, c, tw);
  const target_modules = targetsOption(raw.target_modules, tw, d.targets);
  const targets = resolveTargets(target_modules, c, tw);
  let feedforward_modules: string | string[];
  if (raw.feedforward_modules === undefined || raw.feedforward_modules === null) {
    // the family's default, kept to the entries that are targets (peft 0.5.0 ignores the rest)
    feedforward_modules = Array.isArray(target_modules)
      ? d.feedforward.filter((e) => target_modules.includes(e))
      : d.feedforward;
  } else {
    feedforward_modules = targetsOption(raw.feedforward_modules, fw, d.feedforward, true);
    if (typeof feedforward_modules === 'string') {
      try {
        new RegExp(feedforward_modules);
      } catch (e) {
        throw new Error(`${fw}: not a valid regular expression (${(e as Error).message})`);
      }
    }
    // later peft versions check this; 0.5.0 silently ignores a feedforward entry that is no target
    if (Array.isArray(feedforward_modules) && Array.isArray(target_modules)) {
      const extra = feedforward_modules.find((e) => !target_modules.includes(e));
      if (extra !== undefined) {
        throw new Error(
          `${fw}: '${extra}' is not in target_modules; allowed: a subset of target_modules ` +
            `(${target_modules.join(', ')})`,
        );
      }
    }
    const ff = feedforward_modules;
    const entries = typeof ff === 'string' ? [ff] : ff;
    for (const e of entries) {
      if (!targets.some((m) => isFeedforward(m, typeof ff === 'string' ? e : [e]))) {
        throw new Error(`${fw}: '${e}' matches none of the adapted modules; allowed: ${targets.join(', ')}`);
      }
    }
  }
  return { target_modules, feedforward_modules };
}

/** The adapted modules with whether each is feedforward. */
function modulesOf(c: ModelConfig, o: Ia3Options): Array<{ module: string; ff: boolean }> {
  return resolveTargets(o.target_modules, c, 'peft.target_modules').map((module) => ({
    module,
    ff: isFeedforward(module, o.feedforward_modules),
  }));
}

/** l shaped to multiply W [in, out] in memory: feedforward rows ([in, 1]), else columns ([1, out]). */
const factor = (params: Params, module: string, ff: boolean) => {
  const l = param(params, `${module}.ia3_l`);
  return ff ? l.reshape([-1, 1]) : l.reshape([1, -1]);
};

const FIXED = {
  fan_in_fan_out: false,
  init_ia3_weights: true,
  auto_mapping: null,
  modules_to_save: null,
  revision: null,
};

export const ia3: PeftMethod<Ia3Options> = {
  name: 'ia3',
  title: 'IA3 (peft 0.5.0)',
  library: 'peft',
  families: ['bert', 'roberta', 'opt', 'use-lite'],
  parseOptions: parseIa3,
  create(c, o) {
    const shape = linearModules(c).shape;
    const added: Params = new Map();
    for (const { module, ff } of modulesOf(c, o)) {
      const [out, inDim] = shape.get(module)!;
      added.set(`${module}.ia3_l`, tf.variable(tf.ones(ff ? [1, inDim] : [out, 1]), true));
    }
    return added;
  },
  hooks(params, c, o) {
    const ffOf = new Map(modulesOf(c, o).map((m) => [m.module, m.ff]));
    return {
      linear(module, x, w, b) {
        const ff = ffOf.get(module);
        if (ff === undefined) return undefined;
        const l = param(params, `${module}.ia3_l`).reshape([-1]);
        return ff ? linear(tf.mul(x, l), w, b) : tf.mul(linear(x, w, b), l);
      },
    };
  },
  merge(params, c, o) {
    for (const { module, ff } of modulesOf(c, o)) {
      const w = param(params, `${module}.weight`);
      tf.tidy(() => w.assign(tf.mul(w, factor(params, module, ff))));
    }
  },
  unmerge(params, c, o) {
    for (const { module, ff } of modulesOf(c, o)) {
      const w = param(params, `${module}.weight`);
      tf.tidy(() => w.assign(tf.div(w, tf.add(factor(params, module, ff), 1e-8))));
    }
  },
  checkpoint: {
    identifies: (json) => json.peft_type === 'IA3',
    fromConfig(json, c, file) {
      const modelled = ['target_modules', 'feedforward_modules'];
      checkSavedConfig(json, modelled, FIXED, file);
      const raw: PeftOptions = {};
      for (const k of modelled) if (json[k] !== undefined) raw[k] = json[k];
      return parseSaved(file, (key) => parseIa3(raw, c, key));
    },
    toConfig: (o) => ({
      ...peftBaseConfig('IA3'),
      fan_in_fan_out: false,
      feedforward_modules: o.feedforward_modules,
      init_ia3_weights: true,
      target_modules: o.target_modules,
    }),
    fileNames: (name) => [`base_model.model.${name}`],
    // ia3_l is kept in peft's shape
    transposed: () => false,
  },
};
