// The fine-tuning loop for every architecture and head. Each forward pass hands the logits it computed (in
// training mode) to `onBatch`, so training dynamics are recorded with no extra forward pass, as the paper does.
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { AdamW, hfNoDecay, linearSchedule } from './adamw.ts';
import { kindOfSet, permutation, rowCorrect, rowsPerExample, type EncodedSet } from '@prunelab/core';
import { batchTensors, disposeBatch } from './encoded.ts';
import { forward, type HeadOutput } from './heads.ts';
import type { ForwardContext } from './layers.ts';
import { headLoss } from './losses.ts';
import type { HeadKind, ModelConfig } from './model-config.ts';
import type { Params } from './params.ts';
import { activeHooks, trainableNames, type PeftState } from './peft/attach.ts';
import { loadTrainState, saveTrainState, type CallerState } from './train-state.ts';

/** A model in memory. `head` defaults to sequence classification. */
export interface Model {
  config: ModelConfig;
  params: Params;
  head?: HeadKind;
  /** A PEFT method on the model (peft/attach.ts): only its parameters and the head train. */
  peft?: PeftState;
}

/** The variables that train: every parameter, or under PEFT the added ones and the head. Frozen parameters are not
 * handed to tf.variableGrads, so no weight gradient is computed for them and AdamW keeps no state for them. */
export function trainableVars(model: Model): tf.Variable[] {
  return trainableNames(model).map((n) => model.params.get(n)!);
}

export interface TrainOptions {
  epochs: number;
  /** Examples per forward pass (HF's per_device_train_batch_size). */
  batchSize: number;
  /** Forward passes whose gradients are summed into one optimizer step (HF's gradient_accumulation_steps);
   * each pass's loss is weighted by its share of the step's examples, so a step equals one big batch. Default 1. */
  gradientAccumulationSteps?: number;
  lr: number;
  warmupSteps?: number;
  weightDecay?: number;
  /** Which parameters get no weight decay; default HF Trainer's (biases and LayerNorm weights). */
  noDecay?: (name: string) => boolean;
  maxGradNorm?: number;
  seed: number;
  /** Called after every forward pass with the rows of `data` in it and the logits it computed. */
  onBatch?: (b: BatchReport) => void;
  /** Also hand onBatch each pass's input of the classifier's last linear layer (BatchReport.features; seqcls and
   * mc heads). Off: nothing extra is computed or downloaded. */
  features?: boolean;
  /** Called after every epoch; awaited, so it can evaluate or write records (before that epoch's checkpoint). */
  onEpochEnd?: (e: EpochSummary) => void | Promise<void>;
  /** Make the run resumable: see TrainCheckpoint. */
  checkpoint?: TrainCheckpoint;
  /** A mitigation's hooks into the loop (mitigation/): they change nothing when absent. */
  hooks?: LoopHooks;
}

/** What a mitigation (mitigation/) changes in the loop. Every hook is optional. */
export interface LoopHooks {
  /** the parameters a training forward pass reads, made inside the gradient tape from the variables (mixout) */
  params?: (p: Params) => Params;
  /** the body's output in training passes (input noise) */
  encoderOutput?: (x: tf.Tensor) => tf.Tensor;
  /** after optimizer step `done` (1-based count of steps taken); awaited before the next step or snapshot */
  afterStep?: (done: number) => void | Promise<void>;
}

/**
 * Snapshots of a run in `dir` (one file, trainStateFile(dir), replaced atomically): after every epoch (once
 * onEpochEnd has returned) and every `everySteps` optimizer steps. When the file exists at the start, train()
 * continues from it: parameters, AdamW moments and step, epoch and position in its data order, the dropout seed
 * counter and the epoch's running loss and accuracy, so the rest of the run is bit for bit the uninterrupted one.
 * The caller's own side (records of the half-done epoch, rows written so far) travels in the same snapshot through
 * save/restore. The file is left in place when train() returns; the caller removes it once its job is finished.
 */
export interface TrainCheckpoint {
  dir: string;
  /** also snapshot every this many optimizer steps; 0 or undefined: at epoch ends only */
  everySteps?: number;
  /** the caller's state at this point, saved in the same snapshot */
  save?: () => CallerState;
  /** called once when resuming, before any training, with what save returned then */
  restore?: (s: CallerState, at: ResumePoint) => void | Promise<void>;
  /** called after each snapshot is on disk */
  onSaved?: (at: ResumePoint) => void;
  /** also keep a snapshot, under its own file name, after each of these optimizer steps (a later run that shares
   * this one's first steps starts from it: mitigation prefixes). Written after the step's afterStep hook. */
  keepAt?: { steps: number[]; file: (step: number) => string };
}

/** Where a snapshot stands: `epoch` (0-based) and `position` optimizer steps into it; `step` over the whole run. */
export interface ResumePoint {
  epoch: number;
  position: number;
  step: number;
}

/** What the loop keeps in a snapshot besides tensors; `run` guards against resuming different settings. */
interface LoopState extends ResumePoint {
  dropoutSeed: number;
  lossSum: number;
  correct: number;
  /** training time of the epoch so far */
  seconds: number;
  run: string;
}

export const trainStateFile = (dir: string): string => join(dir, 'train-state.safetensors');

/**
 * The rows of every optimizer step of a run: `rowsOf(step)` (0-based over the whole run) is the slice of that
 * epoch's seeded order the loop trains on. A mitigation that trains copies of the model uses it to give them the
 * main model's batches.
 */
export function stepOrder(n: number, perStep: number, seed: number) {
  const stepsPerEpoch = Math.ceil(n / perStep);
  let cached: { epoch: number; order: Int32Array } | undefined;
  const orderOf = (epoch: number) => {
    if (cached?.epoch !== epoch) cached = { epoch, order: permutation(n, seed * 7919 + epoch) };
    return cached.order;
  };
  return {
    stepsPerEpoch,
    orderOf,
    rowsOf(step: number): Int32Array {
      const epoch = Math.floor(step / stepsPerEpoch);
      const s = step - epoch * stepsPerEpoch;
      return orderOf(epoch).subarray(s * perStep, Math.min(n, (s + 1) * perStep));
    },
  };
}

/**
 * What one forward pass computed. seqcls: logits [rows, numClasses]; mc: scores [rows, numChoices] (numClasses =
 * numChoices); qa: logits [rows, 2, seqLength] (start then end logits of each row, numClasses = seqLength), also
 * given apart as startLogits/endLogits [rows, seqLength].
 */
export interface BatchReport {
  epoch: number;
  /** Optimizer step this pass belongs to (0-based, over the whole run). */
  step: number;
  rows: Int32Array;
  logits: Float32Array;
  numClasses: number;
  /** This pass's mean loss. */
  loss: number;
  startLogits?: Float32Array;
  endLogits?: Float32Array;
  seqLength?: number;
  /**
   * With TrainOptions.features (seqcls and mc heads): the input h of the classifier's last linear layer in this
   * pass, row-major [rows, featureDim] (mc: one row per choice, [rows * numClasses, featureDim]); featureBias:
   * whether that layer has a bias (OPT's `score` has none). Dropout is applied as the layer saw it, so the
   * layer's weight gradient of row i is h_i^T (p_i - y_i).
   */
  features?: Float32Array;
  featureDim?: number;
  featureBias?: boolean;
}

export interface EpochSummary {
  epoch: number;
  loss: number;
  trainAccuracy: number;
  seconds: number;
  examplesPerSecond: number;
  steps: number;
}

/** Logits of a head output as one flat array, in the layout BatchReport describes. */
export async function outputData(
  out: HeadOutput,
): Promise<{ logits: Float32Array; numClasses: number; start?: Float32Array; end?: Float32Array }> {
  if (out.head !== 'qa') return { logits: (await out.logits.data()) as Float32Array, numClasses: out.logits.shape[1] };
  const [B, T] = out.startLogits.shape;
  const start = (await out.startLogits.data()) as Float32Array;
  const end = (await out.endLogits.data()) as Float32Array;
  const logits = new Float32Array(B * 2 * T);
  for (let i = 0; i < B; i++) {
    logits.set(start.subarray(i * T, (i + 1) * T), i * 2 * T);
    logits.set(end.subarray(i * T, (i + 1) * T), (i * 2 + 1) * T);
  }
  return { logits, numClasses: T, start, end };
}

/** Whether row i of a batch's output is right: the rule of @prunelab/core for the kind the encoded set trains as
 * (class or choice, both QA positions, or a regression prediction within REGRESSION_TOLERANCE). */
export function isCorrect(logits: Float32Array, numClasses: number, i: number, data: EncodedSet, row: number): boolean {
  return rowCorrect(kindOfSet(data), logits, numClasses, i, data, row);
}

function checkData(model: Model, data: EncodedSet): HeadKind {
  const head = model.head ?? 'seqcls';
  if (head === 'mc' && !data.numChoices)
    throw new Error('a multiple-choice model needs an encoded set with numChoices');
  if (head !== 'mc' && data.numChoices)
    throw new Error(
      `the encoded set has numChoices ${data.numChoices}, but the model's head is ${head}; load it with head 'mc'`,
    );
  if (head === 'qa' && (!data.startPositions || !data.endPositions))
    throw new Error('a question-answering model needs startPositions and endPositions in the encoded set');
  if (head === 'seqcls' && model.config.num_labels === 1 && data.targets?.length !== data.n) {
    throw new Error(
      `a model with num_labels 1 regresses (HF problem_type "regression"): the encoded set needs targets, one float ` +
        `per example (${data.n})`,
    );
  }
  const rows = data.n * rowsPerExample(data) * data.maxLength;
  if (data.inputIds.length !== rows || data.attentionMask.length !== rows || data.tokenTypeIds.length !== rows) {
    throw new Error(
      `the encoded set's arrays do not hold n (${data.n}) x ${rowsPerExample(data)} x maxLength (${data.maxLength}) ` +
        `ids`,
    );
  }
  return head;
}

/** The run's AdamW (a mitigation's copies get a fresh one of the same settings). */
export function makeOptimizer(model: Model, opts: TrainOptions): AdamW {
  return new AdamW(model.params, {
    lr: opts.lr,
    weightDecay: opts.weightDecay ?? 0,
    noDecay: opts.noDecay ?? hfNoDecay,
    maxGradNorm: opts.maxGradNorm ?? 1.0,
  });
}

/** The learning rate of every step of a run, and its length. */
export function runSchedule(n: number, opts: TrainOptions) {
  const perStep = opts.batchSize * Math.max(1, Math.floor(opts.gradientAccumulationSteps ?? 1));
  const stepsPerEpoch = Math.ceil(n / perStep);
  const totalSteps = stepsPerEpoch * opts.epochs;
  return { perStep, stepsPerEpoch, totalSteps, lrAt: linearSchedule(opts.lr, totalSteps, opts.warmupSteps ?? 0) };
}

/** Fine-tune `model` on `data`. Returns the summaries of the epochs this call trained (a resumed run: the rest). */
export async function train(model: Model, data: EncodedSet, opts: TrainOptions): Promise<EpochSummary[]> {
  if (data.n === 0) throw new Error('cannot train on an empty training set');
  checkData(model, data);
  const { perStep, stepsPerEpoch, lrAt: schedule } = runSchedule(data.n, opts);
  const steps = stepOrder(data.n, perStep, opts.seed);
  const optimizer = makeOptimizer(model, opts);
  const ck = opts.checkpoint;
  const run = JSON.stringify({
    n: data.n,
    epochs: opts.epochs,
    perStep,
    batch: opts.batchSize,
    lr: opts.lr,
    warmup: opts.warmupSteps ?? 0,
    wd: opts.weightDecay ?? 0,
    clip: opts.maxGradNorm ?? 1.0,
    seed: opts.seed,
  });
  // the loop's whole state: a snapshot of it (plus tensors) is a point the run can continue from
  const st: LoopState = {
    epoch: 0,
    position: 0,
    step: 0,
    dropoutSeed: opts.seed * 1_000_003,
    lossSum: 0,
    correct: 0,
    seconds: 0,
    run,
  };
  // same seed, same masks
  const hooks = opts.hooks;
  const ctx: ForwardContext = {
    training: true,
    nextSeed: () => st.dropoutSeed++,
    peft: activeHooks(model),
    ...(hooks?.encoderOutput && { encoderOutput: hooks.encoderOutput }),
  };
  const vars = trainableVars(model);
  const summaries: EpochSummary[] = [];
  let start = performance.now();
  const snapshot = async (at: Partial<LoopState> = {}) => {
    const loop = { ...st, step: optimizer.step, seconds: st.seconds + (performance.now() - start) / 1000, ...at };
    const caller = ck!.save?.();
    await saveTrainState(trainStateFile(ck!.dir), model.params, optimizer, loop, caller);
    // a kept step's snapshot is the same state under its own name (an epoch's last step: once the epoch is written)
    if (ck!.keepAt?.steps.includes(loop.step))
      await saveTrainState(ck!.keepAt.file(loop.step), model.params, optimizer, loop, caller);
    ck!.onSaved?.({ epoch: loop.epoch, position: loop.position, step: loop.step });
  };
  try {
    const resumed = ck && loadTrainState<LoopState>(trainStateFile(ck.dir), model.params, optimizer);
    if (resumed) {
      if (resumed.loop.run !== run) {
        const file = trainStateFile(ck.dir);
        const was = resumed.loop.run;
        throw new Error(`${file}: saved by a run with other settings (${was}, now ${run}); delete it to start over`);
      }
      Object.assign(st, resumed.loop);
      await ck.restore?.(resumed.caller, { epoch: st.epoch, position: st.position, step: optimizer.step });
    }
    for (; st.epoch < opts.epochs; st.epoch++, st.position = 0, st.lossSum = 0, st.correct = 0, st.seconds = 0) {
      start = performance.now();
      const epoch = st.epoch;
      const order = steps.orderOf(epoch);
      while (st.position < stepsPerEpoch) {
        const s = st.position;
        const stepRows = order.subarray(s * perStep, Math.min(data.n, (s + 1) * perStep));
        const onPass = (pass: PassReport) => {
          st.lossSum += pass.loss * pass.rows.length;
          for (let i = 0; i < pass.rows.length; i++) {
            if (isCorrect(pass.logits, pass.numClasses, i, data, pass.rows[i]!)) st.correct++;
          }
          opts.onBatch?.({ epoch, step: optimizer.step, ...pass });
        };
        const grads = await stepGradients(model, data, stepRows, opts.batchSize, ctx, vars, onPass, {
          features: opts.features === true,
          ...(hooks?.params && { params: hooks.params }),
        });
        await optimizer.apply(grads, schedule(optimizer.step));
        tf.dispose(Object.values(grads));
        st.position++;
        await hooks?.afterStep?.(optimizer.step);
        const kept = ck?.keepAt?.steps.includes(optimizer.step);
        const every = ck?.everySteps && optimizer.step % ck.everySteps === 0;
        if ((kept || every) && st.position < stepsPerEpoch) await snapshot();
      }
      const seconds = st.seconds + (performance.now() - start) / 1000;
      const summary = {
        epoch,
        loss: st.lossSum / data.n,
        trainAccuracy: st.correct / data.n,
        seconds,
        examplesPerSecond: data.n / seconds,
        steps: stepsPerEpoch,
      };
      summaries.push(summary);
      await opts.onEpochEnd?.(summary);
      // the epoch-end snapshot stands at the start of the next epoch, after the caller's epoch-end writes
      if (ck) await snapshot({ epoch: epoch + 1, position: 0, lossSum: 0, correct: 0, seconds: 0 });
    }
  } finally {
    optimizer.dispose();
  }
  return summaries;
}

export type PassReport = Omit<BatchReport, 'epoch' | 'step'>;

/**
 * The gradient of one optimizer step over `stepRows`, run as forward/backward passes of at most `batchSize` rows
 * whose gradients are summed. Each pass's mean loss is weighted by its share of the rows, so the sum is the
 * gradient of the mean loss over all of them: the same as one big batch, up to rounding. `onPass` gets each
 * pass's rows, logits and loss. Returns gradients keyed by variable name (the caller disposes them).
 */
export async function stepGradients(
  model: Model,
  data: EncodedSet,
  stepRows: Int32Array,
  batchSize: number,
  ctx: ForwardContext,
  vars: tf.Variable[] = trainableVars(model),
  onPass?: (p: PassReport) => void,
  opts: { features?: boolean; params?: (p: Params) => Params } = {},
): Promise<Record<string, tf.Tensor>> {
  const head = model.head ?? 'seqcls';
  let sum: Record<string, tf.Tensor> | undefined;
  for (let m = 0; m * batchSize < stepRows.length; m++) {
    const rows = stepRows.subarray(m * batchSize, (m + 1) * batchSize);
    const batch = batchTensors(data, rows, head !== 'qa');
    let out: HeadOutput | undefined;
    let loss: tf.Scalar | undefined;
    let h: tf.Tensor2D | undefined;
    let hBias = false;
    // the scorer hands its last layer's input to this hook only when asked (QA heads have no scorer: nothing)
    const base: ForwardContext = ctx.peft || !model.peft ? ctx : { ...ctx, peft: activeHooks(model) };
    const passCtx: ForwardContext =
      opts.features && head !== 'qa'
        ? {
            ...base,
            features: (x, bias) => {
              h?.dispose();
              h = tf.keep(x);
              hBias = bias;
            },
          }
        : base;
    const weight = rows.length / stepRows.length;
    const { value, grads } = tf.variableGrads(() => {
      out = forward(opts.params ? opts.params(model.params) : model.params, model.config, head, batch.inputs, passCtx);
      tf.keep(out.head === 'qa' ? out.startLogits : out.logits);
      if (out.head === 'qa') tf.keep(out.endLogits);
      loss = tf.keep(headLoss(out, batch));
      return tf.mul(loss, weight) as tf.Scalar;
    }, vars);
    sum = addGrads(sum, grads);
    const o = await outputData(out!);
    const l = (await loss!.data())[0]!;
    const kept = h as tf.Tensor2D | undefined; // assigned in the hook: TypeScript cannot see it
    const features = kept && ((await kept.data()) as Float32Array);
    onPass?.({
      rows,
      logits: o.logits,
      numClasses: o.numClasses,
      loss: l,
      ...(o.start ? { startLogits: o.start, endLogits: o.end, seqLength: o.numClasses } : {}),
      ...(kept ? { features, featureDim: kept.shape[1], featureBias: hBias } : {}),
    });
    tf.dispose([value, loss!, ...(out!.head === 'qa' ? [out!.startLogits, out!.endLogits] : [out!.logits])]);
    kept?.dispose();
    disposeBatch(batch);
  }
  return sum!;
}

/** Sum gradients keyed by variable name; the inputs are consumed. */
function addGrads(
  sum: Record<string, tf.Tensor> | undefined,
  grads: Record<string, tf.Tensor>,
): Record<string, tf.Tensor> {
  if (!sum) return grads;
  for (const [name, g] of Object.entries(grads)) {
    const prev = sum[name];
    sum[name] = prev ? tf.add(prev, g) : g;
    if (prev) {
      prev.dispose();
      g.dispose();
    }
  }
  return sum;
}
