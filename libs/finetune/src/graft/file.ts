// The graft file: a mask as a bitset plus the sparse deltas, in Hugging Face layout (state_dict names, linear
// weights [out, in]), as safetensors. Per tensor with selected entries:
//   <name>::mask   int32 [ceil(n / 32)]  bit i of the flattened tensor (least significant bit first)
//   <name>::delta  float32 [count]       theta_ft - theta_pre at the selected entries, in flat order
//   <name>::value  float32 [count]       theta_ft there (applying the values is exact; pre + delta may round)
// and the fine-tuned task head whole (it has no pretrained value): <name>::full float32 in HF shape.
// In PyTorch: bits = ((mask.view(-1, 1) >> torch.arange(32)) & 1).flatten()[:p.numel()].bool();
// p.view(-1)[bits] = value (or += delta). The metadata say what it was made from.
import * as tf from '@tensorflow/tfjs';
import { headSpecs, modelParamSpecs } from '../heads.ts';
import type { HeadKind, ModelConfig } from '../model-config.ts';
import type { Params, ParamSpec } from '../params.ts';
import { readSafetensors, writeSafetensors, type RawTensor } from '../safetensors.ts';
import type { Graft } from './graft.ts';
import { packBits, unpackBits, type Mask } from './mask.ts';

/** Memory index of HF index j for a linear weight of HF shape [out, in] (held as [in, out]). */
const memIndex = (spec: ParamSpec, j: number) =>
  spec.kind === 'linear' ? (j % spec.shape[1]!) * spec.shape[0]! + Math.floor(j / spec.shape[1]!) : j;

const specsByName = (config: ModelConfig, head: HeadKind) =>
  new Map(modelParamSpecs(config, head).map((s) => [s.name, s]));

export function writeGraftFile(
  file: string,
  g: Graft,
  mask: Mask,
  metadata: Record<string, string>,
): { entries: number; bytes: number } {
  const specs = specsByName(g.model.config, g.model.head ?? 'seqcls');
  const tensors = new Map<string, RawTensor>();
  let entries = 0;
  for (const [t, name] of g.names.entries()) {
    const spec = specs.get(name)!;
    const n = g.sizes[t]!;
    const bits = new Uint8Array(n);
    const delta: number[] = [];
    const value: number[] = [];
    for (let j = 0; j < n; j++) {
      const i = memIndex(spec, j);
      if (!mask[t]![i]) continue;
      bits[j] = 1;
      delta.push(g.delta[t]![i]!);
      value.push(g.ft[t]![i]!);
    }
    if (!delta.length) continue;
    entries += delta.length;
    tensors.set(`${name}::mask`, { shape: [Math.ceil(n / 32)], data: packBits(bits) });
    tensors.set(`${name}::delta`, { shape: [delta.length], data: Float32Array.from(delta) });
    tensors.set(`${name}::value`, { shape: [value.length], data: Float32Array.from(value) });
  }
  for (const spec of headSpecs(g.model.config, g.model.head ?? 'seqcls')) {
    const v = g.model.params.get(spec.name)!;
    const data = tf.tidy(() => (spec.kind === 'linear' ? v.transpose() : v).dataSync() as Float32Array);
    tensors.set(`${spec.name}::full`, { shape: spec.shape, data: new Float32Array(data) });
  }
  const meta = { format: 'prunelab-graft', version: '1', entries: String(entries), scope_params: String(g.count) };
  writeSafetensors(file, tensors, { ...metadata, ...meta });
  return { entries, bytes: [...tensors.values()].reduce((a, x) => a + x.data.byteLength, 0) };
}

export interface GraftFileTensor {
  name: string;
  /** a whole tensor (the head), HF layout; then bits, delta and value are empty */
  full?: Float32Array;
  /** HF layout */
  bits: Uint8Array;
  delta: Float32Array;
  value: Float32Array;
}

export function readGraftFile(file: string, config: ModelConfig, head: HeadKind): GraftFileTensor[] {
  const specs = specsByName(config, head);
  const raw = readSafetensors(file);
  const names = [...new Set([...raw.keys()].map((k) => k.split('::')[0]!))];
  return names.map((name) => {
    const spec = specs.get(name);
    if (!spec) throw new Error(`${file}: '${name}' is not a parameter of this model (${config.model_type})`);
    const full = raw.get(`${name}::full`);
    if (full)
      return {
        name,
        full: full.data as Float32Array,
        bits: new Uint8Array(),
        delta: new Float32Array(),
        value: new Float32Array(),
      };
    const get = (part: string) => {
      const t = raw.get(`${name}::${part}`);
      if (!t) throw new Error(`${file}: '${name}::${part}' is missing (a graft file holds mask, delta and value)`);
      return t.data;
    };
    const bits = unpackBits(
      get('mask') as Int32Array,
      spec.shape.reduce((a, d) => a * d, 1),
    );
    const count = bits.reduce((a, x) => a + x, 0);
    const delta = get('delta') as Float32Array;
    const value = get('value') as Float32Array;
    if (delta.length !== count || value.length !== count)
      throw new Error(`${file}: '${name}' selects ${count} entries but holds ${delta.length} deltas`);
    return { name, bits, delta, value };
  });
}

/** Put a graft file's values and head into a model's parameters (the pretrained model: the grafted one). Returns the
 * masked entries set. */
export function applyGraftFile(file: string, params: Params, config: ModelConfig, head: HeadKind): number {
  const specs = specsByName(config, head);
  let set = 0;
  for (const t of readGraftFile(file, config, head)) {
    const spec = specs.get(t.name)!;
    const v = params.get(t.name);
    if (!v) throw new Error(`${file}: the model has no parameter '${t.name}'`);
    if (t.full) {
      const full = tf.tensor(t.full, spec.shape, 'float32');
      tf.tidy(() => v.assign(spec.kind === 'linear' ? full.transpose() : full));
      full.dispose();
      continue;
    }
    const data = new Float32Array(v.dataSync() as Float32Array);
    let k = 0;
    for (let j = 0; j < t.bits.length; j++) if (t.bits[j]) data[memIndex(spec, j)] = t.value[k++]!;
    set += k;
    tf.tidy(() => v.assign(tf.tensor(data, v.shape, 'float32')));
  }
  return set;
}

/** A graft file's masks as stored: the bitset words per parameter name (enough to compare two files). */
export type GraftMasks = Map<string, Int32Array>;

export function readGraftMasks(file: string): GraftMasks {
  const out: GraftMasks = new Map();
  for (const [key, t] of readSafetensors(file))
    if (key.endsWith('::mask')) out.set(key.slice(0, -'::mask'.length), t.data as Int32Array);
  return out;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/**
 * Jaccard overlap of two graft files' masks, on the packed words (a base model's whole scope is a few million
 * popcounts, not ~100 M byte comparisons); a tensor missing from one selects nothing there; both empty: 1.
 */
export function jaccardFiles(a: GraftMasks, b: GraftMasks): number {
  let both = 0;
  let either = 0;
  for (const name of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(name);
    const y = b.get(name);
    const n = Math.max(x?.length ?? 0, y?.length ?? 0);
    for (let i = 0; i < n; i++) {
      const p = x?.[i] ?? 0;
      const q = y?.[i] ?? 0;
      both += popcount(p & q);
      either += popcount(p | q);
    }
  }
  return either === 0 ? 1 : both / either;
}
