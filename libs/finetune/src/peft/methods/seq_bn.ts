// AdapterHub adapters 0.1.1 bottleneck adapters. SeqBnConfig (Pfeiffer): one adapter after the feed-forward
// sublayer; DoubleSeqBnConfig (Houlsby, double_seq_bn.ts): one after the attention and one after the feed-forward
// sublayer. Both are this file's bottleneck with other defaults and placement; UniPELT uses it gated.
//
// At the end of a sublayer with output h (after its dropout), input res and the layer's own LayerNorm LN (the
// library's pre_forward / Adapter.forward / post_forward):
//   x = original_ln_before ? LN(h + res) : h;        residual = residual_before_ln ? h : x
//   a = up(act(down(x))) * scaling [* gate(x)] + residual
//   out = original_ln_after ? LN(a + res) : a
// so SeqBn gives LN(up(relu(down(LN(h + res)))) + h + res) with the layer's LN used twice, DoubleSeqBn
// LN(up(swish(down(h))) + h + res). gate(x) = mean over all T positions (padding included) of sigmoid(x Wg + bg).
// Pre-LN bodies (OPT, USE-Lite: no library fixture) put the adapter at the same point, on the sublayer output
// before the residual add, with no LN (the library's GPT-2 path passes layer_norm=None): SeqBn gives
// up(relu(down(h + res))) + h + res, DoubleSeqBn up(swish(down(h))) + h + res.
//
// Init 'bert' (the default): every linear weight N(0, 0.02), every bias 0; 'mam_adapter': down kaiming-uniform,
// up all zeros (the adapter starts as the identity), gate as 'bert'. Bottleneck = floor(hidden / reduction_factor)
// (at least 1).
import * as tf from '@tensorflow/tfjs';
import { linear, type ForwardContext } from '../../layers.ts';
import type { ModelConfig } from '../../model-config.ts';
import type { Params } from '../../params.ts';
import type { PeftHooks } from '../hooks.ts';
import type { PeftMethod, PeftOptions } from '../method.ts';
import {
  ADAPTERS_FAMILIES,
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
  oneOf,
  reader,
  uniform,
  zeros,
} from './adapters-shared.ts';

export type BnOptions = {
  name: string;
  reduction_factor: number;
  non_linearity: string;
  original_ln_before: boolean;
  original_ln_after: boolean;
  residual_before_ln: boolean;
  adapter_residual_before_ln: boolean;
  init_weights: 'bert' | 'mam_adapter';
  scaling: number;
  use_gating: boolean;
  leave_out: number[];
};

/** Which sublayers carry an adapter: mh_adapter (after attention), output_adapter (after the feed-forward). */
export type BnPlacement = { mh_adapter: boolean; output_adapter: boolean };

/** BnConfig keys the engine does not model, at the library's defaults (as adapter_config.json writes them). */
const BN_FIXED: Record<string, unknown> = {
  cross_adapter: false,
  factorized_phm_W: true,
  factorized_phm_rule: false,
  hypercomplex_nonlinearity: 'glorot-uniform',
  inv_adapter: null,
  inv_adapter_reduction_factor: null,
  is_parallel: false,
  learn_phm: true,
  ln_after: false,
  ln_before: false,
  phm_bias: true,
  phm_c_init: 'normal',
  phm_dim: 4,
  phm_init_range: 0.0001,
  phm_layer: false,
  phm_rank: 1,
  shared_W_phm: false,
  shared_phm_rule: true,
};

export const SEQ_BN_DEFAULTS: Omit<BnOptions, 'name' | 'leave_out'> = {
  reduction_factor: 16,
  non_linearity: 'relu',
  original_ln_before: true,
  original_ln_after: true,
  residual_before_ln: true,
  adapter_residual_before_ln: false,
  init_weights: 'bert',
  scaling: 1.0,
  use_gating: false,
};

export function parseBn(
  raw: PeftOptions,
  c: ModelConfig,
  key: string,
  placement: BnPlacement,
  defaults: Omit<BnOptions, 'name' | 'leave_out'>,
  title: string,
): BnOptions {
  const r = reader(raw, key);
  const o: BnOptions = {
    name: adapterName(r),
    reduction_factor: num(r, 'reduction_factor', defaults.reduction_factor, { above: 0 }),
    non_linearity: activationOption(r, defaults.non_linearity),
    original_ln_before: bool(r, 'original_ln_before', defaults.original_ln_before),
    original_ln_after: bool(r, 'original_ln_after', defaults.original_ln_after),
    residual_before_ln: bool(r, 'residual_before_ln', defaults.residual_before_ln),
    adapter_residual_before_ln: bool(r, 'adapter_residual_before_ln', defaults.adapter_residual_before_ln),
    init_weights: oneOf(r, 'init_weights', defaults.init_weights, ['bert', 'mam_adapter'] as const),
    scaling: num(r, 'scaling', defaults.scaling),
    use_gating: bool(r, 'use_gating', defaults.use_gating),
    leave_out: leaveOut(r, c),
  };
  fixed(r, { ...BN_FIXED, ...placement }, title);
  noOthers(r);
  if (o.use_gating && c.model_type === 'use-lite') {
    // USE-Lite packs the real tokens of a batch into one row set: there is no per-example axis to average over
    throw new Error(`${key}.use_gating: not supported for USE-Lite (packed rows); allowed: false`);
  }
  return o;
}

export const bnConfig = (o: BnOptions, placement: BnPlacement): Record<string, unknown> => {
  const { name: _n, ...rest } = o;
  return markFloats({ ...BN_FIXED, ...placement, ...rest });
};

/** The module prefix of each adapter, `<layer>.<location>.<name>`, with its layer and part, in state_dict order. */
function sites(c: ModelConfig, o: BnOptions, placement: BnPlacement) {
  const out: { layer: number; part: 'attention' | 'ffn'; prefix: string }[] = [];
  for (let i = 0; i < c.num_hidden_layers; i++) {
    if (o.leave_out.includes(i)) continue;
    const l = layerName(c, i);
    if (placement.mh_adapter)
      out.push({ layer: i, part: 'attention', prefix: `${l}.${layout(c).adapters.attention}.${o.name}` });
    if (placement.output_adapter)
      out.push({ layer: i, part: 'ffn', prefix: `${l}.${layout(c).adapters.ffn}.${o.name}` });
  }
  return out;
}

export const bottleneckSize = (c: ModelConfig, o: BnOptions): number =>
  Math.max(1, Math.floor(c.hidden_size / o.reduction_factor));

export function createBn(c: ModelConfig, o: BnOptions, placement: BnPlacement, seed: number): Params {
  const H = c.hidden_size;
  const n = bottleneckSize(c, o);
  const params: Params = new Map();
  let k = seed;
  for (const { prefix } of sites(c, o, placement)) {
    const mam = o.init_weights === 'mam_adapter';
    params.set(
      `${prefix}.adapter_down.0.weight`,
      mam ? uniform([H, n], 1 / Math.sqrt(H), k++) : normal([H, n], 0.02, k++),
    );
    params.set(`${prefix}.adapter_down.0.bias`, zeros([n]));
    params.set(`${prefix}.adapter_up.weight`, mam ? zeros([n, H]) : normal([n, H], 0.02, k++));
    params.set(`${prefix}.adapter_up.bias`, zeros([H]));
    if (o.use_gating) {
      params.set(`${prefix}.gate.weight`, normal([H, 1], 0.02, k++));
      params.set(`${prefix}.gate.bias`, zeros([1]));
    }
  }
  return params;
}

export function bnHooks(params: Params, c: ModelConfig, o: BnOptions, placement: BnPlacement): PeftHooks {
  const at = new Map(sites(c, o, placement).map((s) => [`${s.layer}:${s.part}`, s.prefix]));
  const act = activation(o.non_linearity);
  const p = (name: string) => params.get(name)!;
  return {
    sublayer(layer, part, h, res, norm, _ctx: ForwardContext) {
      const prefix = at.get(`${layer}:${part}`);
      if (!prefix) return undefined;
      // pre_forward
      let x = h;
      if (o.original_ln_before) x = norm ? norm(tf.add(h, res)) : tf.add(h, res);
      const residual = o.residual_before_ln ? h : x;
      // Adapter.forward (ln_before/ln_after are off: adapter_residual_before_ln changes nothing then)
      const down = act(linear(x, p(`${prefix}.adapter_down.0.weight`), p(`${prefix}.adapter_down.0.bias`)));
      let up = linear(down, p(`${prefix}.adapter_up.weight`), p(`${prefix}.adapter_up.bias`));
      if (o.scaling !== 1) up = tf.mul(up, o.scaling);
      if (o.use_gating) {
        const g = gateMean(x, p(`${prefix}.gate.weight`), p(`${prefix}.gate.bias`));
        up = tf.mul(up, g.reshape([-1, 1, 1]));
      }
      const a = tf.add(up, residual);
      // post_forward
      if (!o.original_ln_after) return a;
      return norm ? norm(tf.add(a, res)) : tf.add(a, res);
    },
  };
}

/** The method-table entry of a bottleneck adapter with this placement and these defaults. */
export function bottleneckMethod(
  name: string,
  title: string,
  placement: BnPlacement,
  defaults: Omit<BnOptions, 'name' | 'leave_out'>,
): PeftMethod<BnOptions> {
  return {
    name,
    title,
    library: 'adapters',
    families: ADAPTERS_FAMILIES,
    parseOptions: (raw, c, key) => parseBn(raw, c, key, placement, defaults, title),
    create: (c, o, seed) => createBn(c, o, placement, seed),
    hooks: (params, c, o) => bnHooks(params, c, o, placement),
    checkpoint: {
      identifies: (j) =>
        (j.architecture ?? 'bottleneck') === 'bottleneck' &&
        j.mh_adapter === placement.mh_adapter &&
        j.output_adapter === placement.output_adapter,
      fromConfig: (j, c, file) => {
        const { architecture: _a, ...rest } = j;
        return parseBn(rest, c, `${file}: config`, placement, defaults, title);
      },
      toConfig: (o) => bnConfig(o, placement),
      fileNames: (n) => [n],
      transposed: ahTransposed,
    },
  };
}

export const seqBn = bottleneckMethod(
  'seq_bn',
  'Sequential bottleneck adapter, SeqBn / Pfeiffer (adapters 0.1.1)',
  { mh_adapter: false, output_adapter: true },
  SEQ_BN_DEFAULTS,
);
