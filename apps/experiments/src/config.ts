// Reading an experiment YAML: `extends:` chains (deep merge, cycles detected), `--set a.b=value` overrides,
// defaults from the schema, and errors that name the file, the line, the key and what is allowed.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { kindOfTask } from '@prunelab/datasets';
import {
  cellSettings,
  MAPS,
  OVERRIDABLE,
  SCHEMA,
  TASKS,
  type ExperimentConfig,
  type Field,
  type RecordField,
  type Section,
} from './schema.ts';
import { checkOptions, SELECTION_METHOD_NAMES, selectionMethod } from '@prunelab/pruning';
import { CustomTasksConfigError, readCustomTasks } from './custom-tasks.ts';
import { checkPeftConfig, PeftConfigError } from './peft.ts';
import { AlConfigError, checkAlConfig } from './al-config.ts';
import { checkMitigations } from './mitigation-config.ts';
import { checkGraftConfig } from './graft-config.ts';

export class ConfigError extends Error {}

type Locator = (path: string[]) => string;
/** The locator of each validated config ("file:line" of a key), for checks made later, when the grid is planned. */
const LOCATORS = new WeakMap<object, Locator>();

/** Where a key of `cfg` was set ("file:line", "--set ..."); for a config not read here (config.json), its name. */
export function whereOf(cfg: ExperimentConfig): Locator {
  return LOCATORS.get(cfg) ?? (() => `config '${cfg.name}'`);
}

/** `to` derives from `from` (a copy with fewer models): its keys are where `from`'s were. */
export function sameSource<T extends ExperimentConfig>(from: ExperimentConfig, to: T): T {
  const w = LOCATORS.get(from);
  if (w) LOCATORS.set(to, w);
  return to;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

export function didYouMean(key: string, allowed: readonly string[]): string {
  const best = allowed.map((k) => [k, editDistance(key, k)] as const).sort((x, y) => x[1] - y[1])[0];
  return best && best[1] <= Math.max(2, Math.floor(key.length / 3)) ? ` (did you mean '${best[0]}'?)` : '';
}

function describe(f: Field): string {
  const t = f.type;
  if (t.kind === 'enum' || t.kind === 'enum[]')
    return `${t.kind === 'enum[]' ? 'a list of ' : 'one of '}${t.values.join(', ')}`;
  const base = {
    string: 'a string',
    int: 'an integer',
    number: 'a number',
    bool: 'true or false',
    'int[]': `a ${'empty' in t && t.empty ? '' : 'non-empty '}list of integers`,
    'number[]': `a ${'empty' in t && t.empty ? '' : 'non-empty '}list of numbers`,
    'string[]': 'a list of strings',
    mapping: 'a mapping of keys',
    peft: 'none or {method: <a PEFT method>, <its options>}',
    mitigation: 'a mitigation name or {method: <a mitigation>, <its options>}',
    'mitigation[]': 'a non-empty list of mitigation names or {method: <a mitigation>, <its options>}',
  }[t.kind];
  return (
    base +
    ('min' in t && t.min !== undefined ? ` >= ${t.min}` : '') +
    ('below' in t && t.below !== undefined ? ` below ${t.below}` : '') +
    ('nullable' in t && t.nullable ? ' or null' : '')
  );
}

/** The value if it fits the field, else undefined. */
function check(f: Field, v: unknown): unknown {
  const t = f.type;
  if (v === null && 'nullable' in t && t.nullable) return null;
  const min = 'min' in t && t.min !== undefined ? t.min : -Infinity;
  switch (t.kind) {
    case 'string':
      return typeof v === 'string' && v.length > 0 ? v : undefined;
    case 'int':
      return Number.isInteger(v) && (v as number) >= min ? v : undefined;
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) && v >= min ? v : undefined;
    case 'bool':
      return typeof v === 'boolean' ? v : undefined;
    case 'enum':
      return typeof v === 'string' && t.values.includes(v) ? v : undefined;
    case 'int[]':
      return Array.isArray(v) && (v.length > 0 || t.empty) && v.every((x) => Number.isInteger(x) && x >= min)
        ? v
        : undefined;
    case 'number[]':
      return Array.isArray(v) &&
        (v.length > 0 || t.empty) &&
        v.every(
          (x) => typeof x === 'number' && Number.isFinite(x) && x >= min && (t.below === undefined || x < t.below),
        )
        ? v
        : undefined;
    case 'string[]':
      return Array.isArray(v) && v.every((x) => typeof x === 'string' && x.length > 0) ? v : undefined;
    case 'enum[]':
      return Array.isArray(v) && (v.length > 0 || t.empty) && v.every((x) => t.values.includes(x)) ? v : undefined;
    case 'mapping':
      return isObject(v) ? v : undefined;
    case 'peft':
      return v === 'none' || isObject(v) ? v : undefined;
    case 'mitigation':
      return typeof v === 'string' || isObject(v) ? v : undefined;
    case 'mitigation[]':
      return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string' || isObject(x)) ? v : undefined;
  }
}

type Where = (path: string[]) => string;
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Check `given` against `section`; with `partial` only the keys given are kept (an override), else defaults fill in. */
function fillSection(
  section: Section,
  given: unknown,
  path: string[],
  where: Where,
  partial: boolean,
): Record<string, unknown> {
  if (!isObject(given))
    throw new ConfigError(
      `${where(path)}: '${path.join('.')}' must be a mapping of keys: ${Object.keys(section).join(', ')}`,
    );
  const into: Record<string, unknown> = {};
  for (const key of Object.keys(given)) {
    if (!(key in section)) {
      const allowed = Object.keys(section);
      throw new ConfigError(
        `${where([...path, key])}: unknown key '${[...path, key].join('.')}'${didYouMean(key, allowed)}; allowed in ` +
          `${path.join('.') || 'the top level'}: ${allowed.join(', ')}`,
      );
    }
  }
  for (const [key, field] of Object.entries(section)) {
    if (!(key in given)) {
      if (partial) continue;
      if (field.default === undefined)
        throw new ConfigError(`${where(path)}: '${[...path, key].join('.')}' is required (${field.doc})`);
      into[key] = structuredClone(field.default);
      continue;
    }
    const v = check(field, given[key]);
    if (v === undefined) {
      throw new ConfigError(
        `${where([...path, key])}: '${[...path, key].join('.')}' is ${JSON.stringify(given[key])}; expected ` +
          `${describe(field)} (${field.doc})`,
      );
    }
    checkRepeats([...path, key], v, where);
    into[key] = v;
  }
  return into;
}

/**
 * Why `name` cannot name a folder by itself (results/<name>/, which `clean` deletes), or undefined when it can: no
 * '.', '..', separators, absolute paths, control characters.
 */
export function folderNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (name === '.' || name === '..') return `'${name}' is not a folder of its own`;
  if (/[/\\]/.test(name)) return "it holds a path separator ('/' or '\\')";
  if (/^[a-zA-Z]:/.test(name)) return 'it is an absolute path';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this rejects
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'it holds a control character';
  return undefined;
}

/** Lists whose entries must differ: `seeds: [1, 1]` would be two jobs in one folder. */
function checkRepeats(key: string[], v: unknown, where: Where): void {
  if (!Array.isArray(v)) return;
  const seen = new Set<string>();
  for (const x of v) {
    const k = JSON.stringify(x);
    if (seen.has(k))
      throw new ConfigError(
        `${where(key)}: '${key.join('.')}' lists ${k} twice (${JSON.stringify(v)}); every entry must differ ` +
          '(a repeated seed would be the same run twice): remove the repeat',
      );
    seen.add(k);
  }
}

/** data/phase1/phase2 overrides inside models.<m> or per_task.<t>. */
function fillOverrides(given: Record<string, unknown>, path: string[], where: Where): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of OVERRIDABLE)
    if (s in given) out[s] = fillSection(SCHEMA[s] as Section, given[s], [...path, s], where, true);
  return out;
}

// The default model is documented as a tiny random BERT, so it asks for random weights explicitly.
export const DEFAULT_MODELS = {
  'tiny-bert': { path: '.cache/models/tiny-bert-random', family: 'bert', generate_if_missing: true },
};

/**
 * Validate a merged config (plain data) against SCHEMA and fill defaults; `where(path)` gives "file:line" for errors,
 * `dirOf(path)` the folder relative paths at that key start from (custom_tasks files; default: the working folder).
 */
/**
 * run.backend: webgpu runs training, evaluation, records and saving. Parts that still read GPU values synchronously
 * (Node's webgpu has no synchronous read) are refused up front, before any job runs, instead of stopping mid-grid.
 */
function checkWebgpuParts(cfg: ExperimentConfig, where: Where): void {
  const fromEnv = cfg.run.backend === 'auto' && process.env.PRUNELAB_BACKEND === 'webgpu';
  if (cfg.run.backend !== 'webgpu' && !fromEnv) return;
  const named = (m: unknown) => (typeof m === 'string' ? m : String((m as { method?: unknown }).method));
  const mitigated = cfg.tasks.some((t) =>
    Object.keys(cfg.models).some((m) => {
      const c = cellSettings(cfg, t, m);
      return named(c.phase1.mitigation) !== 'none' || c.phase2.mitigation.some((x) => named(x) !== 'none');
    }),
  );
  const parts = [
    ...(cfg.graft ? ['graft:'] : []),
    ...(cfg.al ? ['al: (active learning)'] : []),
    ...(mitigated ? ['a mitigation other than none'] : []),
  ];
  if (parts.length)
    throw new ConfigError(
      `${where(['run', 'backend'])}: ${fromEnv ? 'PRUNELAB_BACKEND=webgpu' : 'run.backend: webgpu'} does not run ` +
        `${parts.join(', ')} yet (it reads GPU values synchronously, which Node's WebGPU cannot); use ` +
        'run.backend: wasm (or tensorflow-gpu) for this config',
    );
}

export function validateConfig(
  raw: unknown,
  where: Where,
  dirOf: (path: string[]) => string = () => process.cwd(),
): ExperimentConfig {
  if (!isObject(raw))
    throw new ConfigError(
      `${where([])}: the config must be a mapping of keys (name, tasks, data, models, phase1, phase2, pruning, ...)`,
    );
  let custom: Record<string, Record<string, unknown>>;
  try {
    custom = readCustomTasks(raw.custom_tasks, where, dirOf);
  } catch (e) {
    throw e instanceof CustomTasksConfigError ? new ConfigError(e.message) : e;
  }
  // the grid's tasks: the registry's and those defined under custom_tasks
  const taskNames = [...TASKS, ...Object.keys(custom)];
  const top = {
    ...SCHEMA.top,
    tasks: { ...SCHEMA.top.tasks, type: { kind: 'enum[]', values: taskNames } },
  } as Section;
  // 'model' is the schema of each models.<name>; 'al' is filled only when given (it makes the config an AL experiment),
  // and so is 'graft' (graft jobs over the grid's fine-tuning runs)
  const sections = Object.keys(SCHEMA).filter((s) => !['top', 'model', 'al', 'graft'].includes(s));
  const allowed = [...Object.keys(top), ...sections, 'al', 'graft', ...Object.keys(MAPS)];
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key))
      throw new ConfigError(
        `${where([key])}: unknown key '${key}'${didYouMean(key, allowed)}; allowed: ${allowed.join(', ')}`,
      );
  }
  const out: Record<string, unknown> = fillSection(
    top,
    Object.fromEntries(Object.entries(raw).filter(([k]) => k in top)),
    [],
    where,
    false,
  );
  const nameProblem = folderNameProblem(String(out.name));
  if (nameProblem)
    throw new ConfigError(
      `${where(['name'])}: 'name' is ${JSON.stringify(out.name)}, but ${nameProblem}; it names the folder ` +
        `<output.dir>/<name>/ that run writes and clean removes, so it must be a plain folder name, e.g. name: smoke`,
    );
  for (const s of sections)
    out[s] = fillSection(SCHEMA[s as keyof typeof SCHEMA] as Section, raw[s] ?? {}, [s], where, false);
  out.al = raw.al === undefined || raw.al === null ? null : fillSection(SCHEMA.al, raw.al, ['al'], where, false);
  out.graft =
    raw.graft === undefined || raw.graft === null
      ? null
      : fillSection(SCHEMA.graft, raw.graft, ['graft'], where, false);

  const models = raw.models ?? DEFAULT_MODELS;
  if (!isObject(models) || Object.keys(models).length === 0)
    throw new ConfigError(
      `${where(['models'])}: 'models' must map short names to model settings, e.g. models: { tiny-bert: { path: ` +
        `.cache/models/tiny-bert-random } }`,
    );
  const modelOut: Record<string, unknown> = {};
  const modelKeys = { ...SCHEMA.model } as Section;
  for (const [name, m] of Object.entries(models)) {
    if (!/^[\w.-]+$/.test(name) || name === '.' || name === '..')
      throw new ConfigError(
        `${where(['models', name])}: model name '${name}' must be letters, digits, '.', '_' or '-', and not '.' or ` +
          `'..' (it names a folder)`,
      );
    if (!isObject(m))
      throw new ConfigError(`${where(['models', name])}: 'models.${name}' must be a mapping with at least 'path'`);
    const base = Object.fromEntries(Object.entries(m).filter(([k]) => !(OVERRIDABLE as readonly string[]).includes(k)));
    const extra = Object.keys(base).find((k) => !(k in modelKeys));
    if (extra) {
      const ok = [...Object.keys(modelKeys), ...OVERRIDABLE];
      throw new ConfigError(
        `${where(['models', name, extra])}: unknown key 'models.${name}.${extra}'${didYouMean(extra, ok)}; allowed: ` +
          `${ok.join(', ')}`,
      );
    }
    modelOut[name] = {
      ...fillSection(modelKeys, base, ['models', name], where, false),
      ...fillOverrides(m, ['models', name], where),
    };
  }
  out.models = modelOut;

  const perTask = raw.per_task ?? {};
  if (!isObject(perTask))
    throw new ConfigError(`${where(['per_task'])}: 'per_task' must map task names to overrides (data, phase1, phase2)`);
  const taskOut: Record<string, unknown> = {};
  for (const [task, o] of Object.entries(perTask)) {
    if (!taskNames.includes(task))
      throw new ConfigError(
        `${where(['per_task', task])}: unknown task '${task}'${didYouMean(task, taskNames)}; allowed: ` +
          `${taskNames.join(', ')}`,
      );
    if (!isObject(o))
      throw new ConfigError(
        `${where(['per_task', task])}: 'per_task.${task}' must be a mapping with data, phase1 or phase2`,
      );
    const extra = Object.keys(o).find((k) => !(OVERRIDABLE as readonly string[]).includes(k));
    if (extra)
      throw new ConfigError(
        `${where(['per_task', task, extra])}: unknown key ` +
          `'per_task.${task}.${extra}'${didYouMean(extra, OVERRIDABLE)}; allowed: ${OVERRIDABLE.join(', ')}`,
      );
    taskOut[task] = fillOverrides(o, ['per_task', task], where);
  }
  out.per_task = taskOut;
  out.custom_tasks = custom;
  const cfg = out as unknown as ExperimentConfig;
  try {
    checkAlConfig(cfg, raw, where, dirOf);
  } catch (e) {
    throw e instanceof AlConfigError ? new ConfigError(e.message) : e;
  }
  crossCheck(cfg, where);
  LOCATORS.set(cfg, where);
  return cfg;
}

const SUBSET_NAME = /^(winning|paper|\d+|\d+(-\d+)+)$/;

/** Rules between keys: what the single-key checks cannot see. */
function crossCheck(cfg: ExperimentConfig, where: Where): void {
  const R = cfg.phase1.seeds.length;
  for (const s of cfg.pruning.subsets) {
    if (!SUBSET_NAME.test(s))
      throw new ConfigError(
        `${where(['pruning', 'subsets'])}: subset '${s}' is not 'winning', 'paper' or the removed H values (e.g. ` +
          `'06', '0126')`,
      );
  }
  for (const s of cfg.pruning.baselines_at ?? []) {
    if (!SUBSET_NAME.test(s))
      throw new ConfigError(
        `${where(['pruning', 'baselines_at'])}: pruning.baselines_at: subset '${s}' is not 'winning', 'paper' or the ` +
          `removed H values (e.g. '06', '0126')`,
      );
  }
  for (const k of cfg.pruning.runs_used ?? []) {
    if (k > R)
      throw new ConfigError(
        `${where(['pruning', 'runs_used'])}: runs_used ${k} is above R = ${R} (the number of phase1.seeds)`,
      );
  }
  for (const k of cfg.pruning.epochs_used ?? []) {
    if (k > cfg.phase1.epochs)
      throw new ConfigError(
        `${where(['pruning', 'epochs_used'])}: epochs_used ${k} is above phase1.epochs = ${cfg.phase1.epochs}`,
      );
  }
  const names = Object.keys(cfg.models);
  for (const t of cfg.pruning.transfer) {
    const m = /^\s*([\w.-]+)\s*->\s*([\w.-]+)\s*$/.exec(t);
    if (!m)
      throw new ConfigError(
        `${where(['pruning', 'transfer'])}: transfer '${t}' must read 'A -> B' (score with model A, fine-tune model B)`,
      );
    for (const n of [m[1]!, m[2]!]) {
      if (!names.includes(n))
        throw new ConfigError(
          `${where(['pruning', 'transfer'])}: transfer '${t}' names model '${n}'${didYouMean(n, names)}; models: ` +
            `${names.join(', ')}`,
        );
    }
    if (m[1] === m[2])
      throw new ConfigError(`${where(['pruning', 'transfer'])}: transfer '${t}' goes from a model to itself`);
  }
  for (const task of cfg.tasks) {
    for (const model of Object.keys(cfg.models)) {
      const bad = recordProblem(task, cellSettings(cfg, task, model).phase1.record);
      if (!bad) continue;
      // name the layer that set it: the task's override wins over the model's, which wins over the base
      const path = cfg.per_task[task]?.phase1?.record
        ? ['per_task', task, 'phase1', 'record']
        : cfg.models[model]?.phase1?.record
          ? ['models', model, 'phase1', 'record']
          : ['phase1', 'record'];
      throw new ConfigError(`${where(path)}: '${path.join('.')}' ${bad}`);
    }
  }
  checkPerClass(cfg, where);
  checkMethodOptions(cfg, where);
  try {
    checkGraftConfig(cfg, where);
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  try {
    checkMitigations(cfg, where);
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  try {
    checkPeftConfig(cfg, where);
  } catch (e) {
    throw e instanceof PeftConfigError ? new ConfigError(e.message) : e;
  }
  checkWebgpuParts(cfg, where);
  if (cfg.phase2.methods.some((x) => x !== 'full') && R < 2) {
    throw new ConfigError(
      `${where(['phase1', 'seeds'])}: H subsets need R >= 2 phase-1 runs (with R = 1, removing H = 0 and H = R keeps ` +
        `nothing); give at least two seeds`,
    );
  }
}

/**
 * Why phase 1 cannot record `fields` for `task`, if it cannot: probs, grand and embedding come from a classifier
 * over classes (or choices); multiple choice scores each choice apart, so it has no single embedding per example.
 */
export function recordProblem(task: string, fields: readonly RecordField[]): string | undefined {
  if (!fields.length) return undefined;
  let kind: ReturnType<typeof kindOfTask>;
  try {
    kind = kindOfTask(task);
  } catch {
    return undefined; // a task the registry does not know yet is reported where it is read
  }
  if (kind.stats !== 'classes')
    return (
      `is [${fields.join(', ')}], but task ${task} is ${kind.kind}: probs, grand and embedding are recorded for ` +
      `classification and multiple choice only; set it to [] for this task (per_task.${task}.phase1.record: [])`
    );
  if (kind.head === 'mc' && fields.includes('embedding'))
    return (
      `lists embedding, but task ${task} is multiple choice: its model scores every choice apart, so there is no ` +
      `single embedding per example; record [probs, grand] only`
    );
  return undefined;
}

/**
 * data.per_class (few-shot: K per class) needs classes to draw from: a single-label classification task. Named at the
 * layer that set it for the cell (per_task.<task>.data, models.<m>.data, data), with the fix.
 */
function checkPerClass(cfg: ExperimentConfig, where: Where): void {
  for (const task of cfg.tasks) {
    for (const model of Object.keys(cfg.models)) {
      const K = cellSettings(cfg, task, model).data.per_class;
      if (K === null || K === undefined) continue;
      let kind: ReturnType<typeof kindOfTask>;
      try {
        kind = kindOfTask(task);
      } catch {
        continue; // a task the registry does not know yet is reported where it is read
      }
      if (kind.kind === 'classification') continue;
      const path =
        cfg.per_task[task]?.data?.per_class !== undefined
          ? ['per_task', task, 'data', 'per_class']
          : cfg.models[model]?.data?.per_class !== undefined
            ? ['models', model, 'data', 'per_class']
            : ['data', 'per_class'];
      const fix =
        path[0] === 'per_task'
          ? `remove it (or set it to null) for this task`
          : `set per_task.${task}.data.per_class: null, or remove ${task} from tasks`;
      throw new ConfigError(
        `${where(path)}: '${path.join('.')}' is ${K} (few-shot: K training examples per class), but task ${task} is ` +
          `${kind.kind}: it has no classes to draw from (single-label classification only); ${fix}`,
      );
    }
  }
}

/**
 * pruning.method_options: each key a registered method, each option one it declares, of its type; and every method
 * the grid draws (phase2.methods, also in overrides) gets what it requires (external: a file).
 */
function checkMethodOptions(cfg: ExperimentConfig, where: Where): void {
  const given = cfg.pruning.method_options;
  for (const name of Object.keys(given)) {
    if (!SELECTION_METHOD_NAMES.includes(name as never))
      throw new ConfigError(
        `${where(['pruning', 'method_options', name])}: 'pruning.method_options.${name}' names no selection method` +
          `${didYouMean(name, SELECTION_METHOD_NAMES)}; methods: ${SELECTION_METHOD_NAMES.join(', ')}`,
      );
  }
  const overrides = [...Object.values(cfg.models), ...Object.values(cfg.per_task)];
  const used = new Set<string>([
    ...cfg.phase2.methods,
    ...overrides.flatMap((o) => o?.phase2?.methods ?? []),
    ...Object.keys(given),
  ]);
  for (const name of used) {
    if (name === 'full' || name === 'hscore') continue;
    try {
      checkOptions(selectionMethod(name), given[name]);
    } catch (e) {
      const m = /^pruning\.method_options\.[\w]+\.?([\w]*)/.exec((e as Error).message);
      const path = ['pruning', 'method_options', name, ...(m?.[1] ? [m[1]] : [])];
      throw new ConfigError(`${where(path)}: ${(e as Error).message}`);
    }
  }
}

/** Method options that are paths (MethodOption.path) made absolute: relative to the folder of the file giving them. */
function resolveOptionPaths(merged: Record<string, unknown>, layers: Layer[]): void {
  const given = (merged.pruning as Record<string, unknown> | undefined)?.method_options;
  if (!isObject(given)) return;
  for (const [name, opts] of Object.entries(given)) {
    if (!isObject(opts) || !SELECTION_METHOD_NAMES.includes(name as never)) continue;
    for (const [key, spec] of Object.entries(selectionMethod(name).options ?? {})) {
      if (!spec.path || typeof opts[key] !== 'string') continue;
      // the layer that gives the value: the config itself first, then what it extends
      const from = layers.find((l) => {
        const p = (l.js.pruning as Record<string, unknown> | undefined)?.method_options;
        return isObject(p) && isObject(p[name]) && typeof p[name][key] === 'string';
      });
      if (from) opts[key] = resolve(dirname(resolve(from.file)), opts[key] as string);
    }
  }
}

/** Deep merge: mappings merge key by key, everything else (lists included) replaces. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isObject(base) || !isObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

interface Layer {
  file: string;
  doc: Document;
  lc: LineCounter;
  js: Record<string, unknown>;
}

function readLayer(file: string, from?: string): Layer {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new ConfigError(
      from
        ? `${from}: extends '${file}' cannot be read (${code}); the path is relative to the file that extends it`
        : `${file}: cannot read the config (${code}); pass a path like experiments/smoke.yaml`,
    );
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length) {
    const err = doc.errors[0]!;
    throw new ConfigError(`${file}:${lc.linePos(err.pos[0]).line}: not valid YAML (${err.message.split('\n')[0]})`);
  }
  const js = doc.toJS() ?? {};
  if (!isObject(js))
    throw new ConfigError(`${file}:1: the config must be a mapping of keys (name, tasks, models, ...)`);
  return { file, doc, lc, js };
}

/** The node at `path` in a layer, and how many keys of the path it matched. */
function locate(layer: Layer, path: string[]): { depth: number; line?: number } {
  let node: unknown = layer.doc.contents;
  let last: Node | undefined;
  let depth = 0;
  for (const key of path) {
    let next: Node | undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
      if (!pair) break;
      next = pair.key as Node;
      node = pair.value;
    } else if (isSeq(node) && /^\d+$/.test(key)) {
      node = node.items[Number(key)];
      next = node as Node;
      if (!next) break;
    } else break;
    last = next;
    depth++;
  }
  const line = last?.range ? layer.lc.linePos(last.range[0]).line : undefined;
  return { depth, ...(line !== undefined && { line }) };
}

/** Apply `a.b=value` overrides (value parsed as YAML, so numbers and lists work). */
function applyOverrides(obj: Record<string, unknown>, overrides: string[]): { path: string[]; text: string }[] {
  const applied: { path: string[]; text: string }[] = [];
  for (const o of overrides) {
    const eq = o.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--set ${o}: expected key=value, e.g. --set phase2.lr=1e-5`);
    const path = o.slice(0, eq).split('.');
    const value = parseDocument(o.slice(eq + 1)).toJS();
    let node = obj;
    for (const key of path.slice(0, -1)) {
      if (!isObject(node[key])) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = value;
    applied.push({ path, text: o });
  }
  return applied;
}

/** The raw (unvalidated) merge of a config and everything it extends, with a locator for error messages. */
export function loadRaw(
  file: string,
  overrides: string[] = [],
): { raw: Record<string, unknown>; where: Where; dirOf: (path: string[]) => string; files: string[] } {
  const layers: Layer[] = [];
  const stack: string[] = [];
  let current = resolve(file);
  let shown = file;
  let from: string | undefined;
  for (;;) {
    if (stack.includes(current)) {
      throw new ConfigError(
        `${shown}: extends cycle: ${[...stack, current].join(' -> ')}; remove one of these extends`,
      );
    }
    stack.push(current);
    const layer = readLayer(shown, from);
    layers.push(layer);
    const ext = layer.js.extends;
    if (ext === undefined || ext === null) break;
    if (typeof ext !== 'string' || ext === '')
      throw new ConfigError(
        `${layer.file}:${locate(layer, ['extends']).line}: 'extends' must be a path to a base config, relative to ` +
          `this file`,
      );
    from = `${layer.file}:${locate(layer, ['extends']).line}`;
    current = resolve(dirname(resolve(layer.file)), ext);
    shown = current;
  }
  let raw: unknown = {};
  for (const layer of [...layers].reverse()) raw = deepMerge(raw, layer.js);
  const merged = raw as Record<string, unknown>;
  merged.extends = layers[0]!.js.extends ?? null;
  resolveOptionPaths(merged, layers);
  const applied = applyOverrides(merged, overrides);
  const setBy = (path: string[]) =>
    [...applied].reverse().find((a) => a.path.length <= path.length && a.path.every((k, i) => k === path[i]));
  /** the layer that holds `path` (the deepest match) */
  const holder = (path: string[]) => {
    let best: { file: string; depth: number; line?: number } = { file: layers[0]!.file, depth: -1 };
    for (const layer of layers) {
      const at = locate(layer, path);
      if (at.depth > best.depth) best = { file: layer.file, ...at };
      if (at.depth === path.length) break;
    }
    return best;
  };
  const where: Where = (path) => {
    const set = setBy(path);
    if (set && path.length) return `--set ${set.text}`;
    const best = holder(path);
    return best.line ? `${best.file}:${best.line}` : best.file;
  };
  // a path set with --set is relative to the working folder; one in a file, to that file's folder
  const dirOf = (path: string[]) => (setBy(path) ? process.cwd() : dirname(resolve(holder(path).file)));
  return { raw: merged, where, dirOf, files: layers.map((l) => l.file) };
}

/** The --set list the command line gives: --set values in order, then --lenient as `data.lenient=true` (the same). */
export function cliOverrides(values: { set?: string[]; lenient?: boolean }): string[] {
  return [...(values.set ?? []), ...(values.lenient ? ['data.lenient=true'] : [])];
}

/** Read, extend, override and validate an experiment file. */
export function loadConfig(file: string, overrides: string[] = []): ExperimentConfig {
  const { raw, where, dirOf } = loadRaw(file, overrides);
  return validateConfig(raw, where, dirOf);
}
