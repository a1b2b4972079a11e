// IA3 exact to Hugging Face peft 0.5.0: the three peft-tiny IA3 fixtures end to end (their merged logits record
// peft's merge leaving the biases of output-scaled layers unscaled), the folder round trip, and the method's rules:
// defaults per family, the plain-endswith feedforward quirk, option errors, the forward and the merge on USE-Lite.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { chooseBackend } from './backend.ts';
import { initParams } from './checkpoint.ts';
import { tinyConfig } from './families/index.ts';
import { forward } from './heads.ts';
import { EVAL, linear } from './layers.ts';
import { parseModelConfig, type ModelConfig } from './model-config.ts';
import type { Params } from './params.ts';
import { activeHooks, attachPeft, mergePeft, unmergePeft, type PeftState } from './peft/attach.ts';
import { ia3 } from './peft/methods/ia3.ts';
import { pythonJson } from './peft/py-json.ts';
import { checkLinearFixture, checkSaveReload, peftFixture } from './testing/peft-linear-fixture.ts';
import { randomRows } from './testing/random-rows.ts';

before(async () => {
  await chooseBackend();
});

const FIXTURES = ['bert', 'roberta', 'opt'].map((b) => `${b}-seqcls-ia3`);

describe('peft 0.5.0 IA3 fixtures: logits, merged logits (bias quirk), trainable set, one AdamW step (1e-4)', () => {
  for (const name of FIXTURES) {
    test(name, async (t) => {
      const r = await checkLinearFixture(name);
      // the library's merged logits differ from its unmerged ones by ~1e-2: matching them within 1e-4 reproduces it
      const fx = peftFixture(name);
      assert.ok(fx.checks_max_abs_diff_over_batches.merged_vs_unmerged > 1e-3);
      t.diagnostic(
        `${name}: logits ${r.logits.toExponential(2)}, merged ${r.merged.toExponential(2)}, unmerge ` +
          `${r.unmerge.toExponential(2)}, merged weights ${r.mergedWeights.toExponential(2)}; step: loss before ` +
          `${r.step.lossBefore.toExponential(2)}, after ${r.step.lossAfter.toExponential(2)}, logits after ` +
          `${r.step.logitsAfter.toExponential(2)}, params ${r.step.params.toExponential(2)}`,
      );
    });
  }
});

describe('an IA3 fixture saved by savePeftFolder equals the library folder and reloads to the same logits', () => {
  for (const name of FIXTURES) test(name, () => void checkSaveReload(name));
});

const SMALL_BERT = { vocab_size: 120, hidden_size: 32, intermediate_size: 64, max_position_embeddings: 64 };
const configOf = (arch: 'bert' | 'roberta' | 'opt' | 'use-lite') =>
  parseModelConfig({ ...tinyConfig(arch), ...(arch === 'bert' ? SMALL_BERT : {}) });
const parse = (raw: Record<string, unknown>, c: ModelConfig = configOf('bert')) =>
  ia3.parseOptions(raw, c, 'phase1.peft');

/** in-memory name -> shape of what create() adds */
function added(raw: Record<string, unknown>, c: ModelConfig = configOf('bert')): Record<string, number[]> {
  const params = ia3.create(c, parse(raw, c), 0);
  const out = Object.fromEntries([...params].map(([n, v]) => [n, v.shape]));
  for (const v of params.values()) v.dispose();
  return out;
}

describe('IA3 options', () => {
  test("peft's defaults per family (USE-Lite: qkv and fc2, as peft's GPT-2 defaults)", () => {
    const bert = { target_modules: ['key', 'value', 'output.dense'], feedforward_modules: ['output.dense'] };
    assert.deepEqual(parse({}), bert);
    assert.deepEqual(parse({}, configOf('roberta')), bert);
    assert.deepEqual(parse({}, configOf('opt')), {
      target_modules: ['q_proj', 'k_proj', 'fc2'],
      feedforward_modules: ['fc2'],
    });
    assert.deepEqual(parse({}, configOf('use-lite')), { target_modules: ['qkv', 'fc2'], feedforward_modules: ['fc2'] });
    // targets without feedforward_modules: the default feedforward entries that are targets (peft ignores the rest)
    assert.deepEqual(parse({ target_modules: ['key', 'value'] }), {
      target_modules: ['key', 'value'],
      feedforward_modules: [],
    });
    const o = parse({ target_modules: ['key', 'value'] });
    assert.deepEqual(parse(o), o);
  });

  test("feedforward is a plain endswith: BERT's 'output.dense' makes attention.output.dense feedforward too", () => {
    const l0 = 'bert.encoder.layer.0';
    assert.deepEqual(
      Object.entries(added({})).filter(([n]) => n.startsWith(l0)),
      [
        [`${l0}.attention.self.key.ia3_l`, [32, 1]],
        [`${l0}.attention.self.value.ia3_l`, [32, 1]],
        [`${l0}.attention.output.dense.ia3_l`, [1, 32]],
        [`${l0}.output.dense.ia3_l`, [1, 64]],
      ],
    );
    // no '.' needed: 'ey' ends 'key' (a regex target takes any feedforward list)
    const shapes = added({ target_modules: '.*\\.(key|value)', feedforward_modules: ['ey'] });
    assert.deepEqual(shapes[`${l0}.attention.self.key.ia3_l`], [1, 32]);
    assert.deepEqual(shapes[`${l0}.attention.self.value.ia3_l`], [32, 1]);
  });

  test('bad options name the key and what is allowed', () => {
    const bad = (raw: Record<string, unknown>, re: RegExp) => assert.throws(() => parse(raw), re);
    bad(
      { target_modules: ['key', 'value'], feedforward_modules: ['output.dense'] },
      /^Error: phase1\.peft\.feedforward_modules: 'output\.dense' is not in target_modules; allowed: a subset of target_modules \(key, value\)$/,
    );
    bad(
      { target_modules: '.*\\.key', feedforward_modules: ['value'] },
      /phase1\.peft\.feedforward_modules: 'value' matches none of the adapted modules; allowed: bert\.encoder/,
    );
    bad({ target_modules: ['fc2'] }, /phase1\.peft\.target_modules: 'fc2' matches no linear layer of BERT .*allowed: /);
    bad(
      { scaling: 2 },
      /phase1\.peft\.scaling: not an option of IA3 \(peft 0\.5\.0\); allowed: target_modules, feedforward_modules, fan_in_fan_out/,
    );
    bad({ fan_in_fan_out: true }, /phase1\.peft\.fan_in_fan_out: true is not supported .*allowed: false/);
    bad(
      { feedforward_modules: 3 },
      /phase1\.peft\.feedforward_modules: must be a list of module names or one regex string/,
    );
  });
});

describe('IA3 checkpoint config', () => {
  test('the fixture config reads to options and writes back to its exact text', () => {
    for (const name of FIXTURES) {
      const fx = peftFixture(name);
      const c = configOf(name.split('-')[0] as 'bert');
      const o = ia3.checkpoint.fromConfig(fx.adapter_config, c, 'adapter_config.json');
      const cfg = {
        ...ia3.checkpoint.toConfig(o, c),
        base_model_name_or_path: fx.adapter_config.base_model_name_or_path,
      };
      assert.equal(pythonJson(cfg), fx.adapter_config_json_text, name);
      assert.ok(ia3.checkpoint.identifies(fx.adapter_config));
    }
    const fx = peftFixture('bert-seqcls-ia3');
    const read = (extra: Record<string, unknown>) =>
      ia3.checkpoint.fromConfig({ ...fx.adapter_config, ...extra }, configOf('bert'), 'a/adapter_config.json');
    assert.throws(
      () => read({ init_ia3_weights: false }),
      /a\/adapter_config\.json: init_ia3_weights false is not supported by the engine; allowed: true/,
    );
    assert.throws(() => read({ r: 8 }), /a\/adapter_config\.json: unknown key 'r'/);
  });
});

describe('IA3 forward and merge', () => {
  const config = configOf('use-lite');
  const { ids, mask } = randomRows(config, 3, 7, 5);
  const logits = (model: { config: ModelConfig; params: Params; peft?: PeftState }) =>
    tf.tidy(() => {
      const inputs = { inputIds: tf.tensor2d(ids, [3, 7], 'int32'), attentionMask: tf.tensor2d(mask, [3, 7], 'int32') };
      const out = forward(model.params, config, 'seqcls', inputs, { ...EVAL, peft: activeHooks(model) });
      if (out.head === 'qa') throw new Error('unreachable');
      return out.logits.arraySync();
    });
  const worst = (a: number[][], b: number[][]) =>
    Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i]![j]!))));

  test('USE-Lite: feedforward layers scale the input, the others the output with its bias; merge scales W only', (t) => {
    const model = { config, params: initParams(config, 11), head: 'seqcls' as const } as {
      config: ModelConfig;
      params: Params;
      peft?: PeftState;
    };
    const base = logits(model);
    const state = attachPeft(model, { method: 'ia3' }, 0);
    assert.deepEqual(state.added, [
      'use_lite.encoder.layer.0.attention.qkv.ia3_l',
      'use_lite.encoder.layer.0.ffn.fc2.ia3_l',
      'use_lite.encoder.layer.1.attention.qkv.ia3_l',
      'use_lite.encoder.layer.1.ffn.fc2.ia3_l',
    ]);
    assert.equal(worst(logits(model), base), 0, 'ones: unchanged');
    let k = 50;
    for (const n of state.added) {
      const v = model.params.get(n)!;
      v.assign(tf.add(1, tf.randomNormal(v.shape, 0, 0.3, 'float32', k++)));
    }
    const qkv = 'use_lite.encoder.layer.1.attention.qkv';
    const fc2 = 'use_lite.encoder.layer.1.ffn.fc2';
    const p = (n: string) => model.params.get(n)!;
    // biases of a fresh model are 0: give the output-scaled qkv one, to see what the merge leaves out
    p(`${qkv}.bias`).assign(tf.randomNormal(p(`${qkv}.bias`).shape, 0, 2, 'float32', 7));
    const d = tf.tidy(() => {
      const x = tf.randomNormal([2, 5, 32], 0, 1, 'float32', 9);
      const h = tf.randomNormal([2, 5, 64], 0, 1, 'float32', 10);
      const l = (m: string) => p(`${m}.ia3_l`).reshape([-1]);
      const gotQ = state.hooks.linear!(qkv, x, p(`${qkv}.weight`), p(`${qkv}.bias`), EVAL)!;
      const wantQ = tf.mul(linear(x, p(`${qkv}.weight`), p(`${qkv}.bias`)), l(qkv));
      const gotF = state.hooks.linear!(fc2, h, p(`${fc2}.weight`), p(`${fc2}.bias`), EVAL)!;
      const wantF = linear(tf.mul(h, l(fc2)), p(`${fc2}.weight`), p(`${fc2}.bias`));
      return Math.max(
        tf.max(tf.abs(tf.sub(gotQ, wantQ))).dataSync()[0]!,
        tf.max(tf.abs(tf.sub(gotF, wantF))).dataSync()[0]!,
      );
    });
    assert.ok(d < 1e-6, `${d}`);
    const adapted = logits(model);
    assert.ok(worst(adapted, base) > 1e-4, "l != 1 changes the logits (a fresh USE-Lite's are ~1e-3)");
    const w = p(`${qkv}.weight`).dataSync().slice();
    const b = p(`${qkv}.bias`).dataSync().slice();
    mergePeft(model);
    const lq = p(`${qkv}.ia3_l`).dataSync();
    const merged = p(`${qkv}.weight`).dataSync();
    const cols = lq.length;
    assert.ok(
      merged.every((v, i) => Math.abs(v - w[i]! * lq[i % cols]!) < 1e-6),
      'W [in, out] columns times l',
    );
    assert.deepEqual(p(`${qkv}.bias`).dataSync(), b, 'bias not scaled (peft 0.5.0)');
    const diff = worst(logits(model), adapted);
    assert.ok(diff > 5e-5, `the unscaled bias shows in the merged logits (${diff})`);
    t.diagnostic(`merged vs unmerged with a qkv bias: ${diff.toExponential(2)}`);
    // without that bias the merge is exact
    unmergePeft(model);
    assert.ok(
      p(`${qkv}.weight`)
        .dataSync()
        .every((v, i) => Math.abs(v - w[i]!) < 1e-6),
      'unmerge restores W',
    );
    p(`${qkv}.bias`).assign(tf.zerosLike(p(`${qkv}.bias`)));
    const noBias = logits(model);
    mergePeft(model);
    assert.ok(worst(logits(model), noBias) < 1e-5);
    for (const v of model.params.values()) v.dispose();
  });
});
