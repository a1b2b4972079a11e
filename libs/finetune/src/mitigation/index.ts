// The mitigation table: one row per method (methods/), looked up by name. Adding a method is a file and a row.
import type { EncodedSet } from '@prunelab/core';
import { runSchedule, stepOrder, type Model, type TrainOptions } from '../train.ts';
import {
  fillOptions,
  type MitigationEnv,
  type MitigationMethod,
  type MitigationRun,
  type MitigationSpec,
} from './method.ts';
import { bestPractices } from './methods/best-practices.ts';
import { deni } from './methods/deni.ts';
import { delayedEnsemble } from './methods/delayed-ensemble.ts';
import { ema } from './methods/ema.ts';
import { ensemble } from './methods/ensemble.ts';
import { inputNoise } from './methods/input-noise.ts';
import { mixout } from './methods/mixout.ts';
import { noisyInterpolation } from './methods/noisy-interpolation.ts';
import { none } from './methods/none.ts';
import { priorNoise } from './methods/prior-noise.ts';
import { swa } from './methods/swa.ts';
import { weightNoise } from './methods/weight-noise.ts';

export const MITIGATIONS: readonly MitigationMethod[] = [
  none,
  ensemble,
  swa,
  ema,
  mixout,
  weightNoise,
  inputNoise,
  priorNoise,
  bestPractices,
  deni,
  delayedEnsemble,
  noisyInterpolation,
];

export const MITIGATION_NAMES: readonly string[] = MITIGATIONS.map((m) => m.name);

export function mitigationMethod(name: string, where = 'mitigation'): MitigationMethod {
  const m = MITIGATIONS.find((x) => x.name === name);
  if (!m) throw new Error(`${where}: unknown mitigation '${name}'; known: ${MITIGATION_NAMES.join(', ')}`);
  return m;
}

/** A config entry - a name, or {method, ...options} - as a spec with every option filled in. */
export function parseMitigation(x: unknown, where = 'mitigation'): MitigationSpec {
  if (typeof x === 'string') return { method: x, options: fillOptions(mitigationMethod(x, where), {}, where) };
  if (x && typeof x === 'object' && !Array.isArray(x)) {
    const { method, ...rest } = x as Record<string, unknown>;
    if (typeof method !== 'string')
      throw new Error(`${where}: a mitigation mapping needs 'method' (one of ${MITIGATION_NAMES.join(', ')})`);
    return { method, options: fillOptions(mitigationMethod(method, where), rest, where) };
  }
  throw new Error(`${where}: a mitigation is a name (${MITIGATION_NAMES.join(', ')}) or {method: ..., options}`);
}

/** The training options a method runs with (best practices changes some). */
export function mitigatedOptions(spec: MitigationSpec, n: number, opts: TrainOptions): TrainOptions {
  const m = mitigationMethod(spec.method);
  if (!m.settings) return opts;
  const { stepsPerEpoch } = runSchedule(n, opts);
  const t = m.settings(
    { epochs: opts.epochs, lr: opts.lr, warmupSteps: opts.warmupSteps ?? 0, weightDecay: opts.weightDecay ?? 0 },
    spec.options,
    stepsPerEpoch,
  );
  return { ...opts, epochs: t.epochs, lr: t.lr, warmupSteps: t.warmupSteps, weightDecay: t.weightDecay };
}

/** The global step up to which a run of this method equals the default run of the same settings (0: none). */
export function prefixStep(spec: MitigationSpec, n: number, opts: TrainOptions): number {
  const m = mitigationMethod(spec.method);
  if (m.settings) return 0;
  const { totalSteps } = runSchedule(n, opts);
  return Math.round(m.prefix(spec.options) * totalSteps);
}

/** Planned model-steps of a run of this method (`opts`: the default run's settings). */
export function mitigationCost(spec: MitigationSpec, n: number, opts: TrainOptions): number {
  return mitigationMethod(spec.method).cost(runSchedule(n, opts).totalSteps, spec.options);
}

/**
 * Start a method on a run: `opts` are the options train() will get (mitigatedOptions applied); the returned run's
 * hooks go into them as `hooks`.
 */
export function startMitigation(
  spec: MitigationSpec,
  model: Model,
  data: EncodedSet,
  opts: TrainOptions,
  more: { fresh: MitigationEnv['fresh']; dir?: string; noiseSeed?: number },
): MitigationRun {
  const sch = runSchedule(data.n, opts);
  const order = stepOrder(data.n, sch.perStep, opts.seed);
  const env: MitigationEnv = {
    model,
    data,
    train: opts,
    totalSteps: sch.totalSteps,
    rowsOf: order.rowsOf,
    lrAt: sch.lrAt,
    noiseSeed: more.noiseSeed ?? ((opts.seed * 2_654_435_761) >>> 0) ^ 0x5eed,
    fresh: more.fresh,
    ...(more.dir && { dir: more.dir }),
  };
  return mitigationMethod(spec.method).create(env, spec.options);
}

export * from './method.ts';
export * from './vote.ts';
export { memberSeed } from './methods/ensemble.ts';
export { interpolationWindows } from './deni-parts.ts';
export {
  averageValues,
  copyValues,
  assignValues,
  disposeValues,
  gaussian,
  noiseNames,
  type Values,
} from './weights.ts';
export { trainSteps } from './copies.ts';
