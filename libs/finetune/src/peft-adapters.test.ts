// Exactness against AdapterHub adapters 0.1.1: the 12 fixtures of peft-tiny/adapters (BERT, RoBERTa x SeqBn,
// DoubleSeqBn, LoRA, LoRA alpha 16, prefix tuning, UniPELT), each loaded from the folder the library saved (the
// .bin files through readTorchBin): logits on every batch, merged logits (LoRA), the trainable set and count, one
// AdamW step, and a save / reload round trip that writes the library's JSON text. Then option errors, and the
// pre-LN placements (OPT, USE-Lite; no library fixture) at zero init.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AdamW } from './adamw.ts';
import { chooseBackend } from './backend.ts';
import { disposeParams, initParams, loadModel } from './checkpoint.ts';
import { crossEntropy } from './encoded.ts';
import { tinyConfig } from './families/index.ts';
import { forward } from './heads.ts';
import { EVAL, type ForwardContext } from './layers.ts';
import { parseModelConfig, type ModelConfig } from './model-config.ts';
import { ADAPTER_FILES, loadAdapterFolder, saveAdapterFolder } from './peft/adapters-folder.ts';
import { activeHooks, attachPeft, checkPeft, mergePeft, trainableNames, unmergePeft } from './peft/attach.ts';
import { layerOfName } from './peft/methods/adapters-shared.ts';
import type { UniPeltOptions } from './peft/methods/unipelt.ts';
import { readSafetensors } from './safetensors.ts';
import { HF_TINY, PEFT_TINY } from './testing/shared-paths.ts';
import { readTorchBin } from './torch-bin.ts';
import { trainableVars, type Model } from './train.ts';
import { inputsOf, maxAbsDiff, type FixtureInputs as Inputs } from './testing/fixture-inputs.ts';

interface Batch {
  name: string;
  inputs: Inputs;
  outputs: { logits: number[][] };
  merged_logits?: number[][];
}

const VARIANTS: Record<string, string> = {
  seq_bn: 'seq_bn',
  double_seq_bn: 'double_seq_bn',
  lora: 'ah_lora',
  lora_alpha16: 'ah_lora',
  prefix_tuning: 'ah_prefix',
  unipelt: 'unipelt',
};
const FIXTURES = ['bert-seqcls', 'roberta-seqcls'].flatMap((b) => Object.keys(VARIANTS).map((v) => `${b}-${v}`));
const dirOf = (name: string) => join(PEFT_TINY, 'adapters', name);
const fixtureOf = (name: string) => JSON.parse(readFileSync(join(dirOf(name), 'fixture.json'), 'utf8'));
const TMP = mkdtempSync(join(tmpdir(), 'peft-adapters-'));

/** The hf-tiny base model of a fixture with its saved adapter loaded. */
function loaded(fx: { base_model: { dir: string } }, dir: string): Model {
  const model: Model = loadModel(join(HF_TINY, fx.base_model.dir.split('/').pop()!));
  loadAdapterFolder(dir, model);
  return model;
}

function logits(model: Model, b: Inputs, ctx: ForwardContext = EVAL): number[][] {
  return tf.tidy(() => {
    const out = forward(model.params, model.config, 'seqcls', inputsOf(b), { ...ctx, peft: activeHooks(model) });
    if (out.head === 'qa') throw new Error('unreachable');
    return out.logits.arraySync();
  });
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
/** The library's shape of an in-memory parameter: linear weights are transposed in memory. */
const isLinear = (name: string, v: tf.Variable) => v.rank === 2 && !name.endsWith('.wte.weight');
const libShape = (name: string, v: tf.Variable) => (isLinear(name, v) ? [...v.shape].reverse() : [...v.shape]);

before(async () => {
  await chooseBackend();
});
after(() => rmSync(TMP, { recursive: true, force: true }));

describe('adapters 0.1.1 fixtures: logits, merge, trainable set, AdamW step, folder round trip', () => {
  for (const name of FIXTURES) {
    test(name, async (t) => {
      const fx = fixtureOf(name);
      const model = loaded(fx, dirOf(name));
      const s = model.peft!;
      assert.equal(s.method.name, VARIANTS[name.split('-').slice(2).join('-')]);
      assert.equal(s.options.name, 'tiny');

      // logits on every batch (no batch is skipped: adapters' prefix does not shift positions)
      let worst = 0;
      for (const b of fx.batches as Batch[]) {
        const d = maxAbsDiff(logits(model, b.inputs), b.outputs.logits);
        assert.ok(d < 1e-4, `${b.name}: max |diff| ${d}`);
        worst = Math.max(worst, d);
      }

      // merge_adapter scales by alpha / r, the forward does not: lora_alpha16's merged logits differ from its
      // unmerged ones, as in the library
      let worstMerged = Number.NaN;
      if (s.method.name === 'ah_lora') {
        mergePeft(model);
        worstMerged = 0;
        for (const b of fx.batches as Batch[]) {
          const d = maxAbsDiff(logits(model, b.inputs), b.merged_logits!);
          assert.ok(d < 1e-4, `${b.name} merged: max |diff| ${d}`);
          worstMerged = Math.max(worstMerged, d);
        }
        const lib = fx.checks_max_abs_diff_over_batches.merged_vs_unmerged;
        const b0 = fx.batches[0] as Batch;
        const ours = maxAbsDiff(logits(model, b0.inputs), b0.outputs.logits);
        if (name.endsWith('alpha16'))
          assert.ok(lib > 0.1 && ours > 0.1, `merged vs unmerged: ${ours} (library ${lib})`);
        else assert.ok(ours < 1e-5, `alpha = r: merged equals unmerged (${ours})`);
        unmergePeft(model);
        const b = fx.batches[0] as Batch;
        assert.ok(maxAbsDiff(logits(model, b.inputs), b.outputs.logits) < 1e-4, 'unmerge restores the model');
      } else {
        assert.throws(() => mergePeft(model), /cannot be merged/);
      }

      // trainable set and count: ours are the library's names; the shared prefix pool is one parameter set,
      // listed once under layer 0 as named_parameters() lists it
      const trainable = trainableNames(model);
      const lib = new Map<string, number[]>(fx.trainable_parameter_names);
      assert.deepEqual([...trainable].sort(), [...lib.keys()].sort());
      for (const n of trainable) assert.deepEqual(libShape(n, model.params.get(n)!), lib.get(n), n);
      const count = trainable.reduce((a, n) => a + size(model.params.get(n)!.shape), 0);
      assert.equal(count, fx.trainable_params);
      const all = [...model.params.values()].reduce((a, v) => a + size(v.shape), 0);
      assert.equal(all, fx.all_params);

      const step = await adamwStep(model, fx.train_step, name);

      // save: the library's JSON text byte for byte, the library's tensor names in its order; reload: same logits
      const out = join(TMP, name);
      const fresh = loaded(fx, dirOf(name)); // the unstepped adapter
      saveAdapterFolder(out, fresh, { modelName: fx.base_model.dir });
      assert.equal(readFileSync(join(out, ADAPTER_FILES.config), 'utf8'), fx.adapter_config_json_text);
      assert.equal(readFileSync(join(out, ADAPTER_FILES.headConfig), 'utf8'), fx.head_config_json_text);
      const names = (x: { tensors_in_pickle_order: { name: string }[] }) =>
        x.tensors_in_pickle_order.map((e) => e.name);
      const saved = readTorchBin(join(out, ADAPTER_FILES.weights));
      assert.deepEqual([...saved.keys()], names(fx.pytorch_adapter_bin));
      const orig = readTorchBin(join(dirOf(name), ADAPTER_FILES.weights));
      for (const [k, v] of orig) assert.deepEqual(saved.get(k)!.data, v.data, k);
      for (const f of [ADAPTER_FILES.weights, ADAPTER_FILES.headWeights]) {
        const same = readFileSync(join(out, f)).equals(readFileSync(join(dirOf(name), f)));
        assert.ok(same, `${f} is byte for byte the library's`);
      }
      assert.deepEqual(
        [...readTorchBin(join(out, ADAPTER_FILES.headWeights)).keys()],
        names(fx.pytorch_model_head_bin),
      );
      const again = loaded(fx, out);
      for (const b of fx.batches as Batch[]) assert.deepEqual(logits(again, b.inputs), logits(fresh, b.inputs), b.name);

      t.diagnostic(
        `${name}: logits ${worst.toExponential(2)}` +
          (Number.isNaN(worstMerged) ? '' : `, merged ${worstMerged.toExponential(2)}`) +
          `, step loss ${step.loss.toExponential(2)} logits ${step.logits.toExponential(2)} params ${step.params.toExponential(2)}`,
      );
      for (const m of [model, fresh, again]) disposeParams(m.params);
    });
  }
});

interface TrainStep {
  inputs: Inputs;
  labels: number[];
  optimizer: { lr: number; betas: [number, number]; eps: number; weight_decay: number };
  loss_before: number;
  loss_after: number;
  logits_after: number[][];
  grad_global_l2_norm: number;
}

/** One AdamW step as the fixture took it (torch AdamW over every trainable parameter, weight decay on all, no
 * clipping). Returns the worst |diff| of loss after, logits after and the updated parameters. */
async function adamwStep(model: Model, ts: TrainStep, name: string) {
  const inputs = inputsOf(ts.inputs);
  const labels = tf.tensor1d(ts.labels, 'int32');
  const ctx: ForwardContext = { training: true, nextSeed: () => 0, peft: activeHooks(model) }; // every dropout is 0
  const loss = () => {
    const out = forward(model.params, model.config, 'seqcls', inputs, ctx);
    if (out.head === 'qa') throw new Error('unreachable');
    return crossEntropy(out.logits, labels);
  };
  const trainable = new Set(trainableNames(model));
  const frozen = new Map(
    [...model.params].filter(([n]) => !trainable.has(n)).map(([n, v]) => [n, v.dataSync().slice()]),
  );
  const { value, grads } = tf.variableGrads(loss, trainableVars(model));
  const before = value.dataSync()[0]!;
  assert.ok(Math.abs(before - ts.loss_before) < 1e-4, `${name}: loss before ${before} vs ${ts.loss_before}`);
  const gradOf = new Map([...model.params].map(([n, v]) => [n, grads[v.name]]));
  const opt = new AdamW(model.params, {
    lr: ts.optimizer.lr,
    betas: ts.optimizer.betas,
    eps: ts.optimizer.eps,
    weightDecay: ts.optimizer.weight_decay,
  });
  const norm = await opt.apply(grads);
  assert.ok(Math.abs(norm - ts.grad_global_l2_norm) < 1e-5 * Math.max(1, ts.grad_global_l2_norm), `grad norm ${norm}`);
  const lossAfter = tf.tidy(() => loss().dataSync()[0]!);
  const dLoss = Math.abs(lossAfter - ts.loss_after);
  assert.ok(dLoss < 1e-4, `${name}: loss after ${lossAfter} vs ${ts.loss_after}`);
  const dLogits = maxAbsDiff(logits(model, ts.inputs, ctx), ts.logits_after);
  assert.ok(dLogits < 1e-4, `${name}: logits after, max |diff| ${dLogits}`);
  // updated parameters: within 1e-4 where the gradient is clearly nonzero; elsewhere a step-1 update is +-lr from
  // noise, so within 2 lr
  const after = readSafetensors(join(dirOf(name), 'train_step_params_after.safetensors'));
  assert.deepEqual([...after.keys()].sort(), [...trainable].sort());
  let dParams = 0;
  for (const n of trainable) {
    const v = model.params.get(n)!;
    const lin = isLinear(n, v);
    const ours = tf.tidy(() => (lin ? v.transpose() : v).dataSync());
    const g = tf.tidy(() => (lin ? gradOf.get(n)!.transpose() : gradOf.get(n)!).dataSync());
    const lib = after.get(n)!.data;
    for (let i = 0; i < lib.length; i++) {
      const d = Math.abs(ours[i]! - lib[i]!);
      if (Math.abs(g[i]!) > 1e-6) dParams = Math.max(dParams, d);
      assert.ok(d < (Math.abs(g[i]!) > 1e-6 ? 1e-4 : 2e-3), `${name}: ${n}[${i}] ${ours[i]} vs ${lib[i]}`);
    }
  }
  // frozen parameters: unchanged, no gradient, no AdamW state
  for (const [n, was] of frozen) assert.deepEqual(model.params.get(n)!.dataSync(), was, `${n} is frozen`);
  assert.deepEqual([...opt.state().m.keys()].sort(), [...trainable].sort());
  assert.equal(Object.keys(grads).length, trainable.size);
  opt.dispose();
  tf.dispose([value, labels, ...Object.values(grads), ...Object.values(inputs)]);
  return { loss: dLoss, logits: dLogits, params: dParams };
}

describe('adapters options: library defaults, checked with clear errors', () => {
  const bert = parseModelConfig(JSON.parse(readFileSync(join(HF_TINY, 'bert-seqcls', 'config.json'), 'utf8')));
  const check = (spec: Record<string, unknown>, c: ModelConfig = bert) =>
    checkPeft({ method: 'seq_bn', ...spec }, c, 'seqcls', 'phase2.peft').options;

  test('defaults are the library config classes', () => {
    const bn = check({});
    assert.equal(bn.reduction_factor, 16);
    assert.equal(bn.non_linearity, 'relu');
    assert.equal(bn.original_ln_before, true);
    assert.equal(check({ method: 'double_seq_bn' }).non_linearity, 'swish');
    assert.equal(check({ method: 'double_seq_bn' }).original_ln_before, false);
    const lora = check({ method: 'ah_lora' });
    assert.deepEqual([lora.r, lora.alpha, lora.attn_matrices], [8, 8, ['q', 'v']]);
    const pre = check({ method: 'ah_prefix' });
    assert.deepEqual([pre.prefix_length, pre.bottleneck_size, pre.non_linearity, pre.flat], [30, 512, 'tanh', false]);
    const uni = check({ method: 'unipelt' }) as UniPeltOptions;
    assert.deepEqual([uni.prefix_tuning.prefix_length, uni.adapter.reduction_factor, uni.lora.r], [10, 16, 8]);
    assert.ok(uni.prefix_tuning.use_gating && uni.adapter.use_gating && uni.lora.use_gating);
  });

  test('bad values name the key, the option and what is allowed', () => {
    assert.throws(
      () => check({ reduction_factor: 0 }),
      /^Error: phase2\.peft\.reduction_factor: 0 is not valid; allowed: a number > 0/,
    );
    assert.throws(
      () => check({ non_linearity: 'cube' }),
      /phase2\.peft\.non_linearity: "cube" is not valid; allowed: relu, gelu, .*swish/,
    );
    assert.throws(() => check({ ln_before: true }), /phase2\.peft\.ln_before: true is not supported .*allowed: false/);
    assert.throws(() => check({ mh_adapter: true }), /phase2\.peft\.mh_adapter: .*allowed: false/);
    assert.throws(() => check({ phm_layer: true }), /phase2\.peft\.phm_layer/);
    assert.throws(
      () => check({ reduction: 4 }),
      /phase2\.peft\.reduction: unknown option; allowed: .*reduction_factor/,
    );
    assert.throws(() => check({ method: 'ah_lora', r: 0 }), /phase2\.peft\.r: 0 is not valid; allowed: an integer > 0/);
    assert.throws(
      () => check({ method: 'ah_lora', attn_matrices: ['q', 'o'] }),
      /attn_matrices: .*allowed: a list of distinct q, k, v/,
    );
    assert.throws(
      () => check({ method: 'ah_lora', composition_mode: 'scale' }),
      /composition_mode: "scale" is not supported/,
    );
    assert.throws(() => check({ method: 'ah_prefix', leave_out: [0, 1] }), /leave_out: leaves out every layer/);
    assert.throws(
      () => check({ method: 'ah_prefix', leave_out: [5] }),
      /leave_out: \[5\] is not valid; allowed: a list of layer indices 0\.\.1/,
    );
    assert.throws(
      () => check({ method: 'unipelt', lora: { use_gating: false } }),
      /phase2\.peft\.lora\.use_gating: UniPELT gates every part/,
    );
    assert.throws(
      () => check({ method: 'unipelt', adapter: { reduction_factor: -1 } }),
      /phase2\.peft\.adapter\.reduction_factor/,
    );
    assert.throws(() => check({ name: 'a b' }), /phase2\.peft\.name: "a b" is not valid/);
    const useLite = parseModelConfig(tinyConfig('use-lite'));
    assert.throws(() => check({ method: 'ah_prefix' }, useLite), /'ah_prefix' does not apply to USE-Lite/);
    assert.throws(() => check({ method: 'ah_lora' }, useLite), /'ah_lora' does not apply to USE-Lite/);
    assert.throws(() => check({ use_gating: true }, useLite), /use_gating: not supported for USE-Lite/);
  });

  test('a folder whose config the engine does not model is refused, naming the file and key', () => {
    const model: Model = loadModel(join(HF_TINY, 'bert-seqcls'));
    const dir = join(TMP, 'bad-config');
    const fx = fixtureOf('bert-seqcls-seq_bn');
    loadAdapterFolder(dirOf('bert-seqcls-seq_bn'), model);
    saveAdapterFolder(dir, model, { modelName: fx.base_model.dir });
    const text = readFileSync(join(dir, ADAPTER_FILES.config), 'utf8').replace(
      '"phm_layer": false',
      '"phm_layer": true',
    );
    writeFileSync(join(dir, ADAPTER_FILES.config), text);
    const other: Model = loadModel(join(HF_TINY, 'bert-seqcls'));
    assert.throws(
      () => loadAdapterFolder(dir, other),
      /adapter_config\.json: config\.phm_layer: true is not supported/,
    );
    assert.equal(other.peft, undefined);
    for (const m of [model, other]) disposeParams(m.params);
  });
});

describe('pre-LN placement (OPT, USE-Lite) and zero init: the adapter starts as the identity', () => {
  const ids = [
    [5, 9, 13, 7, 2, 1],
    [4, 8, 3, 1, 1, 1],
  ];
  const batch = { input_ids: ids, attention_mask: ids.map((r) => r.map((x) => (x === 1 ? 0 : 1))) };
  const plainAndAdapted = (arch: 'opt' | 'use-lite', spec: { method: string; [k: string]: unknown }, zero: RegExp) => {
    const c = parseModelConfig(tinyConfig(arch));
    const model: Model = { config: c, params: initParams(c, 3), head: 'seqcls' };
    const plain = logits(model, batch);
    const s = attachPeft(model, spec, 11);
    const adapted0 = logits(model, batch);
    for (const n of s.added) if (zero.test(n)) model.params.get(n)!.assign(tf.zerosLike(model.params.get(n)!));
    return { model, s, plain, adapted0, identity: logits(model, batch) };
  };
  const done = (m: Model) => disposeParams(m.params);

  for (const arch of ['opt', 'use-lite'] as const) {
    for (const method of ['seq_bn', 'double_seq_bn']) {
      test(`${method} on ${arch}: shapes, identity with a zero up-projection, then a change`, () => {
        const r = plainAndAdapted(arch, { method }, /adapter_up\./);
        const c = r.model.config;
        const per = method === 'seq_bn' ? 1 : 2;
        const n = Math.floor(c.hidden_size / 16);
        assert.equal(r.s.added.length, c.num_hidden_layers * per * 4);
        const down = r.s.added.find((x) => x.endsWith('adapter_down.0.weight'))!;
        assert.deepEqual(r.model.params.get(down)!.shape, [c.hidden_size, n]);
        assert.match(
          down,
          method === 'seq_bn' ? /\.output_adapters\.adapters\.default\./ : /\.attention_adapters\.adapters\.default\./,
        );
        assert.ok(maxAbsDiff(r.identity, r.plain) < 1e-6, 'a zero up-projection leaves the model as it was');
        assert.ok(maxAbsDiff(r.adapted0, r.plain) > 1e-7, "the 'bert' init changes the output a little");
        done(r.model);
      });
    }
  }

  test('ah_lora on OPT: B = 0 at init is the identity; merge equals the unmerged forward', () => {
    const r = plainAndAdapted('opt', { method: 'ah_lora', alpha: 16 }, /lora_B$/);
    assert.ok(maxAbsDiff(r.adapted0, r.plain) < 1e-6);
    assert.ok(r.s.added.every((n) => /self_attn\.(q|v)_proj\.loras\.default\.lora_[AB]$/.test(n)));
    for (const n of r.s.added)
      if (n.endsWith('lora_B'))
        r.model.params.get(n)!.assign(tf.randomNormal(r.model.params.get(n)!.shape, 0, 0.1, 'float32', 5));
    const unmerged = logits(r.model, batch);
    r.model.params.forEach((v, n) => (n.endsWith('lora_B') ? v.assign(tf.div(v, 2)) : undefined)); // alpha / r = 2
    mergePeft(r.model);
    assert.ok(maxAbsDiff(logits(r.model, batch), unmerged) < 1e-5);
    done(r.model);
  });

  test('ah_prefix and unipelt on OPT: a prefix for every layer, every query attends to it', () => {
    for (const method of ['ah_prefix', 'unipelt']) {
      const r = plainAndAdapted('opt', { method }, /^$/);
      const c = r.model.config;
      const wte = r.s.added.find((n) => n.endsWith('wte.weight'))!;
      assert.match(
        wte,
        /^model\.decoder\.layers\.0\.self_attn\.prefix_tuning\.pool\.prefix_tunings\.default\.self_prefix\./,
      );
      const ct = r.model.params.get(wte.replace('wte.weight', 'control_trans.2.weight'))!;
      assert.deepEqual(ct.shape, [512, c.num_hidden_layers * 2 * c.hidden_size]);
      const l = r.adapted0.flat();
      assert.ok(l.every(Number.isFinite) && maxAbsDiff(r.adapted0, r.plain) > 1e-4);
      done(r.model);
    }
  });
});

describe('options beyond the fixtures: placement, and a save / reload that keeps them', () => {
  const b = (fixtureOf('bert-seqcls-unipelt').batches as Batch[])[2]!;
  const specs: { method: string; [k: string]: unknown }[] = [
    {
      method: 'seq_bn',
      name: 'mine',
      reduction_factor: 8,
      non_linearity: 'gelu',
      scaling: 0.5,
      use_gating: true,
      leave_out: [1],
    },
    { method: 'double_seq_bn', init_weights: 'mam_adapter', original_ln_after: false, residual_before_ln: false },
    {
      method: 'ah_lora',
      r: 2,
      alpha: 6,
      attn_matrices: ['k'],
      intermediate_lora: true,
      output_lora: true,
      init_weights: 'bert',
      leave_out: [0],
    },
    {
      method: 'ah_prefix',
      prefix_length: 4,
      bottleneck_size: 16,
      flat: true,
      use_gating: true,
      shared_gating: false,
      leave_out: [0],
    },
    { method: 'ah_prefix', prefix_length: 3, bottleneck_size: 8, non_linearity: 'relu' },
    {
      method: 'unipelt',
      prefix_tuning: { prefix_length: 2 },
      adapter: { reduction_factor: 4 },
      lora: { r: 2, alpha: 4 },
    },
  ];
  for (const spec of specs) {
    test(JSON.stringify(spec), () => {
      const model: Model = loadModel(join(HF_TINY, 'bert-seqcls'));
      const s = attachPeft(model, spec, 7);
      // perturb every added tensor (zero-initialised ones included) so the round trip carries real values
      for (const n of s.added) {
        const v = model.params.get(n)!;
        v.assign(tf.tidy(() => tf.add(v, tf.randomNormal(v.shape, 0, 0.1, 'float32', 100 + s.added.indexOf(n)))));
      }
      const placed = s.added.map(layerOfName);
      const out = join(TMP, `opts-${specs.indexOf(spec)}`);
      saveAdapterFolder(out, model, { modelName: 'hf-tiny/models/bert-seqcls' });
      const again: Model = loadModel(join(HF_TINY, 'bert-seqcls'));
      loadAdapterFolder(out, again);
      assert.deepEqual(again.peft!.options, s.options);
      assert.deepEqual(again.peft!.added, s.added);
      assert.deepEqual(logits(again, b.inputs), logits(model, b.inputs));
      const left = (spec.leave_out as number[] | undefined) ?? [];
      // the pool lives under layer 0's name whatever is left out; everything else only in the kept layers
      s.added.forEach((n, i) => {
        if (!n.includes('.pool.')) assert.ok(!left.includes(placed[i]!), `${n} is in a left-out layer`);
      });
      if (spec.method === 'ah_prefix') {
        const kept = 2 - left.length;
        const pool = s.added.filter((n) => n.includes('.pool.'));
        const width = kept * 2 * 32;
        if (spec.flat) assert.deepEqual(model.params.get(pool[0]!)!.shape, [(spec.prefix_length as number) * width]);
        else
          assert.deepEqual(model.params.get(pool.find((n) => n.endsWith('control_trans.2.weight'))!)!.shape, [
            spec.bottleneck_size,
            width,
          ]);
        if (spec.use_gating)
          assert.deepEqual(
            model.params.get(s.added.find((n) => n.endsWith('prefix_gates.default.weight'))!)!.shape,
            [32, 2],
          );
      }
      if (spec.method === 'ah_lora') {
        assert.deepEqual(
          s.added.filter((n) => n.endsWith('lora_A')),
          ['attention.self.key', 'intermediate.dense', 'output.dense'].map(
            (m) => `bert.encoder.layer.1.${m}.loras.default.lora_A`,
          ),
        );
      }
      for (const m of [model, again]) disposeParams(m.params);
    });
  }
});
