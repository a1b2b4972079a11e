// peft folders through the generic reader/writer (peft/peft-folder.ts), over every peft-tiny fixture whose method
// is registered: the torch .bin variant (safe_serialization=False) loads to the library's logits like the
// safetensors one, a .bin written back is byte-identical to peft's, and bad folders fail naming the file.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chooseBackend } from './backend.ts';
import { disposeParams, loadModel } from './checkpoint.ts';
import { forward } from './heads.ts';
import { EVAL } from './layers.ts';
import { activeHooks } from './peft/attach.ts';
import { PEFT_METHODS } from './peft/index.ts';
import { loadPeftFolder, savePeftFolder } from './peft/peft-folder.ts';
import { readSafetensors, writeSafetensors } from './safetensors.ts';
import { HF_TINY, PEFT_TINY } from './testing/shared-paths.ts';
import type { Model } from './train.ts';

type Ints = number[][];
interface Batch {
  name: string;
  inputs: { input_ids: Ints; attention_mask: Ints; token_type_ids?: Ints };
  outputs: { logits: number[][] };
}

const PEFT_DIR = join(PEFT_TINY, 'peft');
const fixtureOf = (name: string) => JSON.parse(readFileSync(join(PEFT_DIR, name, 'fixture.json'), 'utf8'));
/** The fixtures whose method this engine registers (peft_type -> method by checkpoint.identifies). */
const NAMES = readdirSync(PEFT_DIR).filter((name) => {
  const cfg = JSON.parse(readFileSync(join(PEFT_DIR, name, 'adapter_config.json'), 'utf8'));
  return Object.values(PEFT_METHODS).some((m) => m.library === 'peft' && m.checkpoint.identifies(cfg));
});

let tmp: string;
before(async () => {
  await chooseBackend();
  tmp = mkdtempSync(join(tmpdir(), 'peft-folder-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

function baseModel(name: string): Model {
  const m = loadModel(join(HF_TINY, basename(fixtureOf(name).base_model.dir)));
  return { config: m.config, params: m.params, head: m.head };
}

function worstDiff(model: Model, batches: Batch[]): number {
  let worst = 0;
  for (const b of batches) {
    const got = tf.tidy(() => {
      const t = (x: Ints) => tf.tensor(x, undefined, 'int32');
      const inputs = {
        inputIds: t(b.inputs.input_ids),
        attentionMask: t(b.inputs.attention_mask),
        ...(b.inputs.token_type_ids ? { tokenTypeIds: t(b.inputs.token_type_ids) } : {}),
      };
      const out = forward(model.params, model.config, 'seqcls', inputs, { ...EVAL, peft: activeHooks(model) });
      if (out.head === 'qa') throw new Error('unreachable');
      return out.logits.arraySync();
    });
    got.forEach((row, i) => row.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - b.outputs.logits[i]![j]!)))));
  }
  return worst;
}

describe('adapter_model.bin folders (torch .bin) load like the safetensors ones', () => {
  test('at least the prompt-learning fixtures are covered', () => {
    assert.ok(NAMES.length >= 9, `only ${NAMES.length} peft fixtures have a registered method`);
  });
  for (const name of NAMES) {
    test(name, (t) => {
      const fx = fixtureOf(name);
      const dir = join(tmp, `${name}-bin`);
      const src = join(PEFT_DIR, name);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      copyFileSync(join(src, 'adapter_config.json'), join(dir, 'adapter_config.json'));
      copyFileSync(join(src, 'adapter_model.bin'), join(dir, 'adapter_model.bin'));
      const model = baseModel(name);
      const loaded = loadPeftFolder(dir, model);
      assert.equal(loaded.weights, join(dir, 'adapter_model.bin'));
      const skipped = new Set((fx.skipped_batches ?? []).map((s: { name: string }) => s.name));
      const worst = worstDiff(
        model,
        (fx.batches as Batch[]).filter((b) => !skipped.has(b.name)),
      );
      assert.ok(worst < 1e-4, `${name}: logits from the .bin adapter differ by ${worst}`);
      // written back as peft's safe_serialization=False does: the same bytes
      const out = join(tmp, `${name}-out`);
      savePeftFolder(out, model, loaded.baseModel, 'bin');
      const same = readFileSync(join(out, 'adapter_model.bin')).equals(readFileSync(join(src, 'adapter_model.bin')));
      const theirs = readFileSync(join(src, 'adapter_config.json'), 'utf8');
      assert.equal(readFileSync(join(out, 'adapter_config.json'), 'utf8'), theirs);
      assert.ok(same, `${name}: adapter_model.bin written back differs from peft's bytes`);
      t.diagnostic(`${name}: worst |diff| ${worst.toExponential(2)}; .bin written back byte-identical`);
      disposeParams(model.params);
    });
  }
});

describe('bad peft folders fail naming the file and the fix', () => {
  const name = 'bert-seqcls-prompt';
  const src = join(PEFT_DIR, name);
  const folder = (files: Record<string, string | Buffer>) => {
    const dir = mkdtempSync(join(tmp, 'bad-'));
    for (const [f, body] of Object.entries(files)) writeFileSync(join(dir, f), body);
    return dir;
  };
  test('no adapter_config.json', () => {
    const dir = folder({});
    assert.throws(() => loadPeftFolder(dir, baseModel(name)), /adapter_config\.json: cannot read it/);
  });
  test('an unknown peft_type lists the methods read', () => {
    const dir = folder({ 'adapter_config.json': JSON.stringify({ peft_type: 'LOHA' }) });
    assert.throws(
      () => loadPeftFolder(dir, baseModel(name)),
      /peft_type 'LOHA' is not a method this engine runs; it reads peft .*prompt/,
    );
  });
  test('no weight file', () => {
    const dir = folder({ 'adapter_config.json': readFileSync(join(src, 'adapter_config.json')) });
    assert.throws(() => loadPeftFolder(dir, baseModel(name)), /no adapter_model\.safetensors or adapter_model\.bin/);
  });
  test('a tensor of another model, a missing one, a wrong shape', () => {
    const tensors = readSafetensors(join(src, 'adapter_model.safetensors'));
    const extra = new Map(tensors);
    extra.set('base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight', {
      shape: [1],
      data: new Float32Array(1),
    });
    const dir1 = folder({ 'adapter_config.json': readFileSync(join(src, 'adapter_config.json')) });
    writeSafetensors(join(dir1, 'adapter_model.safetensors'), extra);
    assert.throws(() => loadPeftFolder(dir1, baseModel(name)), /unexpected: base_model\.model\.bert\.encoder/);
    const missing = new Map(tensors);
    missing.delete('prompt_embeddings');
    const dir2 = folder({ 'adapter_config.json': readFileSync(join(src, 'adapter_config.json')) });
    writeSafetensors(join(dir2, 'adapter_model.safetensors'), missing);
    assert.throws(() => loadPeftFolder(dir2, baseModel(name)), /missing: prompt_embeddings/);
    const wrong = new Map(tensors);
    wrong.set('prompt_embeddings', { shape: [4, 32], data: new Float32Array(128) });
    const dir3 = folder({ 'adapter_config.json': readFileSync(join(src, 'adapter_config.json')) });
    writeSafetensors(join(dir3, 'adapter_model.safetensors'), wrong);
    assert.throws(
      () => loadPeftFolder(dir3, baseModel(name)),
      /'prompt_embeddings' has shape \[4,32\], the model expects \[5,32\]/,
    );
  });
});
