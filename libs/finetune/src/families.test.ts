// The family registry is complete: for every row of families/index.ts, the tiny config parses, every declared head
// builds with the parameters it declares, runs a forward pass (evaluation and training mode), uses every parameter,
// learns from one gradient step, and saves and reloads to the same outputs. A new family is tested by its row.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { chooseBackend } from './backend.ts';
import { randomRows } from './testing/random-rows.ts';
import { disposeParams, initParams, loadModel, saveModel } from './checkpoint.ts';
import type { Batch } from './encoded.ts';
import { HEADS, type HeadKind } from '@prunelab/core';
import { FAMILY_NAMES, FAMILY_TABLE, familyOf, tinyConfig } from './families/index.ts';
import { bodyPrefix, bodySpecs, forward, headSpecs, hfClassName, modelParamSpecs, type HeadOutput } from './heads.ts';
import { EVAL, type ForwardContext } from './layers.ts';
import { headLoss } from './losses.ts';
import { headOfConfig, parseModelConfig, type ModelConfig } from './model-config.ts';

before(async () => {
  await chooseBackend();
});

const B = 3;
const C = 2;
const T = 7;

/** Random ids 3..vocab-1 of lengths T, T-2, T-3 (mask 1, then pads) and the labels of `head`. */
function batch(c: ModelConfig, head: HeadKind, seed: number): Batch {
  const { ids, mask } = randomRows(c, head === 'mc' ? B * C : B, T, seed);
  const shape = head === 'mc' ? [B, C, T] : [B, T];
  const label = (k: number) =>
    tf.tensor1d(
      Array.from({ length: B }, (_, i) => i % k),
      'int32',
    );
  return {
    inputs: { inputIds: tf.tensor(ids, shape, 'int32'), attentionMask: tf.tensor(mask, shape, 'int32') },
    labels: label(head === 'mc' ? C : c.num_labels),
    ...(head === 'qa'
      ? { startPositions: tf.tensor1d([1, 2, 0], 'int32'), endPositions: tf.tensor1d([3, 2, 1], 'int32') }
      : {}),
  };
}

const values = (o: HeadOutput) =>
  o.head === 'qa' ? [o.startLogits.arraySync(), o.endLogits.arraySync()] : o.logits.arraySync();
const finite = (x: unknown) => (x as number[]).flat(3).every((v) => Number.isFinite(v));

test('every row of the table is its model_type, and the app can make a folder of it', () => {
  assert.deepEqual(FAMILY_NAMES, Object.keys(FAMILY_TABLE));
  for (const name of FAMILY_NAMES) {
    const f = familyOf(name);
    assert.equal(f.modelType, name);
    assert.ok(f.heads.length > 0 && f.heads.every((h) => HEADS.includes(h)), `${name}: heads ${f.heads}`);
    // A head without an HF class is saved as a one-label seqcls head: only multiple choice is such a head.
    for (const h of f.heads) assert.ok(f.hfClass[h] || h === 'mc', `${name}: no HF class for ${h}`);
    assert.ok(f.tiny.tokenizer || f.makeFolder, `${name}: no tiny tokenizer recipe and no rule to make its folder`);
    const c = parseModelConfig(tinyConfig(name), `${name} tiny config`);
    assert.equal(c.model_type, name);
  }
});

test('an unknown model_type is an error that lists the table', () => {
  assert.throws(
    () => parseModelConfig({ model_type: 'gpt2', vocab_size: 3 }, 'x/config.json'),
    (e: Error) =>
      e.message.startsWith("x/config.json: model_type 'gpt2' is not supported") &&
      FAMILY_NAMES.every((n) => e.message.includes(`'${n}'`)),
  );
});

// The parameters each family's forward passes used, over all its heads (USE-Lite's QA does not read the pooler),
// and the heads that ran (--test-name-pattern may leave some out).
const usedBy = new Map(FAMILY_NAMES.map((n) => [n, new Set<string>()]));
const headsRun = new Map(FAMILY_NAMES.map((n) => [n, new Set<HeadKind>()]));

for (const name of FAMILY_NAMES) {
  for (const head of familyOf(name).heads) {
    test(`${name} ${head}: builds, runs, uses its head parameters, learns one step, saves and reloads`, async () => {
      const c = parseModelConfig({ ...tinyConfig(name), hidden_dropout_prob: 0.1 });
      const specs = modelParamSpecs(c, head);
      const params = initParams(c, 11, head);
      assert.deepEqual(
        [...params.keys()],
        specs.map((s) => s.name),
      );
      const prefix = bodyPrefix(c);
      assert.ok(
        specs.some((s) => s.name.startsWith(prefix + '.')),
        `${name}: nothing under the prefix '${prefix}'`,
      );
      const data = batch(c, head, 5);
      const out = forward(params, c, head, data.inputs, EVAL);
      assert.equal(out.head, head);
      if (out.head === 'qa') assert.deepEqual(out.startLogits.shape, [B, T]);
      else assert.deepEqual(out.logits.shape, [B, head === 'mc' ? C : c.num_labels]);
      assert.ok(finite(values(out)), `${name} ${head}: finite outputs`);

      // One step of plain gradient descent in training mode (seeded dropout): every head parameter gets a gradient,
      // and the evaluation loss on the same batch goes down.
      let seed = 1;
      const ctx: ForwardContext = { training: true, nextSeed: () => seed++ };
      const lossBefore = tf.tidy(() => headLoss(forward(params, c, head, data.inputs, EVAL), data).dataSync()[0]!);
      const loss = () => headLoss(forward(params, c, head, data.inputs, ctx), data);
      const { value, grads } = tf.variableGrads(loss, [...params.values()]);
      const byVariable = new Map([...params].map(([n, v]) => [v.name, n]));
      const used = new Set(Object.keys(grads).map((v) => byVariable.get(v)!));
      for (const n of used) usedBy.get(name)!.add(n);
      headsRun.get(name)!.add(head);
      const unusedHead = headSpecs(c, head)
        .filter((s) => !used.has(s.name))
        .map((s) => s.name);
      assert.deepEqual(unusedHead, [], `${name} ${head}: head parameters the forward does not use`);
      assert.ok(Number.isFinite(value.dataSync()[0]));
      for (const p of params.values()) {
        const g = grads[p.name]; // absent for a body parameter this head does not read
        if (g) p.assign(tf.tidy(() => tf.sub(p, tf.mul(g, 0.05))));
      }
      tf.dispose([value, ...Object.values(grads)]);
      const lossAfter = tf.tidy(() => headLoss(forward(params, c, head, data.inputs, EVAL), data).dataSync()[0]!);
      assert.ok(lossAfter < lossBefore, `${name} ${head}: loss ${lossBefore} -> ${lossAfter} after one step`);

      const dir = mkdtempSync(join(tmpdir(), `prunelab-family-${name}-${head}-`));
      try {
        await saveModel(dir, c, params, head);
        const loaded = loadModel(dir);
        assert.equal(loaded.head, head, `${name} ${head}: head read back from config.json (${hfClassName(c, head)})`);
        assert.equal(headOfConfig(loaded.config), head);
        assert.deepEqual(loaded.newlyInitialised, []);
        assert.deepEqual(loaded.ignored, []);
        const a = tf.tidy(() => values(forward(params, c, head, data.inputs, EVAL)));
        const b = tf.tidy(() => values(forward(loaded.params, loaded.config, head, data.inputs, EVAL)));
        assert.deepEqual(a, b);
        disposeParams(loaded.params);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      disposeParams(params);
      const { inputIds, attentionMask } = data.inputs;
      const labels = [data.labels, data.startPositions, data.endPositions].filter((t) => t !== undefined);
      tf.dispose([inputIds, attentionMask, ...labels]);
    });
  }
  test(`${name}: every body parameter is read by the forward of some head`, (t) => {
    if (headsRun.get(name)!.size < familyOf(name).heads.length) return t.skip('not every head of the family ran');
    const names = bodySpecs(parseModelConfig(tinyConfig(name))).map((s) => s.name);
    assert.deepEqual(
      names.filter((n) => !usedBy.get(name)!.has(n)),
      [],
      `${name}: body parameters no head reads`,
    );
  });
}
