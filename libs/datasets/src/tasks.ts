// The task registry: for every task, its kind, label names (in the Hugging Face ClassLabel order, so
// integer labels of the HF exports map directly), text fields, metrics, official split sizes and the
// on-disk layouts it can be read from (tried in order under a data root).
import type { TaskKind } from '@prunelab/core';

export type TaskName =
  | 'mnli'
  | 'sst2'
  | 'snli'
  | 'squad_v2'
  | 'race'
  | 'cola'
  | 'mrpc'
  | 'qnli'
  | 'qqp'
  | 'rte'
  | 'stsb'
  | 'wnli'
  | 'subj'
  | 'trec'
  | 'ag_news'
  | 'mr'
  | 'cr'
  | 'mpqa'
  | 'imdb'
  | 'cb';

export type MetricName = 'accuracy' | 'f1' | 'matthews' | 'pearson' | 'spearman' | 'squad_em' | 'squad_f1';

/** The metric report tables lead with (the others of the task are columns beside it), by its key in the scores:
 * accuracy; matthews (CoLA); pearson (STS-B, spearman beside); f1 = SQuAD v2 token F1 (exact_match beside). */
export type MainMetric = 'accuracy' | 'matthews' | 'pearson' | 'f1';

/** Files per split, relative to the layout's dir. */
type SplitFiles = Record<string, string>;

export type Layout =
  /** GLUE download: header rows are matched by column NAME (MNLI train has 12 columns, dev 16). */
  | { format: 'glue-tsv'; dir: string; files: SplitFiles; text: string[]; label?: string }
  /** GLUE files without a header (CoLA train/dev): columns by position. */
  | { format: 'glue-tsv-positional'; dir: string; files: SplitFiles; columns: string[]; text: number[]; label: number }
  /** SNLI 1.0 jsonl: sentence1, sentence2, gold_label ("-" = no consensus, dropped). */
  | { format: 'snli-jsonl'; dir: string; files: SplitFiles }
  /** SQuAD v2.0 json: data[].paragraphs[].qas[]. */
  | { format: 'squad-json'; dir: string; files: SplitFiles }
  /** RACE: <split>/{middle,high}/*.txt, each a JSON object with article, questions, options, answers. */
  | { format: 'race-folders'; dir: string; files: SplitFiles }
  /** One JSON object per line with named fields (IMDB, CB). */
  | { format: 'jsonl'; dir: string; files: SplitFiles; text: string[]; label: string }
  /** TREC: `COARSE:fine question` per line. */
  | { format: 'trec-txt'; dir: string; files: SplitFiles }
  /** SentEval: one sentence per line, one file per label (names in label order). */
  | { format: 'senteval'; dir: string; split: string; labelFiles: string[] }
  /** One file of `label<TAB>sentence` lines (SentEval as one file); a first line whose label is not one is a header. */
  | { format: 'label-tsv'; dir: string; files: SplitFiles }
  /** A task defined in the experiment config (custom-task.ts): absolute file paths per split, fields by name or
   * column number. */
  | CustomLayout
  /** AG News CSV: "class","title","description", class 1-based; text = title + " " + description. */
  | { format: 'ag-news-csv'; dir: string; files: SplitFiles }
  /** Hugging Face export: <dir>/<hfSplit>.parquet|.jsonl or sharded <hfSplit>-*.parquet. */
  | { format: 'hf'; dir: string; files: SplitFiles; text: string[]; label: string };

/** Table formats of a task defined in the config. */
export type TableFormat = 'csv' | 'tsv' | 'jsonl' | 'parquet';
/** A field by its name (header, JSON key, parquet column) or, in a csv/tsv file without a header, its column (0-based). */
export type FieldRef = string | number;

export interface CustomLayout {
  format: 'custom';
  dir: '';
  /** absolute paths per split: train and dev, or the single pool 'all' (dev_fraction) */
  files: SplitFiles;
  /** per split */
  tables: Record<string, TableFormat>;
  text: FieldRef[];
  label: FieldRef;
  id?: FieldRef;
}

export interface TaskSpec {
  /** a registry name, or the name of a task defined in the config (custom_tasks) */
  name: TaskName | (string & {});
  title: string;
  kind: TaskKind;
  /** Label names in id order (empty for regression and QA). */
  labels: string[];
  /** Raw label spellings of the native files that are not the names themselves ("0"/"1"). */
  labelAliases?: Record<string, number>;
  textFields: string[];
  metrics: MetricName[];
  /** The metric reports lead with. */
  mainMetric: MainMetric;
  /** The split evaluated after each epoch (the paper: dev; SNLI, RACE: test; MNLI: matched). A task whose copy
   * here is one pool ('all', SentEval) trains on a seeded 90% of it and evaluates on the other 10%. */
  evalSplit: string;
  /** Further splits evaluated and reported beside it (MNLI: mismatched). */
  extraEval?: string[];
  /** Official row counts per split (labelled rows the loader keeps), where known. */
  official: Record<string, number>;
  /** Splits whose published files carry no gold labels. */
  unlabelledSplits: string[];
  layouts: Layout[];
  /** One line on where the numbers come from / what is special. */
  note?: string;
  /** The share of a pool ('all') held out for evaluation; default POOL_HELD_OUT (0.1). */
  heldOut?: number;
  /** A task defined in the config: its definition as given (enters the data key, so an edit re-reads the data). */
  custom?: Record<string, unknown>;
}

const glue = (dir: string, text: string[], label: string, splits: string[] = ['train', 'dev', 'test']): Layout => ({
  format: 'glue-tsv',
  dir: `glue/${dir}`,
  files: Object.fromEntries(splits.map((s) => [s, `${s}.tsv`])),
  text,
  label,
});
const hf = (
  name: string,
  text: string[],
  label = 'label',
  splits: SplitFiles = { train: 'train', dev: 'validation', test: 'test' },
): Layout => ({
  format: 'hf',
  dir: `hf/${name}`,
  files: splits,
  text,
  label,
});
/** SentEval's one file per label, then the same set as one `label<TAB>sentence` file (<base>.tsv or .txt). */
const senteval = (dir: string, labelFiles: string[], base: string): Layout[] => [
  { format: 'senteval', dir: `SentEval/${dir}`, split: 'all', labelFiles },
  { format: 'label-tsv', dir: `SentEval/${dir}`, files: { all: `${base}.tsv` } },
  { format: 'label-tsv', dir: `SentEval/${dir}`, files: { all: `${base}.txt` } },
];
const binary01 = { '0': 0, '1': 1 };
// rotten_tomatoes and the SetFit SentEval exports name the classes neg/pos.
const negPos = { ...binary01, neg: 0, pos: 1 };

const SPECS: TaskSpec[] = [
  {
    name: 'mnli',
    title: 'MultiNLI',
    kind: 'classification',
    mainMetric: 'accuracy',
    evalSplit: 'dev_matched',
    extraEval: ['dev_mismatched'],
    labels: ['entailment', 'neutral', 'contradiction'],
    textFields: ['premise', 'hypothesis'],
    metrics: ['accuracy'],
    official: {
      train: 392_702,
      dev_matched: 9_815,
      dev_mismatched: 9_832,
      test_matched: 9_796,
      test_mismatched: 9_847,
    },
    unlabelledSplits: ['test_matched', 'test_mismatched'],
    layouts: [
      glue('MNLI', ['sentence1', 'sentence2'], 'gold_label', [
        'train',
        'dev_matched',
        'dev_mismatched',
        'test_matched',
        'test_mismatched',
      ]),
      hf('mnli', ['premise', 'hypothesis'], 'label', {
        train: 'train',
        dev_matched: 'validation_matched',
        dev_mismatched: 'validation_mismatched',
        test_matched: 'test_matched',
        test_mismatched: 'test_mismatched',
      }),
    ],
  },
  {
    name: 'sst2',
    title: 'SST-2',
    kind: 'classification',
    mainMetric: 'accuracy',
    evalSplit: 'dev',
    labels: ['negative', 'positive'],
    labelAliases: binary01,
    textFields: ['sentence'],
    metrics: ['accuracy'],
    official: { train: 67_349, dev: 872, test: 1_821 },
    unlabelledSplits: ['test'],
    layouts: [glue('SST-2', ['sentence'], 'label'), hf('sst2', ['sentence'])],
  },
  {
    name: 'snli',
    title: 'SNLI',
    kind: 'classification',
    mainMetric: 'accuracy',
    evalSplit: 'test',
    labels: ['entailment', 'neutral', 'contradiction'],
    textFields: ['premise', 'hypothesis'],
    metrics: ['accuracy'],
    // 550,152 / 10,000 / 10,000 pairs, of which 785 / 158 / 176 have no gold label ("-") and are dropped.
    official: { train: 549_367, dev: 9_842, test: 9_824 },
    unlabelledSplits: [],
    layouts: [
      {
        format: 'snli-jsonl',
        dir: 'snli_1.0',
        files: { train: 'snli_1.0_train.jsonl', dev: 'snli_1.0_dev.jsonl', test: 'snli_1.0_test.jsonl' },
      },
      glue('SNLI', ['sentence1', 'sentence2'], 'gold_label'),
      hf('snli', ['premise', 'hypothesis']),
    ],
  },
  {
    name: 'squad_v2',
    title: 'SQuAD v2.0',
    kind: 'extractive-qa',
    mainMetric: 'f1',
    evalSplit: 'dev',
    labels: [],
    textFields: ['question', 'context'],
    metrics: ['squad_em', 'squad_f1'],
    official: { train: 130_319, dev: 11_873 },
    unlabelledSplits: [],
    layouts: [
      { format: 'squad-json', dir: 'squad_v2', files: { train: 'train-v2.0.json', dev: 'dev-v2.0.json' } },
      hf('squad_v2', ['question', 'context'], 'answers', { train: 'train', dev: 'validation' }),
    ],
  },
  {
    name: 'race',
    title: 'RACE (all = middle + high)',
    kind: 'multiple-choice',
    mainMetric: 'accuracy',
    evalSplit: 'test',
    labels: ['A', 'B', 'C', 'D'],
    textFields: ['article', 'question', 'options'],
    metrics: ['accuracy'],
    official: { train: 87_866, dev: 4_887, test: 4_934 },
    unlabelledSplits: [],
    layouts: [
      { format: 'race-folders', dir: 'RACE', files: { train: 'train', dev: 'dev', test: 'test' } },
      hf('race', ['article', 'question'], 'answer'),
    ],
  },
  {
    name: 'cola',
    title: 'CoLA',
    kind: 'classification',
    mainMetric: 'matthews',
    evalSplit: 'dev',
    labels: ['unacceptable', 'acceptable'],
    labelAliases: binary01,
    textFields: ['sentence'],
    metrics: ['matthews'],
    official: { train: 8_551, dev: 1_043, test: 1_063 },
    unlabelledSplits: ['test'],
    note: 'train/dev have no header row: source, label, original label, sentence',
    layouts: [
      {
        format: 'glue-tsv-positional',
        dir: 'glue/CoLA',
        files: { train: 'train.tsv', dev: 'dev.tsv' },
        columns: ['source', 'label', 'original label', 'sentence'],
        text: [3],
        label: 1,
      },
      glue('CoLA', ['sentence'], 'label', ['test']),
      hf('cola', ['sentence']),
    ],
  },
  {
    name: 'mrpc',
    title: 'MRPC',
    kind: 'classification',
    mainMetric: 'accuracy',
    evalSplit: 'dev',
    labels: ['not_equivalent', 'equivalent'],
    labelAliases: binary01,
    textFields: ['sentence1', 'sentence2'],
    metrics: ['accuracy', 'f1'],
    official: { train: 3_668, dev: 408, test: 1_725 },
    unlabelledSplits: ['test'],
    note: 'label column "Quality"; sentences contain literal double quotes (no CSV quoting)',
    layouts: [glue('MRPC', ['#1 String', '#2 String'], 'Quality'), hf('mrpc', ['sentence1', 'sentence2'])],
  },
  {
    name: 'qnli',
    title: 'QNLI',
    kind: 'classification',
    mainMetric: 'accuracy',
    evalSplit: 'dev',
    labels: ['entailment', 'not_entailment'],
    textFields: ['question', 'sentence'],
    metrics: ['accuracy'],
    official: { train: 104_743, dev: 5_463, test: 5_463 },
    unlabelledSplits: ['test'],
    layouts: [glue('QNLI', ['question', 'sentence'], 'label'), hf('qnli', ['question', 'sentence'])],
  },
  {
    name: 'qqp',
    title: 'QQP',
    kind: 'classification',
    mainMetric: 'accuracy',
    evalSplit: 'dev',
    labels: ['not_duplicate', 'duplicate'],
    labelAliases: binary01,
    textFields: ['question1', 'question2'],
    metrics: ['accuracy', 'f1'],
    official: { train: 363_846, dev: 40_430, test: 390_965 },
    unlabelledSplits: ['test'],
    layouts: [glue('QQP', ['question1', 'question2'], 'is_duplicate'), hf('qqp', ['question1', 'question2'])],
  },
  {
    name: 'rte',
    title: 'RTE',
    kind: 'classification',
    mainMetric: 'accuracy',
    evalSplit: 'dev',
    labels: ['entailment', 'not_entailment'],
    textFields: ['sentence1', 'sentence2'],
    metrics: ['accuracy'],
    official: { train: 2_490, dev: 277, test: 3_000 },
    unlabelledSplits: ['test'],
    layouts: [glue('RTE', ['sentence1', 'sentence2'], 'label'), hf('rte', ['sentence1', 'sentence2'])],
  },
  {
    name: 'stsb',
    title: 'STS-B',
    kind: 'regression',
    mainMetric: 'pearson',
    evalSplit: 'dev',
    labels: [],
    textFields: ['sentence1', 'sentence2'],
    metrics: ['pearson', 'spearman'],
    official: { train: 5_749, dev: 1_500, test: 1_379 },
    unlabelledSplits: ['test'],
    note: 'similarity score 0..5 (float) in column "score"',
    layouts: [glue('STS-B', ['sentence1', 'sentence2'], 'score'), hf('stsb', ['sentence1', 'sentence2'])],
  },
  {
    name: 'wnli',
    title: 'WNLI',
    kind: 'classification',
    mainMetric: 'accuracy',
    evalSplit: 'dev',
    labels: ['not_entailment', 'entailment'],
    labelAliases: binary01,
    textFields: ['sentence1', 'sentence2'],
    metrics: ['accuracy'],
    official: { train: 635, dev: 71, test: 146 },
    unlabelledSplits: ['test'],
    layouts: [glue('WNLI', ['sentence1', 'sentence2'], 'label'), hf('wnli', ['sentence1', 'sentence2'])],
  },
  {
    name: 'subj',
    title: 'SUBJ',
    kind: 'classification',
    mainMetric: 'accuracy',
    evalSplit: 'test',
    labels: ['objective', 'subjective'],
    labelAliases: binary01,
    textFields: ['sentence'],
    metrics: ['accuracy'],
    official: { all: 10_000, train: 8_000, test: 2_000 },
    unlabelledSplits: [],
    note: 'SentEval ships one pool ("all", 10-fold CV); the HF export (SetFit/subj) has train/test',
    layouts: [
      ...senteval('SUBJ', ['subj.objective', 'subj.subjective'], 'subj'),
      hf('subj', ['text'], 'label', { train: 'train', test: 'test' }),
    ],
  },
  {
    name: 'trec',
    title: 'TREC (coarse, 6 classes)',
    kind: 'classification',
    mainMetric: 'accuracy',
    evalSplit: 'test',
    labels: ['ABBR', 'ENTY', 'DESC', 'HUM', 'LOC', 'NUM'],
    textFields: ['question'],
    metrics: ['accuracy'],
    official: { train: 5_452, test: 500 },
    unlabelledSplits: [],
    layouts: [
      { format: 'trec-txt', dir: 'other/trec', files: { train: 'train.txt', test: 'test.txt' } },
      { format: 'trec-txt', dir: 'trec', files: { train: 'train_5500.label', test: 'TREC_10.label' } },
      hf('trec', ['text'], 'coarse_label', { train: 'train', test: 'test' }),
    ],
  },
  {
    name: 'ag_news',
    title: 'AG News',
    kind: 'classification',
    mainMetric: 'accuracy',
    evalSplit: 'test',
    labels: ['World', 'Sports', 'Business', 'Sci/Tech'],
    labelAliases: { '1': 0, '2': 1, '3': 2, '4': 3 },
    textFields: ['text'],
    metrics: ['accuracy'],
    official: { train: 120_000, test: 7_600 },
    unlabelledSplits: [],
    layouts: [
      { format: 'ag-news-csv', dir: 'ag_news_csv', files: { train: 'train.csv', test: 'test.csv' } },
      hf('ag_news', ['text'], 'label', { train: 'train', test: 'test' }),
    ],
  },
  {
    name: 'mr',
    title: 'MR (movie review polarity)',
    kind: 'classification',
    mainMetric: 'accuracy',
    evalSplit: 'dev',
    labels: ['negative', 'positive'],
    labelAliases: negPos,
    textFields: ['sentence'],
    metrics: ['accuracy'],
    official: { all: 10_662, train: 8_530, dev: 1_066, test: 1_066 },
    unlabelledSplits: [],
    note: 'SentEval pool "all"; the HF export (rotten_tomatoes) has train/validation/test',
    layouts: [...senteval('MR', ['rt-polarity.neg', 'rt-polarity.pos'], 'mr'), hf('mr', ['text'])],
  },
  {
    name: 'cr',
    title: 'CR (customer reviews)',
    kind: 'classification',
    mainMetric: 'accuracy',
    evalSplit: 'test',
    labels: ['negative', 'positive'],
    labelAliases: negPos,
    textFields: ['sentence'],
    metrics: ['accuracy'],
    official: { all: 3_775 },
    unlabelledSplits: [],
    layouts: [
      ...senteval('CR', ['custrev.neg', 'custrev.pos'], 'cr'),
      hf('cr', ['text'], 'label', { train: 'train', test: 'test' }),
    ],
  },
  {
    name: 'mpqa',
    title: 'MPQA (opinion polarity)',
    kind: 'classification',
    mainMetric: 'accuracy',
    evalSplit: 'test',
    labels: ['negative', 'positive'],
    labelAliases: negPos,
    textFields: ['sentence'],
    metrics: ['accuracy'],
    official: { all: 10_606 },
    unlabelledSplits: [],
    layouts: [
      ...senteval('MPQA', ['mpqa.neg', 'mpqa.pos'], 'mpqa'),
      hf('mpqa', ['text'], 'label', { train: 'train', test: 'test' }),
    ],
  },
  {
    name: 'imdb',
    title: 'IMDB (aclImdb v1)',
    kind: 'classification',
    mainMetric: 'accuracy',
    evalSplit: 'test',
    labels: ['neg', 'pos'],
    labelAliases: binary01,
    textFields: ['text'],
    metrics: ['accuracy'],
    official: { train: 25_000, test: 25_000 },
    unlabelledSplits: [],
    layouts: [
      {
        format: 'jsonl',
        dir: 'other/imdb',
        files: { train: 'train.jsonl', test: 'test.jsonl' },
        text: ['text'],
        label: 'label',
      },
      hf('imdb', ['text'], 'label', { train: 'train', test: 'test' }),
    ],
  },
  {
    name: 'cb',
    title: 'CommitmentBank (SuperGLUE)',
    kind: 'classification',
    mainMetric: 'accuracy',
    evalSplit: 'dev',
    labels: ['entailment', 'contradiction', 'neutral'],
    textFields: ['premise', 'hypothesis'],
    metrics: ['accuracy', 'f1'],
    official: { train: 250, dev: 56, test: 250 },
    unlabelledSplits: ['test'],
    note: 'SuperGLUE scores CB by accuracy and macro-F1 over the 3 classes',
    layouts: [
      {
        format: 'jsonl',
        dir: 'other/cb',
        files: { train: 'train.jsonl', dev: 'val.jsonl', test: 'test.jsonl' },
        text: ['premise', 'hypothesis'],
        label: 'label',
      },
      {
        format: 'jsonl',
        dir: 'CB',
        files: { train: 'train.jsonl', dev: 'val.jsonl', test: 'test.jsonl' },
        text: ['premise', 'hypothesis'],
        label: 'label',
      },
      hf('cb', ['premise', 'hypothesis']),
    ],
  },
];

export const TASKS: ReadonlyMap<TaskName, TaskSpec> = new Map(SPECS.map((s) => [s.name as TaskName, s]));
export const TASK_NAMES = SPECS.map((s) => s.name as TaskName);

/** Tasks defined in the experiment config (custom_tasks), registered when the config is read. */
const CUSTOM = new Map<string, TaskSpec>();

/** Adds (or replaces) a task defined in the config; a registry name or spelling cannot be reused. */
export function registerTask(spec: TaskSpec): void {
  const taken = registryTask(spec.name);
  if (taken)
    throw new Error(
      `task ${JSON.stringify(spec.name)} is the registry's ${taken.title} (${taken.name}); give your task another name`,
    );
  CUSTOM.set(spec.name, spec);
}

/** The names of the tasks defined in the config so far. */
export const customTaskNames = (): string[] => [...CUSTOM.keys()];

function registryTask(name: string): TaskSpec | undefined {
  const key = name.toLowerCase().replace(/[-\s.]/g, '_');
  const alias: Record<string, TaskName> = {
    sst_2: 'sst2',
    sts_b: 'stsb',
    squad2: 'squad_v2',
    squadv2: 'squad_v2',
    squad_2_0: 'squad_v2',
    agnews: 'ag_news',
    multinli: 'mnli',
  };
  return TASKS.get((alias[key] ?? key) as TaskName);
}

/** Accepts the registry names and the common spellings (SST-2, STS-B, squad2, ag-news). */
export function getTask(name: string): TaskSpec {
  const spec = CUSTOM.get(name) ?? registryTask(name);
  if (!spec)
    throw new Error(
      `unknown task ${JSON.stringify(name)}; known tasks: ${[...TASK_NAMES, ...CUSTOM.keys()].join(', ')} ` +
        '(a task of your own is defined under custom_tasks in the config)',
    );
  return spec;
}

/** Every split a task's layouts can provide. */
export function taskSplits(spec: TaskSpec): string[] {
  const out = new Set<string>();
  for (const l of spec.layouts) {
    if (l.format === 'senteval') out.add(l.split);
    else for (const s of Object.keys(l.files)) out.add(s);
  }
  return [...out];
}

/** Training examples before any data is read: the official train split, or the 90% of a single pool. */
export function officialTrainSize(spec: TaskSpec): number {
  return spec.official['train'] ?? Math.round((spec.official['all'] ?? 0) * 0.9);
}

/** Label id of a raw label value, or undefined when it is not one of the task's labels. */
export function labelId(spec: TaskSpec, raw: string): number | undefined {
  const byName = spec.labels.indexOf(raw);
  if (byName >= 0) return byName;
  return spec.labelAliases?.[raw];
}

export function describeLabels(spec: TaskSpec): string {
  const aliases = Object.entries(spec.labelAliases ?? {});
  const names = spec.labels.map((l, i) => {
    const a = aliases.filter(([, v]) => v === i).map(([k]) => k);
    return a.length ? `${a.join('/')} (${l})` : l;
  });
  return names.join(', ');
}
