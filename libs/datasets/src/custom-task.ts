// A task defined in the experiment config (`custom_tasks.<name>`): the user's own train/dev files in CSV, TSV, JSONL
// or parquet, which field(s) hold the text and which the label, the label names, the kind. The definition becomes a
// registry row (TaskSpec) with a 'custom' layout, so the grid, the kinds, the ids and the reports treat it like any
// registry task. Errors name the config key (`custom_tasks.<name>.<key>`) and what is allowed.
import path from 'node:path';
import { getTask, registerTask, type CustomLayout, type FieldRef, type TableFormat, type TaskSpec } from './tasks.ts';

/** The kinds a table of text(s) and a label can define: classification (one text or a pair) and regression. */
export const CUSTOM_KINDS = ['classification', 'regression'] as const;
export const TABLE_FORMATS: readonly TableFormat[] = ['csv', 'tsv', 'jsonl', 'parquet'];
export const CUSTOM_KEYS = ['kind', 'train', 'dev', 'dev_fraction', 'format', 'text', 'label', 'labels', 'id'] as const;

/** A config error at a key under custom_tasks.<name> (the app turns it into file:line). */
export class CustomTaskError extends Error {
  constructor(
    readonly key: string[],
    message: string,
  ) {
    super(`'${key.join('.')}' ${message}`);
  }
}

const EXT: Record<string, TableFormat> = {
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.tab': 'tsv',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.parquet': 'parquet',
};

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isRef = (v: unknown): v is FieldRef =>
  (typeof v === 'string' && v.length > 0) || (Number.isInteger(v) && (v as number) >= 0);

/**
 * Checks one definition and turns it into a task spec. `baseDir` resolves relative paths (the folder of the config
 * file that defines the task). Throws CustomTaskError naming the key.
 */
export function customTaskSpec(name: string, def: unknown, baseDir: string): TaskSpec {
  const at = (...k: string[]) => ['custom_tasks', name, ...k];
  const fail = (k: string[], msg: string): never => {
    throw new CustomTaskError(k, msg);
  };
  if (!/^[A-Za-z][\w.-]*$/.test(name))
    fail(at(), 'is not a task name: use letters, digits, "_", "." or "-", starting with a letter (it names folders)');
  let taken: TaskSpec | undefined;
  try {
    taken = getTask(name);
  } catch {
    taken = undefined;
  }
  if (taken && !taken.custom)
    fail(at(), `reuses the registry's task ${taken.name} (${taken.title}); give your task another name`);
  if (!isObject(def))
    fail(at(), 'must be a mapping: kind, train, dev (or dev_fraction), format, text, label, labels, id');
  const d = def as Record<string, unknown>;
  for (const k of Object.keys(d))
    if (!(CUSTOM_KEYS as readonly string[]).includes(k))
      fail(at(k), `is not a key of a custom task; allowed: ${CUSTOM_KEYS.join(', ')}`);

  const kind = d.kind ?? 'classification';
  if (!(CUSTOM_KINDS as readonly unknown[]).includes(kind))
    fail(
      at('kind'),
      `is ${JSON.stringify(kind)}; expected ${CUSTOM_KINDS.join(' or ')} (a pair classification is ` +
        'classification with text: [first, second])',
    );

  const file = (k: 'train' | 'dev'): string => {
    const v = d[k];
    if (typeof v !== 'string' || v === '')
      fail(at(k), `must be a path to the ${k} file (relative to the config file's folder, or absolute)`);
    return path.resolve(baseDir, v as string);
  };
  if (d.train === undefined) fail(at('train'), 'is required: the path of the training file');
  const train = file('train');
  if (d.dev !== undefined && d.dev_fraction !== undefined)
    fail(at('dev_fraction'), 'cannot be given with dev: evaluate on the dev file or on a held-out share of train');
  const dev = d.dev === undefined ? undefined : file('dev');
  const fraction = d.dev_fraction ?? (dev ? undefined : 0.1);
  if (fraction !== undefined && !(typeof fraction === 'number' && fraction > 0 && fraction < 1))
    fail(at('dev_fraction'), `is ${JSON.stringify(fraction)}; expected a number between 0 and 1, e.g. 0.1`);

  const format = d.format;
  if (format !== undefined && !TABLE_FORMATS.includes(format as TableFormat))
    fail(at('format'), `is ${JSON.stringify(format)}; expected one of ${TABLE_FORMATS.join(', ')}`);
  const tableOf = (f: string, k: string): TableFormat => {
    if (format) return format as TableFormat;
    const ext = EXT[path.extname(f).toLowerCase()];
    return (
      ext ??
      fail(
        at(k),
        `${f}: cannot tell the format from the extension ${JSON.stringify(path.extname(f))}; add ` +
          `format: ${TABLE_FORMATS.join(' | ')}`,
      )
    );
  };
  const files: Record<string, string> = dev ? { train, dev } : { all: train };
  const tables: Record<string, TableFormat> = dev
    ? { train: tableOf(train, 'train'), dev: tableOf(dev, 'dev') }
    : { all: tableOf(train, 'train') };

  const text = Array.isArray(d.text) ? d.text : [d.text];
  if (d.text === undefined || text.length < 1 || text.length > 2 || !text.every(isRef))
    fail(
      at('text'),
      `is ${JSON.stringify(d.text)}; expected the text field's name (text: review), or two for a pair ` +
        '(text: [premise, hypothesis]); in a csv/tsv file without a header line, column numbers from 0',
    );
  if (!isRef(d.label))
    fail(at('label'), `is ${JSON.stringify(d.label)}; expected the label field's name (or its column number from 0)`);
  if (d.id !== undefined && !isRef(d.id))
    fail(at('id'), `is ${JSON.stringify(d.id)}; expected the id field's name (or its column number), or leave it out`);
  const refs = [...(text as FieldRef[]), d.label as FieldRef, ...(d.id === undefined ? [] : [d.id as FieldRef])];
  const numbered = refs.filter((r) => typeof r === 'number');
  if (numbered.length > 0 && numbered.length < refs.length)
    fail(at('text'), 'and label/id mix names and column numbers: use names (a header line) or numbers (none)');
  if (numbered.length > 0)
    for (const [split, t] of Object.entries(tables))
      if (t !== 'csv' && t !== 'tsv')
        fail(
          at(split === 'dev' ? 'dev' : 'train'),
          `is ${t}: its fields have names, so name them (column numbers are for csv/tsv)`,
        );
  if (new Set(refs.map(String)).size < refs.length)
    fail(at('text'), `, label and id name the same field twice (${refs.join(', ')})`);

  let labels: string[] = [];
  let labelAliases: Record<string, number> | undefined;
  if (kind === 'classification') {
    const l = d.labels;
    if (Number.isInteger(l) && (l as number) >= 2) {
      labels = Array.from({ length: l as number }, (_, i) => String(i));
    } else if (Array.isArray(l) && l.length >= 2 && l.every((x) => typeof x === 'string' || Number.isInteger(x))) {
      labels = l.map(String);
      if (new Set(labels).size < labels.length) fail(at('labels'), `lists a name twice (${labels.join(', ')})`);
      // a file may hold the class numbers 0..C-1 instead of the names (unless the names are numbers themselves)
      const numeric = labels.some((x) => /^\d+$/.test(x));
      if (!numeric) labelAliases = Object.fromEntries(labels.map((_, i) => [String(i), i]));
    } else {
      fail(
        at('labels'),
        `is ${JSON.stringify(l)}; expected the label names in class order (labels: [neg, pos]) or the number of ` +
          'classes when the file holds 0..C-1 (labels: 3)',
      );
    }
  } else if (d.labels !== undefined) {
    fail(at('labels'), 'is for classification; a regression label is a number');
  }

  const textFields = (text as FieldRef[]).map(String);
  const layout: CustomLayout = {
    format: 'custom',
    dir: '',
    files,
    tables,
    text: text as FieldRef[],
    label: d.label as FieldRef,
    ...(d.id !== undefined && { id: d.id as FieldRef }),
  };
  return {
    name,
    title: name,
    kind: kind as TaskSpec['kind'],
    labels,
    ...(labelAliases && { labelAliases }),
    textFields,
    metrics: kind === 'regression' ? ['pearson', 'spearman'] : ['accuracy'],
    mainMetric: kind === 'regression' ? 'pearson' : 'accuracy',
    evalSplit: dev ? 'dev' : 'heldout',
    official: {},
    unlabelledSplits: [],
    layouts: [layout],
    ...(fraction !== undefined && { heldOut: fraction as number }),
    note: `defined in the config: ${Object.values(files).join(', ')}`,
    custom: { ...d, train, ...(dev && { dev }) },
  };
}

/** Checks and registers every task of a config's custom_tasks; returns their specs. */
export function registerCustomTasks(defs: Record<string, unknown>, baseDir: (name: string) => string): TaskSpec[] {
  return Object.entries(defs).map(([name, def]) => {
    const spec = customTaskSpec(name, def, baseDir(name));
    registerTask(spec);
    return spec;
  });
}
