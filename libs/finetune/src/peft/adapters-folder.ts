// AdapterHub adapter folders, as adapters 0.1.1 save_adapter(dir, name, with_head=True) writes them:
//   adapter_config.json     {config, hidden_size, model_class, model_name, model_type, name, version}
//   pytorch_adapter.bin     the adapter's tensors (torch.save pickle), the shared prefix pool under every name
//   head_config.json        the static head's {config: null, hidden_size, label2id, ..., num_labels, version}
//   pytorch_model_head.bin  the head's tensors (`classifier.*`, `score.*`, ...)
// The JSON files are Python's json.dump(indent=2, sort_keys=True) with no final newline (pythonJson; the methods
// mark their float-typed config keys), the .bin files torch.save's (writeTorchBin), so a folder saved here equals
// the library's byte for byte.
import type { HeadKind } from '@prunelab/core';
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { headSpecs, hfClassName } from '../heads.ts';
import type { ModelConfig } from '../model-config.ts';
import type { Params } from '../params.ts';
import type { RawTensor } from '../safetensors.ts';
import { readTorchBin, writeTorchBin } from '../torch-bin.ts';
import { attachParsed, trainedHeadNames, type PeftState } from './attach.ts';
import type { PeftOptions } from './method.ts';
import { methodOfConfig, readJsonFile } from './peft-folder.ts';
import { pythonJson } from './py-json.ts';
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

// ---- tensors: in memory linear weights are [in, out]; in the files [out, in]

function toRaw(v: tf.Variable, transposed: boolean): RawTensor {
  const data = tf.tidy(() => (transposed ? v.transpose() : v).dataSync() as Float32Array);
  return { shape: transposed ? [...v.shape].reverse() : [...v.shape], data: new Float32Array(data) };
}

function assignRaw(v: tf.Variable, raw: RawTensor, transposed: boolean, what: string): void {
  const want = transposed ? [...v.shape].reverse() : v.shape;
  if (raw.shape.join() !== want.join()) {
    throw new Error(`${what} has shape [${raw.shape}]; this model and config need [${want}]`);
  }
  if (!(raw.data instanceof Float32Array)) throw new Error(`${what} is an integer tensor; a float tensor was expected`);
  tf.tidy(() => {
    const t = tf.tensor(raw.data, raw.shape, 'float32');
    v.assign(transposed ? t.transpose() : t);
  });
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
  const saved = readJsonFile(cfgFile);
  if (saved.model_type !== c.model_type || saved.hidden_size !== c.hidden_size) {
    throw new Error(
      `${cfgFile}: an adapter for model_type '${saved.model_type}' with hidden_size ${saved.hidden_size}; this model ` +
        `is '${c.model_type}' with hidden_size ${c.hidden_size}`,
    );
  }
  const config = (saved.config ?? {}) as Record<string, unknown>;
  const method = methodOfConfig(
    config,
    'adapters',
    cfgFile,
    `config (architecture '${config.architecture ?? 'bottleneck'}')`,
  );
  const name = opts.name ?? saved.name;
  const options: PeftOptions = method.checkpoint.fromConfig(
    name === undefined ? config : { ...config, name },
    c,
    cfgFile,
  );
  const state = attachParsed(model, method, options, opts.seed ?? 0, cfgFile);
  try {
    const wFile = join(dir, ADAPTER_FILES.weights);
    const tensors = readTorchBin(wFile);
    const known = new Set<string>();
    for (const n of state.added) {
      const names = method.checkpoint.fileNames(n, c, state.options);
      for (const f of names) known.add(f);
      const raw = tensors.get(names[0]!);
      if (!raw) throw new Error(`${wFile}: tensor '${names[0]}' is missing (needed by ${method.name})`);
      const t = method.checkpoint.transposed(n, c, state.options);
      assignRaw(model.params.get(n)!, raw, t, `${wFile}: tensor '${names[0]}'`);
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
    const hc = readJsonFile(cfgFile);
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
  writeFileSync(join(dir, ADAPTER_FILES.config), pythonJson(cfg));
  const byFile = new Map<string, RawTensor>();
  const files: string[] = [];
  for (const n of s.added) {
    // one array for every alias: written as one shared storage, as torch.save writes the library's shared pool
    const raw = toRaw(model.params.get(n)!, s.method.checkpoint.transposed(n, c, s.options));
    for (const f of s.method.checkpoint.fileNames(n, c, s.options)) {
      byFile.set(f, raw);
      files.push(f);
    }
  }
  writeTorchBin(join(dir, ADAPTER_FILES.weights), new Map(libraryOrder(files).map((f) => [f, byFile.get(f)!])), {
    shareStorage: true,
  });
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
  writeFileSync(join(dir, ADAPTER_FILES.headConfig), pythonJson(headCfg));
  const kinds = new Map(headSpecs(c, head).map((sp) => [sp.name, sp.kind]));
  const headTensors = new Map(
    trainedHeadNames(c, head).map((n) => [n, toRaw(model.params.get(n)!, kinds.get(n) === 'linear')] as const),
  );
  writeTorchBin(join(dir, ADAPTER_FILES.headWeights), headTensors);
}
