// The USE-Lite port against the package it was read from: the same token ids through the package's own graph
// model (run by TensorFlow.js) and through our trainable encoder give the same sentence embeddings.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { chooseBackend } from './backend.ts';
import {
  forward,
  loadModel,
  readUseLite,
  useLiteEmbed,
  useLitePackageDir,
  writeUseLiteWeights,
  type UseLiteConfig,
} from './index.ts';
import { EVAL } from './layers.ts';
import { GLUE } from './testing/shared-paths.ts';

const require = createRequire(import.meta.url);
// The reference graph uses sparse and scatter ops the wasm backend lacks; the plain CPU backend runs both.
before(async () => {
  await chooseBackend('cpu');
});
const PKG = useLitePackageDir();
// The package's tokeniser gives the ids both sides read. Its runtime (@energetic-ai/core) bundles a TensorFlow.js
// that sets up its own backend on import, so it is loaded before ours is chosen.
const { EmbeddingsModel } = require('@energetic-ai/embeddings');

/** The package's graph model, loaded from its files with an in-memory IO handler (no fetch, no tfjs-node). */
async function packageGraph(): Promise<tf.GraphModel> {
  const mj = JSON.parse(readFileSync(join(PKG, 'model.json'), 'utf8'));
  const specs = mj.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights);
  const all = Buffer.concat(
    mj.weightsManifest.flatMap((g: { paths: string[] }) => g.paths.map((p) => readFileSync(join(PKG, p)))),
  );
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.length);
  return tf.loadGraphModel({
    load: async () => ({ modelTopology: mj.modelTopology, weightSpecs: specs, weightData, format: mj.format }),
  });
}

/** What the package's EmbeddingsModel.embed feeds its graph: sparse (row, position) indices + token ids. */
async function packageEmbed(model: tf.GraphModel, rows: number[][]): Promise<Float32Array> {
  const indices = rows.flatMap((r, i) => r.map((_, j) => [i, j]));
  const values = rows.flat();
  const out = (await model.executeAsync({
    indices: tf.tensor2d(indices, [indices.length, 2], 'int32'),
    values: tf.tensor1d(values, 'int32'),
  })) as tf.Tensor;
  const data = out.dataSync() as Float32Array;
  out.dispose();
  return data;
}

function portEmbed(params: Map<string, tf.Variable>, c: UseLiteConfig, rows: number[][]): Float32Array {
  const T = Math.max(...rows.map((r) => r.length));
  const ids = rows.map((r) => [...r, ...Array(T - r.length).fill(0)]);
  const mask = rows.map((r) => [...r.map(() => 1), ...Array(T - r.length).fill(0)]);
  const inputIds = tf.tensor2d(ids, [rows.length, T], 'int32');
  const attentionMask = tf.tensor2d(mask, [rows.length, T], 'int32');
  const e = useLiteEmbed(params, c, { inputIds, attentionMask });
  const data = e.dataSync() as Float32Array;
  tf.dispose([e, inputIds, attentionMask]);
  return data;
}

function sst2Dev(n: number): string[] {
  const lines = readFileSync(join(GLUE, 'SST-2/dev.tsv'), 'utf8').trim().split('\n').slice(1);
  return lines.slice(0, n).map((l) => l.split('\t')[0]!);
}

test(
  'readUseLite: the graph shape is the documented one (2 layers, 256 -> 512, FFN 1536, 4 heads, 8000 pieces, 8002 ' +
    'embedding rows)',
  () => {
    const { config, tensors, vocab } = readUseLite(PKG);
    assert.deepEqual(
      [
        config.vocab_size,
        config.embedding_size,
        config.hidden_size,
        config.num_hidden_layers,
        config.intermediate_size,
        config.num_attention_heads,
        config.max_position_embeddings,
      ],
      [8002, 256, 512, 2, 1536, 4, 128],
    );
    assert.equal(vocab.length, 8000);
    const count = [...tensors.values()].reduce((a, t) => a + t.data.length, 0);
    assert.ok(count > 6.5e6 && count < 7.5e6, `about 7M parameters, got ${count}`);
    assert.deepEqual(tensors.get('use_lite.encoder.layer.0.residual.weight')!.shape, [512, 256]); // [out, in]
  },
);

test('the port reproduces the package embeddings (cosine >= 0.999) on 300 SST-2 dev sentences', {
  skip: !existsSync(GLUE) && 'no ../shared/data',
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'use-lite-'));
  try {
    writeUseLiteWeights(dir, PKG);
    const { config, params } = loadModel(dir);
    assert.equal(config.model_type, 'use-lite');
    const tok = new EmbeddingsModel({ vocabulary: readUseLite(PKG).vocab, model: null }).tokenizer;
    const sentences = sst2Dev(300);
    const graph = await packageGraph();
    let worst = 1;
    for (let s = 0; s < sentences.length; s += 50) {
      const rows: number[][] = sentences.slice(s, s + 50).map((t) => tok.encode(t));
      const ref = await packageEmbed(graph, rows);
      const ours = portEmbed(params, config as UseLiteConfig, rows);
      for (let i = 0; i < rows.length; i++) {
        let dot = 0,
          na = 0,
          nb = 0;
        for (let k = 0; k < 512; k++) {
          const a = ref[i * 512 + k]!,
            b = ours[i * 512 + k]!;
          dot += a * b;
          na += a * a;
          nb += b * b;
        }
        worst = Math.min(worst, dot / Math.sqrt(na * nb));
      }
    }
    t.diagnostic(`worst cosine over ${sentences.length} sentences: ${worst.toFixed(7)}`);
    assert.ok(worst >= 0.999, `worst cosine ${worst}`);
    graph.dispose();
    for (const p of params.values()) p.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a converted folder loads for classification with a fresh head and gives finite logits', () => {
  const dir = mkdtempSync(join(tmpdir(), 'use-lite-'));
  try {
    writeUseLiteWeights(dir, PKG);
    const m = loadModel(dir, { numLabels: 3, seed: 1 });
    assert.deepEqual(m.newlyInitialised.sort(), ['classifier.bias', 'classifier.weight']);
    const out = tf.tidy(() => {
      const r = forward(
        m.params,
        m.config,
        'seqcls',
        {
          inputIds: tf.tensor2d(
            [
              [5, 9, 11, 0],
              [7, 8, 0, 0],
            ],
            [2, 4],
            'int32',
          ),
          attentionMask: tf.tensor2d(
            [
              [1, 1, 1, 0],
              [1, 1, 0, 0],
            ],
            [2, 4],
            'int32',
          ),
        },
        EVAL,
      );
      return r.head === 'seqcls' ? r.logits.arraySync() : [];
    });
    assert.equal(out.length, 2);
    assert.equal(out[0]!.length, 3);
    assert.ok(out.flat().every(Number.isFinite));
    for (const p of m.params.values()) p.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
