// Exactness against Hugging Face, shared by the backends that run it (hf-tiny.test.ts on the default backend,
// webgpu.test.ts on WebGPU): the eight tiny checkpoints saved by transformers 4.31 (BERT, RoBERTa, OPT x
// seqcls/qa/mc), every fixture batch, and one AdamW step for each sequence classifier. Values are read with the
// asynchronous reads, the only ones a GPU backend has in Node.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { AdamW } from '../adamw.ts';
import { loadModel } from '../checkpoint.ts';
import { crossEntropy } from '../encoded.ts';
import { forward, type HeadOutput } from '../heads.ts';
import { EVAL } from '../layers.ts';
import { HF_TINY } from './shared-paths.ts';

type Ints = number[][] | number[][][];
interface Inputs {
  input_ids: Ints;
  attention_mask: Ints;
  token_type_ids?: Ints;
}
interface Batch {
  name: string;
  inputs: Inputs;
  outputs: { logits?: number[][]; start_logits?: number[][]; end_logits?: number[][] };
}

const fixtureOf = (name: string) => JSON.parse(readFileSync(join(HF_TINY, name, 'fixture.json'), 'utf8'));

function inputsOf(b: Inputs) {
  const t = (x: Ints) => tf.tensor(x, undefined, 'int32');
  return {
    inputIds: t(b.input_ids),
    attentionMask: t(b.attention_mask),
    ...(b.token_type_ids ? { tokenTypeIds: t(b.token_type_ids) } : {}),
  };
}

/** Largest |a - b| over the positions where `keep` (if given) is 1. */
function maxAbsDiff(a: number[][], b: number[][], keep?: number[][]): number {
  let worst = 0;
  a.forEach((row, i) =>
    row.forEach((v, j) => {
      if (!keep || keep[i]![j]) worst = Math.max(worst, Math.abs(v - b[i]![j]!));
    }),
  );
  return worst;
}

export const HF_TINY_MODELS = [
  'bert-seqcls',
  'bert-qa',
  'bert-mc',
  'roberta-seqcls',
  'roberta-qa',
  'roberta-mc',
  'opt-seqcls',
  'opt-qa',
];

/** The 1e-4 bound every check below holds to. */
export const HF_TINY_TOLERANCE = 1e-4;

async function scalar(t: tf.Tensor): Promise<number> {
  const v = (await t.data())[0]!;
  t.dispose();
  return v;
}

async function arrayOf(t: tf.Tensor): Promise<number[][]> {
  const v = (await t.array()) as number[][];
  t.dispose();
  return v;
}

/**
 * Register the hf-tiny checks on the backend already chosen. `skip`: the reason they cannot run here (reported as
 * skipped with it, never silently); `label` names the backend in the test names.
 */
export function hfTinySuite(opts: { label?: string; skip?: string } = {}): void {
  const on = opts.label ? ` on ${opts.label}` : '';
  const skip = opts.skip ? { skip: opts.skip } : {};
  describe(`every hf-tiny checkpoint matches Hugging Face on every fixture batch (1e-4)${on}`, () => {
    for (const name of HF_TINY_MODELS) {
      test(name, skip, async (t) => {
        const model = loadModel(join(HF_TINY, name));
        assert.equal(model.head, name.split('-')[1]);
        assert.deepEqual(model.newlyInitialised, []);
        let worst = 0;
        for (const b of fixtureOf(name).batches as Batch[]) {
          const inputs = inputsOf(b.inputs);
          const out: HeadOutput = tf.tidy(() => forward(model.params, model.config, model.head, inputs, EVAL));
          tf.dispose(Object.values(inputs));
          const got =
            out.head === 'qa'
              ? { start: await arrayOf(out.startLogits), end: await arrayOf(out.endLogits) }
              : { logits: await arrayOf(out.logits) };
          // OPT at a left-pad query position: every key is masked; HF's values there are implementation noise.
          const keep = name === 'opt-qa' ? (b.inputs.attention_mask as number[][]) : undefined;
          const diff = got.logits
            ? maxAbsDiff(got.logits, b.outputs.logits!)
            : Math.max(
                maxAbsDiff(got.start!, b.outputs.start_logits!, keep),
                maxAbsDiff(got.end!, b.outputs.end_logits!, keep),
              );
          assert.ok(diff < HF_TINY_TOLERANCE, `${name} ${b.name}: max |diff| ${diff}`);
          worst = Math.max(worst, diff);
        }
        for (const p of model.params.values()) p.dispose();
        t.diagnostic(`${name}: worst |diff| over all batches ${worst.toExponential(2)}`);
      });
    }
  });

  describe(`one AdamW step of each sequence classifier matches Hugging Face (1e-4)${on}`, () => {
    for (const name of ['bert-seqcls', 'roberta-seqcls', 'opt-seqcls']) {
      test(name, skip, async (t) => {
        const ts = fixtureOf(name).train_step;
        const model = loadModel(join(HF_TINY, name));
        const inputs = inputsOf(ts.inputs);
        const labels = tf.tensor1d(ts.labels, 'int32');
        const ctx = { training: true, nextSeed: () => 0 }; // every dropout is 0 in these configs
        const logits = () => {
          const out = forward(model.params, model.config, 'seqcls', inputs, ctx);
          if (out.head === 'qa') throw new Error('unreachable');
          return out.logits;
        };
        const { value, grads } = tf.variableGrads(() => crossEntropy(logits(), labels));
        const before = await scalar(value);
        assert.ok(Math.abs(before - ts.loss_before) < HF_TINY_TOLERANCE, `loss before ${before} vs ${ts.loss_before}`);
        // The fixture's AdamW decays every parameter (torch.optim.AdamW over all of model.parameters()).
        const opt = new AdamW(model.params, {
          lr: ts.optimizer.lr,
          betas: ts.optimizer.betas,
          eps: ts.optimizer.eps,
          weightDecay: ts.optimizer.weight_decay,
        });
        const norm = await opt.apply(grads);
        assert.ok(Math.abs(norm - ts.grad_global_l2_norm) < 1e-3, `grad norm ${norm} vs ${ts.grad_global_l2_norm}`);
        const after = await scalar(tf.tidy(() => crossEntropy(logits(), labels)));
        assert.ok(Math.abs(after - ts.loss_after) < HF_TINY_TOLERANCE, `loss after ${after} vs ${ts.loss_after}`);
        const diff = maxAbsDiff(await arrayOf(tf.tidy(() => logits())), ts.logits_after);
        assert.ok(diff < HF_TINY_TOLERANCE, `logits after: max |diff| ${diff}`);
        t.diagnostic(
          `${name}: loss after ${after} (HF ${ts.loss_after}), logits after max |diff| ${diff.toExponential(2)}, grad ` +
            `norm ${norm.toFixed(6)} (HF ${ts.grad_global_l2_norm.toFixed(6)})`,
        );
        opt.dispose();
        tf.dispose([labels, ...Object.values(grads), ...Object.values(inputs)]);
        for (const p of model.params.values()) p.dispose();
      });
    }
  });
}
