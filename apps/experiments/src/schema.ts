// The experiment config: its keys, their types and defaults. One table, so validation, defaults and the
// documentation in experiments/README.md cannot drift apart (schema.test checks the README lists every key).
import { TASK_NAMES, type TaskName } from '@prunelab/datasets';
import { FAMILY_NAMES, GRAFT_SCOPES, type Arch, type GraftScope, type PeftSpec } from '@prunelab/finetune';
import { SELECTION_METHOD_NAMES } from '@prunelab/pruning';

export type FieldType =
  | { kind: 'string'; nullable?: boolean }
  | { kind: 'int'; min?: number; max?: number; nullable?: boolean }
  | { kind: 'number'; min?: number }
  | { kind: 'bool' }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'int[]'; min?: number; nullable?: boolean; empty?: boolean }
  /** below: every number less than it */
  | { kind: 'number[]'; min?: number; below?: number; empty?: boolean }
  | { kind: 'string[]'; nullable?: boolean }
  | { kind: 'enum[]'; values: readonly string[]; empty?: boolean }
  | { kind: 'mapping' }
  /** `none`, or a mapping {method, ...its options} (peft.ts); nullable: not set here (a phase: the model's) */
  | { kind: 'peft'; nullable?: boolean }
  /** a mitigation name, or {method, label?, ...its options} (libs/finetune mitigation/); [] : a list of them */
  | { kind: 'mitigation' }
  | { kind: 'mitigation[]' };

export interface Field {
  type: FieldType;
  default: unknown;
  doc: string;
}
export type Section = Record<string, Field>;

/** Every task name the grid accepts: the libs/datasets registry's (a task is added there, not here). */
export const TASKS: readonly TaskName[] = TASK_NAMES;
// A config's tasks may also name tasks it defines under custom_tasks; they travel as TaskName too: every name of a
// validated config resolves with getTask (they are registered when the config is read).
export type { TaskName };

/** Model families: the model_types of libs/finetune's family registry (families/index.ts). */
export const FAMILIES: readonly Arch[] = FAMILY_NAMES;
export type Family = Arch;

/** Phase-2 methods: full data, the H-score subsets, and baselines matched to each H subset's size (pruning's table). */
export const METHODS = ['full', 'hscore', ...SELECTION_METHOD_NAMES] as const;
export type Method = (typeof METHODS)[number];
export type Baseline = Exclude<Method, 'full' | 'hscore'>;

/** The fine-tuning runs a graft can read: phase 1's, phase 2's full-data runs, or a phase-2 method at the winning ticket. */
export const GRAFT_RUNS = ['phase1', 'full', 'hscore', ...SELECTION_METHOD_NAMES] as const;
export type GraftRun = (typeof GRAFT_RUNS)[number];
/** The masks of a graft job at each sparsity (task arithmetic has its own rows, by graft.lambdas). */
export const GRAFT_METHODS = ['graft', 'top_delta', 'random', 'fisher'] as const;
export type GraftMethod = (typeof GRAFT_METHODS)[number];

/** Opt-in per-example quantities phase 1 records beside the usual ones (libs/dynamics RunRecord). */
export const RECORD_FIELDS = ['probs', 'grand', 'embedding'] as const;
export type RecordField = (typeof RECORD_FIELDS)[number];

/** When phase 2 evaluates on the dev split. */
export const EVAL_WHEN = ['each', 'last'] as const;

export const BACKENDS = ['auto', 'tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;

/** What a finished job made by another numeric build (backend, native addon, sgemm, threads) is: see provenance.ts. */
export const NUMERIC_BUILD_MODES = ['report', 'strict'] as const;
export type NumericBuildMode = (typeof NUMERIC_BUILD_MODES)[number];

const lr = (d: number): Field => ({
  type: { kind: 'number', min: 0 },
  default: d,
  doc: 'peak learning rate (AdamW, linear decay to 0)',
});
const TRAINING = {
  seeds: { type: { kind: 'int[]' }, default: [342, 4827, 1215, 98, 8128, 828], doc: 'one run per seed' },
  epochs: { type: { kind: 'int', min: 1 }, default: 3, doc: 'epochs per run' },
  batch_size: { type: { kind: 'int', min: 1 }, default: 32, doc: 'examples per optimiser step' },
  grad_accum: {
    type: { kind: 'int', min: 1 },
    default: 1,
    doc: 'forward passes of batch_size summed into one optimiser step (RACE in the paper: 2 x 8)',
  },
  lr: lr(2e-5),
  warmup_steps: { type: { kind: 'int', min: 0 }, default: 0, doc: 'linear warm-up steps' },
  weight_decay: { type: { kind: 'number', min: 0 }, default: 0, doc: 'AdamW weight decay' },
  checkpoint_every: {
    type: { kind: 'int', min: 0 },
    default: 0,
    doc:
      'also snapshot the training state every this many optimiser steps (always at each epoch end); ' +
      '0: epoch ends only. Not in job hashes',
  },
} satisfies Section;

/** `peft:` of a phase: unset (null) takes the model's `peft`; `none` is full fine-tuning. */
const phasePeft = (phase: string): Field => ({
  type: { kind: 'peft', nullable: true },
  default: null,
  doc:
    `parameter-efficient fine-tuning of ${phase}: {method: lora, r: 8, ...} (the method and its options, named as ` +
    "in the library: peft's LoraConfig, adapters' SeqBnConfig, ...), or none (full fine-tuning); null: the " +
    "model's peft. In the job keys with every option filled in; checked against the model before anything runs",
});

/** Keys a task or model may override (per_task.<task>, models.<m>): a partial of these sections. */
export const OVERRIDABLE = ['data', 'phase1', 'phase2', 'al'] as const;

export const SCHEMA = {
  top: {
    name: {
      type: { kind: 'string' },
      default: undefined,
      doc: 'experiment name: results/<name>/ and the MLflow experiment',
    },
    extends: {
      type: { kind: 'string', nullable: true },
      default: null,
      doc: 'base config, relative to this file; deep-merged under this one (lists replace)',
    },
    tasks: { type: { kind: 'enum[]', values: TASKS }, default: ['sst2'], doc: 'tasks of the grid' },
  },
  data: {
    root: {
      type: { kind: 'string', nullable: true },
      default: null,
      doc: 'folder holding glue/, other/ ...; null: $PRUNELAB_DATA, ../shared/data, download cache',
    },
    train_size: {
      type: { kind: 'int', min: 1, nullable: true },
      default: 2000,
      doc: 'training examples kept (seeded subsample); null: the whole split',
    },
    per_class: {
      type: { kind: 'int', min: 1, nullable: true },
      default: null,
      doc:
        'few-shot: K training examples per class, drawn by data.seed from the whole training split (train_size is ' +
        'then ignored); classification tasks only; null: off. In the job keys when set',
    },
    dev_size: {
      type: { kind: 'int', min: 1, nullable: true },
      default: null,
      doc: 'evaluation examples kept; null: the whole split',
    },
    seed: { type: { kind: 'int' }, default: 1, doc: 'seed of the subsample' },
    max_length: { type: { kind: 'int', min: 8 }, default: 64, doc: 'tokens per example (longer ones are truncated)' },
    doc_stride: {
      type: { kind: 'int', min: 1 },
      default: 128,
      doc: 'extractive QA: overlap of the windows a long context is cut into',
    },
    allow_download: { type: { kind: 'bool' }, default: true, doc: 'download a missing task into .cache/data' },
    lenient: { type: { kind: 'bool' }, default: false, doc: 'skip malformed rows (reported) instead of stopping' },
  },
  model: {
    path: {
      type: { kind: 'string' },
      default: undefined,
      doc: 'Hugging Face style model folder (config.json, model.safetensors, tokenizer files)',
    },
    family: {
      type: { kind: 'enum', values: FAMILIES },
      default: 'bert',
      doc:
        'architecture; decides the tiny random fallback (use-lite: a missing folder is converted from its npm ' +
        'package)',
    },
    generate_if_missing: {
      type: { kind: 'bool' },
      default: false,
      doc:
        'true: when the folder is missing, create a tiny model of the family with RANDOM weights there (flagged ' +
        'random_weights in job.json, MLflow and the console); false: a missing folder is an error',
    },
    init_seed: { type: { kind: 'int' }, default: 0, doc: 'seed of that random model' },
    pretrain: {
      type: { kind: 'string', nullable: true },
      default: null,
      doc: 'a pretrain config (repo-relative, e.g. experiments/pretrain-opt.yaml): when the folder is missing, `experiments pretrain` makes it there instead of a random model',
    },
    peft: {
      type: { kind: 'peft' },
      default: 'none',
      doc:
        'parameter-efficient fine-tuning of this model in both phases unless a phase says otherwise ' +
        '(phase1.peft / phase2.peft, also per model and per task): {method: lora, r: 8, ...} or none',
    },
  },
  phase1: {
    ...TRAINING,
    peft: phasePeft('the phase-1 score runs'),
    mitigation: {
      type: { kind: 'mitigation' },
      default: 'none',
      doc:
        'seed-instability mitigation of the score runs (docs/mitigation.md): a name or {method: deni, copies: 4, ...}; ' +
        "the record is the main model's training passes. In the job keys when not none",
    },
    record: {
      type: { kind: 'enum[]', values: RECORD_FIELDS, empty: true },
      default: [],
      doc:
        'opt-in record fields of the training forward pass: probs (softmax per class, per epoch), grand (gradient ' +
        'norm of the classifier layer, per epoch), embedding (its input, last epoch); classification and multiple ' +
        'choice only (multiple choice: no embedding). In the phase-1 job keys when not empty',
    },
  },
  phase2: {
    ...TRAINING,
    peft: phasePeft('the phase-2 runs'),
    mitigation: {
      type: { kind: 'mitigation[]' },
      default: ['none'],
      doc:
        'seed-instability mitigations (docs/mitigation.md): every phase-2 run once per entry, each a name or ' +
        '{method: ensemble, size: 3, label: ens3}; a run of a method that shares its first steps with the none run ' +
        "of the same seed starts from that run's snapshot. In the job keys when not none",
    },
    seeds: { type: { kind: 'int[]' }, default: [6666], doc: 'one run per seed, method and subset (the paper: 6666)' },
    ticket_seeds: {
      type: { kind: 'int[]', empty: true },
      default: [],
      doc:
        'further seeds for full data and for every method at the winning ticket (the paper: none); seeds for the ' +
        'comparison that matters without multiplying every subset',
    },
    methods: {
      type: { kind: 'enum[]', values: METHODS },
      default: ['full', 'hscore', 'random'],
      doc: 'full data, the H-score subsets, and baselines of the same size as each H subset',
    },
    eval: {
      type: { kind: 'enum', values: EVAL_WHEN },
      default: 'each',
      doc: "'each': evaluate after every epoch (the paper); 'last': only after the last one (the reported number is the same, evaluation costs a third)",
    },
  },
  pruning: {
    subsets: {
      type: { kind: 'string[]' },
      default: ['winning'],
      doc: "H subsets by the H values they remove: 'winning' = [0, R], 'paper' = the seven automatic ones, or names like '0126'",
    },
    runs_used: {
      type: { kind: 'int[]', min: 1, nullable: true },
      default: null,
      doc: 'ablation: H from the first k phase-1 runs, one variant per k; null: all R',
    },
    epochs_used: {
      type: { kind: 'int[]', min: 1, nullable: true },
      default: null,
      doc: 'ablation: H from the first k epochs, one variant per k; null: all E',
    },
    baselines_at: {
      type: { kind: 'string[]', nullable: true },
      default: null,
      doc: 'H subsets whose sizes the baselines match, named as in pruning.subsets; null: every one of pruning.subsets',
    },
    random_seed: { type: { kind: 'int' }, default: 1, doc: 'seed of the random baselines' },
    method_options: {
      type: { kind: 'mapping' },
      default: {},
      doc:
        'per selection method its options, e.g. { ccs: { score: el2n, beta: 0.1 }, external: { file: scores.csv } } ' +
        "(libs/pruning/README.md lists each method's options and defaults)",
    },
    transfer: {
      type: { kind: 'string[]' },
      default: [],
      doc: "'A -> B': fine-tune model B on the H subsets scored by model A (same task)",
    },
  },
  // An active-learning experiment (al-config.ts, al-step.ts): present, it replaces phase 1, scores and phase 2.
  al: {
    ...TRAINING,
    epochs: { type: { kind: 'int', min: 1 }, default: 10, doc: "epochs of each AL step's training" },
    batch_size: { type: { kind: 'int', min: 1 }, default: 16, doc: 'examples per optimiser step' },
    seeds: { type: { kind: 'int[]' }, default: [1, 2, 3], doc: 'one learning curve per seed, strategy and model' },
    peft: phasePeft('every AL step'),
    mitigation: {
      type: { kind: 'mitigation' },
      default: 'none',
      doc:
        "seed-instability mitigation of every step (docs/mitigation.md); the dev numbers are its predictor's, the pool " +
        'is scored by the main model (after SWA/EMA averaging). In the step keys when not none',
    },
    pool: {
      type: { kind: 'string', nullable: true },
      default: null,
      doc:
        'an id file (a pruning subset file, or one id per line) restricting the unlabelled pool to those training ' +
        'examples, relative to this config; null: the whole training split as data: reads it (data.train_size)',
    },
    warm_start: {
      type: { kind: 'int', min: 1 },
      default: 100,
      doc: 'labelled examples of step 0, drawn at random from the pool by the seed (the same for every strategy)',
    },
    query: { type: { kind: 'int', min: 1 }, default: 50, doc: 'examples labelled per AL step' },
    budget: {
      type: { kind: 'int', min: 1 },
      default: 1000,
      doc: 'labelled examples of the last step (warm_start + a whole number of queries)',
    },
    strategies: {
      type: { kind: 'string[]' },
      default: ['random', 'entropy'],
      doc: 'query strategies (libs/active STRATEGY_NAMES: random, entropy, badge, ...; label-free pruning methods too)',
    },
    strategy_options: {
      type: { kind: 'mapping' },
      default: {},
      doc: 'per strategy its options, e.g. { cal: { neighbours: 10 } } (docs/active-learning.md lists them)',
    },
    reinit: {
      type: { kind: 'bool' },
      default: true,
      doc: "true: every step fine-tunes the pretrained model afresh (the usual protocol); false: it continues from the previous step's weights",
    },
    mc_passes: {
      type: { kind: 'int', min: 1 },
      default: 10,
      doc: 'dropout passes of the MC-dropout strategies (mc_entropy, bald)',
    },
    probe_size: {
      type: { kind: 'int', min: 0 },
      default: 200,
      doc: 'evaluation examples whose per-layer representations CKA compares (pretrained vs each step); 0: no CKA',
    },
  },
  // Grafting (graft-config.ts, graft-job.ts, docs/grafting.md): present, every fine-tuning run it names gets a graft
  // job that finds the few parameters carrying what fine-tuning learned.
  graft: {
    runs: {
      type: { kind: 'enum[]', values: GRAFT_RUNS },
      default: ['full'],
      doc:
        'which fine-tuning runs of the grid are grafted: phase1 (the score runs), full (phase-2 full data), or a ' +
        'phase-2 method at the winning ticket (hscore: the ticket itself; random, ...: its baselines); plain runs ' +
        '(mitigation none) only',
    },
    sparsities: {
      type: { kind: 'number[]', min: 1e-9, below: 1 },
      default: [0.0001, 0.001, 0.01],
      doc: 'mask sizes as fractions of the parameters in scope (k = round(s x count), at least 1)',
    },
    methods: {
      type: { kind: 'enum[]', values: GRAFT_METHODS },
      default: ['graft', 'top_delta', 'random', 'fisher'],
      doc:
        'masks at each sparsity: graft (learned), top_delta (the k largest |theta_ft - theta_pre|, the base patch), ' +
        'random (k at random), fisher (the k largest diagonal empirical Fisher at theta_ft)',
    },
    lambdas: {
      type: { kind: 'number[]', min: 0, empty: true },
      default: [0.25, 0.5, 1],
      doc: 'task arithmetic over the whole scope: theta_pre + lambda x (theta_ft - theta_pre), one row per lambda',
    },
    scope: {
      type: { kind: 'enum', values: GRAFT_SCOPES },
      default: 'layers',
      doc:
        "parameters a mask may select: layers (the transformer layers, the authors' scope) or body (embeddings " +
        'too); outside it the model is the pretrained one, and the task head is always the fine-tuned one',
    },
    per_class: {
      type: { kind: 'int', min: 1, nullable: true },
      default: 16,
      doc:
        "examples per class of the run's training set the mask learns on (drawn by graft.seed; the rest of the " +
        "run's training set, up to as many again per class, is the dev set it is chosen by); null: the run's whole " +
        'training set, chosen by it alone',
    },
    beta: {
      type: { kind: 'number', min: 0 },
      default: 10,
      doc: 'sigmoid bias: gamma starts within sigmoid(-beta) of the base patch',
    },
    lr: { type: { kind: 'number', min: 0 }, default: 1e7, doc: "step size on S (the authors' scripts: 1e7)" },
    steps: { type: { kind: 'int', min: 1 }, default: 10, doc: 'steps on the mask, each scored after rounding' },
    batch_size: { type: { kind: 'int', min: 1 }, default: 8, doc: 'examples per forward pass of the mask gradient' },
    batches: {
      type: { kind: 'int', min: 0 },
      default: 0,
      doc: 'batches averaged per step (a seeded draw); 0: every example the mask learns on',
    },
    fisher_examples: {
      type: { kind: 'int', min: 1 },
      default: 128,
      doc: 'examples of the learning set whose squared per-example gradients make the Fisher scores',
    },
    seed: { type: { kind: 'int' }, default: 1, doc: 'seed of the example draw, the initial S and the random masks' },
  },
  run: {
    backend: {
      type: { kind: 'enum', values: BACKENDS },
      default: 'auto',
      doc: 'TensorFlow.js backend ($PRUNELAB_BACKEND also works)',
    },
    concurrency: {
      type: { kind: 'int', min: 0 },
      default: 0,
      doc: 'training jobs at once; 0: sized from the backend, cores and memory (1 on CPU)',
    },
    numeric_build: {
      type: { kind: 'enum', values: NUMERIC_BUILD_MODES },
      default: 'report',
      doc: "finished jobs made by another numeric build (backend, native addon, sgemm, threads): 'report' reuses them and says so; 'strict' reruns them and what uses their results",
    },
  },
  output: {
    dir: { type: { kind: 'string' }, default: 'results', doc: 'results/<name>/ holds jobs, report, plots and mlruns/' },
  },
} satisfies Record<string, Section>;

/** Sections that are maps of user-named entries: models.<name> (a model section) and per_task.<task>. */
export const MAPS = {
  models: { doc: 'models of the grid by a short name: path, family, ... plus optional data/phase1/phase2 overrides' },
  per_task: { doc: 'per-task overrides of data/phase1/phase2 (win over model overrides)' },
  custom_tasks: {
    doc:
      'tasks of your own data by a name (then listed in tasks): kind, train, dev or dev_fraction, format, text, ' +
      'label, labels, id (libs/datasets custom-task.ts)',
  },
} as const;

export interface DataCfg {
  root: string | null;
  train_size: number | null;
  /** few-shot: K training examples per class (train_size ignored); null: off. Absent in configs written before it */
  per_class: number | null;
  dev_size: number | null;
  seed: number;
  max_length: number;
  doc_stride: number;
  allow_download: boolean;
  lenient: boolean;
}
/**
 * The data settings as they enter job keys and cache keys: per_class only when set, so every key made before the
 * setting existed (or with it null) stays the same.
 */
export function dataSettingsKey(d: DataCfg): Omit<DataCfg, 'per_class'> & { per_class?: number } {
  if (d.per_class !== null && d.per_class !== undefined) return d as DataCfg & { per_class: number };
  const { per_class: _off, ...rest } = d;
  return rest;
}
/** `peft:` as written: none, or the method with its options (library names). */
export type PeftSetting = 'none' | PeftSpec;

export interface TrainingCfg {
  seeds: number[];
  epochs: number;
  batch_size: number;
  grad_accum: number;
  lr: number;
  warmup_steps: number;
  weight_decay: number;
  /** snapshot interval in optimizer steps (0: epoch ends); decides no output, so it is kept out of job hashes */
  checkpoint_every: number;
  /** null: the model's peft (cellSettings resolves it, so a cell's settings always hold a value) */
  peft: PeftSetting | null;
}
/** A mitigation as written: a name, or {method, label?, ...options} (mitigation-config.ts checks it). */
export type MitigationSetting = string | Record<string, unknown>;

export interface Phase1Cfg extends TrainingCfg {
  /** opt-in record fields; [] (the default) keeps the phase-1 job keys of configs made before the key existed */
  record: RecordField[];
  mitigation: MitigationSetting;
}
export interface Phase2Cfg extends TrainingCfg {
  mitigation: MitigationSetting[];
  /** extra seeds of full data and of the winning ticket's subset (every method there) */
  ticket_seeds: number[];
  methods: Method[];
  eval: (typeof EVAL_WHEN)[number];
}
/** `al:`: an active-learning experiment (pool, warm start, query, budget, strategies, the training of each step). */
export interface AlCfg extends TrainingCfg {
  mitigation: MitigationSetting;
  /** absolute path of an id file, or null: the whole training split */
  pool: string | null;
  warm_start: number;
  query: number;
  budget: number;
  strategies: string[];
  strategy_options: Record<string, Record<string, unknown>>;
  reinit: boolean;
  mc_passes: number;
  probe_size: number;
}
/** `graft:`: which runs are grafted and how (graft-job.ts). */
export interface GraftCfg {
  runs: GraftRun[];
  sparsities: number[];
  methods: GraftMethod[];
  lambdas: number[];
  scope: GraftScope;
  per_class: number | null;
  beta: number;
  lr: number;
  steps: number;
  batch_size: number;
  batches: number;
  fisher_examples: number;
  seed: number;
}
export interface Overrides {
  data?: Partial<DataCfg>;
  phase1?: Partial<Phase1Cfg>;
  phase2?: Partial<Phase2Cfg>;
  al?: Partial<AlCfg>;
}
export interface ModelCfg extends Overrides {
  path: string;
  family: Family;
  generate_if_missing: boolean;
  init_seed: number;
  pretrain?: string | null;
  /** the default of both phases (a phase's own peft wins) */
  peft?: PeftSetting;
}

export interface ExperimentConfig {
  name: string;
  extends: string | null;
  tasks: TaskName[];
  data: DataCfg;
  models: Record<string, ModelCfg>;
  per_task: Partial<Record<TaskName, Overrides>>;
  /** tasks defined in the config, with absolute paths (custom-tasks.ts) */
  custom_tasks: Record<string, Record<string, unknown>>;
  phase1: Phase1Cfg;
  phase2: Phase2Cfg;
  pruning: {
    subsets: string[];
    baselines_at: string[] | null;
    runs_used: number[] | null;
    epochs_used: number[] | null;
    random_seed: number;
    transfer: string[];
    /** per method name its options as given (checked by libs/pruning checkOptions; paths made absolute) */
    method_options: Record<string, Record<string, unknown>>;
  };
  /** an active-learning experiment; null: the pruning grid (phase 1, scores, phase 2) */
  al: AlCfg | null;
  /** graft jobs over the grid's fine-tuning runs; null: none */
  graft: GraftCfg | null;
  run: { backend: string; concurrency: number; numeric_build: NumericBuildMode };
  output: { dir: string };
}

/** The settings one (task, model) cell of the grid trains with: base <- model overrides <- task overrides. */
export interface CellSettings {
  data: DataCfg;
  phase1: Phase1Cfg;
  phase2: Phase2Cfg;
  /** the cell's AL settings (peft resolved); null: not an AL experiment */
  al: AlCfg | null;
}

export function cellSettings(cfg: ExperimentConfig, task: TaskName, model: string): CellSettings {
  const m = cfg.models[model];
  const t = cfg.per_task[task];
  // a phase's peft (per task, per model, top level: the first set) wins over the model's own
  const phase1 = { ...cfg.phase1, ...m?.phase1, ...t?.phase1 };
  const phase2 = { ...cfg.phase2, ...m?.phase2, ...t?.phase2 };
  return {
    data: { ...cfg.data, ...m?.data, ...t?.data },
    phase1: { ...phase1, peft: phase1.peft ?? m?.peft ?? 'none' },
    phase2: { ...phase2, peft: phase2.peft ?? m?.peft ?? 'none' },
    al: cfg.al && alSettings(cfg.al, m?.al, t?.al, m?.peft),
  };
}

function alSettings(
  base: AlCfg,
  m: Partial<AlCfg> | undefined,
  t: Partial<AlCfg> | undefined,
  modelPeft?: PeftSetting,
) {
  const al = { ...base, ...m, ...t };
  return { ...al, peft: al.peft ?? modelPeft ?? 'none' };
}
