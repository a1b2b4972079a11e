import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { chooseBackend } from './backend.ts';
import { bertSequenceClassifier } from './bert.ts';
import { parseBertConfig } from './bert-config.ts';
import { disposeParams, initParams, loadModel, saveModel } from './checkpoint.ts';
import { EVAL } from './layers.ts';
import { readSafetensors, writeSafetensors } from './safetensors.ts';
import { unsortedSegmentSum } from './wasm-kernels.ts';

const config = parseBertConfig({ vocab_size: 30, hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 8, num_labels: 3 });
before(async () => { await chooseBackend(); });

test('save then load gives the same model (linear weights stored [out, in] on disk)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'prunelab-ckpt-'));
  const params = initParams(config, 4);
  saveModel(dir, config, params);
  const raw = readSafetensors(join(dir, 'model.safetensors'));
  assert.deepEqual(raw.get('bert.encoder.layer.0.intermediate.dense.weight')!.shape, [32, 16]);
  const loaded = loadModel(dir);
  assert.deepEqual(loaded.newlyInitialised, []);
  const inputs = { inputIds: tf.tensor2d([[1, 5, 7, 2]], undefined, 'int32'), attentionMask: tf.tensor2d([[1, 1, 1, 0]], undefined, 'int32') };
  const a = tf.tidy(() => bertSequenceClassifier(params, config, inputs, EVAL).arraySync());
  const b = tf.tidy(() => bertSequenceClassifier(loaded.params, loaded.config, inputs, EVAL).arraySync());
  assert.deepEqual(a, b);
  // Padding row of the word embeddings is zero, as HF initialises it.
  assert.ok(tf.tidy(() => tf.abs(params.get('bert.embeddings.word_embeddings.weight')!.slice([0, 0], [1, -1])).sum().dataSync()[0]) === 0);
  disposeParams(params);
  disposeParams(loaded.params);
});

test('a model without its head gets a fresh, reported head; missing encoder tensors are named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'prunelab-ckpt-'));
  const params = initParams(config, 1);
  saveModel(dir, config, params);
  disposeParams(params);
  const file = join(dir, 'model.safetensors');
  const all = readSafetensors(file);
  all.delete('classifier.weight');
  all.delete('classifier.bias');
  writeSafetensors(file, all);
  const loaded = loadModel(dir);
  assert.deepEqual(loaded.newlyInitialised, ['classifier.weight', 'classifier.bias']);
  disposeParams(loaded.params);
  all.delete('bert.encoder.layer.0.output.dense.weight');
  writeSafetensors(file, all);
  assert.throws(() => loadModel(dir), /missing: bert\.encoder\.layer\.0\.output\.dense\.weight/);
  writeFileSync(join(dir, 'config.json'), readFileSync(join(dir, 'config.json'), 'utf8').replace('"hidden_size": 16', '"hidden_size": 8'));
  assert.throws(() => loadModel(dir), /has shape \[30,16\], config.json implies \[30,8\]/);
  assert.throws(() => loadModel(join(dir, 'nowhere')), /nowhere.*config\.json/);
});

test('safetensors reads float16 and bfloat16 as float32', () => {
  const dir = mkdtempSync(join(tmpdir(), 'prunelab-st-'));
  const header = JSON.stringify({ h: { dtype: 'F16', shape: [3], data_offsets: [0, 6] }, b: { dtype: 'BF16', shape: [2], data_offsets: [6, 10] } });
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  // F16: 1.0 = 0x3c00, -2.0 = 0xc000, 0.5 = 0x3800; BF16: 1.0 = 0x3f80, -3.0 = 0xc040
  const data = Buffer.from([0x00, 0x3c, 0x00, 0xc0, 0x00, 0x38, 0x80, 0x3f, 0x40, 0xc0]);
  writeFileSync(join(dir, 'x.safetensors'), Buffer.concat([len, Buffer.from(header), data]));
  const t = readSafetensors(join(dir, 'x.safetensors'));
  assert.deepEqual([...t.get('h')!.data], [1, -2, 0.5]);
  assert.deepEqual([...t.get('b')!.data], [1, -3]);
});

test('the wasm UnsortedSegmentSum kernel agrees with the definition (gather gradient)', () => {
  const out = new Float32Array(3 * 2);
  unsortedSegmentSum([1, 2, 3, 4, 5, 6, 7, 8], [2, 0, 2, 9], 2, 3, out); // id 9 is out of range: dropped
  assert.deepEqual([...out], [3, 4, 0, 0, 1 + 5, 2 + 6]);
  const E = tf.variable(tf.tensor2d([[1, 2], [3, 4], [5, 6]]));
  const g = tf.grad((e: tf.Tensor) => tf.gather(e, tf.tensor1d([2, 0, 2], 'int32')).sum())(E);
  assert.deepEqual(g.arraySync(), [[1, 1], [0, 0], [2, 2]]);
  E.dispose();
});
