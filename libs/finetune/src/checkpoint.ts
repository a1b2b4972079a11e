// Model folders in the Hugging Face layout: config.json + model.safetensors (or a sharded index) + tokenizer.json.
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { familyOfConfig } from './families/index.ts';
import { bodyPrefix, headSpecs, hfClassName, modelParamSpecs } from './heads.ts';
import { headOfConfig, initStd, readModelConfig, type HeadKind, type ModelConfig } from './model-config.ts';
import { hfLayoutData, type ParamSpec, type Params } from './params.ts';
import { readSafetensors, writeSafetensors, type RawTensor } from './safetensors.ts';

// Tensors a checkpoint may hold that no fine-tuning model uses: buffers (HF ignores them too), and per family the
// heads of pre-training and the like (ModelFamily.ignored).
const BUFFERS = [/\.position_ids$/, /\.version$/];
// The head tensors of any task: present when a checkpoint of one task is loaded for another.
const ANY_HEAD = [/^classifier\./, /^qa_outputs\./, /^score\./];

/** HF initialisation: normal(0, initializer_range | init_std) for linear and embedding weights (padding row
 * zeroed), zero bias, unit norm weight. */
export function initParam(spec: ParamSpec, c: ModelConfig, seed: number): tf.Variable {
  return tf.tidy(() => {
    let t: tf.Tensor;
    if (spec.kind === 'bias') t = tf.zeros(spec.shape);
    else if (spec.kind === 'norm') t = tf.ones(spec.shape);
    else {
      // tfjs reads seed 0 as "no seed" and draws from Math.random; 0.5 stands in for it (no integer seed equals it)
      t = tf.randomNormal(spec.shape, 0, initStd(c), 'float32', seed === 0 ? 0.5 : seed);
      if (spec.kind === 'linear') t = t.transpose();
      if (spec.zeroRow !== undefined && spec.zeroRow < spec.shape[0]!) {
        const mask = tf.oneHot(spec.zeroRow, spec.shape[0]!).reshape([-1, 1]);
        t = tf.mul(t, tf.sub(1, mask));
      }
    }
    return tf.variable(t, true);
  });
}

/** A fresh randomly initialised model; parameter i gets seed + i so the whole model follows from one seed. */
export function initParams(c: ModelConfig, seed: number, head: HeadKind = 'seqcls'): Params {
  const params: Params = new Map();
  modelParamSpecs(c, head).forEach((spec, i) => params.set(spec.name, initParam(spec, c, seed + i)));
  return params;
}

/** Every tensor of model.safetensors, or of all shards named by model.safetensors.index.json. */
export function readWeights(dir: string): Map<string, RawTensor> {
  const single = join(dir, 'model.safetensors');
  if (existsSync(single)) return readSafetensors(single);
  const index = join(dir, 'model.safetensors.index.json');
  if (existsSync(index)) {
    let map: { weight_map?: Record<string, string> };
    try {
      map = JSON.parse(readFileSync(index, 'utf8'));
    } catch (e) {
      throw new Error(`${index}: not valid JSON (${(e as Error).message})`);
    }
    if (!map.weight_map)
      throw new Error(`${index}: no 'weight_map'; a sharded checkpoint index maps tensor names to shard files`);
    const out = new Map<string, RawTensor>();
    for (const shard of new Set(Object.values(map.weight_map))) {
      const file = join(dir, shard);
      if (!existsSync(file))
        throw new Error(`${index}: names shard '${shard}', which is not in ${dir}; download every shard`);
      for (const [k, v] of readSafetensors(file)) out.set(k, v);
    }
    for (const name of Object.keys(map.weight_map)) {
      if (!out.has(name)) throw new Error(`${index}: tensor '${name}' is not in its shard '${map.weight_map[name]}'`);
    }
    return out;
  }
  throw new Error(
    `${dir}: no model.safetensors or model.safetensors.index.json; ` +
      `generate a tiny model with 'npm run make-tiny-model' or point model.path at a Hugging Face model folder`,
  );
}

export interface LoadedModel {
  config: ModelConfig;
  params: Params;
  head: HeadKind;
  /** Head tensors the checkpoint lacked (or held for another label count), initialised like HF. */
  newlyInitialised: string[];
  /** Checkpoint tensors the model does not use (pre-training heads, another task's head). */
  ignored: string[];
  dir: string;
}

export interface LoadOptions {
  /** Number of classes of a sequence-classification head; a saved head of another size is replaced. */
  numLabels?: number;
  /** Seed of the fresh head's initialisation. */
  seed?: number;
  /** The task head; default: the one config.json's `architectures` names, else seqcls. */
  head?: HeadKind;
}

function list(names: string[]): string {
  return names.slice(0, 8).join(', ') + (names.length > 8 ? ` (+${names.length - 8} more)` : '');
}

/**
 * Load a model folder for a task head. Body tensors the file lacks are an error; the head (and the pooler it
 * uses) is initialised like HF when absent, and reported in `newlyInitialised`. Unexpected tensors other than
 * pre-training or other-task heads, and shape mismatches, are errors that name the tensors.
 */
export function loadModel(dir: string, opts: LoadOptions = {}): LoadedModel {
  const config = readModelConfig(join(dir, 'config.json'));
  const head = opts.head ?? headOfConfig(config);
  if (opts.numLabels !== undefined) config.num_labels = opts.numLabels;
  let weights = readWeights(dir);
  const unused = [...BUFFERS, ...familyOfConfig(config).ignored];
  // A base model (BertModel, RobertaModel, OPTModel) is saved without the body prefix; HF adds it.
  const prefix = bodyPrefix(config);
  if (![...weights.keys()].some((k) => k.startsWith(prefix + '.'))) {
    const keep = (k: string) => ANY_HEAD.some((r) => r.test(k)) || unused.some((r) => r.test(k));
    weights = new Map([...weights].map(([k, v]) => [keep(k) ? k : `${prefix}.${k}`, v]));
  }
  const specs = modelParamSpecs(config, head);
  const headNames = new Set(headSpecs(config, head).map((s) => s.name));
  const params: Params = new Map();
  const newlyInitialised: string[] = [];
  const missing: string[] = [];
  const mismatched: string[] = [];
  specs.forEach((spec, i) => {
    const raw = weights.get(spec.name);
    const isHead = headNames.has(spec.name);
    // A head trained for another number of outputs is replaced, as HF does with ignore_mismatched_sizes.
    const otherSize = isHead && raw !== undefined && raw.shape.join() !== spec.shape.join();
    if (!raw || otherSize) {
      if (isHead) {
        params.set(spec.name, initParam(spec, config, (opts.seed ?? 0) + i));
        newlyInitialised.push(spec.name);
      } else missing.push(spec.name);
      return;
    }
    if (raw.shape.join() !== spec.shape.join()) {
      mismatched.push(`'${spec.name}' has shape [${raw.shape}], config.json implies [${spec.shape}]`);
      return;
    }
    if (!(raw.data instanceof Float32Array)) {
      mismatched.push(`'${spec.name}' is an integer tensor, a float parameter was expected`);
      return;
    }
    // tf.variable shares the data of the tensor it is made from: dispose that tensor (and the transposed copy) so
    // disposing the params frees everything; otherwise every load leaks the whole model (a wasm abort after ~120 jobs).
    const t = tf.tensor(raw.data, raw.shape, 'float32');
    params.set(
      spec.name,
      tf.tidy(() => tf.variable(spec.kind === 'linear' ? t.transpose() : t, true)),
    );
    t.dispose();
  });
  const known = new Set(specs.map((s) => s.name));
  const extra = [...weights.keys()].filter((k) => !known.has(k));
  const ignored = extra.filter((k) => unused.some((r) => r.test(k)) || ANY_HEAD.some((r) => r.test(k)));
  const unexpected = extra.filter((k) => !ignored.includes(k));
  if (missing.length || unexpected.length || mismatched.length) {
    for (const p of params.values()) p.dispose();
    throw new Error(
      `${dir}: weights do not match config.json (${config.model_type}, head ${head})` +
        (mismatched.length ? `; tensor ${mismatched.slice(0, 4).join('; tensor ')}` : '') +
        (missing.length ? `; missing: ${list(missing)}` : '') +
        (unexpected.length ? `; unexpected: ${list(unexpected)}` : ''),
    );
  }
  return { config, params, head, newlyInitialised, ignored, dir };
}

/** Write config.json and model.safetensors in HF layout (linear weights back to [out, in]). A head with no HF
 * class (OPT multiple choice) is saved under the family's seqcls class with one label, plus `prunelab_head`. */
export async function saveModel(
  dir: string,
  config: ModelConfig,
  params: Params,
  head: HeadKind = 'seqcls',
): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const tensors = new Map<string, RawTensor>();
  for (const spec of modelParamSpecs(config, head)) {
    const v = params.get(spec.name);
    if (!v)
      throw new Error(`saveModel: parameter '${spec.name}' is missing; were the params built for head '${head}'?`);
    tensors.set(spec.name, { shape: spec.shape, data: await hfLayoutData(v, spec.kind === 'linear') });
  }
  writeSafetensors(join(dir, 'model.safetensors'), tensors);
  const out: Record<string, unknown> = { ...config, architectures: [hfClassName(config, head)] };
  // Only multiple choice may lack a class (families.test): its one-output scorer is a seqcls head with one label.
  if (!familyOfConfig(config).hfClass[head]) Object.assign(out, { prunelab_head: head, num_labels: 1 });
  else delete out.prunelab_head;
  // HF derives the label count from id2label: keep it consistent with num_labels when that was overridden.
  const labels = out.num_labels as number;
  if (out.id2label && Object.keys(out.id2label as object).length !== labels) {
    out.id2label = Object.fromEntries(Array.from({ length: labels }, (_, i) => [String(i), `LABEL_${i}`]));
    out.label2id = Object.fromEntries(Array.from({ length: labels }, (_, i) => [`LABEL_${i}`, i]));
  }
  writeFileSync(join(dir, 'config.json'), JSON.stringify(out, null, 2) + '\n');
}

export function disposeParams(params: Params): void {
  for (const p of params.values()) p.dispose();
}
