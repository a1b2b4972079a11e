// A mitigation of seed instability (Pecher et al. 2024 compare ten): something a training run does besides plain
// fine-tuning - average its weights, add noise, train copies and vote. One file per method in methods/, one row in
// index.ts. A method sees the run through MitigationEnv and acts through the loop's hooks (train.ts LoopHooks),
// after training (finish), and as voting members; everything it keeps travels in the job's snapshot.
import type { EncodedSet } from '@prunelab/core';
import type { CallerState } from '../train-state.ts';
import type { LoopHooks, Model, TrainOptions } from '../train.ts';

/** A method's options: numbers only (fractions of training, sizes, noise scales). */
export type MitigationOptions = Record<string, number>;

export interface OptionSpec {
  default: number;
  min?: number;
  max?: number;
  int?: boolean;
  doc: string;
}

/** A method and its options with every default filled in (what enters a job's key). */
export interface MitigationSpec {
  method: string;
  options: MitigationOptions;
}

/** The run a mitigation works on. */
export interface MitigationEnv {
  model: Model;
  data: EncodedSet;
  /** the main run's settings (after the method's own changes) */
  train: TrainOptions;
  totalSteps: number;
  /** the rows of global step s, exactly as the main loop trains them */
  rowsOf(step: number): Int32Array;
  /** the learning rate of global step s */
  lrAt(step: number): number;
  /** the seed of the method's own random stream (noise, masks, copies' dropout): never the data order's */
  noiseSeed: number;
  /** a freshly initialised model of another seed (head and PEFT parameters seeded by it): ensemble members */
  fresh(seed: number): Model;
  /** a folder for files the method keeps (members' weights), so a resumed job does not retrain them */
  dir?: string;
}

/** A mitigation at work on one run. */
export interface MitigationRun extends LoopHooks {
  /**
   * The run continues from a snapshot at global step `step`: `state` is what save() gave then, or undefined when the
   * snapshot is the default run's (a prefix this run shares with it).
   */
  restore(state: CallerState | undefined, step: number): void;
  save(): CallerState;
  /** once training is over: swap in averaged weights, train the voting members */
  finish(): Promise<void>;
  /** how many models vote besides the main one (0: the main model alone predicts) */
  members(): number;
  /** run `fn` with member j's weights in the model (j = 0: the main model), then put the main weights back */
  withMember<T>(j: number, fn: () => Promise<T>): Promise<T>;
  /** optimizer steps of models other than the main one, so far */
  extraSteps(): number;
  dispose(): void;
}

export interface MitigationMethod {
  name: string;
  doc: string;
  options: Record<string, OptionSpec>;
  /** its prediction is a vote of several models (classification and multiple choice only) */
  votes?: boolean;
  /** training settings it changes (best practices) */
  settings?(t: TrainSettings, o: MitigationOptions, stepsPerEpoch: number): TrainSettings;
  /** the share of training (0..1) during which its main model trains exactly like the default run's: a job may
   * start from that run's snapshot at stepAt(prefix) instead of training those steps again; 0: none */
  prefix(o: MitigationOptions): number;
  /** model-steps (one model, one optimizer step = 1) of a run whose main model takes `totalSteps` steps */
  cost(totalSteps: number, o: MitigationOptions): number;
  create(env: MitigationEnv, o: MitigationOptions): MitigationRun;
}

/** The training settings a method may change. */
export interface TrainSettings {
  epochs: number;
  lr: number;
  warmupSteps: number;
  weightDecay: number;
}

/** The step a fraction of training falls on (every method rounds the same way). */
export const stepAt = (fraction: number, totalSteps: number): number => Math.round(fraction * totalSteps);

/** The options of a spec checked against the method's, defaults filled; errors say which key and the range. */
export function fillOptions(
  m: MitigationMethod,
  given: Record<string, unknown> = {},
  where = 'mitigation',
): MitigationOptions {
  const out: MitigationOptions = {};
  for (const k of Object.keys(given)) {
    if (!(k in m.options)) {
      const known = Object.keys(m.options);
      throw new Error(
        `${where}: '${k}' is not an option of ${m.name} (${known.length ? `its options: ${known.join(', ')}` : 'it has none'})`,
      );
    }
  }
  for (const [k, spec] of Object.entries(m.options)) {
    const v = given[k] ?? spec.default;
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new Error(`${where}: ${m.name}.${k} must be a number (${spec.doc}); got ${JSON.stringify(v)}`);
    if (spec.int && !Number.isInteger(v)) throw new Error(`${where}: ${m.name}.${k} must be a whole number; got ${v}`);
    if ((spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max))
      throw new Error(`${where}: ${m.name}.${k} must be in [${spec.min ?? '-inf'}, ${spec.max ?? 'inf'}]; got ${v}`);
    out[k] = v;
  }
  return out;
}

/** A run that changes nothing after training and has no members: the base of the single-model methods. */
export function singleModel(over: Partial<MitigationRun> = {}): MitigationRun {
  return {
    restore: () => {},
    save: () => ({}),
    finish: async () => {},
    members: () => 0,
    withMember: (_j, fn) => fn(),
    extraSteps: () => 0,
    dispose: () => {},
    ...over,
  };
}
