// The grid as a graph of jobs. Each job has a folder under results/<name>/ and a content hash of everything
// that decides its output; a job whose folder holds done.json with the same hash is finished and skipped.
// A model enters the hash by the digest of its folder's content (weights.ts), not by its path: regenerated weights
// make its jobs stale, a moved folder keeps them. The data enters phase-1 and phase-2 hashes by the digest of the
// prepared examples (data-digest.ts): labels edited in place make them stale. The numeric build does not enter the
// hash (provenance.ts).
//   phase1   one score run per (task, model, seed)
//   scores   H-scores, cartography and subset files per (task, model, runs_used, epochs_used) variant
//   phase2   one fine-tuning run per (task, model, method, subset, seed), plus the full-data runs
import { createHash } from 'node:crypto';
import {
  automaticSubsets,
  checkOptions,
  externalDigest,
  parseSubsetName,
  selectionMethod,
  subsetName,
  winningTicketRemoved,
} from '@prunelab/pruning';
import {
  cellSettings,
  dataSettingsKey,
  type Baseline,
  type CellSettings,
  type ExperimentConfig,
  type GraftCfg,
  type GraftRun,
  type Method,
  type TaskName,
} from './schema.ts';
import { dataKey as dataStateKey, type DataRecord, type DataStates } from './data-digest.ts';
import { plannedTrainSize } from './tasks.ts';
import { phase2Title } from './names.ts';
import { readModelWeights, type ModelWeights } from './weights.ts';
import { whereOf } from './config.ts';
import { modelConfigReader, planPeft, type JobPeft } from './peft.ts';
import { expandAlGrid } from './al-grid.ts';
import { graftJobs } from './graft-grid.ts';
import { mitigationMethod, type MitigationSpec } from '@prunelab/finetune';
import { keyAt, parseEntry, parseList, type JobMitigation } from './mitigation-config.ts';

export const hash = (x: unknown): string => createHash('sha256').update(JSON.stringify(x)).digest('hex').slice(0, 16);

interface JobBase {
  /** the job's folder relative to results/<name>/; also its id */
  id: string;
  hash: string;
  deps: string[];
  task: TaskName;
  model: string;
  settings: CellSettings;
  /** one short line for logs and status */
  label: string;
  /** digest of its model folder's content (weights.ts), kept in job.json; null: not made yet */
  weights: string | null;
  /** a model folder its hash depends on is not made yet: the hash is a placeholder and the job pending */
  weightsMissing?: true;
  /** what the job reads (data-digest.ts), kept in job.json and done.json; null: not read yet */
  data: DataRecord | null;
  /** its data is not read yet (not on disk, or unreadable): the hash is a placeholder and the job pending */
  dataMissing?: true;
}

/** A training job's PEFT method (peft.ts), null: full fine-tuning. */
interface TrainingJobBase extends JobBase {
  peft: JobPeft | null;
  /** its seed-instability mitigation (mitigation-config.ts); absent: none */
  mitigation?: JobMitigation;
  /** the none run of the same settings whose snapshot at this method's prefix step it starts from (when kept) */
  prefixFrom?: string;
  /** a none run: the mitigations (of jobs starting from it) whose prefix steps it keeps snapshots of */
  keepFor?: MitigationSpec[];
  /** a job with prefixFrom: every job starting from the same none run (itself included), so the last one to finish
   * can remove the kept snapshots nobody needs any more */
  prefixPeers?: { id: string; spec: MitigationSpec }[];
  /** a graft job reads its fine-tuned weights: the job keeps them in final/ (not in the key: they are its output) */
  keepWeights?: true;
}

export interface Phase1Job extends TrainingJobBase {
  kind: 'phase1';
  seed: number;
  run: number;
}

export interface Variant {
  runsUsed: number;
  epochsUsed: number;
  key: string;
}

export interface ScoresJob extends JobBase {
  kind: 'scores';
  variant: Variant;
  /** phase-1 job ids, in run order (the first runsUsed of the model's seeds) */
  records: string[];
  /** removed-H lists, in report order */
  subsets: number[][];
  baselines: Baseline[];
}

export interface SubsetRef {
  /** the scores job whose subset file this is (possibly another model's: transfer) */
  scores: string;
  /** subset name: the removed H values ('06') */
  name: string;
  removed: number[];
  variant: Variant;
  /** the model that scored the examples */
  scoredBy: string;
  file: string;
}

export interface Phase2Job extends TrainingJobBase {
  kind: 'phase2';
  method: Method;
  seed: number;
  subset: SubsetRef | null;
}

/**
 * One step of an active-learning curve (al-grid.ts): train on the labelled set, evaluate, score the unlabelled pool
 * and query the next examples. Step s trains on warm_start + s * query examples; it depends on step s - 1, whose
 * labelled.json holds its ids.
 */
export interface AlStepJob extends TrainingJobBase {
  kind: 'al';
  strategy: string;
  /** the strategy's options, checked and with defaults filled (in the key) */
  options: Record<string, string | number>;
  seed: number;
  step: number;
  /** examples trained on at this step */
  labelled: number;
  /** how many this step queries (0: the last step) */
  query: number;
  /** the previous step's job id; null: step 0 (the warm start) */
  prev: string | null;
}

/**
 * Grafting one finished fine-tuning run (graft-grid.ts, graft-job.ts): masks at each sparsity, their baselines and
 * task arithmetic, evaluated on the run's evaluation split. Depends on the run, which keeps its weights for it.
 */
export interface GraftJob extends JobBase {
  kind: 'graft';
  /** the fine-tuning run's job id */
  run: string;
  /** which of the grid's runs it is (graft.runs) */
  runKind: GraftRun;
  seed: number;
  /** the subset file the run trained on (relative to results/<name>/); null: the cell's whole training set */
  trainSubset: string | null;
  peft: JobPeft | null;
  /** graft: without runs (in the key) */
  options: Omit<GraftCfg, 'runs'>;
}

export type TrainingJobAny = Phase1Job | Phase2Job | AlStepJob;
export type Job = Phase1Job | ScoresJob | Phase2Job | AlStepJob | GraftJob;

export interface Grid {
  jobs: Job[];
  byId: Map<string, Job>;
  cells: { task: TaskName; model: string }[];
}

const variantKey = (runsUsed: number, epochsUsed: number, R: number, E: number) =>
  [runsUsed !== R ? `r${runsUsed}` : '', epochsUsed !== E ? `e${epochsUsed}` : ''].filter(Boolean).join('-') || 'all';

/** Removed-H lists for the configured subset names at R runs. */
export function expandSubsets(names: string[], R: number): number[][] {
  const out: number[][] = [];
  const add = (r: number[]) => {
    if (!out.some((o) => o.join() === r.join())) out.push(r);
  };
  for (const n of names) {
    if (n === 'winning') add(winningTicketRemoved(R));
    else if (n === 'paper') automaticSubsets(R).forEach(add);
    else add(parseSubsetName(n, R));
  }
  return out;
}

/** Phase-2 seeds of full data and of the winning ticket's size: the seeds plus the ticket seeds, once each. */
const ticketSeeds = (s: CellSettings) => [...new Set([...s.phase2.seeds, ...s.phase2.ticket_seeds])];

/** The subset file of a scores job for one method and subset. */
export const subsetFile = (scoresId: string, method: string, name: string) =>
  `${scoresId}/subsets/${method}-${name}.json`;

/**
 * What a method's options put into job keys: the options with defaults filled (a path option by its file's content
 * digest, so an edited file redoes the jobs and a moved one does not); undefined for a method without options, so
 * the keys of the older methods stay as they were.
 */
export function methodKey(cfg: ExperimentConfig, method: string): Record<string, string | number> | undefined {
  const m = selectionMethod(method);
  if (!m.options) return undefined;
  const opts = checkOptions(m, cfg.pruning.method_options[method]);
  for (const [name, spec] of Object.entries(m.options)) {
    if (spec.path) opts[name] = `sha256:${externalDigest(String(opts[name]))}`;
  }
  return opts;
}

/** What decides what a model computes: its folder's content (and the pretrain config that made it), its family. */
export const modelKey = (cfg: ExperimentConfig, weights: Record<string, ModelWeights>, model: string) => {
  const w = weights[model];
  if (!w) throw new Error(`internal: no weights read for model '${model}'`);
  return {
    family: cfg.models[model]!.family,
    weights: w.digest ?? 'not made yet',
    ...(w.pretrain && { pretrain: w.pretrain }),
  };
};

/**
 * The grid of a config; `weights` (default: read from the model folders) gives each model's content digest, `data`
 * (data-digest.ts readDataStates; default: none) each cell's data digest: a cell without one has pending jobs.
 */
export function expandGrid(
  cfg: ExperimentConfig,
  weights: Record<string, ModelWeights> = readModelWeights(cfg),
  data: DataStates = {},
): Grid {
  if (cfg.al) return expandAlGrid(cfg, weights, data); // an AL experiment: learning curves instead of the phases
  const dataOf = (task: TaskName, model: string) =>
    data[dataStateKey(task, cellSettings(cfg, task, model).data)]?.record ?? null;
  const missing = (task: TaskName, model: string, ...more: string[]) => ({
    weights: weights[model]?.digest ?? null,
    ...([model, ...more].some((m) => weights[m]?.digest === null) && { weightsMissing: true as const }),
    data: dataOf(task, model),
    ...(dataOf(task, model) === null && { dataMissing: true as const }),
  });
  const jobs: Job[] = [];
  const cells: Grid['cells'] = [];
  const scoresOf = new Map<string, ScoresJob[]>(); // `${task}/${model}` -> its scores jobs
  // a cell's phase-2 jobs are its own methods (models.<m>.phase2.methods, per_task.<t>.phase2.methods); the scores
  // jobs draw every baseline any cell names (without overrides: phase2.methods, so their keys stay as they were)
  const allMethods = [
    ...new Set(
      cfg.tasks.flatMap((t) => Object.keys(cfg.models).map((m) => cellSettings(cfg, t, m).phase2.methods)).flat(),
    ),
  ];
  const baselines = allMethods.filter((m): m is Baseline => m !== 'full' && m !== 'hscore');
  const optionKeys = Object.fromEntries(baselines.map((b) => [b, methodKey(cfg, b)]));
  const withOptions = Object.fromEntries(Object.entries(optionKeys).filter(([, v]) => v !== undefined));
  // PEFT options are checked against each model's config.json here, before any job runs (a folder not made yet:
  // when run has made it and plans again)
  const readConfig = modelConfigReader();
  const peftOf = (task: TaskName, model: string, phase: 'phase1' | 'phase2') =>
    planPeft(
      cfg,
      task,
      model,
      phase,
      () => (weights[model]?.digest ? readConfig(weights[model].dir) : null),
      whereOf(cfg),
    );
  // full fine-tuning adds nothing to a key: the keys made before peft existed stay valid
  const peftKey = (p: JobPeft | null) => (p ? { peft: p.options } : {});

  for (const task of cfg.tasks) {
    for (const model of Object.keys(cfg.models)) {
      cells.push({ task, model });
      const s = cellSettings(cfg, task, model);
      const methods = s.phase2.methods;
      const needsScores = methods.some((m) => m !== 'full') || cfg.pruning.transfer.length > 0;
      const base = `${task}/${model}`;
      const digest = dataOf(task, model)?.digest ?? 'not read yet';
      // data.per_class enters only when set (dataSettingsKey): keys made before it existed stay valid
      const dataKey = { task, data: dataSettingsKey(s.data), digest, model: modelKey(cfg, weights, model) };
      // the snapshot interval decides no output; peft enters as its parsed options
      const { seeds: _seeds1, checkpoint_every: _c1, record, peft: _p1, ...rest } = s.phase1;
      const peft1 = peftOf(task, model, 'phase1');
      const peft2 = peftOf(task, model, 'phase2');
      // record fields enter the key only when asked for: keys made before the setting existed stay valid
      const { mitigation: _m1, ...rest1 } = rest;
      const mit1 = parseEntry(s.phase1.mitigation, keyAt(whereOf(cfg), ['phase1', 'mitigation']));
      const p1 = { ...(record.length ? { ...rest1, record } : rest1), ...peftKey(peft1), ...mitigationKey(mit1) };
      const phase1: Phase1Job[] = s.phase1.seeds.map((seed, run) => ({
        kind: 'phase1',
        id: `${base}/phase1/seed-${seed}`,
        hash: hash({ ...dataKey, phase1: p1, seed }),
        deps: [],
        task,
        model,
        settings: s,
        seed,
        run,
        peft: peft1,
        ...(mit1.spec.method !== 'none' && { mitigation: mit1 }),
        ...missing(task, model),
        label: `phase1 ${task}/${model} seed ${seed}${mit1.spec.method !== 'none' ? ` ${mit1.label}` : ''}`,
      }));
      if (needsScores) jobs.push(...phase1);
      const R = s.phase1.seeds.length;
      const E = s.phase1.epochs;
      const scores: ScoresJob[] = [];
      if (needsScores) {
        for (const runsUsed of cfg.pruning.runs_used ?? [R]) {
          for (const epochsUsed of cfg.pruning.epochs_used ?? [E]) {
            if (runsUsed > R || epochsUsed > E) continue; // a cell with fewer runs (per-task override) skips that variant
            const variant = { runsUsed, epochsUsed, key: variantKey(runsUsed, epochsUsed, R, E) };
            const records = phase1.slice(0, runsUsed);
            const subsets = runsUsed >= 2 ? expandSubsets(cfg.pruning.subsets, runsUsed) : [];
            const id = `${base}/scores/${variant.key}`;
            scores.push({
              kind: 'scores',
              id,
              deps: records.map((r) => r.id),
              task,
              model,
              settings: s,
              variant,
              records: records.map((r) => r.id),
              subsets,
              baselines,
              ...missing(task, model),
              hash: hash({
                records: records.map((r) => r.hash),
                variant,
                subsets,
                baselines,
                random_seed: cfg.pruning.random_seed,
                method_options: Object.keys(withOptions).length ? withOptions : undefined,
              }),
              label: `scores ${task}/${model} ${variant.key}`,
            });
          }
        }
      }
      jobs.push(...scores);
      scoresOf.set(base, scores);

      const {
        seeds: _seeds2,
        ticket_seeds: _t2,
        methods: _m,
        checkpoint_every: _c2,
        peft: _p2,
        mitigation: _mit2,
        ...p2
      } = s.phase2;
      const p2Key = { ...dataKey, phase2: { ...p2, ...peftKey(peft2) } };
      const mits = parseList(s.phase2.mitigation, (i) => keyAt(whereOf(cfg), ['phase2', 'mitigation', String(i)]));
      const phase2 = (method: Method, seed: number, subset: SubsetRef | null, suffix: string): Phase2Job[] =>
        mitigated(
          mits,
          (mit) => `${base}/phase2/${method}${suffix}${mit.spec.method === 'none' ? '' : `-${mit.label}`}-seed-${seed}`,
          (mit, id) => phase2One(method, seed, subset, mit, id),
        );
      const phase2One = (
        method: Method,
        seed: number,
        subset: SubsetRef | null,
        mit: JobMitigation,
        id: string,
      ): Phase2Job => ({
        kind: 'phase2',
        id,
        task,
        model,
        settings: s,
        method,
        seed,
        subset,
        peft: peft2,
        deps: subset ? [subset.scores] : [],
        ...missing(task, model),
        // the subset enters by what decides its ids, not by the scores job's hash: adding a baseline must not redo the
        // rest
        ...(mit.spec.method !== 'none' && { mitigation: mit }),
        hash: hash({
          ...p2Key,
          ...mitigationKey(mit),
          method,
          seed,
          subset: subset && {
            records: (jobs.find((j) => j.id === subset.scores) as ScoresJob).records.map(
              (r) => (jobs.find((j) => j.id === r) as Phase1Job).hash,
            ),
            variant: subset.variant,
            name: subset.name,
            scoredBy: subset.scoredBy,
            random_seed: method !== 'hscore' && selectionMethod(method).seeded ? cfg.pruning.random_seed : undefined,
            options: method === 'hscore' ? undefined : optionKeys[method],
          },
        }),
        label:
          `phase2 ${task}/${model} ${phase2Title(method, subset, model)}` +
          `${mit.spec.method === 'none' ? '' : ` ${mit.label}`} seed ${seed}`,
      });
      for (const seed of ticketSeeds(s)) if (methods.includes('full')) jobs.push(...phase2('full', seed, null, ''));
      for (const sc of scores) {
        const vs = sc.variant.key === 'all' ? '' : `-${sc.variant.key}`;
        const baselineAt = new Set(
          expandSubsets(cfg.pruning.baselines_at ?? cfg.pruning.subsets, sc.variant.runsUsed).map((r) => r.join()),
        );
        for (const removed of sc.subsets) {
          const name = subsetName(removed, sc.variant.runsUsed);
          for (const method of methods.filter((m) => m !== 'full')) {
            if (method !== 'hscore' && !baselineAt.has(removed.join())) continue;
            const ref: SubsetRef = {
              scores: sc.id,
              name,
              removed,
              variant: sc.variant,
              scoredBy: model,
              file: subsetFile(sc.id, method, name),
            };
            const ticket = removed.join() === winningTicketRemoved(sc.variant.runsUsed).join();
            for (const seed of ticket ? ticketSeeds(s) : s.phase2.seeds)
              jobs.push(...phase2(method, seed, ref, `-${name}${vs}`));
          }
        }
      }
    }
  }
  // Transfer: model B fine-tuned on the H subsets that model A's dynamics chose (same task, same ids).
  for (const t of cfg.pruning.transfer) {
    const [from, to] = t.split('->').map((x) => x.trim()) as [string, string];
    for (const task of cfg.tasks) {
      const s = cellSettings(cfg, task, to);
      const { seeds: _s, ticket_seeds: _t, methods: _m, checkpoint_every: _c, peft: _p, ...p2 } = s.phase2;
      const peft2 = peftOf(task, to, 'phase2');
      for (const sc of scoresOf.get(`${task}/${from}`) ?? []) {
        const vs = sc.variant.key === 'all' ? '' : `-${sc.variant.key}`;
        for (const removed of sc.subsets) {
          const name = subsetName(removed, sc.variant.runsUsed);
          const ref: SubsetRef = {
            scores: sc.id,
            name,
            removed,
            variant: sc.variant,
            scoredBy: from,
            file: subsetFile(sc.id, 'hscore', name),
          };
          for (const seed of s.phase2.seeds) {
            jobs.push({
              kind: 'phase2',
              id: `${task}/${to}/phase2/hscore-${name}${vs}-from-${from}-seed-${seed}`,
              task,
              model: to,
              settings: s,
              method: 'hscore',
              seed,
              subset: ref,
              peft: peft2,
              deps: [sc.id],
              ...missing(task, to, from),
              hash: hash({
                task,
                data: dataSettingsKey(s.data),
                digest: dataOf(task, to)?.digest ?? 'not read yet',
                model: modelKey(cfg, weights, to),
                phase2: { ...p2, ...peftKey(peft2) },
                method: 'hscore',
                seed,
                subset: {
                  records: sc.records.map((r) => (jobs.find((j) => j.id === r) as Phase1Job).hash),
                  variant: sc.variant,
                  name,
                  scoredBy: from,
                },
              }),
              label: `phase2 ${task}/${to} ${phase2Title('hscore', ref, to)} seed ${seed}`,
            });
          }
        }
      }
    }
  }
  jobs.push(...graftJobs(cfg, jobs));
  const byId = new Map(jobs.map((j) => [j.id, j]));
  if (byId.size !== jobs.length) throw new Error('internal: two jobs share a folder; report this with the config');
  return { jobs, byId, cells };
}

/** What a mitigation adds to a job's key: nothing for none (keys made before mitigations existed stay valid). */
export const mitigationKey = (m: JobMitigation | undefined) =>
  m && m.spec.method !== 'none' ? { mitigation: m.spec } : {};

/**
 * One job per mitigation of the list; a method that trains like the default run for a while (its prefix) starts
 * from that run's snapshot when the list also holds none: the none job keeps the snapshot, the other depends on it.
 */
function mitigated<J extends TrainingJobBase>(
  mits: JobMitigation[],
  idOf: (m: JobMitigation) => string,
  make: (m: JobMitigation, id: string) => J,
): J[] {
  const jobs = mits.map((m) => make(m, idOf(m)));
  const base = jobs.find((j) => !j.mitigation);
  if (!base) return jobs;
  for (const j of jobs) {
    if (!j.mitigation || mitigationMethod(j.mitigation.spec.method).prefix(j.mitigation.spec.options) <= 0) continue;
    if (mitigationMethod(j.mitigation.spec.method).settings) continue; // other settings: nothing shared
    j.prefixFrom = base.id;
    j.deps = [...j.deps, base.id];
    (base.keepFor ??= []).push(j.mitigation.spec);
  }
  const peers = jobs.filter((j) => j.prefixFrom).map((j) => ({ id: j.id, spec: j.mitigation!.spec }));
  for (const j of jobs) if (j.prefixFrom) j.prefixPeers = peers;
  return jobs;
}

/** Examples x epochs a job trains on; subset jobs use `sizeOf` when the subset exists, else the full size (an upper bound). */
export function jobCost(
  job: Job,
  sizeOf: (ref: SubsetRef) => number | undefined,
): { examples: number; epochs: number; exact: boolean } {
  // the examples the job's data record says it uses, else the registry's count (a task of the config has none)
  const n = job.data?.used['train'] ?? plannedTrainSize(job.task, job.settings.data);
  if (job.kind === 'phase1') return { examples: n, epochs: job.settings.phase1.epochs, exact: true };
  if (job.kind === 'scores' || job.kind === 'graft') return { examples: 0, epochs: 0, exact: true };
  if (job.kind === 'al') return { examples: job.labelled, epochs: job.settings.al!.epochs, exact: true };
  const epochs = job.settings.phase2.epochs * mitigationFactor(job);
  if (!job.subset) return { examples: n, epochs, exact: true };
  const k = sizeOf(job.subset);
  return { examples: k ?? n, epochs, exact: k !== undefined };
}

/** A mitigated job's training as a multiple of the plain run's: its model-steps, less the steps it takes from the
 * none run's snapshot when it starts from one. */
function mitigationFactor(job: Phase2Job): number {
  if (!job.mitigation) return 1;
  const m = mitigationMethod(job.mitigation.spec.method);
  const T = 1000;
  const shared = job.prefixFrom ? m.prefix(job.mitigation.spec.options) * T : 0;
  return (m.cost(T, job.mitigation.spec.options) - shared) / T;
}
