import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { chooseBackend } from './backend.ts';
import { bertSequenceClassifier } from './bert.ts';
import { parseBertConfig } from './bert-config.ts';
import { disposeParams, initParams, loadModel, saveModel } from './checkpoint.ts';
import { forward, modelParamSpecs, type HeadOutput } from './heads.ts';
import { EVAL } from './layers.ts';
import { HEADS, parseModelConfig, type ModelConfig } from './model-config.ts';
import { readSafetensors, writeSafetensors } from './safetensors.ts';
import { HF_TINY } from './testing/shared-paths.ts';
import { unsortedSegmentSum } from './wasm-kernels.ts';

const config = parseBertConfig({
  vocab_size: 30,
  hidden_size: 16,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  intermediate_size: 32,
  max_position_embeddings: 8,
  num_labels: 3,
});
const tiny = { vocab_size: 30, hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, num_labels: 3 };
const CONFIGS: Record<string, ModelConfig> = {
  bert: parseModelConfig({ ...tiny, intermediate_size: 32, max_position_embeddings: 8 }),
  roberta: parseModelConfig({
    ...tiny,
    model_type: 'roberta',
    intermediate_size: 32,
    max_position_embeddings: 10,
    type_vocab_size: 1,
    layer_norm_eps: 1e-5,
  }),
  // opt-350m's shape: post-LayerNorm, embeddings narrower than the hidden states (project_in/out), no final norm.
  opt: parseModelConfig({
    ...tiny,
    model_type: 'opt',
    ffn_dim: 32,
    max_position_embeddings: 8,
    do_layer_norm_before: false,
    word_embed_proj_dim: 8,
  }),
};
const tmp = (what: string) => mkdtempSync(join(tmpdir(), `prunelab-${what}-`));
const values = (o: HeadOutput) =>
  o.head === 'qa' ? [o.startLogits.arraySync(), o.endLogits.arraySync()] : o.logits.arraySync();

before(async () => {
  await chooseBackend();
});

test('a seed gives the same weights every time, seed 0 included (tfjs alone would read 0 as no seed)', () => {
  const c = parseBertConfig({
    vocab_size: 50,
    hidden_size: 8,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    intermediate_size: 16,
    max_position_embeddings: 16,
  });
  const bytes = (seed: number) => {
    const p = initParams(c, seed);
    const all = [...p.values()].map((v) => Buffer.from((v.dataSync() as Float32Array).buffer).toString('hex')).join();
    disposeParams(p);
    return all;
  };
  for (const seed of [0, 1, -1]) assert.equal(bytes(seed), bytes(seed), `seed ${seed}`);
  assert.notEqual(bytes(0), bytes(1));
});

test('save then load gives the same model (linear weights stored [out, in] on disk)', async () => {
  const dir = tmp('ckpt');
  const params = initParams(config, 4);
  await saveModel(dir, config, params);
  const raw = readSafetensors(join(dir, 'model.safetensors'));
  assert.deepEqual(raw.get('bert.encoder.layer.0.intermediate.dense.weight')!.shape, [32, 16]);
  const loaded = loadModel(dir);
  assert.deepEqual(loaded.newlyInitialised, []);
  const inputs = {
    inputIds: tf.tensor2d([[1, 5, 7, 2]], undefined, 'int32'),
    attentionMask: tf.tensor2d([[1, 1, 1, 0]], undefined, 'int32'),
  };
  const a = tf.tidy(() => bertSequenceClassifier(params, config, inputs, EVAL).arraySync());
  const b = tf.tidy(() => values(forward(loaded.params, loaded.config, loaded.head, inputs, EVAL)));
  assert.deepEqual(a, b);
  // Padding row of the word embeddings is zero, as HF initialises it.
  assert.ok(
    tf.tidy(
      () =>
        tf
          .abs(params.get('bert.embeddings.word_embeddings.weight')!.slice([0, 0], [1, -1]))
          .sum()
          .dataSync()[0],
    ) === 0,
  );
  disposeParams(params);
  disposeParams(loaded.params);
});

test('every architecture x head saves under its HF class and reloads to identical outputs', async () => {
  const ids = [
    [2, 5, 7, 9, 3, 1],
    [2, 8, 3, 1, 1, 1],
  ];
  const mask = [
    [1, 1, 1, 1, 1, 0],
    [1, 1, 1, 0, 0, 0],
  ];
  for (const [arch, c] of Object.entries(CONFIGS)) {
    for (const head of HEADS) {
      const dir = tmp(`${arch}-${head}`);
      const params = initParams(c, 7, head);
      await saveModel(dir, c, params, head);
      const loaded = loadModel(dir);
      assert.equal(loaded.head, head, `${arch} ${head}: head read back from config.json`);
      assert.deepEqual(loaded.newlyInitialised, [], `${arch} ${head}`);
      const shape = head === 'mc' ? [1, 2, 6] : [2, 6];
      const inputs = {
        inputIds: tf.tensor(ids.flat(), shape, 'int32'),
        attentionMask: tf.tensor(mask.flat(), shape, 'int32'),
      };
      const a = tf.tidy(() => values(forward(params, c, head, inputs, EVAL)));
      const b = tf.tidy(() => values(forward(loaded.params, loaded.config, head, inputs, EVAL)));
      assert.deepEqual(a, b, `${arch} ${head}`);
      assert.ok(JSON.stringify(a).match(/^[\d\s.,\-e[\]]+$/), `${arch} ${head}: finite outputs`);
      disposeParams(params);
      disposeParams(loaded.params);
      tf.dispose(Object.values(inputs));
      rmSync(dir, { recursive: true });
    }
  }
});

test('OPT in the opt-350m shape: project_in/out, no final norm; padding on the right changes no logit', async () => {
  const c = CONFIGS.opt!;
  const names = modelParamSpecs(c, 'seqcls').map((s) => `${s.name}:${s.shape}`);
  assert.ok(
    names.includes('model.decoder.project_in.weight:16,8') && names.includes('model.decoder.project_out.weight:8,16'),
  );
  assert.ok(names.includes('model.decoder.embed_positions.weight:10,16') && names.includes('score.weight:3,8'));
  assert.ok(!names.some((n) => n.startsWith('model.decoder.final_layer_norm')));
  const params = initParams(c, 3);
  const run = (ids: number[], mask: number[]) =>
    tf.tidy(
      () =>
        values(
          forward(
            params,
            c,
            'seqcls',
            {
              inputIds: tf.tensor2d([ids], undefined, 'int32'),
              attentionMask: tf.tensor2d([mask], undefined, 'int32'),
            },
            EVAL,
          ),
        ) as number[][],
    );
  const alone = run([2, 5, 7, 9], [1, 1, 1, 1])[0]!;
  const padded = run([2, 5, 7, 9, 1, 1], [1, 1, 1, 1, 0, 0])[0]!;
  alone.forEach((v, i) => assert.ok(Math.abs(v - padded[i]!) < 1e-5, `logit ${i}: ${v} vs ${padded[i]}`));
  // A checkpoint that still carries the final norm this post-LN config does not use loads; the norm is ignored.
  const dir = tmp('opt350');
  await saveModel(dir, c, params);
  const file = join(dir, 'model.safetensors');
  const all = readSafetensors(file);
  all.set('model.decoder.final_layer_norm.weight', { shape: [16], data: new Float32Array(16).fill(1) });
  all.set('model.decoder.final_layer_norm.bias', { shape: [16], data: new Float32Array(16) });
  writeSafetensors(file, all);
  const loaded = loadModel(dir);
  assert.deepEqual(loaded.ignored.sort(), [
    'model.decoder.final_layer_norm.bias',
    'model.decoder.final_layer_norm.weight',
  ]);
  disposeParams(loaded.params);
  disposeParams(params);
});

test(
  'a checkpoint of one task loads for another: the new head is initialised and reported, the old one ' + 'ignored',
  () => {
    const seqcls = loadModel(join(HF_TINY, 'roberta-seqcls'), { head: 'qa', seed: 1 });
    assert.deepEqual(seqcls.newlyInitialised, ['qa_outputs.weight', 'qa_outputs.bias']);
    assert.deepEqual(seqcls.ignored.sort(), [
      'classifier.dense.bias',
      'classifier.dense.weight',
      'classifier.out_proj.bias',
      'classifier.out_proj.weight',
    ]);
    // HF's normal(0, initializer_range) (0.2 in this config) and zero bias.
    const w = Array.from(seqcls.params.get('qa_outputs.weight')!.dataSync());
    const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
    assert.ok(std > 0.12 && std < 0.28, `std ${std}`);
    assert.deepEqual([...seqcls.params.get('qa_outputs.bias')!.dataSync()], [0, 0]);
    disposeParams(seqcls.params);
    const opt = loadModel(join(HF_TINY, 'opt-qa'), { head: 'mc' });
    assert.deepEqual(opt.newlyInitialised, ['score.weight']);
    disposeParams(opt.params);
    const relabelled = loadModel(join(HF_TINY, 'bert-seqcls'), { numLabels: 2 });
    assert.deepEqual(relabelled.newlyInitialised, ['classifier.weight', 'classifier.bias']);
    disposeParams(relabelled.params);
  },
);

test('a base-model checkpoint without the body prefix loads (HF adds it); pre-training heads are ignored', () => {
  const dir = tmp('base');
  copyFileSync(join(HF_TINY, 'opt-seqcls', 'config.json'), join(dir, 'config.json'));
  const all = readSafetensors(join(HF_TINY, 'opt-seqcls', 'model.safetensors'));
  const base = new Map([...all].filter(([k]) => k.startsWith('model.')).map(([k, v]) => [k.slice('model.'.length), v]));
  base.set('lm_head.weight', all.get('model.decoder.embed_tokens.weight')!);
  writeSafetensors(join(dir, 'model.safetensors'), base);
  const m = loadModel(dir, { numLabels: 2 });
  assert.equal(m.head, 'seqcls');
  assert.deepEqual(m.newlyInitialised, ['score.weight']);
  assert.deepEqual(m.ignored, ['lm_head.weight']);
  disposeParams(m.params);
});

test('sharded checkpoints load through model.safetensors.index.json; a missing shard is named', () => {
  const dir = tmp('sharded');
  copyFileSync(join(HF_TINY, 'bert-qa', 'config.json'), join(dir, 'config.json'));
  const all = readSafetensors(join(HF_TINY, 'bert-qa', 'model.safetensors'));
  const names = [...all.keys()];
  const shards = [names.slice(0, 10), names.slice(10)];
  const weightMap: Record<string, string> = {};
  shards.forEach((part, i) => {
    const file = `model-0000${i + 1}-of-00002.safetensors`;
    writeSafetensors(join(dir, file), new Map(part.map((k) => [k, all.get(k)!])));
    for (const k of part) weightMap[k] = file;
  });
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
  const sharded = loadModel(dir);
  const whole = loadModel(join(HF_TINY, 'bert-qa'));
  for (const [k, v] of whole.params) assert.deepEqual(sharded.params.get(k)!.dataSync(), v.dataSync(), k);
  disposeParams(sharded.params);
  disposeParams(whole.params);
  rmSync(join(dir, 'model-00002-of-00002.safetensors'));
  assert.throws(() => loadModel(dir), /names shard 'model-00002-of-00002\.safetensors', which is not in/);
});

test(
  'a model without its head gets a fresh, reported head; missing, unexpected and misshapen tensors are ' + 'named',
  async () => {
    const dir = tmp('ckpt');
    const params = initParams(config, 1);
    await saveModel(dir, config, params);
    disposeParams(params);
    const file = join(dir, 'model.safetensors');
    const all = readSafetensors(file);
    all.delete('classifier.weight');
    all.delete('classifier.bias');
    writeSafetensors(file, all);
    const loaded = loadModel(dir);
    assert.deepEqual(loaded.newlyInitialised, ['classifier.weight', 'classifier.bias']);
    disposeParams(loaded.params);
    all.set('bert.encoder.layer.1.output.dense.weight', all.get('bert.encoder.layer.0.output.dense.weight')!);
    writeSafetensors(file, all);
    assert.throws(() => loadModel(dir), /unexpected: bert\.encoder\.layer\.1\.output\.dense\.weight/);
    all.delete('bert.encoder.layer.1.output.dense.weight');
    all.delete('bert.encoder.layer.0.output.dense.weight');
    writeSafetensors(file, all);
    assert.throws(() => loadModel(dir), /missing: bert\.encoder\.layer\.0\.output\.dense\.weight/);
    writeFileSync(
      join(dir, 'config.json'),
      readFileSync(join(dir, 'config.json'), 'utf8').replace('"hidden_size": 16', '"hidden_size": 8'),
    );
    assert.throws(
      () => loadModel(dir),
      /tensor 'bert\.embeddings\.word_embeddings\.weight' has shape \[30,16\], config.json implies \[30,8\]/,
    );
    assert.throws(() => loadModel(join(dir, 'nowhere')), /nowhere.*config\.json/);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'gpt2', vocab_size: 3 }));
    assert.throws(
      () => loadModel(dir),
      /model_type 'gpt2' is not supported; this engine loads 'bert', 'roberta', 'opt' and 'use-lite'/,
    );
  },
);

/** Write `tensors` as a bfloat16 safetensors file (each float32 cut to its top 16 bits, as a truncating cast). */
function writeBf16(
  file: string,
  tensors: Map<string, { shape: number[]; data: Float32Array | Int32Array }>,
): Map<string, Float32Array> {
  const header: Record<string, unknown> = {};
  const parts: Buffer[] = [];
  const cut = new Map<string, Float32Array>();
  let offset = 0;
  for (const [name, t] of tensors) {
    const bits = new Uint32Array(Float32Array.from(t.data).buffer);
    const half = new Uint16Array(bits.length);
    for (let i = 0; i < bits.length; i++) half[i] = bits[i]! >>> 16;
    cut.set(name, new Float32Array(Uint32Array.from(half, (h) => h << 16).buffer));
    header[name] = { dtype: 'BF16', shape: t.shape, data_offsets: [offset, offset + half.byteLength] };
    offset += half.byteLength;
    parts.push(Buffer.from(half.buffer));
  }
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(file, Buffer.concat([len, json, ...parts]));
  return cut;
}

test('a bfloat16 checkpoint loads as float32 and gives nearly the float32 logits', () => {
  const dir = tmp('bf16');
  copyFileSync(join(HF_TINY, 'opt-seqcls', 'config.json'), join(dir, 'config.json'));
  const cut = writeBf16(
    join(dir, 'model.safetensors'),
    readSafetensors(join(HF_TINY, 'opt-seqcls', 'model.safetensors')),
  );
  const half = loadModel(dir);
  const full = loadModel(join(HF_TINY, 'opt-seqcls'));
  assert.deepEqual(half.params.get('score.weight')!.transpose().dataSync(), cut.get('score.weight'));
  const inputs = {
    inputIds: tf.tensor2d([[2, 50, 60, 70, 1]], undefined, 'int32'),
    attentionMask: tf.tensor2d([[1, 1, 1, 1, 0]], undefined, 'int32'),
  };
  const a = tf.tidy(() => (values(forward(half.params, half.config, 'seqcls', inputs, EVAL)) as number[][])[0]!);
  const b = tf.tidy(() => (values(forward(full.params, full.config, 'seqcls', inputs, EVAL)) as number[][])[0]!);
  a.forEach((v, i) =>
    assert.ok(Math.abs(v - b[i]!) < 0.1 * Math.max(1, Math.abs(b[i]!)), `logit ${i}: bf16 ${v} vs f32 ${b[i]}`),
  );
  disposeParams(half.params);
  disposeParams(full.params);
});

test('safetensors reads float16 and bfloat16 as float32', () => {
  const dir = tmp('st');
  const header = JSON.stringify({
    h: { dtype: 'F16', shape: [3], data_offsets: [0, 6] },
    b: { dtype: 'BF16', shape: [2], data_offsets: [6, 10] },
  });
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
  const E = tf.variable(
    tf.tensor2d([
      [1, 2],
      [3, 4],
      [5, 6],
    ]),
  );
  const g = tf.grad((e: tf.Tensor) => tf.gather(e, tf.tensor1d([2, 0, 2], 'int32')).sum())(E);
  assert.deepEqual(g.arraySync(), [
    [1, 1],
    [0, 0],
    [2, 2],
  ]);
  E.dispose();
});

test('loading then disposing a model frees every tensor (a grid loads one model per job)', async () => {
  for (const [name, c] of Object.entries(CONFIGS)) {
    const dir = tmp(`free-${name}`);
    const params = initParams(c, 1);
    await saveModel(dir, c, params);
    disposeParams(params);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) disposeParams(loadModel(dir, { seed: i }).params);
    assert.equal(tf.memory().numTensors, before, `${name}: tensors left behind by loadModel`);
    rmSync(dir, { recursive: true, force: true });
  }
});
