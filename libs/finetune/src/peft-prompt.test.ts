// Exactness against peft 0.5.0's prompt learning on the hf-tiny sequence classifiers (BERT, RoBERTa, OPT):
// prefix tuning without and with prefix_projection, and prompt tuning (../shared/fixtures/peft-tiny/peft/*).
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AdamW } from './adamw.ts';
import { chooseBackend } from './backend.ts';
import { loadModel } from './checkpoint.ts';
import { crossEntropy } from './encoded.ts';
import { forward, headSpecs } from './heads.ts';
import { EVAL, type ForwardContext } from './layers.ts';
import { FAMILY_TABLE } from './families/index.ts';
import { parseModelConfig, type ModelConfig } from './model-config.ts';
import { activeHooks, attachPeft, checkPeft, trainableNames, type PeftSpec } from './peft/attach.ts';
import { PEFT_METHODS } from './peft/index.ts';
import type { PeftHooks } from './peft/hooks.ts';
import { loadPeftFolder, savePeftFolder } from './peft/peft-folder.ts';
import { readSafetensors, type RawTensor } from './safetensors.ts';
import { HF_TINY, PEFT_TINY } from './testing/shared-paths.ts';
import { trainableVars, type Model } from './train.ts';
import { inputsOf, maxAbsDiff, type FixtureInputs as Inputs } from './testing/fixture-inputs.ts';

interface Batch {
  name: string;
  inputs: Inputs;
  outputs: { logits: number[][] };
}

const VARIANTS = ['prefix', 'prefix-proj', 'prompt'] as const;
const NAMES = ['bert', 'roberta', 'opt'].flatMap((b) => VARIANTS.map((v) => `${b}-seqcls-${v}`));
const variantOf = (name: string) => name.slice(name.indexOf('-seqcls-') + 8) as (typeof VARIANTS)[number];

/** The fixture's constructor call (config_call) as a `peft:` section. */
const LIVE: Record<(typeof VARIANTS)[number], PeftSpec> = {
  prefix: { method: 'prefix', num_virtual_tokens: 5 },
  'prefix-proj': { method: 'prefix', num_virtual_tokens: 5, prefix_projection: true, encoder_hidden_size: 16 },
  prompt: { method: 'prompt', num_virtual_tokens: 5, prompt_tuning_init: 'RANDOM' },
};

const dirOf = (name: string) => join(PEFT_TINY, 'peft', name);
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8'));
const fixtureOf = (name: string) => readJson(join(dirOf(name), 'fixture.json'));
/** hf-tiny/models/<base> of a fixture (its base_model.dir). */
const baseOf = (fx: { base_model: { dir: string } }) => join(HF_TINY, basename(fx.base_model.dir));

function logitsOf(model: Model, b: Inputs, ctx: ForwardContext = { ...EVAL, peft: activeHooks(model) }): number[][] {
  return tf.tidy(() => {
    const out = forward(model.params, model.config, 'seqcls', inputsOf(b), ctx);
    if (out.head === 'qa') throw new Error('unreachable');
    return out.logits.arraySync();
  });
}

/** Linear weights live as [in, out] (HF [out, in]): the head's, and the projection MLP's. */
function isLinear(c: ModelConfig, name: string): boolean {
  if (/^prompt_encoder\.transform\.\d+\.weight$/.test(name)) return true;
  return headSpecs(c, 'seqcls').some((s) => s.name === name && s.kind === 'linear');
}

/** Set an in-memory parameter from HF-layout values. */
function setParam(model: Model, name: string, data: Float32Array, hfShape: number[]): void {
  const p = model.params.get(name);
  assert.ok(p, `no parameter '${name}'`);
  tf.tidy(() => {
    const t = tf.tensor(data, hfShape, 'float32');
    p.assign(isLinear(model.config, name) ? t.transpose() : t);
  });
}

/** An in-memory parameter in HF layout. */
function hfValue(model: Model, name: string, t: tf.Tensor = model.params.get(name)!): RawTensor {
  return tf.tidy(() => {
    const v = isLinear(model.config, name) ? t.transpose() : t;
    return { shape: v.shape, data: new Float32Array(v.dataSync()) };
  });
}

/** Our name -> peft's in-memory name (the live PeftModel's: adapter name 'default', head copy in modules_to_save). */
function libraryName(name: string): string {
  if (name.startsWith('prompt_encoder.')) return name.replace('prompt_encoder.', 'prompt_encoder.default.');
  const [module, ...rest] = name.split('.');
  return `base_model.${module}.modules_to_save.default.${rest.join('.')}`;
}

/** A peft adapter folder on its base checkpoint. */
function loadAdapter(dir: string, baseDir: string): Model {
  const model: Model = loadModel(baseDir);
  loadPeftFolder(dir, model);
  return model;
}

/** The fixture's live model: the constructor's options, parameters from train_step.trainable_params_before (which
 * hold the projection MLP, not saved in the adapter file). */
function liveModel(name: string, fx: ReturnType<typeof fixtureOf>): Model {
  const model: Model = loadModel(baseOf(fx));
  attachPeft(model, LIVE[variantOf(name)], 0);
  const before = fx.train_step.trainable_params_before as Record<string, unknown>;
  const shapes = new Map<string, number[]>(fx.trainable_parameter_names);
  for (const n of trainableNames(model)) {
    const lib = libraryName(n);
    assert.ok(lib in before, `${name}: no value of ${lib} before the step`);
    setParam(model, n, new Float32Array((before[lib] as number[]).flat(3) as number[]), shapes.get(lib)!);
  }
  return model;
}

const dispose = (m: Model) => {
  for (const p of m.params.values()) p.dispose();
};

before(async () => {
  await chooseBackend();
});

describe('peft prompt learning matches peft 0.5.0 on every fixture batch (1e-4)', () => {
  for (const name of NAMES) {
    test(name, (t) => {
      const fx = fixtureOf(name);
      const model = loadAdapter(dirOf(name), baseOf(fx));
      let worst = 0;
      for (const b of fx.batches as Batch[]) {
        const diff = maxAbsDiff(logitsOf(model, b.inputs), b.outputs.logits);
        assert.ok(diff < 1e-4, `${name} ${b.name}: max |diff| ${diff}`);
        worst = Math.max(worst, diff);
      }
      // peft could not run these (the virtual tokens push the positions past the table): neither can we
      const hfBatches = readJson(join(baseOf(fx), 'fixture.json')).batches as Batch[];
      assert.ok(fx.skipped_batches.length > 0);
      for (const s of fx.skipped_batches as { name: string; seq_len: number }[]) {
        const b = hfBatches.find((x) => x.name === s.name)!;
        assert.equal(b.inputs.input_ids[0]!.length, s.seq_len);
        assert.throws(() => logitsOf(model, b.inputs), /exceeds/);
      }
      t.diagnostic(`${name}: loaded adapter, worst |diff| ${worst.toExponential(2)}`);
      dispose(model);
    });
  }
});

describe('the live model (the constructor options, parameters before the train step) gives the same logits', () => {
  for (const name of NAMES) {
    test(name, (t) => {
      const fx = fixtureOf(name);
      const model = liveModel(name, fx);
      let worst = 0;
      for (const b of fx.batches as Batch[])
        worst = Math.max(worst, maxAbsDiff(logitsOf(model, b.inputs), b.outputs.logits));
      assert.ok(worst < 1e-4, `${name}: max |diff| ${worst}`);
      t.diagnostic(`${name}: live model, worst |diff| ${worst.toExponential(2)}`);
      dispose(model);
    });
  }
});

describe("the trainable set and count equal peft's", () => {
  for (const name of NAMES) {
    test(name, () => {
      const fx = fixtureOf(name);
      const model: Model = loadModel(baseOf(fx));
      attachPeft(model, LIVE[variantOf(name)], 0);
      const hfShape = (n: string) => {
        const s = model.params.get(n)!.shape;
        return isLinear(model.config, n) ? [...s].reverse() : s;
      };
      const ours = trainableNames(model).map((n) => [libraryName(n), hfShape(n)] as [string, number[]]);
      // peft wraps the head in a ModulesToSaveWrapper: the copy trains, the original keeps requires_grad=True and
      // so is listed and counted (print_trainable_parameters counts the head twice), though it never gets a gradient
      const lib = fx.trainable_parameter_names as [string, number[]][];
      const original = lib.filter(([n]) => n.includes('.original_module.'));
      assert.deepEqual(
        fx.train_step.trainable_params_without_grad,
        original.map(([n]) => n),
      );
      const byName = (a: [string, number[]], b: [string, number[]]) => (a[0] < b[0] ? -1 : 1);
      assert.deepEqual(ours.sort(byName), lib.filter(([n]) => !n.includes('.original_module.')).sort(byName));
      const size = (s: number[]) => s.reduce((a, d) => a * d, 1);
      const count = ours.reduce((a, [, s]) => a + size(s), 0);
      const twice = original.reduce((a, [, s]) => a + size(s), 0);
      assert.equal(count + twice, fx.trainable_params);
      // all_params counts the head copy beside the model's own head
      const all = [...model.params.values()].reduce((a, p) => a + p.size, 0);
      assert.equal(all + twice, fx.all_params);
      dispose(model);
    });
  }
});

describe('one AdamW step matches peft 0.5.0 + torch AdamW (1e-4); frozen parameters get no gradient or state', () => {
  for (const name of NAMES) {
    test(name, async (t) => {
      const fx = fixtureOf(name);
      const ts = fx.train_step;
      const model = liveModel(name, fx);
      const trainable = trainableNames(model);
      const frozen = [...model.params.keys()].filter((n) => !trainable.includes(n));
      const frozenBefore = new Map(frozen.map((n) => [n, model.params.get(n)!.dataSync().slice()]));
      const inputs = inputsOf(ts.inputs);
      const labels = tf.tensor1d(ts.labels, 'int32');
      const ctx: ForwardContext = { training: true, nextSeed: () => 0, peft: activeHooks(model) }; // dropout 0
      const loss = () => {
        const out = forward(model.params, model.config, 'seqcls', inputs, ctx);
        if (out.head === 'qa') throw new Error('unreachable');
        return crossEntropy(out.logits, labels);
      };
      const vars = trainableVars(model);
      const { value, grads } = tf.variableGrads(loss, vars);
      const before = value.dataSync()[0]!;
      assert.ok(Math.abs(before - ts.loss_before) < 1e-4, `loss before ${before} vs ${ts.loss_before}`);
      assert.equal(Object.keys(grads).length, trainable.length);
      const gradOf = new Map(trainable.map((n) => [n, grads[model.params.get(n)!.name]!]));
      for (const [n, g] of gradOf) {
        const norm = Math.sqrt(tf.tidy(() => tf.sum(tf.square(g)).dataSync()[0]!));
        const want = ts.grad_l2_norm_per_param[libraryName(n)];
        assert.ok(Math.abs(norm - want) < 1e-4 * Math.max(1, want), `${n}: grad norm ${norm} vs ${want}`);
      }
      const opt = new AdamW(model.params, {
        lr: ts.optimizer.lr,
        betas: ts.optimizer.betas,
        eps: ts.optimizer.eps,
        weightDecay: ts.optimizer.weight_decay,
      });
      const norm = await opt.apply(grads);
      assert.ok(Math.abs(norm - ts.grad_global_l2_norm) < 1e-4, `grad norm ${norm} vs ${ts.grad_global_l2_norm}`);
      const after = tf.tidy(() => loss().dataSync()[0]!);
      assert.ok(Math.abs(after - ts.loss_after) < 1e-4, `loss after ${after} vs ${ts.loss_after}`);
      const logitsAfter = maxAbsDiff(logitsOf(model, ts.inputs, ctx), ts.logits_after);
      assert.ok(logitsAfter < 1e-4, `logits after: max |diff| ${logitsAfter}`);
      // updated parameters where the gradient is clearly nonzero (README: step 1 moves every element by ~lr)
      const want = readSafetensors(join(dirOf(name), 'train_step_params_after.safetensors'));
      let worst = 0;
      let compared = 0;
      for (const n of trainable) {
        const w = want.get(libraryName(n))!;
        const got = hfValue(model, n).data;
        const g = hfValue(model, n, gradOf.get(n)).data;
        got.forEach((v, i) => {
          if (Math.abs(g[i]!) <= 1e-6) return;
          worst = Math.max(worst, Math.abs(v - w.data[i]!));
          compared++;
        });
      }
      assert.ok(worst < 1e-4, `updated parameters: max |diff| ${worst}`);
      assert.ok(compared > 0);
      for (const n of frozen) assert.deepEqual(model.params.get(n)!.dataSync(), frozenBefore.get(n), `${n} moved`);
      assert.deepEqual([...opt.state().m.keys()].sort(), [...trainable].sort());
      t.diagnostic(
        `${name}: loss ${before} -> ${after} (peft ${ts.loss_before} -> ${ts.loss_after}), logits after ` +
          `${logitsAfter.toExponential(2)}, params ${worst.toExponential(2)} over ${compared} elements`,
      );
      opt.dispose();
      tf.dispose([value, labels, ...Object.values(grads), ...Object.values(inputs)]);
      dispose(model);
    });
  }
});

describe("a saved adapter is peft's (config text, tensor names) and reloads to the same logits", () => {
  const tmp = mkdtempSync(join(tmpdir(), 'peft-prompt-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  for (const name of NAMES) {
    test(name, (t) => {
      const fx = fixtureOf(name);
      const baseName = fx.adapter_config.base_model_name_or_path;
      const fixtureText = readFileSync(join(dirOf(name), 'adapter_config.json'), 'utf8');
      assert.equal(fixtureText, fx.adapter_config_json_text);
      const fixtureFile = readSafetensors(join(dirOf(name), 'adapter_model.safetensors'));
      // the loaded adapter saves back to the same tensors and reloads to the same logits
      const loaded = loadAdapter(dirOf(name), baseOf(fx));
      const a = join(tmp, `${name}-loaded`);
      savePeftFolder(a, loaded, baseName);
      assert.equal(readFileSync(join(a, 'adapter_config.json'), 'utf8'), fixtureText);
      assert.equal(readFileSync(join(a, 'README.md'), 'utf8'), readFileSync(join(dirOf(name), 'README.md'), 'utf8'));
      const savedFile = readSafetensors(join(a, 'adapter_model.safetensors'));
      assert.deepEqual([...savedFile.keys()].sort(), [...fixtureFile.keys()].sort());
      for (const [k, v] of fixtureFile) assert.deepEqual(savedFile.get(k), v, k);
      const reloaded = loadAdapter(a, baseOf(fx));
      for (const b of fx.batches as Batch[]) assert.deepEqual(logitsOf(reloaded, b.inputs), logitsOf(loaded, b.inputs));
      // the live model (prefix_projection: the MLP) saves its projected table as peft does
      const live = liveModel(name, fx);
      const l = `${a}-live`;
      savePeftFolder(l, live, baseName);
      assert.equal(readFileSync(join(l, 'adapter_config.json'), 'utf8'), fixtureText);
      const liveFile = readSafetensors(join(l, 'adapter_model.safetensors'));
      assert.deepEqual([...liveFile.keys()].sort(), [...fixtureFile.keys()].sort());
      let table = 0;
      const want = fixtureFile.get('prompt_embeddings')!;
      liveFile.get('prompt_embeddings')!.data.forEach((v, i) => (table = Math.max(table, Math.abs(v - want.data[i]!))));
      assert.ok(table < 1e-5, `prompt_embeddings: max |diff| ${table}`);
      const relive = loadAdapter(l, baseOf(fx));
      let worst = 0;
      for (const b of fx.batches as Batch[])
        worst = Math.max(worst, maxAbsDiff(logitsOf(relive, b.inputs), logitsOf(live, b.inputs)));
      assert.ok(worst < 1e-5, `reloaded live adapter: max |diff| ${worst}`);
      t.diagnostic(
        `${name}: saved table vs peft's ${table.toExponential(2)}, reloaded vs live ${worst.toExponential(2)}`,
      );
      for (const m of [loaded, reloaded, live, relive]) dispose(m);
    });
  }
});

describe('a loaded prefix_projection adapter is its projected table', () => {
  test('bert-seqcls-prefix-proj: inference_mode options, the [P, layers*2*H] table and the head train, no MLP', () => {
    const name = 'bert-seqcls-prefix-proj';
    const fx = fixtureOf(name);
    const model = loadAdapter(dirOf(name), baseOf(fx));
    assert.deepEqual(model.peft!.options, {
      num_virtual_tokens: 5,
      prefix_projection: true,
      encoder_hidden_size: 16,
      token_dim: 32,
      num_layers: 2,
      num_attention_heads: 2,
      num_transformer_submodules: 1,
      inference_mode: true,
    });
    assert.deepEqual(model.peft!.added, ['prompt_encoder.embedding.weight']);
    assert.deepEqual(model.params.get('prompt_encoder.embedding.weight')!.shape, [5, 128]);
    assert.deepEqual(trainableNames(model), [
      'prompt_encoder.embedding.weight',
      'classifier.weight',
      'classifier.bias',
    ]);
    dispose(model);
  });
});

const PEFT_METHOD_KEYS = ['prefix', 'prompt'] as const;

describe('options: defaults, model-derived sizes and errors naming the key', () => {
  const bert = () => loadModel(join(HF_TINY, 'bert-seqcls')).config;
  const c = bert();
  const parse = (spec: PeftSpec, cfg = c, head: 'seqcls' | 'qa' | 'mc' = 'seqcls') =>
    checkPeft(spec, cfg, head, 'phase1.peft').options;

  test('prefix defaults: no projection, encoder_hidden_size = token_dim, sizes from the model', () => {
    assert.deepEqual(parse({ method: 'prefix', num_virtual_tokens: 7 }), {
      num_virtual_tokens: 7,
      prefix_projection: false,
      encoder_hidden_size: 32,
      token_dim: 32,
      num_layers: 2,
      num_attention_heads: 2,
      num_transformer_submodules: 1,
      inference_mode: false,
    });
    assert.deepEqual(parse({ method: 'prompt', num_virtual_tokens: 3 }), {
      num_virtual_tokens: 3,
      prompt_tuning_init: 'RANDOM',
      token_dim: 32,
      num_layers: 2,
      num_attention_heads: 2,
      num_transformer_submodules: 1,
    });
  });

  test('parsed options parse to themselves (they go into job keys)', () => {
    for (const spec of Object.values(LIVE)) {
      const once = parse(spec);
      assert.deepEqual(parse({ method: spec.method, ...once }), once);
    }
  });

  test('bad options are errors naming the key, the option and what is allowed', () => {
    const bad: [PeftSpec, RegExp][] = [
      [{ method: 'prefix' }, /phase1\.peft\.num_virtual_tokens: required; allowed: a positive integer$/],
      [
        { method: 'prefix', num_virtual_tokens: 0 },
        /phase1\.peft\.num_virtual_tokens: 0 is not allowed; allowed: a positive/,
      ],
      [{ method: 'prompt', num_virtual_tokens: 2.5 }, /phase1\.peft\.num_virtual_tokens: 2\.5 is not allowed/],
      [
        { method: 'prefix', num_virtual_tokens: 5, prefix_projection: 'yes' },
        /prefix_projection: "yes" .*allowed: true, false/,
      ],
      [{ method: 'prefix', num_virtual_tokens: 5, encoder_hidden_size: -1 }, /encoder_hidden_size: -1 is not allowed/],
      [
        { method: 'prefix', num_virtual_tokens: 5, token_dim: 64 },
        /token_dim: 64 does not match the bert model; allowed: 32/,
      ],
      [{ method: 'prefix', num_virtual_tokens: 5, num_layers: 12 }, /num_layers: 12 does not match .*allowed: 2/],
      [{ method: 'prompt', num_virtual_tokens: 5, num_attention_heads: 4 }, /num_attention_heads: 4 .*allowed: 2/],
      [
        { method: 'prompt', num_virtual_tokens: 5, num_transformer_submodules: 2 },
        /num_transformer_submodules: 2 .*allowed: 1/,
      ],
      [
        { method: 'prefix', num_virtual_tokens: 5, r: 8 },
        /phase1\.peft\.r: not an option of prefix; allowed: num_virtual_tokens, /,
      ],
      [
        { method: 'prompt', num_virtual_tokens: 5, prompt_tuning_init: 'TEXT' },
        /prompt_tuning_init: TEXT .*tokenizer.*allowed: RANDOM/,
      ],
      [
        { method: 'prompt', num_virtual_tokens: 5, prompt_tuning_init: 'random' },
        /prompt_tuning_init: "random" is not allowed; allowed: RANDOM/,
      ],
      [
        { method: 'prompt', num_virtual_tokens: 5, prompt_tuning_init_text: 'hi' },
        /prompt_tuning_init_text: only used by .*TEXT/,
      ],
    ];
    for (const [spec, re] of bad) assert.throws(() => parse(spec), re, JSON.stringify(spec));
  });

  test('families and heads: BERT, RoBERTa, OPT sequence classification only', () => {
    const useLite = parseModelConfig(FAMILY_TABLE['use-lite'].tiny.config);
    for (const method of PEFT_METHOD_KEYS) {
      assert.throws(
        () => parse({ method, num_virtual_tokens: 5 }, useLite),
        /phase1\.peft\.method: .*does not apply to USE-Lite/,
      );
      assert.throws(() => parse({ method, num_virtual_tokens: 5 }, c, 'qa'), /supports the seqcls head/);
      assert.throws(() => parse({ method, num_virtual_tokens: 5 }, c, 'mc'), /supports the seqcls head/);
    }
    const opt = parseModelConfig({ ...FAMILY_TABLE.opt.tiny.config, word_embed_proj_dim: 16 });
    assert.throws(() => parse({ method: 'prompt', num_virtual_tokens: 5 }, opt), /word_embed_proj_dim 16/);
    assert.equal(parse({ method: 'prefix', num_virtual_tokens: 5 }, opt).token_dim, 64);
  });

  test('a saved config the engine does not model is an error naming the file and key', () => {
    const json = readJson(join(dirOf('bert-seqcls-prompt'), 'adapter_config.json'));
    const from = (j: Record<string, unknown>) =>
      PEFT_METHODS.prompt!.checkpoint.fromConfig(j, c, 'x/adapter_config.json');
    assert.equal(from(json).num_virtual_tokens, 5);
    assert.throws(
      () => from({ ...json, task_type: 'CAUSAL_LM' }),
      /x\/adapter_config\.json: task_type "CAUSAL_LM" is not supported .*allowed: SEQ_CLS/,
    );
    assert.throws(
      () => from({ ...json, prompt_tuning_init: 'TEXT' }),
      /x\/adapter_config\.json: prompt_tuning_init: TEXT/,
    );
    assert.throws(() => from({ ...json, num_layers: 3 }), /num_layers: 3 does not match/);
    assert.throws(() => from({ ...json, extra: 1 }), /x\/adapter_config\.json: unknown key 'extra'; known: /);
    assert.throws(
      () => from({ ...json, peft_type: 'PREFIX_TUNING' }),
      /peft_type 'PREFIX_TUNING' is not PROMPT_TUNING/,
    );
  });
});

describe('initialisation: seeded, shaped and distributed as peft initialises', () => {
  const c = loadModel(join(HF_TINY, 'roberta-seqcls')).config;
  const opts = (spec: PeftSpec) => checkPeft(spec, c, 'seqcls').options;
  const values = (p: Map<string, tf.Variable>) => new Map([...p].map(([k, v]) => [k, [...v.dataSync()]]));

  test('prefix with projection: N(0, 1) embedding [P, H], nn.Linear default bounds, HF shapes transposed', () => {
    const o = opts(LIVE['prefix-proj']);
    const p = PEFT_METHODS.prefix!.create(c, o, 3);
    assert.deepEqual(
      [...p].map(([k, v]) => [k, v.shape]),
      [
        ['prompt_encoder.embedding.weight', [5, 32]],
        ['prompt_encoder.transform.0.weight', [32, 16]],
        ['prompt_encoder.transform.0.bias', [16]],
        ['prompt_encoder.transform.2.weight', [16, 128]],
        ['prompt_encoder.transform.2.bias', [128]],
      ],
    );
    const v = values(p);
    const e = v.get('prompt_encoder.embedding.weight')!;
    const mean = e.reduce((a, x) => a + x, 0) / e.length;
    const sd = Math.sqrt(e.reduce((a, x) => a + (x - mean) ** 2, 0) / e.length);
    assert.ok(Math.abs(mean) < 0.2 && Math.abs(sd - 1) < 0.2, `mean ${mean} sd ${sd}`);
    for (const [k, inDim] of [
      ['transform.0', 32],
      ['transform.2', 16],
    ] as const) {
      for (const part of ['weight', 'bias']) {
        const xs = v.get(`prompt_encoder.${k}.${part}`)!;
        const bound = 1 / Math.sqrt(inDim);
        assert.ok(xs.every((x) => Math.abs(x) <= bound) && Math.max(...xs.map(Math.abs)) > 0.8 * bound, `${k}.${part}`);
      }
    }
    assert.deepEqual(values(PEFT_METHODS.prefix!.create(c, o, 3)), v, 'same seed, same values');
    assert.notDeepEqual(values(PEFT_METHODS.prefix!.create(c, o, 4)), v, 'another seed, other values');
    for (const x of p.values()) x.dispose();
  });

  test('prefix without projection: one N(0, 1) table [P, layers*2*H]; prompt: [P, H]', () => {
    const a = PEFT_METHODS.prefix!.create(c, opts(LIVE.prefix), 0);
    assert.deepEqual(
      [...a].map(([k, v]) => [k, v.shape]),
      [['prompt_encoder.embedding.weight', [5, 128]]],
    );
    const b = PEFT_METHODS.prompt!.create(c, opts(LIVE.prompt), 0);
    assert.deepEqual(
      [...b].map(([k, v]) => [k, v.shape]),
      [['prompt_encoder.embedding.weight', [5, 32]]],
    );
    for (const x of [...a.values(), ...b.values()]) x.dispose();
  });
});

describe('positions after the virtual tokens (pastLength) and the position limit', () => {
  // pastLength 5 must read the rows a plain model reads from a table shifted by 5: BERT rows 5..T+4; RoBERTa
  // pad+6.. for real tokens, row pad for pads; OPT 2+5.. for real tokens, row 1 for pads.
  const cases = [
    ['bert-seqcls', 0],
    ['roberta-seqcls', 2],
    ['opt-seqcls', 2],
  ] as const;
  for (const [base, keep] of cases) {
    test(`${base}: pastLength 5 reads the position rows 5 further on (padding rows unchanged)`, () => {
      const model: Model = loadModel(join(HF_TINY, base));
      const table =
        base === 'opt-seqcls'
          ? 'model.decoder.embed_positions.weight'
          : `${base.split('-')[0]}.embeddings.position_embeddings.weight`;
      const old = model.params.get(table)!;
      const shifted = tf.tidy(() => {
        const [N, H] = old.shape as [number, number];
        const rest = tf.slice(old, [keep + 5, 0], [N - keep - 5, H]);
        return tf.variable(tf.concat([tf.slice(old, [0, 0], [keep, H]), rest, tf.zeros([5, H])]), false);
      });
      const plain: Model = { ...model, params: new Map([...model.params, [table, shifted]]) };
      const hooks: PeftHooks = { pastLength: 5 };
      let moved = 0;
      for (const b of readJson(join(HF_TINY, base, 'fixture.json')).batches as Batch[]) {
        if (b.inputs.input_ids[0]!.length + 5 > 64) continue;
        const diff = maxAbsDiff(logitsOf(model, b.inputs, { ...EVAL, peft: hooks }), logitsOf(plain, b.inputs, EVAL));
        assert.ok(diff < 1e-6, `${base} ${b.name}: ${diff}`);
        moved = Math.max(moved, maxAbsDiff(logitsOf(model, b.inputs, EVAL), logitsOf(plain, b.inputs, EVAL)));
      }
      assert.ok(moved > 1e-3, 'the shift changes the logits');
      shifted.dispose();
      dispose(model);
    });
  }

  test('BERT (64 positions): 59 tokens + 5 virtual run, 60 + 5 are an error as in HF', () => {
    const model: Model = loadModel(join(HF_TINY, 'bert-seqcls'));
    const row = (T: number) => ({ input_ids: [Array(T).fill(7)], attention_mask: [Array(T).fill(1)] });
    const ctx = { ...EVAL, peft: { pastLength: 5 } };
    assert.equal(logitsOf(model, row(59), ctx).length, 1);
    assert.throws(
      () => logitsOf(model, row(60), ctx),
      /sequence length 65 \(60 tokens \+ 5 virtual\) exceeds the 64 positions/,
    );
    dispose(model);
  });
});
