// The mitigations on a tiny BERT: the degenerate settings equal the default run bit for bit, the noise never moves
// the data order, votes read each member's own logits, averages and EMA/SWA are the hand-computed ones, and a run
// that starts from the default run's kept snapshot equals one that trained the shared steps itself.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { chooseBackend } from './backend.ts';
import { parseBertConfig } from './bert-config.ts';
import { disposeParams, initParams } from './checkpoint.ts';
import { evaluate } from './evaluate.ts';
import {
  averageValues,
  copyValues,
  disposeValues,
  interpolationWindows,
  majorityVote,
  mitigatedOptions,
  MITIGATIONS,
  parseMitigation,
  prefixStep,
  startMitigation,
  stepOrder,
  type MitigationRun,
} from './index.ts';
import { train, trainStateFile, type Model, type TrainOptions } from './train.ts';
import { keywordTask } from './testing/keyword-task.ts';

const config = parseBertConfig({
  vocab_size: 40,
  hidden_size: 16,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  intermediate_size: 32,
  max_position_embeddings: 16,
  num_labels: 2,
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
});

const data = keywordTask(40, 1);
const OPTS: TrainOptions = { epochs: 2, batchSize: 4, lr: 3e-3, seed: 5 }; // 10 steps an epoch, 20 in all
const newModel = (seed = 3): Model => ({ config, params: initParams(config, seed) });

before(async () => {
  await chooseBackend();
});

const weights = (m: Model) => new Map([...m.params].map(([n, p]) => [n, Array.from(p.dataSync())]));

interface Ran {
  model: Model;
  run: MitigationRun;
  rows: number[][];
}

/** Train with a mitigation; `extra` hooks run after the method's own afterStep. */
async function runWith(
  spec: unknown,
  more: Partial<TrainOptions> = {},
  afterStep?: (done: number, m: Model) => void,
): Promise<Ran> {
  const model = newModel();
  const rows: number[][] = [];
  const parsed = parseMitigation(spec);
  const opts = mitigatedOptions(parsed, data.n, { ...OPTS, ...more });
  const run = startMitigation(parsed, model, data, opts, { fresh: (s) => newModel(s) });
  await train(model, data, {
    ...opts,
    onBatch: (b) => rows.push([...b.rows]),
    hooks: {
      ...(run.params && { params: run.params }),
      ...(run.encoderOutput && { encoderOutput: run.encoderOutput }),
      afterStep: async (d) => {
        await run.afterStep?.(d);
        afterStep?.(d, model);
      },
    },
  });
  await run.finish();
  return { model, run, rows };
}

const done = (r: Ran) => {
  r.run.dispose();
  disposeParams(r.model.params);
};

test('every method of the table has a name, options with defaults, and a cost of at least the main run', () => {
  for (const m of MITIGATIONS) {
    const spec = parseMitigation(m.name);
    assert.ok(m.cost(100, spec.options) >= 100, m.name);
    assert.ok(m.prefix(spec.options) >= 0 && m.prefix(spec.options) <= 1, m.name);
  }
  assert.throws(() => parseMitigation('dropout'), /unknown mitigation 'dropout'; known: none, ensemble/);
  assert.throws(() => parseMitigation({ method: 'deni', copy: 3 }), /'copy' is not an option of deni/);
  assert.throws(() => parseMitigation({ method: 'ensemble', size: 2.5 }), /ensemble.size must be a whole number/);
});

test('DENI with no copies, an ensemble of one and mixout with p = 0 equal the default run bit for bit', async () => {
  const plain = await runWith('none');
  for (const spec of [
    { method: 'deni', copies: 0 },
    { method: 'ensemble', size: 1 },
    { method: 'mixout', p: 0 },
    { method: 'input_noise', scale: 0 },
    { method: 'noisy_interpolation', copies: 0, noise: 0 },
  ]) {
    const r = await runWith(spec);
    assert.deepEqual(weights(r.model), weights(plain.model), spec.method);
    assert.equal(r.run.members(), 0);
    done(r);
  }
  done(plain);
});

test("DENI's noise and copies leave the main run's batches unchanged, and copies train those same batches", async () => {
  const plain = await runWith('none');
  const deni = await runWith({ method: 'deni', copies: 2 });
  assert.deepEqual(deni.rows, plain.rows);
  // the copies' rows come from the same order: step s of the main loop trained rowsOf(s)
  const order = stepOrder(data.n, OPTS.batchSize, OPTS.seed);
  for (let s = 0; s < plain.rows.length; s++) assert.deepEqual([...order.rowsOf(s)], plain.rows[s]);
  assert.notDeepEqual(weights(deni.model), weights(plain.model)); // the method did something
  assert.equal(deni.run.members(), 2);
  // 20 main steps; interpolation windows 6-8, 8-10, 10-12 (2 steps each) x 2 copies; ensemble 18-20 x 2 copies
  assert.deepEqual(interpolationWindows({ copies: 2, start: 0.3, end: 0.6, every: 0.1, scale: 0.15 }, 20), [
    { from: 6, to: 8 },
    { from: 8, to: 10 },
    { from: 10, to: 12 },
  ]);
  assert.equal(deni.run.extraSteps(), 3 * 2 * 2 + 2 * 2);
  done(plain);
  done(deni);
});

test("the vote counts each member's own prediction; ties go to the higher mean probability", async () => {
  // three members, two examples: member predictions (1, 0, 1) and (0, 1, 2) over 3 classes
  const m = (a: number[], b: number[]) => Float32Array.from([...a, ...b]);
  const v = majorityVote([m([0, 5, 0], [5, 0, 0]), m([5, 0, 0], [0, 5, 0]), m([0, 4, 0], [0, 0, 6])], 2, 3, [1, 2]);
  const argmax = (i: number) => [0, 1, 2].reduce((b, c) => (v.logits[i * 3 + c]! > v.logits[i * 3 + b]! ? c : b), 0);
  assert.equal(argmax(0), 1); // two votes of three
  assert.equal(argmax(1), 2); // one vote each: class 2 has the most confident member (6 vs 5)
  assert.ok(v.loss! > 0);

  // a delayed ensemble's members predict with their own weights, not the main model's
  const de = await runWith({ method: 'delayed_ensemble', copies: 2, at: 0.5, noise: 1 });
  const held = keywordTask(30, 9);
  const outs = [];
  for (let j = 0; j <= de.run.members(); j++)
    outs.push((await de.run.withMember(j, () => evaluate(de.model, held))).logits);
  assert.notDeepEqual(outs[1], outs[0]);
  assert.notDeepEqual(outs[2], outs[1]);
  // and the main model's weights are back afterwards
  const again = await evaluate(de.model, held);
  assert.deepEqual(again.logits, outs[0]);
  done(de);
});

test('averaging N identical weight sets gives the set bit for bit', () => {
  const model = newModel();
  const a = copyValues(model);
  const sets = [a, copyValues(model), copyValues(model), copyValues(model)];
  const avg = averageValues(sets);
  for (const [n, t] of avg) assert.deepEqual(t.dataSync(), model.params.get(n)!.dataSync(), n);
  sets.forEach(disposeValues);
  disposeValues(avg);
  disposeParams(model.params);
});

test('SWA and EMA equal the averages computed by hand from the weights after every step', async () => {
  const name = 'classifier.weight';
  const seen: Float64Array[] = [];
  const grab = (_d: number, m: Model) => seen.push(Float64Array.from(m.params.get(name)!.dataSync()));
  const init = Float64Array.from(newModel().params.get(name)!.dataSync());
  // SWA from 25 %: the weights after steps 6..20 (step 5 = round(0.25 * 20) is the last one left out)
  const swa = await runWith({ method: 'swa', start: 0.25 }, {}, grab);
  const swaHand = new Float64Array(init.length);
  for (let s = 5; s < 20; s++) for (let i = 0; i < init.length; i++) swaHand[i]! += seen[s]![i]! / 15;
  const got = swa.model.params.get(name)!.dataSync();
  for (let i = 0; i < init.length; i++) assert.ok(Math.abs(got[i]! - swaHand[i]!) < 1e-6, `swa ${i}`);
  done(swa);

  // EMA from the initial weights, and bias-corrected from zero: sum of 0.1 * 0.9^(20 - t) w_t / (1 - 0.9^20)
  for (const corrected of [0, 1]) {
    seen.length = 0;
    const ema = await runWith({ method: 'ema', decay: 0.9, bias_correction: corrected }, {}, grab);
    const hand = corrected ? new Float64Array(init.length) : Float64Array.from(init);
    for (const w of seen) for (let i = 0; i < init.length; i++) hand[i] = 0.9 * hand[i]! + 0.1 * w[i]!;
    if (corrected) for (let i = 0; i < init.length; i++) hand[i]! /= 1 - 0.9 ** 20;
    const e = ema.model.params.get(name)!.dataSync();
    for (let i = 0; i < init.length; i++) assert.ok(Math.abs(e[i]! - hand[i]!) < 1e-6, `ema ${corrected} ${i}`);
    done(ema);
  }
});

test("mixout's mixed weights average to the current weights, and training with it differs from plain", async () => {
  const model = newModel();
  const run = startMitigation(parseMitigation({ method: 'mixout', p: 0.5 }), model, data, OPTS, {
    fresh: (s) => newModel(s),
  });
  // move the head away from its initial values, then average many mixed draws: E[w~] = w
  const w = model.params.get('classifier.weight')!;
  w.assign(tf.add(w, 0.5));
  const target = w.dataSync();
  const sum = new Float64Array(w.size);
  const draws = 4000;
  for (let k = 0; k < draws; k++) {
    const mixed = run.params!(model.params).get('classifier.weight')!;
    const v = mixed.dataSync();
    for (let i = 0; i < v.length; i++) sum[i]! += v[i]! / draws;
    mixed.dispose();
  }
  // each element's draw is w0 - ... or w + ...: spread |w - w0| = 0.5 / 0.5 around w, so 4,000 draws: std 0.016
  for (let i = 0; i < sum.length; i++) assert.ok(Math.abs(sum[i]! - target[i]!) < 0.08, `element ${i}`);
  run.dispose();
  disposeParams(model.params);

  const plain = await runWith('none');
  const mix = await runWith({ method: 'mixout', p: 0.5 });
  assert.notDeepEqual(weights(mix.model), weights(plain.model));
  done(plain);
  done(mix);
});

test('a run killed mid-training resumes to the same weights and members (DENI inside a window, mixout, noise, averages)', async () => {
  for (const raw of [
    { method: 'deni', copies: 2 },
    { method: 'mixout', p: 0.3 },
    { method: 'input_noise' },
    { method: 'swa' },
    { method: 'ema', decay: 0.9 },
  ]) {
    const spec = parseMitigation(raw);
    const whole = await runWith(raw);
    const dir = mkdtempSync(join(tmpdir(), 'prunelab-resume-'));
    const attempt = (kill: boolean) => {
      const model = newModel();
      const run = startMitigation(spec, model, data, OPTS, { fresh: (s) => newModel(s), dir });
      const out = train(model, data, {
        ...OPTS,
        hooks: run,
        // step 8 is the second of DENI's window 6-8: the last snapshot (after step 7) holds the window's start
        onBatch: (b) => {
          if (kill && b.step === 7) throw new Error('killed');
        },
        checkpoint: { dir, everySteps: 1, save: () => run.save(), restore: (st, at) => run.restore(st, at.step) },
      });
      return { model, run, out };
    };
    const first = attempt(true);
    await assert.rejects(first.out, /killed/);
    first.run.dispose();
    disposeParams(first.model.params);
    const second = attempt(false);
    await second.out;
    await second.run.finish();
    assert.deepEqual(weights(second.model), weights(whole.model), raw.method);
    assert.equal(second.run.extraSteps(), whole.run.extraSteps());
    for (let j = 1; j <= whole.run.members(); j++) {
      const x = await second.run.withMember(j, () => evaluate(second.model, data));
      const y = await whole.run.withMember(j, () => evaluate(whole.model, data));
      assert.deepEqual(x.logits, y.logits, `${raw.method} member ${j}`);
    }
    second.run.dispose();
    disposeParams(second.model.params);
    done(whole);
  }
});

test("a run that starts from the none run's kept snapshot equals one that trained the shared steps itself", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'prunelab-mit-'));
  for (const spec of [{ method: 'deni', copies: 2 }, { method: 'ensemble', size: 2 }, { method: 'swa' }]) {
    const parsed = parseMitigation(spec);
    const P = prefixStep(parsed, data.n, OPTS);
    const keptFile = join(dir, `kept-${spec.method}.safetensors`);
    // the none run keeps its state after step P
    const none = newModel();
    await train(none, data, {
      ...OPTS,
      checkpoint: { dir: join(dir, `none-${spec.method}`), keepAt: { steps: [P], file: () => keptFile } },
    });
    disposeParams(none.params);
    // the method continues from that snapshot
    const mdir = join(dir, spec.method);
    const model = newModel();
    const run = startMitigation(parsed, model, data, OPTS, { fresh: (s) => newModel(s) });
    mkdirSync(mdir, { recursive: true });
    copyFileSync(keptFile, trainStateFile(mdir));
    await train(model, data, {
      ...OPTS,
      hooks: run,
      checkpoint: { dir: mdir, restore: (_s, at) => run.restore(undefined, at.step) },
    });
    await run.finish();
    const whole = await runWith(spec);
    assert.deepEqual(weights(model), weights(whole.model), spec.method);
    assert.equal(run.members(), whole.run.members());
    for (let j = 1; j <= run.members(); j++) {
      const a = await run.withMember(j, () => evaluate(model, data));
      const b = await whole.run.withMember(j, () => evaluate(whole.model, data));
      assert.deepEqual(a.logits, b.logits, `${spec.method} member ${j}`);
    }
    run.dispose();
    disposeParams(model.params);
    done(whole);
  }
});

test('the noise methods and best practices are reproducible from the seed and change the run', async () => {
  const plain = await runWith('none');
  for (const spec of ['weight_noise', 'input_noise', 'prior_noise', 'best_practices', 'ema', 'swa']) {
    const a = await runWith(spec);
    const b = await runWith(spec);
    assert.deepEqual(weights(a.model), weights(b.model), `${spec}: same seed, same weights`);
    assert.notDeepEqual(weights(a.model), weights(plain.model), `${spec}: differs from none`);
    done(a);
    done(b);
  }
  // best practices trains twice the epochs, with decay and warm-up
  const bp = parseMitigation('best_practices');
  const opts = mitigatedOptions(bp, data.n, OPTS);
  assert.deepEqual([opts.epochs, opts.weightDecay, opts.warmupSteps], [4, 0.01, 4]);
  assert.equal(prefixStep(bp, data.n, OPTS), 0);
  done(plain);
});
