// The peft-tiny LoRA and IA3 fixtures (peft 0.5.0 on the hf-tiny sequence classifiers) checked end to end: logits
// on every batch, merged logits and unmerge, the trainable set against the library's, and one AdamW step.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { AdamW } from '../adamw.ts';
import { loadModel } from '../checkpoint.ts';
import { crossEntropy } from '../encoded.ts';
import { forward, headSpecs } from '../heads.ts';
import { EVAL, type ForwardContext } from '../layers.ts';
import type { ModelConfig } from '../model-config.ts';
import type { Params } from '../params.ts';
import { activeHooks, mergePeft, trainableNames, unmergePeft, type PeftState } from '../peft/attach.ts';
import { loadPeftFolder, savePeftFolder } from '../peft/peft-folder.ts';
import { readSafetensors, type RawTensor } from '../safetensors.ts';
import { trainableVars } from '../train.ts';
import { inputsOf, maxAbsDiff, type FixtureInputs } from './fixture-inputs.ts';
import { HF_TINY, PEFT_TINY } from './shared-paths.ts';

export { inputsOf, maxAbsDiff, type FixtureInputs };

interface FixtureBatch {
  name: string;
  inputs: FixtureInputs;
  outputs: { logits: number[][] };
  merged_logits?: number[][];
}

export interface PeftTestModel {
  config: ModelConfig;
  params: Params;
  head: 'seqcls';
  peft: PeftState;
}

export const peftFixtureDir = (name: string): string => join(PEFT_TINY, 'peft', name);
// biome-ignore lint/suspicious/noExplicitAny: fixture JSON
export const peftFixture = (name: string): any =>
  JSON.parse(readFileSync(join(peftFixtureDir(name), 'fixture.json'), 'utf8'));

export function logitsOf(model: PeftTestModel, inputs: FixtureInputs, ctx: ForwardContext = EVAL): number[][] {
  return tf.tidy(() => {
    const out = forward(model.params, model.config, 'seqcls', inputsOf(inputs), { ...ctx, peft: activeHooks(model) });
    if (out.head === 'qa') throw new Error('unreachable');
    return out.logits.arraySync();
  });
}

/** Parameters kept transposed in memory: LoRA matrices and the head's linear weights. */
export function isLinearParam(c: ModelConfig, name: string): boolean {
  if (/\.lora_[AB]\.weight$/.test(name)) return true;
  return headSpecs(c, 'seqcls').some((s) => s.name === name && s.kind === 'linear');
}

/** A tensor of a peft file as the parameter holds it in memory. */
export function toMemory(c: ModelConfig, name: string, raw: RawTensor): tf.Tensor {
  return tf.tidy(() => {
    const t = tf.tensor(raw.data, raw.shape, 'float32');
    return isLinearParam(c, name) ? t.transpose() : t;
  });
}

/** The hf-tiny base model of a fixture. */
export function fixtureBase(name: string): PeftTestModel {
  const loaded = loadModel(join(HF_TINY, basename(peftFixture(name).base_model.dir)));
  return { config: loaded.config, params: loaded.params, head: 'seqcls' } as PeftTestModel;
}

/** The hf-tiny base of a fixture with the fixture's peft folder loaded onto it (method from adapter_config.json). */
export function loadFixtureModel(name: string): PeftTestModel {
  const model = fixtureBase(name);
  loadPeftFolder(peftFixtureDir(name), model);
  return model;
}

/** Our in-memory name as PeftModel names it (adapter 'default'; the head: its modules_to_save copy). */
export function libraryName(name: string, added: readonly string[]): string {
  if (added.includes(name)) {
    return `base_model.model.${name.replace(/\.(lora_[AB])\.weight$/, '.$1.default.weight').replace(/\.ia3_l$/, '.ia3_l.default')}`;
  }
  const [module, ...rest] = name.split('.');
  return `base_model.model.${module}.modules_to_save.default.${rest.join('.')}`;
}

const snapshot = (params: Params, names: Iterable<string>) =>
  new Map([...names].map((n) => [n, params.get(n)!.dataSync().slice()]));

function worstOf(a: ArrayLike<number>, b: ArrayLike<number>, keep?: (i: number) => boolean): number {
  let w = 0;
  for (let i = 0; i < a.length; i++) if (!keep || keep(i)) w = Math.max(w, Math.abs(a[i]! - b[i]!));
  return w;
}

export interface FixtureReport {
  logits: number;
  merged: number;
  unmerge: number;
  mergedWeights: number;
  step: { lossBefore: number; lossAfter: number; logitsAfter: number; params: number };
}

/** Every check of one LoRA / IA3 fixture; returns the worst differences. */
export async function checkLinearFixture(name: string): Promise<FixtureReport> {
  const fx = peftFixture(name);
  const model = loadFixtureModel(name);
  const report: FixtureReport = {
    logits: 0,
    merged: 0,
    unmerge: 0,
    mergedWeights: 0,
    step: { lossBefore: 0, lossAfter: 0, logitsAfter: 0, params: 0 },
  };
  try {
    // logits on every batch
    for (const b of fx.batches as FixtureBatch[]) {
      const d = maxAbsDiff(logitsOf(model, b.inputs), b.outputs.logits);
      assert.ok(d < 1e-4, `${name} ${b.name}: logits max |diff| ${d}`);
      report.logits = Math.max(report.logits, d);
    }

    // the trainable set: ours mapped to PeftModel's names. peft also lists the wrapped original head
    // (`<head>.original_module.*`, requires_grad left on, never gets a gradient): print_trainable_parameters counts the
    // head twice, so the library's count is ours plus the head's size once more.
    const ours = trainableNames(model);
    const added = model.peft.added;
    const headNames = ours.filter((n) => !added.includes(n));
    const size = (n: string) => model.params.get(n)!.size;
    const libShapes = new Map<string, number[]>(fx.trainable_parameter_names);
    const originals = headNames.map((n) =>
      libraryName(n, added).replace('.modules_to_save.default.', '.original_module.'),
    );
    assert.deepEqual(
      [...ours.map((n) => libraryName(n, added)), ...originals].sort(),
      [...libShapes.keys()].sort(),
      `${name}: trainable names`,
    );
    for (const n of ours) {
      const hf = libShapes.get(libraryName(n, added))!;
      const mem = model.params.get(n)!.shape;
      assert.deepEqual(isLinearParam(model.config, n) ? [...mem].reverse() : mem, hf, `${name}: shape of ${n}`);
    }
    const count = ours.reduce((s, n) => s + size(n), 0) + headNames.reduce((s, n) => s + size(n), 0);
    assert.equal(count, fx.trainable_params, `${name}: trainable count (head counted twice, as peft)`);
    assert.deepEqual(fx.train_step.trainable_params_without_grad.sort(), originals.sort());

    // merge: merged logits, the merged weights, then unmerge back to the base weights
    const changed = fx.merge_and_unload.changed_tensors as string[];
    const bodyChanged = changed.filter((n) => model.params.has(n) && !ours.includes(n));
    const base = snapshot(model.params, bodyChanged);
    mergePeft(model);
    for (const b of fx.batches as FixtureBatch[]) {
      const d = maxAbsDiff(logitsOf(model, b.inputs), b.merged_logits!);
      assert.ok(d < 1e-4, `${name} ${b.name}: merged logits max |diff| ${d}`);
      report.merged = Math.max(report.merged, d);
    }
    for (const n of changed) {
      const hf = tf.tensor(fx.merge_and_unload.changed_tensors_values[n]);
      // every changed matrix is a linear weight: [out, in] in the fixture, [in, out] in memory
      const mem = tf.tidy(() => (hf.rank === 2 ? hf.transpose() : hf.clone()));
      const d = worstOf(model.params.get(n)!.dataSync(), mem.dataSync());
      assert.ok(d < 1e-5, `${name}: merged ${n} max |diff| ${d}`);
      report.mergedWeights = Math.max(report.mergedWeights, d);
      const was = base.get(n);
      if (was) assert.ok(worstOf(was, mem.dataSync()) > 1e-3, `${name}: merging left ${n} as it was`);
      tf.dispose([hf, mem]);
    }
    unmergePeft(model);
    for (const [n, v] of base) {
      const d = worstOf(model.params.get(n)!.dataSync(), v);
      assert.ok(d < 1e-6, `${name}: unmerged ${n} max |diff| ${d}`);
      report.unmerge = Math.max(report.unmerge, d);
    }

    report.step = await checkTrainStep(name, model, fx.train_step);
  } finally {
    for (const p of model.params.values()) p.dispose();
  }
  return report;
}

/** One AdamW step as the fixture's (torch AdamW over the trainable parameters, no clipping, decay on all). */
// biome-ignore lint/suspicious/noExplicitAny: fixture JSON
async function checkTrainStep(name: string, model: PeftTestModel, ts: any): Promise<FixtureReport['step']> {
  const inputs = inputsOf(ts.inputs);
  const labels = tf.tensor1d(ts.labels, 'int32');
  const ctx: ForwardContext = { training: true, nextSeed: () => 0, peft: activeHooks(model) }; // every dropout is 0
  const loss = () => {
    const out = forward(model.params, model.config, 'seqcls', inputs, ctx);
    if (out.head === 'qa') throw new Error('unreachable');
    return crossEntropy(out.logits, labels);
  };
  const trainable = trainableNames(model);
  const frozen = [...model.params.keys()].filter((n) => !trainable.includes(n));
  const frozenBefore = snapshot(model.params, frozen);
  // only the trainable variables reach tf.variableGrads: no weight gradient is computed for a frozen one
  const vars = trainableVars(model);
  assert.deepEqual(
    vars.map((v) => v.name),
    trainable.map((n) => model.params.get(n)!.name),
  );
  const { value, grads } = tf.variableGrads(loss, vars);
  assert.deepEqual(Object.keys(grads).sort(), vars.map((v) => v.name).sort(), `${name}: gradients only for trainables`);
  const lossBefore = Math.abs(value.dataSync()[0]! - ts.loss_before);
  assert.ok(lossBefore < 1e-4, `${name}: loss before ${value.dataSync()[0]} vs ${ts.loss_before}`);
  const opt = new AdamW(model.params, {
    lr: ts.optimizer.lr,
    betas: ts.optimizer.betas,
    eps: ts.optimizer.eps,
    weightDecay: ts.optimizer.weight_decay,
  });
  const norm = await opt.apply(grads);
  assert.ok(Math.abs(norm - ts.grad_global_l2_norm) < 1e-4, `${name}: grad norm ${norm} vs ${ts.grad_global_l2_norm}`);
  const { m, v } = opt.state();
  assert.deepEqual([...m.keys()].sort(), [...trainable].sort(), `${name}: AdamW state only for trainables`);
  assert.deepEqual([...v.keys()].sort(), [...trainable].sort());
  for (const [n, before] of frozenBefore) {
    assert.deepEqual(model.params.get(n)!.dataSync(), before, `${name}: frozen ${n} changed`);
  }
  const after = tf.tidy(() => loss().dataSync()[0]!);
  const lossAfter = Math.abs(after - ts.loss_after);
  assert.ok(lossAfter < 1e-4, `${name}: loss after ${after} vs ${ts.loss_after}`);
  const logitsAfter = maxAbsDiff(logitsOf(model, ts.inputs, ctx), ts.logits_after);
  assert.ok(logitsAfter < 1e-4, `${name}: logits after max |diff| ${logitsAfter}`);
  // updated parameters: within 1e-4 where the gradient is clearly nonzero (an AdamW step-1 update is +-lr wherever
  // g != 0, so a gradient within noise of 0 may move either way), within 2e-3 everywhere
  const file = readSafetensors(join(peftFixtureDir(name), 'train_step_params_after.safetensors'));
  let params = 0;
  for (const n of trainable) {
    const ref = toMemory(model.config, n, file.get(libraryName(n, model.peft.added))!);
    const g = grads[model.params.get(n)!.name]!.dataSync();
    const ours = model.params.get(n)!.dataSync();
    const want = ref.dataSync();
    const clear = worstOf(ours, want, (i) => Math.abs(g[i]!) > 1e-6);
    assert.ok(clear < 1e-4, `${name}: ${n} after the step, max |diff| ${clear} where |g| > 1e-6`);
    assert.ok(worstOf(ours, want) < 2e-3, `${name}: ${n} after the step`);
    params = Math.max(params, clear);
    ref.dispose();
  }
  opt.dispose();
  tf.dispose([value, labels, ...Object.values(grads), ...Object.values(inputs)]);
  return { lossBefore, lossAfter, logitsAfter, params };
}

/**
 * savePeftFolder of a loaded fixture writes the fixture's adapter_config.json text byte for byte (same
 * base_model_name_or_path) and its tensors bit for bit; the saved folder reloads onto a fresh base to the same
 * logits. Returns the worst logit difference after the reload.
 */
export function checkSaveReload(name: string): number {
  const src = peftFixtureDir(name);
  const fx = peftFixture(name);
  const dir = mkdtempSync(join(tmpdir(), 'peft-linear-'));
  const model = loadFixtureModel(name);
  let reloaded: PeftTestModel | undefined;
  try {
    savePeftFolder(dir, model, fx.adapter_config.base_model_name_or_path);
    const text = readFileSync(join(dir, 'adapter_config.json'), 'utf8');
    assert.equal(text, readFileSync(join(src, 'adapter_config.json'), 'utf8'), `${name}: adapter_config.json`);
    assert.equal(text, fx.adapter_config_json_text);
    const saved = readSafetensors(join(dir, 'adapter_model.safetensors'));
    const want = readSafetensors(join(src, 'adapter_model.safetensors'));
    assert.deepEqual([...saved.keys()].sort(), [...want.keys()].sort(), `${name}: tensor names`);
    for (const [n, t] of want) {
      assert.deepEqual(saved.get(n)!.shape, t.shape, `${name}: shape of ${n}`);
      assert.deepEqual(saved.get(n)!.data, t.data, `${name}: values of ${n}`);
    }
    reloaded = fixtureBase(name);
    loadPeftFolder(dir, reloaded);
    assert.deepEqual(reloaded.peft.options, model.peft.options);
    let worst = 0;
    for (const b of fx.batches as FixtureBatch[]) {
      worst = Math.max(worst, maxAbsDiff(logitsOf(reloaded, b.inputs), logitsOf(model, b.inputs)));
    }
    assert.equal(worst, 0, `${name}: reloaded logits`);
    return worst;
  } finally {
    for (const p of model.params.values()) p.dispose();
    for (const p of reloaded?.params.values() ?? []) p.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}
