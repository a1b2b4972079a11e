// Model folders in the Hugging Face layout: config.json + model.safetensors (or a sharded index) + tokenizer.json.
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readBertConfig, type BertConfig } from './bert-config.ts';
import { bertParamSpecs, type ParamSpec, type Params } from './bert.ts';
import { readSafetensors, writeSafetensors, type RawTensor } from './safetensors.ts';

// Buffers HF saves that are not parameters.
const IGNORED = [/\.position_ids$/];

/** HF initialisation: normal(0, initializer_range) for linear and embedding weights, zero bias, unit norm weight. */
export function initParam(spec: ParamSpec, c: BertConfig, seed: number): tf.Variable {
  return tf.tidy(() => {
    let t: tf.Tensor;
    if (spec.kind === 'bias') t = tf.zeros(spec.shape);
    else if (spec.kind === 'norm') t = tf.ones(spec.shape);
    else {
      t = tf.randomNormal(spec.shape, 0, c.initializer_range, 'float32', seed);
      if (spec.kind === 'linear') t = t.transpose();
      if (spec.name.endsWith('word_embeddings.weight')) { // HF zeroes the padding_idx row
        const mask = tf.oneHot(c.pad_token_id, spec.shape[0]!).reshape([-1, 1]);
        t = tf.mul(t, tf.sub(1, mask));
      }
    }
    return tf.variable(t, true);
  });
}

/** A fresh randomly initialised model; parameter i gets seed + i so the whole model follows from one seed. */
export function initParams(c: BertConfig, seed: number): Params {
  const params: Params = new Map();
  bertParamSpecs(c).forEach((spec, i) => params.set(spec.name, initParam(spec, c, seed + i)));
  return params;
}

function readWeights(dir: string): Map<string, RawTensor> {
  const single = join(dir, 'model.safetensors');
  if (existsSync(single)) return readSafetensors(single);
  const index = join(dir, 'model.safetensors.index.json');
  if (existsSync(index)) {
    const map = JSON.parse(readFileSync(index, 'utf8')) as { weight_map: Record<string, string> };
    const out = new Map<string, RawTensor>();
    for (const shard of new Set(Object.values(map.weight_map))) {
      for (const [k, v] of readSafetensors(join(dir, shard))) out.set(k, v);
    }
    return out;
  }
  throw new Error(`${dir}: no model.safetensors or model.safetensors.index.json; ` +
    `generate a tiny model with 'npm run make-tiny-model' or point model.path at a Hugging Face model folder`);
}

export interface LoadedModel { config: BertConfig; params: Params; newlyInitialised: string[]; dir: string }

/**
 * Load a model folder. Tensors the model needs but the file lacks are an error, except the task head
 * (pooler/classifier), which is initialised like HF and reported; unexpected tensors and shape mismatches are errors.
 */
export function loadModel(dir: string, opts: { numLabels?: number; seed?: number } = {}): LoadedModel {
  const config = readBertConfig(join(dir, 'config.json'));
  if (opts.numLabels !== undefined) config.num_labels = opts.numLabels;
  const weights = readWeights(dir);
  const specs = bertParamSpecs(config);
  const params: Params = new Map();
  const newlyInitialised: string[] = [];
  const missing: string[] = [];
  specs.forEach((spec, i) => {
    const raw = weights.get(spec.name);
    const isHead = spec.name.startsWith('classifier.') || spec.name.startsWith('bert.pooler.');
    // A classifier trained for another number of labels is replaced, as HF does with ignore_mismatched_sizes.
    const otherLabels = spec.name.startsWith('classifier.') && raw !== undefined && raw.shape[0] !== spec.shape[0];
    if (!raw || otherLabels) {
      if (isHead) {
        params.set(spec.name, initParam(spec, config, (opts.seed ?? 0) + i));
        newlyInitialised.push(spec.name);
      } else missing.push(spec.name);
      return;
    }
    if (raw.shape.join() !== spec.shape.join()) {
      throw new Error(`${dir}: tensor '${spec.name}' has shape [${raw.shape}], config.json implies [${spec.shape}]`);
    }
    const t = tf.tensor(raw.data as Float32Array, raw.shape, 'float32');
    params.set(spec.name, tf.variable(spec.kind === "linear" ? tf.tidy(() => t.transpose()) : t, true));
    if (spec.kind === 'linear') t.dispose();
  });
  const known = new Set(specs.map((s) => s.name));
  const unexpected = [...weights.keys()].filter((k) => !known.has(k) && !IGNORED.some((r) => r.test(k)));
  if (missing.length || unexpected.length) {
    for (const p of params.values()) p.dispose();
    throw new Error(`${dir}: weights do not match config.json` +
      (missing.length ? `; missing: ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ` (+${missing.length - 8} more)` : ''}` : '') +
      (unexpected.length ? `; unexpected: ${unexpected.slice(0, 8).join(', ')}${unexpected.length > 8 ? ` (+${unexpected.length - 8} more)` : ''}` : ''));
  }
  return { config, params, newlyInitialised, dir };
}

/** Write config.json and model.safetensors in HF layout (linear weights back to [out, in]). */
export function saveModel(dir: string, config: BertConfig, params: Params): void {
  mkdirSync(dir, { recursive: true });
  const tensors = new Map<string, RawTensor>();
  for (const spec of bertParamSpecs(config)) {
    const v = params.get(spec.name)!;
    const data = tf.tidy(() => (spec.kind === 'linear' ? v.transpose() : v).dataSync() as Float32Array);
    tensors.set(spec.name, { shape: spec.shape, data: new Float32Array(data) });
  }
  writeSafetensors(join(dir, 'model.safetensors'), tensors);
  const architectures = ['BertForSequenceClassification'];
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, architectures }, null, 2) + '\n');
}

export function disposeParams(params: Params): void {
  for (const p of params.values()) p.dispose();
}
