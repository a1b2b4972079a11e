// AdapterHub adapters 0.1.1 PrefixTuningConfig ('ah_prefix'; peft's prefix tuning is another method). One pool
// shared by all layers: kv = control_trans(wte(arange(P))) = Linear(act(Linear(wte))) : [P, L * 2 * H] (flat: one
// parameter of that size), viewed [P, L * 2, heads, d]; layer i's keys are row 2i, its values row 2i + 1, put before
// the layer's own keys and values inside self-attention (mask 0 for them). Positions are NOT shifted (unlike peft):
// every sequence length the model takes still works. With use_gating (UniPELT) the keys and values of each example
// are scaled by gate(x) = mean over all T positions (padding included) of sigmoid(x Wg + bg), x the layer input
// (shared_gating: one value for both, else [:, 0] keys and [:, -1] values).
// The pool is one module: in memory once, under layer 0's name (as named_parameters lists it); the library saves it
// under every layer's `prefix_tuning.pool` and under `<body>.prefix_tuning` (fileNames returns all of them).
// Init (torch defaults): wte N(0, 1), control_trans Linear kaiming-uniform weights and U(+-1/sqrt(fan_in)) biases;
// flat control_trans N(0, 1); gate weight N(0, 0.02), bias torch's default.
import * as tf from '@tensorflow/tfjs';
import { bodyPrefix } from '../../heads.ts';
import { dropout, linear } from '../../layers.ts';
import type { ModelConfig } from '../../model-config.ts';
import { param, type Params } from '../../params.ts';
import type { PeftHooks } from '../hooks.ts';
import type { PeftMethod, PeftOptions } from '../method.ts';
import {
  activation,
  activationOption,
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
  reader,
  torchLinearBias,
  torchLinearWeight,
} from './adapters-shared.ts';

export type AhPrefixOptions = {
  name: string;
  prefix_length: number;
  bottleneck_size: number;
  non_linearity: string;
  dropout: number;
  flat: boolean;
  use_gating: boolean;
  shared_gating: boolean;
  leave_out: number[];
};

export const AH_PREFIX_DEFAULTS: Omit<AhPrefixOptions, 'name' | 'leave_out'> = {
  prefix_length: 30,
  bottleneck_size: 512,
  non_linearity: 'tanh',
  dropout: 0.0,
  flat: false,
  use_gating: false,
  shared_gating: true,
};

const PREFIX_FIXED = { architecture: 'prefix_tuning', encoder_prefix: true, cross_prefix: true };
const TITLE = 'Prefix tuning (adapters 0.1.1)';
export const AH_PREFIX_FAMILIES = ['bert', 'roberta', 'opt'] as const;

export function parseAhPrefix(
  raw: PeftOptions,
  c: ModelConfig,
  key: string,
  defaults: Omit<AhPrefixOptions, 'name' | 'leave_out'> = AH_PREFIX_DEFAULTS,
): AhPrefixOptions {
  const r = reader(raw, key);
  const o: AhPrefixOptions = {
    name: adapterName(r),
    prefix_length: num(r, 'prefix_length', defaults.prefix_length, { int: true, above: 0 }),
    bottleneck_size: num(r, 'bottleneck_size', defaults.bottleneck_size, { int: true, above: 0 }),
    non_linearity: activationOption(r, defaults.non_linearity),
    dropout: num(r, 'dropout', defaults.dropout, { min: 0 }),
    flat: bool(r, 'flat', defaults.flat),
    use_gating: bool(r, 'use_gating', defaults.use_gating),
    shared_gating: bool(r, 'shared_gating', defaults.shared_gating),
    leave_out: leaveOut(r, c),
  };
  if (o.dropout >= 1) throw new Error(`${key}.dropout: ${o.dropout} is not valid; allowed: a number >= 0 and < 1`);
  fixed(r, PREFIX_FIXED, TITLE);
  noOthers(r);
  if (o.leave_out.length === c.num_hidden_layers) {
    throw new Error(`${key}.leave_out: leaves out every layer; allowed: a list that keeps at least one layer`);
  }
  return o;
}

export const ahPrefixConfig = (o: AhPrefixOptions): Record<string, unknown> => {
  const { name: _n, ...rest } = o;
  return markFloats({ ...PREFIX_FIXED, ...rest });
};

const selfAttn = (c: ModelConfig): string => {
  const a = layout(c).selfAttn;
  if (!a) throw new Error(`adapters prefix tuning: no self-attention prefix for model_type '${c.model_type}'`);
  return a;
};

/** `<layer>.<self-attention>.prefix_tuning.` of layer i. */
const shim = (c: ModelConfig, i: number) => `${layerName(c, i)}.${selfAttn(c)}.prefix_tuning`;
const poolName = (c: ModelConfig, o: AhPrefixOptions, part: string) =>
  `${shim(c, 0)}.pool.prefix_tunings.${o.name}.self_prefix.${part}`;
/** The layers with a prefix, in pool order. */
const kept = (c: ModelConfig, o: AhPrefixOptions) =>
  Array.from({ length: c.num_hidden_layers }, (_, i) => i).filter((i) => !o.leave_out.includes(i));

export function createAhPrefix(c: ModelConfig, o: AhPrefixOptions, seed: number): Params {
  const H = c.hidden_size;
  const P = o.prefix_length;
  const N = o.bottleneck_size;
  const out = kept(c, o).length * 2 * H;
  const params: Params = new Map();
  let k = seed;
  const gates = (i: number) => {
    if (!o.use_gating || o.leave_out.includes(i)) return;
    const g = `${shim(c, i)}.prefix_gates.${o.name}`;
    const outputs = o.shared_gating ? 1 : 2;
    params.set(`${g}.weight`, normal([H, outputs], 0.02, k++));
    params.set(`${g}.bias`, torchLinearBias(H, outputs, k++));
  };
  // state_dict order: layer 0's gates, the pool (registered under layer 0), then the other layers' gates
  gates(0);
  if (o.flat) params.set(poolName(c, o, 'control_trans'), normal([P * out], 1, k++));
  else {
    params.set(poolName(c, o, 'wte.weight'), normal([P, H], 1, k++));
    params.set(poolName(c, o, 'control_trans.0.weight'), torchLinearWeight(H, N, k++));
    params.set(poolName(c, o, 'control_trans.0.bias'), torchLinearBias(H, N, k++));
    params.set(poolName(c, o, 'control_trans.2.weight'), torchLinearWeight(N, out, k++));
    params.set(poolName(c, o, 'control_trans.2.bias'), torchLinearBias(N, out, k++));
  }
  for (let i = 1; i < c.num_hidden_layers; i++) gates(i);
  return params;
}

export function ahPrefixHooks(params: Params, c: ModelConfig, o: AhPrefixOptions): PeftHooks {
  const H = c.hidden_size;
  const nh = c.num_attention_heads;
  const P = o.prefix_length;
  const slot = new Map(kept(c, o).map((layer, j) => [layer, j]));
  const rows = slot.size * 2 * H;
  const act = activation(o.non_linearity);
  const p = (part: string) => param(params, poolName(c, o, part));
  return {
    prefix(layer, x, ctx) {
      const j = slot.get(layer);
      if (j === undefined) return undefined;
      const B = x.shape[0]!;
      // only this layer's 2H columns of control_trans: the same numbers as the full [P, L * 2 * H] product
      let kv: tf.Tensor;
      if (o.flat) kv = tf.slice(p('control_trans').reshape([P, rows]), [0, j * 2 * H], [P, 2 * H]);
      else {
        const hidden = act(linear(p('wte.weight'), p('control_trans.0.weight'), p('control_trans.0.bias')));
        const w2 = tf.slice(p('control_trans.2.weight'), [0, j * 2 * H], [-1, 2 * H]);
        kv = linear(hidden, w2, tf.slice(p('control_trans.2.bias'), [j * 2 * H], [2 * H]));
      }
      kv = dropout(kv, o.dropout, ctx);
      // [P, 2, heads, d] -> keys and values [1, heads, P, d]
      const [key, value] = tf.split(kv.reshape([P, 2, nh, H / nh]).transpose([1, 2, 0, 3]), 2, 0) as [
        tf.Tensor,
        tf.Tensor,
      ];
      if (!o.use_gating)
        return { key: tf.broadcastTo(key, [B, nh, P, H / nh]), value: tf.broadcastTo(value, [B, nh, P, H / nh]) };
      const g = `${shim(c, layer)}.prefix_gates.${o.name}`;
      const gate = gateMean(x, param(params, `${g}.weight`), param(params, `${g}.bias`)); // [B, 1 or 2]
      const k = o.shared_gating ? 0 : 1;
      return {
        key: tf.mul(key, tf.slice(gate, [0, 0], [B, 1]).reshape([B, 1, 1, 1])),
        value: tf.mul(value, tf.slice(gate, [0, k], [B, 1]).reshape([B, 1, 1, 1])),
      };
    },
  };
}

/** Every name the library saves a pool tensor under (layer 0's first: the one read); the gates once. */
export function ahPrefixFileNames(name: string, c: ModelConfig): string[] {
  const pool = `${shim(c, 0)}.pool.`;
  if (!name.startsWith(pool)) return [name];
  const rest = name.slice(pool.length);
  const layers = Array.from({ length: c.num_hidden_layers }, (_, i) => `${shim(c, i)}.pool.${rest}`);
  return [...layers, `${bodyPrefix(c)}.prefix_tuning.${rest}`];
}

export const ahPrefix: PeftMethod<AhPrefixOptions> = {
  name: 'ah_prefix',
  title: TITLE,
  library: 'adapters',
  families: AH_PREFIX_FAMILIES,
  parseOptions: (raw, c, key) => parseAhPrefix(raw, c, key),
  create: createAhPrefix,
  hooks: ahPrefixHooks,
  checkpoint: {
    identifies: (j) => j.architecture === 'prefix_tuning',
    fromConfig: (j, c, file) => parseAhPrefix(j, c, `${file}: config`),
    toConfig: ahPrefixConfig,
    fileNames: ahPrefixFileNames,
    transposed: ahTransposed,
  },
};
