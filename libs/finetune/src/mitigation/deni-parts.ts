// The two halves of DENI (Pecher et al. 2024), shared by deni, noisy_interpolation and delayed_ensemble.
//   Noisy interpolation: from `start` to `end` of training, every `every` of it, k noisy copies of the window-start
//   model (noise std sqrt(scale / i) * std(p) at the i-th interpolation, i = 1, 2, ...) train the window's steps
//   beside the main model (fresh optimizers, the main run's batches); then the k + 1 models are averaged uniformly
//   into the main one (which keeps its optimizer state).
//   Delayed ensemble: at `at`, k noisy copies (std sqrt(scale) * std(p)) of the main model train to the end; the
//   k + 1 models vote.
// Noise goes on the classifier head under full fine-tuning, on every trainable parameter under PEFT (noiseNames).
import type { CallerState } from '../train-state.ts';
import { Members, trainSteps } from './copies.ts';
import { stepAt, type MitigationEnv } from './method.ts';
import {
  addNoise,
  assignValues,
  averageValues,
  copyValues,
  disposeValues,
  gaussian,
  noiseNames,
  valuesFromArrays,
  valuesToArrays,
  type Values,
} from './weights.ts';

/** Seeds of the method's own streams: one per (part, index, copy), never the data order's. */
const streamSeed = (env: MitigationEnv, part: number, i: number, j: number) =>
  (env.noiseSeed * 1_000_003 + part * 7_919 + i * 104_729 + j * 15_485_863) >>> 0;

export interface InterpolationOptions {
  copies: number;
  start: number;
  end: number;
  every: number;
  scale: number;
}

/** The windows [from, to) of noisy interpolation, in steps; each at least one step long. */
export function interpolationWindows(o: InterpolationOptions, totalSteps: number): { from: number; to: number }[] {
  const len = Math.max(1, stepAt(o.every, totalSteps));
  const out: { from: number; to: number }[] = [];
  for (let from = stepAt(o.start, totalSteps); from + len <= stepAt(o.end, totalSteps); from += len)
    out.push({ from, to: from + len });
  return out;
}

export class Interpolation {
  private windows: { from: number; to: number }[];
  /** the current window's start weights (undefined outside windows) */
  private started?: Values;
  private steps = 0;
  constructor(
    private env: MitigationEnv,
    private o: InterpolationOptions,
  ) {
    this.windows = interpolationWindows(o, env.totalSteps);
    if (this.windows[0]?.from === 0) this.capture();
  }

  get extraSteps(): number {
    return this.steps;
  }

  /** extra model-steps of the whole run */
  static cost(o: InterpolationOptions, totalSteps: number): number {
    return interpolationWindows(o, totalSteps).reduce((a, w) => a + o.copies * (w.to - w.from), 0);
  }

  async afterStep(done: number): Promise<void> {
    const i = this.windows.findIndex((w) => w.to === done);
    if (i >= 0) await this.interpolate(i);
    // a window starts here (back to back: from the average just made)
    if (this.windows.some((w) => w.from === done)) this.capture();
    else if (i >= 0) this.drop();
  }

  private async interpolate(i: number): Promise<void> {
    const w = this.windows[i]!;
    const start = this.started;
    if (!start) throw new Error(`internal: noisy interpolation window ${i + 1} has no start weights`);
    const sets: Values[] = [copyValues(this.env.model)];
    try {
      for (let j = 1; j <= this.o.copies; j++) {
        assignValues(this.env.model, start);
        const draw = gaussian(streamSeed(this.env, 1, i, j));
        addNoise(this.env.model, noiseNames(this.env.model), Math.sqrt(this.o.scale / (i + 1)), draw);
        this.steps += await trainSteps(this.env, w.from, w.to, streamSeed(this.env, 2, i, j));
        sets.push(copyValues(this.env.model));
      }
      const avg = averageValues(sets);
      assignValues(this.env.model, avg);
      disposeValues(avg);
    } finally {
      sets.forEach(disposeValues);
    }
  }

  private capture(): void {
    this.drop();
    this.started = copyValues(this.env.model);
  }

  private drop(): void {
    disposeValues(this.started);
    this.started = undefined;
  }

  /** inside a window the snapshot carries the window's start */
  save(out: CallerState): void {
    const arrays = (out.arrays ??= new Map());
    if (this.started) valuesToArrays('interpolation-start', this.started, arrays);
    out.json = { ...(out.json as object), interpolationSteps: this.steps };
  }

  restore(s: CallerState | undefined, step: number): void {
    this.drop();
    this.steps = (s?.json as { interpolationSteps?: number } | undefined)?.interpolationSteps ?? 0;
    this.started = valuesFromArrays('interpolation-start', s?.arrays);
    // from the default run's snapshot at a window start: the window's copies start from it
    if (!this.started && this.windows.some((w) => w.from === step)) this.capture();
  }

  dispose(): void {
    this.drop();
  }
}

export interface DelayedOptions {
  copies: number;
  at: number;
  scale: number;
}

export class DelayedEnsemble {
  private atStep: number;
  private start?: Values;
  private members: Members;
  private steps = 0;
  constructor(
    private env: MitigationEnv,
    private o: DelayedOptions,
  ) {
    this.atStep = stepAt(o.at, env.totalSteps);
    this.members = new Members(env, 'delayed');
    if (this.atStep === 0) this.start = copyValues(env.model);
  }

  static cost(o: DelayedOptions, totalSteps: number): number {
    return o.copies * (totalSteps - stepAt(o.at, totalSteps));
  }

  get extraSteps(): number {
    return this.steps;
  }

  get count(): number {
    return this.members.count;
  }

  with<T>(j: number, fn: () => Promise<T>): Promise<T> {
    return this.members.with(j, fn);
  }

  afterStep(done: number): void {
    if (done === this.atStep) {
      disposeValues(this.start);
      this.start = copyValues(this.env.model);
    }
  }

  async finish(): Promise<void> {
    if (this.members.count === this.o.copies) return;
    const start = this.start;
    if (!start) throw new Error('internal: the delayed ensemble has no start weights (training did not reach it)');
    const main = copyValues(this.env.model);
    try {
      for (let j = 1; j <= this.o.copies; j++) {
        if (this.members.load(j)) {
          this.steps += this.env.totalSteps - this.atStep;
          continue;
        }
        assignValues(this.env.model, start);
        addNoise(
          this.env.model,
          noiseNames(this.env.model),
          Math.sqrt(this.o.scale),
          gaussian(streamSeed(this.env, 3, 0, j)),
        );
        this.steps += await trainSteps(this.env, this.atStep, this.env.totalSteps, streamSeed(this.env, 4, 0, j));
        this.members.add();
      }
    } finally {
      assignValues(this.env.model, main);
      disposeValues(main);
    }
  }

  save(out: CallerState): void {
    const arrays = (out.arrays ??= new Map());
    if (this.start) valuesToArrays('delayed-start', this.start, arrays);
  }

  restore(s: CallerState | undefined, step: number): void {
    disposeValues(this.start);
    this.start = valuesFromArrays('delayed-start', s?.arrays);
    if (!this.start && step === this.atStep) this.start = copyValues(this.env.model);
  }

  dispose(): void {
    disposeValues(this.start);
    this.members.dispose();
  }
}
