// The active-learning report's numbers, from the finished steps of each curve: learning-curve points, AUC and RIPL
// per strategy, forgetting and CKA per tuning. Means are over seeds (curves), with the sample std and n beside them.
import { curveAuc, ripl } from '@prunelab/active';
import type { AlStepResult } from './al-step.ts';
import type { AlStepJob, Grid } from './grid.ts';
import { readDone } from './job-state.ts';
import { tuningLabel } from './peft.ts';
import type { TaskName } from './schema.ts';
import { meanStd } from './stats.ts';

export interface Summary {
  mean: number;
  std: number;
  n: number;
}

export interface AlStep {
  job: AlStepJob;
  r: AlStepResult;
  /** the job's wall time (done.json) */
  seconds: number;
}

export interface AlCurve {
  id: string;
  task: TaskName;
  model: string;
  /** the model's tuning: 'full' or the PEFT method */
  tuning: string;
  strategy: string;
  seed: number;
  /** steps of the whole curve */
  planned: number;
  /** examples its last planned step trains on */
  budget: number;
  /** its finished steps, in step order */
  steps: AlStep[];
  /** every planned step finished */
  complete: boolean;
}

const NONE: Summary = { mean: NaN, std: NaN, n: 0 };
export const summary = (xs: number[]): Summary => (xs.length ? meanStd(xs) : NONE);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Every curve of the grid (grid order) with the steps whose done.json has the step's current hash. */
export function readCurves(grid: Grid, outDir: string): AlCurve[] {
  const curves = new Map<string, AlCurve>();
  for (const job of grid.jobs) {
    if (job.kind !== 'al') continue;
    const id = job.id.replace(/\/step-\d+$/, '');
    const c = curves.get(id) ?? {
      id,
      task: job.task,
      model: job.model,
      tuning: tuningLabel(job.settings.al?.peft),
      strategy: job.strategy,
      seed: job.seed,
      planned: 0,
      budget: 0,
      steps: [],
      complete: false,
    };
    curves.set(id, c);
    c.planned++;
    c.budget = Math.max(c.budget, job.labelled);
    const done = readDone<AlStepResult>(outDir, job);
    if (done?.result) c.steps.push({ job, r: done.result, seconds: done.seconds });
  }
  for (const c of curves.values()) {
    c.steps.sort((a, b) => a.job.step - b.job.step);
    c.complete = c.steps.length === c.planned;
  }
  return [...curves.values()];
}

/** AUC of a curve: the trapezoid mean of its dev metric over labelled examples (libs/active curveAuc). */
export const aucOf = (c: AlCurve) => curveAuc(c.steps.map((s) => ({ x: s.r.labelled, y: s.r.devMetric })));

/** A (task, model) pair in grid order: the panels, tables and columns of the report. */
export interface Tuned {
  task: TaskName;
  model: string;
  tuning: string;
}
export const tunedName = (t: { model: string; tuning: string }) => `${t.model} (${t.tuning})`;

export function cellsOf(curves: AlCurve[]): Tuned[] {
  const seen = new Map<string, Tuned>();
  for (const c of curves) seen.set(`${c.task}|${c.model}`, { task: c.task, model: c.model, tuning: c.tuning });
  return [...seen.values()];
}

const of = (curves: AlCurve[], t: { task: string; model: string }) =>
  curves.filter((c) => c.task === t.task && c.model === t.model);

export interface CurvePointRow extends Tuned, Summary {
  strategy: string;
  labelled: number;
}

/** The learning curves' points: dev metric per labelled size over every seed that finished that step. */
export function curvePoints(curves: AlCurve[]): CurvePointRow[] {
  const out: CurvePointRow[] = [];
  for (const t of cellsOf(curves)) {
    const mine = of(curves, t);
    for (const strategy of [...new Set(mine.map((c) => c.strategy))]) {
      const steps = mine.filter((c) => c.strategy === strategy).flatMap((c) => c.steps);
      for (const labelled of [...new Set(steps.map((s) => s.r.labelled))].sort((a, b) => a - b)) {
        const ys = steps.filter((s) => s.r.labelled === labelled).map((s) => s.r.devMetric);
        out.push({ ...t, strategy, labelled, ...summary(ys) });
      }
    }
  }
  return out;
}

export interface AucRow extends Tuned {
  strategy: string;
  /** over complete curves only: a partial curve's AUC covers another range of sizes */
  auc: Summary;
  /** (AUC - AUC_random) / (1 - AUC_random) of the mean AUCs, same task and tuning; null: no random to compare */
  ripl: number | null;
  /** dev metric at the budget (the last step) of the complete curves */
  final: Summary;
  budget: number;
  complete: number;
  partial: number;
  /** curves with no finished step */
  notStarted: number;
  /** each complete curve's AUC: the hand-checkable numbers behind the mean */
  perSeed: { seed: number; auc: number }[];
}

export function aucRows(curves: AlCurve[]): AucRow[] {
  const rows: AucRow[] = [];
  for (const t of cellsOf(curves)) {
    const mine = of(curves, t);
    for (const strategy of [...new Set(mine.map((c) => c.strategy))]) {
      const cs = mine.filter((c) => c.strategy === strategy);
      const done = cs.filter((c) => c.complete);
      const perSeed = done.map((c) => ({ seed: c.seed, auc: aucOf(c) }));
      rows.push({
        ...t,
        strategy,
        auc: summary(perSeed.map((p) => p.auc)),
        ripl: null,
        final: summary(done.map((c) => c.steps.at(-1)!.r.devMetric)),
        budget: Math.max(...cs.map((c) => c.budget)),
        complete: done.length,
        partial: cs.filter((c) => !c.complete && c.steps.length > 0).length,
        notStarted: cs.filter((c) => c.steps.length === 0).length,
        perSeed,
      });
    }
  }
  for (const r of rows) {
    const random = rows.find((x) => x.task === r.task && x.model === r.model && x.strategy === 'random');
    if (random && random.auc.n > 0 && r.auc.n > 0) r.ripl = ripl(r.auc.mean, random.auc.mean);
  }
  return rows;
}

export const FORGETTING_MEASURES = [
  { key: 'events', title: 'forgetting events per example', percent: false },
  { key: 'forgottenShare', title: 'forgotten at least once', percent: true },
  { key: 'neverLearnedShare', title: 'never learned', percent: true },
] as const;
type ForgettingKey = (typeof FORGETTING_MEASURES)[number]['key'];

export interface ForgettingRow extends Tuned {
  /** per measure: each curve's mean over its finished steps, then mean ± std over curves (n = curves) */
  measures: Record<ForgettingKey, Summary>;
}

export function forgettingRows(curves: AlCurve[]): ForgettingRow[] {
  return cellsOf(curves).map((t) => {
    const started = of(curves, t).filter((c) => c.steps.length > 0);
    const measures = Object.fromEntries(
      FORGETTING_MEASURES.map(({ key }) => [
        key,
        summary(started.map((c) => mean(c.steps.map((s) => s.r.forgetting[key])))),
      ]),
    ) as Record<ForgettingKey, Summary>;
    return { ...t, measures };
  });
}

export interface NeverLearnedRow extends Tuned, Summary {
  labelled: number;
}

/** The never-learned share at each labelled size, over every finished step of that size (all strategies, seeds). */
export function neverLearnedRows(curves: AlCurve[]): NeverLearnedRow[] {
  const out: NeverLearnedRow[] = [];
  for (const t of cellsOf(curves)) {
    const steps = of(curves, t).flatMap((c) => c.steps);
    for (const labelled of [...new Set(steps.map((s) => s.r.labelled))].sort((a, b) => a - b)) {
      const xs = steps.filter((s) => s.r.labelled === labelled).map((s) => s.r.forgetting.neverLearnedShare);
      out.push({ ...t, labelled, ...summary(xs) });
    }
  }
  return out;
}

export interface CkaRow extends Tuned {
  layer: string;
  index: number;
  /** CKA(pretrained, fine-tuned) at the last step, over complete curves (strategies x seeds) */
  pretrained: Summary;
  /** CKA to the previous step: each curve's mean over its steps that have one, then over curves */
  previous: Summary;
}

export function ckaRows(curves: AlCurve[]): CkaRow[] {
  const out: CkaRow[] = [];
  for (const t of cellsOf(curves)) {
    const mine = of(curves, t);
    const layers = mine.flatMap((c) => c.steps).find((s) => s.r.cka)?.r.cka?.layers ?? [];
    layers.forEach((layer, index) => {
      const last = mine
        .filter((c) => c.complete)
        .map((c) => c.steps.at(-1)!.r.cka?.pretrained[index])
        .filter((x): x is number => x !== undefined);
      const previous = mine
        .map((c) => c.steps.map((s) => s.r.cka?.previous?.[index]).filter((x): x is number => x !== undefined))
        .filter((xs) => xs.length > 0)
        .map(mean);
      out.push({ ...t, layer, index, pretrained: summary(last), previous: summary(previous) });
    });
  }
  return out;
}
