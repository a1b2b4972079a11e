// AdapterHub adapters 0.1.1 LoRAConfig ('ah_lora'; peft's LoRA is 'lora'). On each targeted linear
// (attn_matrices of the self-attention, intermediate_lora, output_lora):
//   forward  y = x W + b + (dropout(x) A^T B^T) [* gate(x)]      -- WITHOUT alpha / r: the library's forward
//            composes with scaling=1.0, a quirk the *-lora_alpha16 fixture records;
//   merge    W <- W + (B A) * alpha / r                          -- merge_adapter does scale,
// so with alpha != r the merged model differs from the unmerged one, as in the library. gate(x) = mean over all T
// positions (padding included) of sigmoid(x Wg + bg) (UniPELT); a gated LoRA cannot be merged (library error).
// Init 'lora' (the default): A kaiming-uniform(a=sqrt(5)), B zeros, gate weight N(0, 0.02) and bias torch's default;
// 'bert': A and B N(0, 0.02). Names: `<linear>.loras.<name>.lora_A` ([r, in] in the file, [in, r] in memory),
// `lora_B` ([out, r]; [r, out]), `gate.weight`, `gate.bias`.
import * as tf from '@tensorflow/tfjs';
import { bodySpecs } from '../../heads.ts';
import { dropout, linear } from '../../layers.ts';
import type { ModelConfig } from '../../model-config.ts';
import { param, type Params } from '../../params.ts';
import type { PeftHooks } from '../hooks.ts';
import type { PeftMethod, PeftOptions } from '../method.ts';
import {
  adapterName,
  ahTransposed,
  bool,
  fixed,
  gateMean,
  layerName,
  layout,
  leaveOut,
  markFloats,
  noOthers,
  normal,
  num,
  oneOf,
  reader,
  torchLinearBias,
  uniform,
  zeros,
} from './adapters-shared.ts';

export type AhLoraOptions = {
  name: string;
  r: number;
  alpha: number;
  dropout: number;
  attn_matrices: ('q' | 'k' | 'v')[];
  selfattn_lora: boolean;
  intermediate_lora: boolean;
  output_lora: boolean;
  init_weights: 'lora' | 'bert';
  use_gating: boolean;
  leave_out: number[];
};

export const AH_LORA_DEFAULTS: Omit<AhLoraOptions, 'name' | 'leave_out'> = {
  r: 8,
  alpha: 8,
  dropout: 0.0,
  attn_matrices: ['q', 'v'],
  selfattn_lora: true,
  intermediate_lora: false,
  output_lora: false,
  init_weights: 'lora',
  use_gating: false,
};

const LORA_FIXED = { architecture: 'lora', composition_mode: 'add' };
const TITLE = 'LoRA (adapters 0.1.1)';
export const AH_LORA_FAMILIES = ['bert', 'roberta', 'opt'] as const;

export function parseAhLora(
  raw: PeftOptions,
  c: ModelConfig,
  key: string,
  defaults: Omit<AhLoraOptions, 'name' | 'leave_out'> = AH_LORA_DEFAULTS,
): AhLoraOptions {
  const r = reader(raw, key);
  const name = adapterName(r);
  const rank = num(r, 'r', defaults.r, { int: true, above: 0 });
  const alpha = num(r, 'alpha', defaults.alpha, { above: 0 });
  const p = num(r, 'dropout', defaults.dropout, { min: 0 });
  if (p >= 1) throw new Error(`${key}.dropout: ${p} is not valid; allowed: a number >= 0 and < 1`);
  r.seen.add('attn_matrices');
  const m = raw.attn_matrices ?? defaults.attn_matrices;
  if (!Array.isArray(m) || m.some((x) => !['q', 'k', 'v'].includes(x)) || new Set(m).size !== m.length) {
    throw new Error(`${key}.attn_matrices: ${JSON.stringify(m)} is not valid; allowed: a list of distinct q, k, v`);
  }
  const o: AhLoraOptions = {
    name,
    r: rank,
    alpha,
    dropout: p,
    attn_matrices: [...m] as ('q' | 'k' | 'v')[],
    selfattn_lora: bool(r, 'selfattn_lora', defaults.selfattn_lora),
    intermediate_lora: bool(r, 'intermediate_lora', defaults.intermediate_lora),
    output_lora: bool(r, 'output_lora', defaults.output_lora),
    init_weights: oneOf(r, 'init_weights', defaults.init_weights, ['lora', 'bert'] as const),
    use_gating: bool(r, 'use_gating', defaults.use_gating),
    leave_out: leaveOut(r, c),
  };
  fixed(r, LORA_FIXED, TITLE);
  noOthers(r);
  return o;
}

export const ahLoraConfig = (o: AhLoraOptions): Record<string, unknown> => {
  const { name: _n, ...rest } = o;
  return markFloats({ ...LORA_FIXED, ...rest });
};

/** The adapted linears (HF module names) in state_dict order: q, k, v of each layer, then intermediate, output. */
export function loraModules(c: ModelConfig, o: AhLoraOptions): string[] {
  const t = layout(c).lora;
  if (!t) throw new Error(`adapters LoRA: no LoRA targets for model_type '${c.model_type}'`);
  const out: string[] = [];
  for (let i = 0; i < c.num_hidden_layers; i++) {
    if (o.leave_out.includes(i)) continue;
    const l = layerName(c, i);
    if (o.selfattn_lora)
      for (const m of ['q', 'k', 'v'] as const) if (o.attn_matrices.includes(m)) out.push(`${l}.${t[m]}`);
    if (o.intermediate_lora) out.push(`${l}.${t.intermediate}`);
    if (o.output_lora) out.push(`${l}.${t.output}`);
  }
  return out;
}

export function createAhLora(c: ModelConfig, o: AhLoraOptions, seed: number): Params {
  const shapes = new Map(bodySpecs(c).map((s) => [s.name, s.shape]));
  const params: Params = new Map();
  let k = seed;
  for (const m of loraModules(c, o)) {
    const [outDim, inDim] = shapes.get(`${m}.weight`) as [number, number];
    const p = `${m}.loras.${o.name}`;
    if (o.init_weights === 'lora') {
      params.set(`${p}.lora_A`, uniform([inDim, o.r], 1 / Math.sqrt(inDim), k++));
      params.set(`${p}.lora_B`, zeros([o.r, outDim]));
    } else {
      params.set(`${p}.lora_A`, normal([inDim, o.r], 0.02, k++));
      params.set(`${p}.lora_B`, normal([o.r, outDim], 0.02, k++));
    }
    if (o.use_gating) {
      params.set(`${p}.gate.weight`, normal([inDim, 1], 0.02, k++));
      params.set(`${p}.gate.bias`, torchLinearBias(inDim, 1, k++));
    }
  }
  return params;
}

export function ahLoraHooks(params: Params, c: ModelConfig, o: AhLoraOptions): PeftHooks {
  const mods = new Set(loraModules(c, o));
  const p = (n: string) => param(params, n);
  return {
    linear(module, x, w, b, ctx) {
      if (!mods.has(module)) return undefined;
      const q = `${module}.loras.${o.name}`;
      let d = linear(linear(dropout(x, o.dropout, ctx), p(`${q}.lora_A`)), p(`${q}.lora_B`));
      if (o.use_gating) d = tf.mul(d, gateMean(x, p(`${q}.gate.weight`), p(`${q}.gate.bias`)).reshape([-1, 1, 1]));
      return tf.add(linear(x, w, b), d);
    },
  };
}

function mergeSign(params: Params, c: ModelConfig, o: AhLoraOptions, sign: 1 | -1): void {
  if (o.use_gating) throw new Error('Cannot merge LoRA layer with gating.'); // the library's message
  for (const m of loraModules(c, o)) {
    const q = `${m}.loras.${o.name}`;
    const w = param(params, `${m}.weight`);
    w.assign(
      tf.tidy(() =>
        tf.add(
          w,
          tf.mul(tf.matMul(param(params, `${q}.lora_A`), param(params, `${q}.lora_B`)), (sign * o.alpha) / o.r),
        ),
      ),
    );
  }
}

export const ahLora: PeftMethod<AhLoraOptions> = {
  name: 'ah_lora',
  title: TITLE,
  library: 'adapters',
  families: AH_LORA_FAMILIES,
  parseOptions: (raw, c, key) => parseAhLora(raw, c, key),
  create: createAhLora,
  hooks: ahLoraHooks,
  merge: (params, c, o) => mergeSign(params, c, o, 1),
  unmerge: (params, c, o) => mergeSign(params, c, o, -1),
  checkpoint: {
    identifies: (j) => j.architecture === 'lora',
    fromConfig: (j, c, file) => parseAhLora(j, c, `${file}: config`),
    toConfig: ahLoraConfig,
    fileNames: (n) => [n],
    transposed: ahTransposed,
  },
};
