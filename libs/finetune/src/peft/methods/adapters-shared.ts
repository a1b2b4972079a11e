// What the AdapterHub `adapters` 0.1.1 methods (seq_bn, double_seq_bn, ah_lora, ah_prefix, unipelt) share: where
// each family keeps the modules the library attaches to, option reading with the library's config names, the
// library's seeded inits, its activations and the UniPELT gate.
import * as tf from '@tensorflow/tfjs';
import { bodyPrefix } from '../../heads.ts';
import { gelu, linear } from '../../layers.ts';
import type { ModelConfig } from '../../model-config.ts';
import type { PeftOptions } from '../method.ts';
import { pyFloat } from '../py-json.ts';

export const ADAPTERS_VERSION = '0.1.1';
export const ADAPTERS_FAMILIES = ['bert', 'roberta', 'opt', 'use-lite'] as const;
/** The name an adapter gets when neither the options nor a loaded adapter_config.json give one. */
export const DEFAULT_ADAPTER_NAME = 'default';

// ---- where the library puts things (module names relative to a layer)

interface Layout {
  layer(c: ModelConfig, i: number): string;
  /** the self-attention module holding prefix_tuning (absent: no attention prefix in this body) */
  selfAttn?: string;
  /** LoRA targets: attn_matrices q/k/v, intermediate_lora, output_lora */
  lora?: { q: string; k: string; v: string; intermediate: string; output: string };
  /** the bottleneck layers after the attention and the feed-forward sublayers */
  adapters: { attention: string; ffn: string };
}

const BERT: Layout = {
  layer: (c, i) => `${bodyPrefix(c)}.encoder.layer.${i}`,
  selfAttn: 'attention.self',
  lora: {
    q: 'attention.self.query',
    k: 'attention.self.key',
    v: 'attention.self.value',
    intermediate: 'intermediate.dense',
    output: 'output.dense',
  },
  adapters: { attention: 'attention.output.adapters', ffn: 'output.adapters' },
};

// adapters' decoder mixins (GPT-2, OPT) keep attention_adapters / output_adapters on the layer; USE-Lite (no
// library support) follows them.
const LAYOUTS: Record<string, Layout> = {
  bert: BERT,
  roberta: BERT,
  opt: {
    layer: (_c, i) => `model.decoder.layers.${i}`,
    selfAttn: 'self_attn',
    lora: { q: 'self_attn.q_proj', k: 'self_attn.k_proj', v: 'self_attn.v_proj', intermediate: 'fc1', output: 'fc2' },
    adapters: { attention: 'attention_adapters.adapters', ffn: 'output_adapters.adapters' },
  },
  'use-lite': {
    layer: (_c, i) => `use_lite.encoder.layer.${i}`,
    adapters: { attention: 'attention_adapters.adapters', ffn: 'output_adapters.adapters' },
  },
};

export function layout(c: ModelConfig): Layout {
  const l = LAYOUTS[c.model_type];
  if (!l) throw new Error(`adapters methods: no module layout for model_type '${c.model_type}'`);
  return l;
}

export const layerName = (c: ModelConfig, i: number): string => layout(c).layer(c, i);

/** The layer index in an in-memory or file name (`...layer.3.`, `...layers.3.`); -1 for model-level names. */
export function layerOfName(name: string): number {
  const m = /\.layers?\.(\d+)\./.exec(name);
  return m ? Number(m[1]) : -1;
}

// ---- options (raw keys are the library's config names)

export type Reader = {
  raw: PeftOptions;
  key: string;
  /** keys read so far; the rest are unknown */
  seen: Set<string>;
};

export const reader = (raw: PeftOptions, key: string): Reader => ({ raw, key, seen: new Set() });

function take(r: Reader, k: string): unknown {
  r.seen.add(k);
  return r.raw[k];
}

export function num(r: Reader, k: string, def: number, rule: { int?: boolean; min?: number; above?: number } = {}) {
  const v = take(r, k) ?? def;
  const what = rule.int ? 'an integer' : 'a number';
  const bound = rule.above !== undefined ? ` > ${rule.above}` : rule.min !== undefined ? ` >= ${rule.min}` : '';
  if (
    typeof v !== 'number' ||
    !Number.isFinite(v) ||
    (rule.int && !Number.isInteger(v)) ||
    (rule.min !== undefined && v < rule.min) ||
    (rule.above !== undefined && v <= rule.above)
  ) {
    throw new Error(`${r.key}.${k}: ${JSON.stringify(v)} is not valid; allowed: ${what}${bound}`);
  }
  return v;
}

export function bool(r: Reader, k: string, def: boolean): boolean {
  const v = take(r, k) ?? def;
  if (typeof v !== 'boolean') throw new Error(`${r.key}.${k}: ${JSON.stringify(v)} is not valid; allowed: true, false`);
  return v;
}

export function oneOf<T extends string>(r: Reader, k: string, def: T, allowed: readonly T[]): T {
  const v = take(r, k) ?? def;
  if (typeof v !== 'string' || !allowed.includes(v as T)) {
    throw new Error(`${r.key}.${k}: ${JSON.stringify(v)} is not valid; allowed: ${allowed.join(', ')}`);
  }
  return v as T;
}

export function adapterName(r: Reader): string {
  const v = take(r, 'name') ?? DEFAULT_ADAPTER_NAME;
  if (typeof v !== 'string' || !/^[A-Za-z0-9_-]+$/.test(v)) {
    throw new Error(`${r.key}.name: ${JSON.stringify(v)} is not valid; allowed: letters, digits, '_' and '-'`);
  }
  return v;
}

/** leave_out: layer indices the library skips. */
export function leaveOut(r: Reader, c: ModelConfig): number[] {
  const v = take(r, 'leave_out') ?? [];
  const n = c.num_hidden_layers;
  if (!Array.isArray(v) || v.some((i) => !Number.isInteger(i) || i < 0 || i >= n)) {
    throw new Error(
      `${r.key}.leave_out: ${JSON.stringify(v)} is not valid; allowed: a list of layer indices 0..${n - 1}`,
    );
  }
  return [...new Set(v as number[])].sort((a, b) => a - b);
}

/** Config keys the engine does not model: each must hold the library's default. */
export function fixed(r: Reader, defaults: Record<string, unknown>, title: string): void {
  for (const [k, def] of Object.entries(defaults)) {
    const v = take(r, k);
    if (v !== undefined && JSON.stringify(v) !== JSON.stringify(def)) {
      throw new Error(
        `${r.key}.${k}: ${JSON.stringify(v)} is not supported (the engine models ${title} with this key at its ` +
          `default); allowed: ${JSON.stringify(def)}`,
      );
    }
  }
}

/** Every raw key must have been read. */
export function noOthers(r: Reader): void {
  const unknown = Object.keys(r.raw).filter((k) => !r.seen.has(k));
  if (unknown.length) {
    throw new Error(`${r.key}.${unknown[0]}: unknown option; allowed: ${[...r.seen].sort().join(', ')}`);
  }
}

// ---- checkpoints

/** Config keys the library holds as Python floats (adapter_config.json writes 1.0, not 1). */
const FLOAT_KEYS = ['scaling', 'dropout', 'phm_init_range'];

/** A saved config with its float-typed keys marked for pythonJson. */
export function markFloats(cfg: Record<string, unknown>): Record<string, unknown> {
  const out = { ...cfg };
  for (const k of FLOAT_KEYS) if (typeof out[k] === 'number') out[k] = pyFloat(out[k] as number);
  return out;
}

/** Linear weights (adapter_down/up, gates, lora_A/B, control_trans.*) are [in, out] in memory, [out, in] in the
 * file; the pool's embedding, biases and the flat control_trans vector are kept as saved. */
export const ahTransposed = (name: string): boolean =>
  /(\.weight|\.lora_[AB])$/.test(name) && !name.endsWith('.wte.weight');

// ---- activations (adapters' Activation_Function_Class: transformers' ACT2FN plus leakyrelu)

const ACTIVATIONS: Record<string, (x: tf.Tensor) => tf.Tensor> = {
  relu: (x) => tf.relu(x),
  gelu: (x) => gelu(x),
  gelu_new: (x) =>
    tf.mul(
      tf.mul(x, 0.5),
      tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3)))))),
    ),
  swish: (x) => tf.mul(x, tf.sigmoid(x)),
  silu: (x) => tf.mul(x, tf.sigmoid(x)),
  tanh: (x) => tf.tanh(x),
  sigmoid: (x) => tf.sigmoid(x),
  leakyrelu: (x) => tf.leakyRelu(x, 0.01),
  linear: (x) => x,
};
export const ACTIVATION_NAMES = Object.keys(ACTIVATIONS);

/** non_linearity (case-insensitive, as the library lowercases it). */
export function activationOption(r: Reader, def: string): string {
  const v = take(r, 'non_linearity') ?? def;
  if (typeof v !== 'string' || !ACTIVATIONS[v.toLowerCase()]) {
    throw new Error(
      `${r.key}.non_linearity: ${JSON.stringify(v)} is not valid; allowed: ${ACTIVATION_NAMES.join(', ')}`,
    );
  }
  return v;
}

export const activation = (name: string): ((x: tf.Tensor) => tf.Tensor) => ACTIVATIONS[name.toLowerCase()]!;

// ---- the UniPELT gate

/** The mean over every position t (padding included, as the library) of sigmoid(x_t W + b): [B, k] for x
 * [B, T, in] and the gate's in-memory weight [in, k]. */
export function gateMean(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  if (x.rank !== 3) throw new Error(`adapters gate: input of rank ${x.rank}; a gate needs [batch, length, width]`);
  return tf.mean(tf.sigmoid(linear(x, w, b)), 1) as tf.Tensor2D;
}

// ---- seeded library inits (tfjs reads seed 0 as "no seed": 0.5 stands in, as checkpoint.ts does)

const s = (seed: number) => (seed === 0 ? 0.5 : seed);
export const normal = (shape: number[], std: number, seed: number) =>
  tf.variable(tf.randomNormal(shape, 0, std, 'float32', s(seed)), true);
export const uniform = (shape: number[], bound: number, seed: number) =>
  tf.variable(tf.randomUniform(shape, -bound, bound, 'float32', s(seed)), true);
export const zeros = (shape: number[]) => tf.variable(tf.zeros(shape), true);

/** torch's default nn.Linear init: kaiming_uniform(a=sqrt(5)) weight and bias both U(+-1/sqrt(fan_in)). Weight in
 * memory [in, out]. */
export const torchLinearWeight = (inDim: number, outDim: number, seed: number) =>
  uniform([inDim, outDim], 1 / Math.sqrt(inDim), seed);
export const torchLinearBias = (inDim: number, outDim: number, seed: number) =>
  uniform([outDim], 1 / Math.sqrt(inDim), seed);
