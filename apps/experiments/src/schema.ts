// The experiment config: its keys, their types and defaults. One table, so validation, defaults and the
// documentation in experiments/README.md cannot drift apart.
export type FieldType =
  | { kind: 'string'; nullable?: boolean }
  | { kind: 'int'; min?: number; nullable?: boolean }
  | { kind: 'number'; min?: number }
  | { kind: 'bool' }
  | { kind: 'enum'; values: string[] }
  | { kind: 'int[]'; min?: number; nullable?: boolean }
  | { kind: 'enum[]'; values: string[] };

export interface Field { type: FieldType; default: unknown; doc: string }
export type Section = Record<string, Field>;

export const METHODS = ['full', 'hscore', 'random'] as const;
export type Method = (typeof METHODS)[number];

export const SCHEMA = {
  top: {
    name: { type: { kind: 'string' }, default: undefined, doc: 'experiment name: results/<name>/ and the MLflow experiment' },
    task: { type: { kind: 'enum', values: ['sst2'] }, default: 'sst2', doc: 'task to fine-tune on' },
  },
  data: {
    root: { type: { kind: 'string', nullable: true }, default: null, doc: 'folder holding glue/SST-2; null: $PRUNELAB_DATA, ../shared/data, download cache, synthetic' },
    train_size: { type: { kind: 'int', min: 1 }, default: 2000, doc: 'training sentences kept (seeded subsample)' },
    dev_size: { type: { kind: 'int', min: 1, nullable: true }, default: null, doc: 'dev sentences kept; null: the whole dev split' },
    seed: { type: { kind: 'int' }, default: 1, doc: 'seed of the subsample' },
    allow_download: { type: { kind: 'bool' }, default: true, doc: 'download SST-2 into the cache when no local copy exists' },
    lenient: { type: { kind: 'bool' }, default: false, doc: 'skip malformed rows (reported) instead of stopping' },
  },
  model: {
    path: { type: { kind: 'string' }, default: '.cache/models/tiny-bert-random', doc: 'Hugging Face style model folder (config.json, model.safetensors, tokenizer.json)' },
    generate_if_missing: { type: { kind: 'bool' }, default: true, doc: 'create a random tiny BERT there when the folder is empty' },
    init_seed: { type: { kind: 'int' }, default: 0, doc: 'seed of that random model' },
    max_length: { type: { kind: 'int', min: 8 }, default: 64, doc: 'tokens per example (longer ones are truncated)' },
    backend: { type: { kind: 'enum', values: ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] }, default: 'auto', doc: 'TensorFlow.js backend ($PRUNELAB_BACKEND also works)' },
  },
  phase1: {
    seeds: { type: { kind: 'int[]' }, default: [342, 4827, 1215, 98, 8128, 828], doc: 'one score run per seed (R = their number; the paper\'s six)' },
    epochs: { type: { kind: 'int', min: 1 }, default: 3, doc: 'epochs per score run (E)' },
    batch_size: { type: { kind: 'int', min: 1 }, default: 32, doc: 'batch size' },
    lr: { type: { kind: 'number', min: 0 }, default: 2e-5, doc: 'peak learning rate (linear decay to 0)' },
    warmup_steps: { type: { kind: 'int', min: 0 }, default: 0, doc: 'linear warm-up steps' },
    weight_decay: { type: { kind: 'number', min: 0 }, default: 0, doc: 'AdamW weight decay' },
  },
  phase2: {
    seeds: { type: { kind: 'int[]' }, default: [6666], doc: 'one run per seed and method (the paper: 6666)' },
    epochs: { type: { kind: 'int', min: 1 }, default: 3, doc: 'epochs per run' },
    batch_size: { type: { kind: 'int', min: 1 }, default: 32, doc: 'batch size' },
    lr: { type: { kind: 'number', min: 0 }, default: 2e-5, doc: 'peak learning rate (linear decay to 0)' },
    warmup_steps: { type: { kind: 'int', min: 0 }, default: 0, doc: 'linear warm-up steps' },
    weight_decay: { type: { kind: 'number', min: 0 }, default: 0, doc: 'AdamW weight decay' },
    methods: { type: { kind: 'enum[]', values: [...METHODS] }, default: [...METHODS], doc: 'full data, the H-score subset, a random subset of the same size' },
  },
  pruning: {
    remove: { type: { kind: 'int[]', min: 0, nullable: true }, default: null, doc: 'H values the H-score subset removes; null: the winning ticket [0, R]' },
    random_seed: { type: { kind: 'int' }, default: 1, doc: 'seed of the random baseline' },
  },
  output: {
    dir: { type: { kind: 'string' }, default: 'results', doc: 'results/<name>/ holds the report, plots, subsets, records and mlruns/' },
  },
} satisfies Record<string, Section>;

export interface ExperimentConfig {
  name: string;
  task: 'sst2';
  data: { root: string | null; train_size: number; dev_size: number | null; seed: number; allow_download: boolean; lenient: boolean };
  model: { path: string; generate_if_missing: boolean; init_seed: number; max_length: number; backend: string };
  phase1: { seeds: number[]; epochs: number; batch_size: number; lr: number; warmup_steps: number; weight_decay: number };
  phase2: { seeds: number[]; epochs: number; batch_size: number; lr: number; warmup_steps: number; weight_decay: number; methods: Method[] };
  pruning: { remove: number[] | null; random_seed: number };
  output: { dir: string };
}
