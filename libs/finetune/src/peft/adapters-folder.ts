// AdapterHub adapter folders, as adapters 0.1.1 save_adapter(dir, name, with_head=True) writes them:
//   adapter_config.json     {config, hidden_size, model_class, model_name, model_type, name, version}
//   pytorch_adapter.bin     the adapter's tensors (torch.save pickle), the shared prefix pool under every name
//   head_config.json        the static head's {config: null, hidden_size, label2id, ..., num_labels, version}
//   pytorch_model_head.bin  the head's tensors (`classifier.*`, `score.*`, ...)
// The JSON files are Python's json.dump(indent=2, sort_keys=True) with no final newline; pyJson writes the same
// bytes (Python float syntax for the float-typed config keys).
import type { HeadKind } from '@prunelab/core';
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { headSpecs, hfClassName } from '../heads.ts';
import type { ModelConfig } from '../model-config.ts';
import type { Params } from '../params.ts';
import type { RawTensor } from '../safetensors.ts';
import { readTorchBin, writeTorchBin } from '../torch-bin.ts';
import { attachPeft, trainedHeadNames, type PeftState } from './attach.ts';
import { PEFT_METHODS } from './index.ts';
import type { PeftMethod, PeftOptions } from './method.ts';
import { ADAPTERS_VERSION, layerOfName } from './methods/adapters-shared.ts';

export const ADAPTER_FILES = {
  config: 'adapter_config.json',
  weights: 'pytorch_adapter.bin',
  headConfig: 'head_config.json',
  headWeights: 'pytorch_model_head.bin',
} as const;

interface AdapterModel {
  config: ModelConfig;
  params: Params;
  head?: HeadKind;
  peft?: PeftState;
}

// ---- Python's json.dumps(indent=2, sort_keys=True)

/** Config keys the library holds as Python floats (written 1.0, not 1). */
const FLOAT_KEYS = new Set(['scaling', 'dropout', 'phm_init_range']);

/** Python's repr of a float: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
export function pyFloat(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, e] = x.toExponential().split('e') as [string, string];
  const exp = Number(e);
  if (exp < -4 || exp >= 16) return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  const s = String(x);
  return s.includes('.') ? s : `${s}.0`;
}

const pyString = (s: string) =>
  JSON.stringify(s).replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);

export function pyJson(v: unknown, indent = '', key = ''): string {
  const inner = `${indent}  `;
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return FLOAT_KEYS.has(key) || !Number.isInteger(v) ? pyFloat(v) : String(v);
  if (typeof v === 'string') return pyString(v);
  if (Array.isArray(v)) {
    if (!v.length) return '[]';
    return `[\n${v.map((x) => inner + pyJson(x, inner, key)).join(',\n')}\n${indent}]`;
  }
  const keys = Object.keys(v as object).sort();
  if (!keys.length) return '{}';
  const rec = v as Record<string, unknown>;
  return `{\n${keys.map((k) => `${inner}${pyString(k)}: ${pyJson(rec[k], inner, k)}`).join(',\n')}\n${indent}}`;
}

// ---- tensors: in memory linear weights are [in, out]; in the files [out, in]

/** An added 2-D tensor is a linear weight (adapter_down/up, lora_A/B, gates, control_trans) except the pool's
 * embedding. */
const isLinear = (name: string, shape: number[]) => shape.length === 2 && !name.endsWith('.wte.weight');

function toRaw(v: tf.Variable, linear: boolean): RawTensor {
  const data = tf.tidy(() => (linear ? v.transpose() : v).dataSync() as Float32Array);
  return { shape: linear ? [...v.shape].reverse() : [...v.shape], data: new Float32Array(data) };
}

function assignRaw(v: tf.Variable, raw: RawTensor, linear: boolean, what: string): void {
  const want = linear ? [...v.shape].reverse() : v.shape;
  if (raw.shape.join() !== want.join()) {
    throw new Error(`${what} has shape [${raw.shape}]; this model and config need [${want}]`);
  }
  if (!(raw.data instanceof Float32Array)) throw new Error(`${what} is an integer tensor; a float tensor was expected`);
  tf.tidy(() => {
    const t = tf.tensor(raw.data, raw.shape, 'float32');
    v.assign(linear ? t.transpose() : t);
  });
}

function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: cannot read (${(e as Error).message}); an AdapterHub folder has ${ADAPTER_FILES.config}`);
  }
}

/** The adapters method whose saved config this is. */
export function adaptersMethodOf(json: Record<string, unknown>, file: string): PeftMethod {
  const ms = Object.values(PEFT_METHODS).filter((m) => m.library === 'adapters');
  const m = ms.find((x) => x.checkpoint.identifies(json));
  if (!m) {
    const arch = json.architecture ?? 'bottleneck';
    throw new Error(
      `${file}: config (architecture '${arch}') is not one the engine reads; it reads ${ms.map((x) => x.name).join(', ')}`,
    );
  }
  return m;
}

export interface LoadAdapterOptions {
  /** the adapter's name in memory; default the one in adapter_config.json */
  name?: string;
  /** seed of the init the file's values then replace */
  seed?: number;
}

/**
 * Put the adapter saved in `dir` on `model` (a base model of the same family and width): its method and options
 * from adapter_config.json, its tensors from pytorch_adapter.bin, and the task head from pytorch_model_head.bin
 * when the folder has one. Missing, unexpected or misshapen tensors are errors naming the file and tensor.
 */
export function loadAdapterFolder(dir: string, model: AdapterModel, opts: LoadAdapterOptions = {}): PeftState {
  const c = model.config;
  const cfgFile = join(dir, ADAPTER_FILES.config);
  const saved = readJson(cfgFile);
  if (saved.model_type !== c.model_type || saved.hidden_size !== c.hidden_size) {
    throw new Error(
      `${cfgFile}: an adapter for model_type '${saved.model_type}' with hidden_size ${saved.hidden_size}; this model ` +
        `is '${c.model_type}' with hidden_size ${c.hidden_size}`,
    );
  }
  const config = (saved.config ?? {}) as Record<string, unknown>;
  const method = adaptersMethodOf(config, cfgFile);
  const name = opts.name ?? saved.name;
  const options: PeftOptions = method.checkpoint.fromConfig(
    name === undefined ? config : { ...config, name },
    c,
    cfgFile,
  );
  const state = attachPeft(model, { ...options, method: method.name }, opts.seed ?? 0, cfgFile);
  try {
    const wFile = join(dir, ADAPTER_FILES.weights);
    const tensors = readTorchBin(wFile);
    const known = new Set<string>();
    for (const n of state.added) {
      const names = method.checkpoint.fileNames(n, c, state.options);
      for (const f of names) known.add(f);
      const raw = tensors.get(names[0]!);
      if (!raw) throw new Error(`${wFile}: tensor '${names[0]}' is missing (needed by ${method.name})`);
      const v = model.params.get(n)!;
      assignRaw(v, raw, isLinear(n, v.shape), `${wFile}: tensor '${names[0]}'`);
    }
    const extra = [...tensors.keys()].filter((k) => !known.has(k));
    if (extra.length) {
      throw new Error(
        `${wFile}: unexpected tensors for ${method.name} '${state.options.name}': ${extra.slice(0, 4).join(', ')}`,
      );
    }
    const hFile = join(dir, ADAPTER_FILES.headWeights);
    if (existsSync(hFile)) loadHead(hFile, join(dir, ADAPTER_FILES.headConfig), model);
  } catch (e) {
    detach(model);
    throw e;
  }
  return state;
}

function loadHead(file: string, cfgFile: string, model: AdapterModel): void {
  const c = model.config;
  const head = model.head ?? 'seqcls';
  if (existsSync(cfgFile)) {
    const hc = readJson(cfgFile);
    if (head === 'seqcls' && hc.num_labels !== undefined && hc.num_labels !== c.num_labels) {
      throw new Error(`${cfgFile}: a head with num_labels ${hc.num_labels}; this model has ${c.num_labels}`);
    }
  }
  const tensors = readTorchBin(file);
  const kinds = new Map(headSpecs(c, head).map((s) => [s.name, s.kind]));
  for (const n of trainedHeadNames(c, head)) {
    const raw = tensors.get(n);
    if (!raw) throw new Error(`${file}: head tensor '${n}' is missing`);
    assignRaw(model.params.get(n)!, raw, kinds.get(n) === 'linear', `${file}: tensor '${n}'`);
  }
}

/** Undo attachPeft after a failed load: drop the added parameters. */
function detach(model: AdapterModel): void {
  const s = model.peft;
  if (!s) return;
  for (const n of s.added) {
    model.params.get(n)?.dispose();
    model.params.delete(n);
  }
  model.peft = undefined;
}

export interface SaveAdapterOptions {
  /** adapter_config.json's model_name: the base model's name or path as the library was given it */
  modelName: string;
  /** write head_config.json and pytorch_model_head.bin (default true) */
  withHead?: boolean;
}

/** Rank of a file name in the library's state_dict order: by layer (model-level names last), then by where the
 * same module of another layer first appeared. */
function libraryOrder(names: string[]): string[] {
  const template = (n: string) => n.replace(/\.(layers?)\.\d+\./, '.$1.#.');
  const first = new Map<string, number>();
  for (const n of names) if (!first.has(template(n))) first.set(template(n), first.size);
  const layer = (n: string) => {
    const l = layerOfName(n);
    return l < 0 ? Number.MAX_SAFE_INTEGER : l;
  };
  return [...names].sort((a, b) => layer(a) - layer(b) || first.get(template(a))! - first.get(template(b))!);
}

/** Write the model's adapter (and head) in AdapterHub's layout; the JSON text is what adapters 0.1.1 writes. */
export function saveAdapterFolder(dir: string, model: AdapterModel, opts: SaveAdapterOptions): void {
  const s = model.peft;
  if (s?.method.library !== 'adapters') {
    throw new Error(`saveAdapterFolder: the model carries ${s ? `'${s.method.name}', a peft method` : 'no adapter'}`);
  }
  if (s.merged) throw new Error(`saveAdapterFolder: '${s.method.name}' is merged into the base weights; unmerge first`);
  const c = model.config;
  const head = model.head ?? 'seqcls';
  mkdirSync(dir, { recursive: true });
  const common = {
    hidden_size: c.hidden_size,
    model_class: hfClassName(c, head),
    model_name: opts.modelName,
    model_type: c.model_type,
  };
  const name = s.options.name as string;
  const cfg = { ...common, config: s.method.checkpoint.toConfig(s.options, c), name, version: ADAPTERS_VERSION };
  writeFileSync(join(dir, ADAPTER_FILES.config), pyJson(cfg));
  const byFile = new Map<string, RawTensor>();
  const files: string[] = [];
  for (const n of s.added) {
    const v = model.params.get(n)!;
    const raw = toRaw(v, isLinear(n, v.shape));
    for (const f of s.method.checkpoint.fileNames(n, c, s.options)) {
      byFile.set(f, raw);
      files.push(f);
    }
  }
  writeTorchBin(join(dir, ADAPTER_FILES.weights), new Map(libraryOrder(files).map((f) => [f, byFile.get(f)!])));
  if (opts.withHead === false) return;
  const labels = c.id2label
    ? Object.fromEntries(Object.entries(c.id2label).map(([i, l]) => [l, Number(i)]))
    : Object.fromEntries(Array.from({ length: c.num_labels }, (_, i) => [`LABEL_${i}`, i]));
  const headCfg = {
    ...common,
    config: null,
    label2id: labels,
    name: null,
    num_labels: c.num_labels,
    version: ADAPTERS_VERSION,
  };
  writeFileSync(join(dir, ADAPTER_FILES.headConfig), pyJson(headCfg));
  const kinds = new Map(headSpecs(c, head).map((sp) => [sp.name, sp.kind]));
  const headTensors = new Map(
    trainedHeadNames(c, head).map((n) => [n, toRaw(model.params.get(n)!, kinds.get(n) === 'linear')] as const),
  );
  writeTorchBin(join(dir, ADAPTER_FILES.headWeights), headTensors);
}
