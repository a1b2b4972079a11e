// LoRA exact to Hugging Face peft 0.5.0: the six peft-tiny LoRA fixtures (BERT, RoBERTa, OPT; default and explicit
// targets) end to end, the folder round trip, and the method's own rules: option errors, defaults per family,
// rsLoRA scaling, seeded dropout in training only, the Kaiming-uniform init, and USE-Lite.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { chooseBackend } from './backend.ts';
import { initParams } from './checkpoint.ts';
import { tinyConfig } from './families/index.ts';
import { forward } from './heads.ts';
import { dropout, EVAL, linear, type ForwardContext } from './layers.ts';
import { parseModelConfig, type ModelConfig } from './model-config.ts';
import type { Params } from './params.ts';
import { activeHooks, attachPeft, mergePeft, unmergePeft, type PeftState } from './peft/attach.ts';
import { peftMethod } from './peft/index.ts';
import { lora, loraScaling, type LoraOptions } from './peft/methods/lora.ts';
import { pythonJson } from './peft/py-json.ts';
import { checkLinearFixture, checkSaveReload, peftFixture } from './testing/peft-linear-fixture.ts';
import { randomRows } from './testing/random-rows.ts';

before(async () => {
  await chooseBackend();
});

const FIXTURES = ['bert', 'roberta', 'opt'].flatMap((b) => [`${b}-seqcls-lora`, `${b}-seqcls-lora-explicit`]);

describe('peft 0.5.0 LoRA fixtures: logits, merged logits, trainable set, one AdamW step (1e-4)', () => {
  for (const name of FIXTURES) {
    test(name, async (t) => {
      const r = await checkLinearFixture(name);
      t.diagnostic(
        `${name}: logits ${r.logits.toExponential(2)}, merged ${r.merged.toExponential(2)}, unmerge ` +
          `${r.unmerge.toExponential(2)}, merged weights ${r.mergedWeights.toExponential(2)}; step: loss before ` +
          `${r.step.lossBefore.toExponential(2)}, after ${r.step.lossAfter.toExponential(2)}, logits after ` +
          `${r.step.logitsAfter.toExponential(2)}, params ${r.step.params.toExponential(2)}`,
      );
    });
  }
});

describe('a LoRA fixture saved by savePeftFolder equals the library folder and reloads to the same logits', () => {
  for (const name of FIXTURES) test(name, () => void checkSaveReload(name));
});

// BERT's tiny config carries the full WordPiece vocabulary: these tests use a narrower one
const SMALL_BERT = { vocab_size: 120, hidden_size: 32, intermediate_size: 64, max_position_embeddings: 64 };
const configOf = (arch: 'bert' | 'roberta' | 'opt' | 'use-lite', extra: Record<string, unknown> = {}) =>
  parseModelConfig({ ...tinyConfig(arch), ...(arch === 'bert' ? SMALL_BERT : {}), ...extra });

const parse = (raw: Record<string, unknown>, c: ModelConfig = configOf('bert')) =>
  lora.parseOptions(raw, c, 'phase1.peft');

describe('LoRA options', () => {
  test("peft's default targets per family (USE-Lite: its fused qkv projection), every default filled in", () => {
    const want = (targets: string[]): LoraOptions => ({
      r: 8,
      lora_alpha: 8,
      lora_dropout: 0,
      target_modules: targets,
      use_rslora: false,
    });
    assert.deepEqual(parse({}), want(['query', 'value']));
    assert.deepEqual(parse({}, configOf('roberta')), want(['query', 'value']));
    assert.deepEqual(parse({}, configOf('opt')), want(['q_proj', 'v_proj']));
    assert.deepEqual(parse({}, configOf('use-lite')), want(['qkv']));
    // parsed options parse to themselves (the app keys jobs by them; checkpoints attach them)
    const o = parse({ r: 4, lora_alpha: 16, target_modules: 'bert\\.encoder\\.layer\\.1\\..*\\.dense' });
    assert.deepEqual(parse(o), o);
  });

  test('targets match as peft: a list entry ends a module name after a dot, a string is a full-match regex', () => {
    const c = configOf('bert');
    const method = peftMethod('lora');
    const modules = (o: Record<string, unknown>) => {
      const added = method.create(c, method.parseOptions(o, c, 'k'), 1);
      const names = [...added.keys()].filter((n) => n.endsWith('lora_A.weight')).map((n) => n.slice(0, -14));
      for (const v of added.values()) v.dispose();
      return names;
    };
    assert.deepEqual(modules({ target_modules: ['output.dense'] }), [
      'bert.encoder.layer.0.attention.output.dense',
      'bert.encoder.layer.0.output.dense',
      'bert.encoder.layer.1.attention.output.dense',
      'bert.encoder.layer.1.output.dense',
    ]);
    assert.deepEqual(modules({ target_modules: ['bert.encoder.layer.1.attention.self.key'] }), [
      'bert.encoder.layer.1.attention.self.key',
    ]);
    assert.deepEqual(modules({ target_modules: '.*\\.0\\.attention\\.self\\.(query|key)' }), [
      'bert.encoder.layer.0.attention.self.query',
      'bert.encoder.layer.0.attention.self.key',
    ]);
  });

  test('bad options name the key and what is allowed', () => {
    const bad = (raw: Record<string, unknown>, re: RegExp, c?: ModelConfig) => assert.throws(() => parse(raw, c), re);
    bad({ r: 0 }, /^Error: phase1\.peft\.r: 0 is not a valid rank; allowed: an integer >= 1$/);
    bad({ r: -2 }, /phase1\.peft\.r: -2 .*allowed: an integer >= 1/);
    bad({ r: 2.5 }, /phase1\.peft\.r: 2\.5 .*allowed: an integer >= 1/);
    bad({ r: '4' }, /phase1\.peft\.r: "4" .*allowed: an integer >= 1/);
    bad({ lora_alpha: 0 }, /phase1\.peft\.lora_alpha: 0 .*allowed: a number > 0/);
    bad({ lora_dropout: 1 }, /phase1\.peft\.lora_dropout: 1 .*allowed: a probability in \[0, 1\)/);
    bad({ use_rslora: 'yes' }, /phase1\.peft\.use_rslora: "yes"; allowed: true, false/);
    bad(
      { alpha: 16 },
      /phase1\.peft\.alpha: not an option of LoRA \(peft 0\.5\.0\); allowed: r, lora_alpha, lora_dropout/,
    );
    bad({ bias: 'all' }, /phase1\.peft\.bias: "all" is not supported .*; allowed: "none"/);
    bad({ fan_in_fan_out: true }, /phase1\.peft\.fan_in_fan_out: true is not supported .*; allowed: false/);
    // an unknown module lists the linear layers of the family
    bad(
      { target_modules: ['query', 'q_proj'] },
      /phase1\.peft\.target_modules: 'q_proj' matches no linear layer of BERT .*allowed: .*\(attention\.self\.query, attention\.self\.key, attention\.self\.value, attention\.output\.dense, intermediate\.dense, output\.dense\)/,
    );
    bad(
      { target_modules: ['query'] },
      /'query' matches no linear layer of OPT .*\(self_attn\.k_proj, self_attn\.v_proj, self_attn\.q_proj, self_attn\.out_proj, fc1, fc2\)/,
      configOf('opt'),
    );
    bad(
      { target_modules: 'nothing\\.at\\.all' },
      /target_modules: the regex 'nothing\\\.at\\\.all' matches no linear layer/,
    );
    bad({ target_modules: [] }, /target_modules: must be a list of module names or one regex string, got \[\]/);
    // peft would also adapt the pooler / head linears, which the engine does not; a non-linear module is an error
    bad({ target_modules: ['dense'] }, /'dense' selects 'bert\.pooler\.dense', a linear layer outside the encoder/);
    bad({ target_modules: ['out_proj'] }, /'out_proj' selects 'classifier\.out_proj'/, configOf('roberta'));
    bad(
      { target_modules: ['attention'] },
      /'attention' selects 'bert\.encoder\.layer\.0\.attention', which is not a linear layer/,
    );
    bad({ target_modules: ['word_embeddings'] }, /which is not a linear layer/);
    bad({ target_modules: ['que(ry'] }, /target_modules 'que\(ry': not a valid regular expression/);
  });

  test('attachPeft names the source key; the fixture config reads back to the same options', () => {
    const c = configOf('bert');
    const params = initParams(c, 1);
    assert.throws(
      () => attachPeft({ config: c, params }, { method: 'lora', r: 0 }, 0, 'phase2.peft'),
      /^Error: phase2\.peft\.r: 0 is not a valid rank/,
    );
    for (const p of params.values()) p.dispose();
  });
});

describe('LoRA checkpoint config', () => {
  const fx = peftFixture('bert-seqcls-lora');
  const c = configOf('bert', { num_labels: 3 });

  test('fromConfig reads the library file; toConfig writes every key peft 0.5.0 writes, its floats as floats', () => {
    const o = lora.checkpoint.fromConfig(fx.adapter_config, c, 'adapter_config.json');
    assert.deepEqual(o, {
      r: 4,
      lora_alpha: 8,
      lora_dropout: 0,
      target_modules: ['query', 'value'],
      use_rslora: false,
    });
    const cfg = { ...lora.checkpoint.toConfig(o, c), base_model_name_or_path: 'hf-tiny/models/bert-seqcls' };
    assert.equal(pythonJson(cfg), fx.adapter_config_json_text);
    assert.ok(lora.checkpoint.identifies(fx.adapter_config));
    assert.ok(!lora.checkpoint.identifies({ ...fx.adapter_config, peft_type: 'IA3' }));
  });

  test('keys the engine does not model must hold their default; unknown keys are errors', () => {
    const read = (extra: Record<string, unknown>) =>
      lora.checkpoint.fromConfig({ ...fx.adapter_config, ...extra }, c, 'x/adapter_config.json');
    assert.throws(
      () => read({ layers_to_transform: [0] }),
      /x\/adapter_config\.json: layers_to_transform \[0\] is not supported by the engine; allowed: null/,
    );
    assert.throws(() => read({ bias: 'all' }), /bias "all" is not supported by the engine; allowed: "none"/);
    assert.throws(() => read({ init_lora_weights: false }), /init_lora_weights false .*allowed: true/);
    assert.throws(() => read({ modules_to_save: ['classifier'] }), /modules_to_save \["classifier"\] .*allowed: null/);
    assert.throws(
      () => read({ task_type: 'CAUSAL_LM' }),
      /task_type "CAUSAL_LM" is not supported .*allowed: SEQ_CLS, QUESTION_ANS/,
    );
    assert.throws(() => read({ lora_weight: 1 }), /unknown key 'lora_weight'; known: /);
    assert.throws(() => read({ r: 0 }), /x\/adapter_config\.json: r: 0 is not a valid rank/);
    // later peft versions' keys at their defaults read fine; use_rslora (ours) is their key with their meaning
    assert.equal(read({ use_dora: false, rank_pattern: {}, alpha_pattern: {}, use_rslora: true }).use_rslora, true);
  });

  test('use_rslora is written only when on (peft 0.5.0 has no such key)', () => {
    const o = parse({ use_rslora: true }, c);
    assert.equal(lora.checkpoint.toConfig(o, c).use_rslora, true);
    assert.equal('use_rslora' in lora.checkpoint.toConfig(parse({}, c), c), false);
    assert.match(
      pythonJson(lora.checkpoint.toConfig(parse({ lora_alpha: 16, lora_dropout: 0.1 }, c), c)),
      /"lora_alpha": 16,\n {2}"lora_dropout": 0\.1,/,
    );
  });
});

/** A tiny random model with LoRA attached (B given random values, so the adapter changes the output). */
function withLora(arch: 'bert' | 'use-lite', spec: Record<string, unknown>, seed = 3, extra = {}) {
  const config = configOf(arch, extra);
  const model = { config, params: initParams(config, 11), head: 'seqcls' as const } as {
    config: ModelConfig;
    params: Params;
    head: 'seqcls';
    peft?: PeftState;
  };
  const state = attachPeft(model, { method: 'lora', ...spec }, seed);
  let k = 100;
  for (const n of state.added) {
    const v = model.params.get(n)!;
    if (n.endsWith('lora_B.weight')) v.assign(tf.randomNormal(v.shape, 0, 0.2, 'float32', k++));
  }
  return { model, state };
}

function logits(model: { config: ModelConfig; params: Params; peft?: PeftState }, ctx: ForwardContext = EVAL) {
  const c = model.config;
  const { ids, mask } = randomRows(c, 3, 7, 5);
  return tf.tidy(() => {
    const inputs = { inputIds: tf.tensor2d(ids, [3, 7], 'int32'), attentionMask: tf.tensor2d(mask, [3, 7], 'int32') };
    const out = forward(model.params, c, 'seqcls', inputs, { ...ctx, peft: activeHooks(model) });
    if (out.head === 'qa') throw new Error('unreachable');
    return out.logits.arraySync();
  });
}

const worst = (a: number[][], b: number[][]) =>
  Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i]![j]!))));

const dispose = (params: Params) => {
  for (const p of params.values()) p.dispose();
};

describe('LoRA forward, init and merge', () => {
  test('scaling: lora_alpha / r, with use_rslora lora_alpha / sqrt(r); the hook adds (x A B) * scaling', () => {
    assert.equal(loraScaling(parse({ r: 4, lora_alpha: 8 })), 2);
    assert.equal(loraScaling(parse({ r: 4, lora_alpha: 8, use_rslora: true })), 4);
    assert.equal(loraScaling(parse({ r: 16, lora_alpha: 8, use_rslora: true })), 2);
    for (const use_rslora of [false, true]) {
      const { model, state } = withLora('bert', { r: 4, lora_alpha: 8, use_rslora });
      const m = 'bert.encoder.layer.0.attention.self.query';
      const [w, b, A, B] = ['weight', 'bias', 'lora_A.weight', 'lora_B.weight'].map(
        (s) => model.params.get(`${m}.${s}`)!,
      );
      const d = tf.tidy(() => {
        const x = tf.randomNormal([2, 5, 32], 0, 1, 'float32', 9);
        const got = state.hooks.linear!(m, x, w!, b, EVAL)!;
        const want = tf.add(linear(x, w!, b), tf.mul(linear(linear(x, A!), B!), use_rslora ? 4 : 2));
        return tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]!;
      });
      assert.ok(d < 1e-6, `use_rslora ${use_rslora}: ${d}`);
      assert.equal(
        state.hooks.linear!('bert.encoder.layer.0.attention.self.key', tf.zeros([1, 32]), w!, b, EVAL),
        undefined,
      );
      dispose(model.params);
    }
  });

  test('lora_dropout acts on the input of A in training only, from the seeds the context draws', () => {
    const noDropout = { hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 };
    const { model, state } = withLora('bert', { r: 4, lora_dropout: 0.5 }, 3, noDropout);
    const plain = withLora('bert', { r: 4 }, 3, noDropout);
    const seeded = (s: number): ForwardContext => ({ training: true, nextSeed: () => s++ });
    // the body's own dropouts are 0 here: training and evaluation differ only by the LoRA dropout
    assert.equal(worst(logits(plain.model, seeded(7)), logits(plain.model)), 0);
    assert.equal(worst(logits(model), logits(plain.model)), 0, 'evaluation: no dropout');
    const a = logits(model, seeded(7));
    assert.equal(worst(a, logits(model, seeded(7))), 0, 'same seeds, same masks');
    assert.ok(worst(a, logits(model)) > 1e-4, 'training: the input of A is dropped');
    assert.ok(worst(a, logits(model, seeded(8))) > 1e-4, 'other seeds, other masks');
    // exactly: x W + b + (dropout(x) A B) * scaling with the engine's seeded dropout, the base path untouched
    const m = 'bert.encoder.layer.1.attention.self.value';
    const [w, b, A, B] = ['weight', 'bias', 'lora_A.weight', 'lora_B.weight'].map(
      (n) => model.params.get(`${m}.${n}`)!,
    );
    const d = tf.tidy(() => {
      const x = tf.randomNormal([2, 5, 32], 0, 1, 'float32', 9);
      const got = state.hooks.linear!(m, x, w!, b, seeded(42))!;
      const dropped = dropout(x, 0.5, seeded(42));
      const want = tf.add(linear(x, w!, b), tf.mul(linear(linear(dropped, A!), B!), 2));
      return tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]!;
    });
    assert.ok(d < 1e-6, `${d}`);
    dispose(model.params);
    dispose(plain.model.params);
  });

  test("A is Kaiming-uniform (torch's a = sqrt(5): bound 1/sqrt(in)) from the seed, B zeros: a fresh adapter is a no-op", () => {
    const c = configOf('bert');
    const o = parse({ r: 4 }, c);
    const one = lora.create(c, o, 5);
    const again = lora.create(c, o, 5);
    const other = lora.create(c, o, 6);
    const A = 'bert.encoder.layer.0.attention.self.query.lora_A.weight';
    const a = one.get(A)!.dataSync();
    assert.deepEqual(one.get(A)!.shape, [32, 4]);
    assert.deepEqual(one.get(A.replace('lora_A', 'lora_B'))!.shape, [4, 32]);
    assert.ok(Math.max(...a.map(Math.abs)) <= 1 / Math.sqrt(32));
    assert.ok(Math.max(...a.map(Math.abs)) > 0.8 / Math.sqrt(32), 'spread over the whole bound');
    assert.deepEqual(again.get(A)!.dataSync(), a);
    assert.notDeepEqual(other.get(A)!.dataSync(), a);
    assert.notDeepEqual(one.get(A.replace('layer.0', 'layer.1'))!.dataSync(), a, 'each module its own draw');
    for (const [n, v] of one) if (n.endsWith('lora_B.weight')) assert.ok(v.dataSync().every((x) => x === 0));
    for (const m of [one, again, other]) dispose(m);

    const config = configOf('bert');
    const base = { config, params: initParams(config, 11) };
    const before = logits(base);
    attachPeft(base, { method: 'lora' }, 3);
    assert.equal(worst(logits(base), before), 0);
    dispose(base.params);
  });

  test('USE-Lite: LoRA on its qkv changes the logits once B != 0, merges exactly and unmerges to the base', () => {
    const config = configOf('use-lite');
    const model = { config, params: initParams(config, 11), head: 'seqcls' as const } as {
      config: ModelConfig;
      params: Params;
      peft?: PeftState;
    };
    const base = logits(model);
    const state = attachPeft(model, { method: 'lora', r: 4, lora_alpha: 16 }, 2);
    assert.deepEqual(
      state.added.filter((n) => n.endsWith('lora_A.weight')),
      ['use_lite.encoder.layer.0.attention.qkv.lora_A.weight', 'use_lite.encoder.layer.1.attention.qkv.lora_A.weight'],
    );
    assert.deepEqual(model.params.get(state.added[0]!)!.shape, [16, 4]); // layer 0 runs at embedding_size 16
    assert.deepEqual(model.params.get(state.added[1]!)!.shape, [4, 48]);
    assert.equal(worst(logits(model), base), 0, 'B = 0: unchanged');
    for (const n of state.added) {
      const v = model.params.get(n)!;
      if (n.endsWith('lora_B.weight')) v.assign(tf.randomNormal(v.shape, 0, 0.3, 'float32', 4));
    }
    const adapted = logits(model);
    assert.ok(worst(adapted, base) > 1e-3, 'B != 0 changes the logits');
    const qkv0 = 'use_lite.encoder.layer.0.attention.qkv.weight';
    const w0 = model.params.get(qkv0)!.dataSync().slice();
    mergePeft(model);
    assert.equal(activeHooks(model), undefined);
    assert.ok(worst(logits(model), adapted) < 1e-5, 'merged = unmerged');
    unmergePeft(model);
    const back = model.params.get(qkv0)!.dataSync();
    assert.ok(Math.max(...back.map((v, i) => Math.abs(v - w0[i]!))) < 1e-6);
    assert.ok(worst(logits(model), adapted) < 1e-5);
    dispose(model.params);
  });
});
