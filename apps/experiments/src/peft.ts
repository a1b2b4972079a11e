// `peft:` in a config: which parameter-efficient method (libs/finetune's PEFT_METHODS table) each phase of a cell
// trains with, checked in two steps before anything runs: what the config alone tells (a known method, one that
// applies to the model's family and the task's head) when the config is read, and the options against the model's
// own config.json (target modules, r, ...) when the grid is planned, once the model folder exists. The parsed
// options (every default filled in) are what enters the job keys.
import { join } from 'node:path';
import { kindOfTask } from '@prunelab/datasets';
import {
  checkPeft,
  familyOf,
  PEFT_METHOD_NAMES,
  peftMethod,
  readModelConfig,
  type ModelConfig,
  type PeftSpec,
} from '@prunelab/finetune';
import { cellSettings, type ExperimentConfig, type PeftSetting, type TaskName } from './schema.ts';

/** A section that trains: the pruning grid's phases, or the steps of an AL experiment. */
export type Phase = 'phase1' | 'phase2' | 'al';

/** The sections that train in this config: an AL experiment trains its steps only. */
const phasesOf = (cfg: ExperimentConfig): Phase[] => (cfg.al ? ['al'] : ['phase1', 'phase2']);
type Where = (path: string[]) => string;

/** A job's method: the spec as written (attachPeft parses it again), its parsed options and where it was set. */
export interface JobPeft {
  spec: PeftSpec;
  /** method + every option with defaults filled in, keys sorted: what the job key holds */
  options: Record<string, unknown>;
  /** the config key that set it, e.g. models.a.phase2.peft */
  key: string;
}

export class PeftConfigError extends Error {}

/** Where the setting in force for a cell's phase comes from: per task, per model, the top level, the model's own. */
export function peftPath(cfg: ExperimentConfig, task: string, model: string, phase: Phase): string[] {
  const set = (v: PeftSetting | null | undefined) => v !== undefined && v !== null;
  if (set(cfg.per_task[task as TaskName]?.[phase]?.peft)) return ['per_task', task, phase, 'peft'];
  if (set(cfg.models[model]?.[phase]?.peft)) return ['models', model, phase, 'peft'];
  if (set(cfg[phase]?.peft)) return [phase, 'peft'];
  return ['models', model, 'peft'];
}

/** The spec in force for a cell's phase; null: full fine-tuning. */
export function peftOf(cfg: ExperimentConfig, task: TaskName, model: string, phase: Phase): PeftSpec | null {
  const p = cellSettings(cfg, task, model)[phase]?.peft;
  return p === undefined || p === null || p === 'none' ? null : p;
}

/** Object keys sorted at every level: the same options give the same key whatever order they were written in. */
export function canonical(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(canonical);
  if (x !== null && typeof x === 'object')
    return Object.fromEntries(
      Object.keys(x)
        .sort()
        .map((k) => [k, canonical((x as Record<string, unknown>)[k])]),
    );
  return x;
}

/** Every `peft:` the config holds, with its key path. */
function allPeftValues(cfg: ExperimentConfig): { path: string[]; value: PeftSetting }[] {
  const out: { path: string[]; value: PeftSetting }[] = [];
  const add = (path: string[], v: PeftSetting | null | undefined) => {
    if (v !== undefined && v !== null) out.push({ path, value: v });
  };
  const phases = ['phase1', 'phase2', 'al'] as const;
  for (const phase of phases) add([phase, 'peft'], cfg[phase]?.peft);
  for (const [m, e] of Object.entries(cfg.models)) {
    add(['models', m, 'peft'], e.peft);
    for (const phase of phases) add(['models', m, phase, 'peft'], e[phase]?.peft);
  }
  for (const [t, o] of Object.entries(cfg.per_task))
    for (const phase of phases) add(['per_task', t, phase, 'peft'], o?.[phase]?.peft);
  return out;
}

/**
 * What the config alone can tell: every peft mapping names a known method; the method in force for each cell and
 * phase applies to the model's family and to the task's head. Options are checked against the model (planPeft).
 */
export function checkPeftConfig(cfg: ExperimentConfig, where: Where): void {
  for (const { path, value } of allPeftValues(cfg)) {
    if (value === 'none') continue;
    const key = path.join('.');
    if (!('method' in value))
      throw new PeftConfigError(
        `${where(path)}: '${key}' has no method; give {method: <one of ${PEFT_METHOD_NAMES().join(', ')}>, ` +
          '<its options>} or none',
      );
    try {
      peftMethod(value.method, `${key}.method`);
    } catch (e) {
      throw new PeftConfigError(`${where([...path, 'method'])}: ${(e as Error).message}`);
    }
  }
  for (const task of cfg.tasks) {
    for (const [model, m] of Object.entries(cfg.models)) {
      for (const phase of phasesOf(cfg)) {
        const spec = peftOf(cfg, task, model, phase);
        if (!spec) continue;
        const path = peftPath(cfg, task, model, phase);
        const key = path.join('.');
        const method = peftMethod(spec.method);
        if (!method.families.includes(m.family))
          throw new PeftConfigError(
            `${where([...path, 'method'])}: ${key}.method: '${method.name}' does not apply to ` +
              `${familyOf(m.family).title} (model '${model}', family ${m.family}); it applies to ` +
              `${method.families.join(', ')}`,
          );
        const head = headOf(task);
        if (head && method.heads && !method.heads.includes(head))
          throw new PeftConfigError(
            `${where([...path, 'method'])}: ${key}.method: '${method.name}' supports the ` +
              `${method.heads.join(', ')} head(s); task ${task} trains the '${head}' head`,
          );
      }
    }
  }
}

function headOf(task: string) {
  try {
    return kindOfTask(task).head;
  } catch {
    return undefined; // a task the registry does not know is reported where it is read
  }
}

/**
 * The jobs' methods of one cell, with their options parsed against the model's config.json (`dir`; null: not made
 * yet, so only the spec as written is known and the job's key is a placeholder anyway). A bad option stops the plan
 * with the config location, the key and what is allowed.
 */
export function planPeft(
  cfg: ExperimentConfig,
  task: TaskName,
  model: string,
  phase: Phase,
  modelConfig: () => ModelConfig | null,
  where: Where,
): JobPeft | null {
  const spec = peftOf(cfg, task, model, phase);
  if (!spec) return null;
  const path = peftPath(cfg, task, model, phase);
  const key = path.join('.');
  const c = modelConfig();
  if (!c) return { spec, options: canonical(spec) as Record<string, unknown>, key };
  let options: Record<string, unknown>;
  try {
    options = checkPeft(spec, c, kindOfTask(task).head, key).options;
  } catch (e) {
    const msg = (e as Error).message;
    // point at the option the message names (`<key>.<option>: ...`) when the config has that line
    const option = msg.startsWith(`${key}.`) ? msg.slice(key.length + 1).split(/[:.\s[]/)[0] : undefined;
    throw new PeftConfigError(`${where(option ? [...path, option] : path)}: ${msg} (model '${model}')`);
  }
  return { spec, options: canonical({ method: spec.method, ...options }) as Record<string, unknown>, key };
}

/** A model folder's parsed config.json, read once per folder. */
export function modelConfigReader(): (dir: string) => ModelConfig {
  const cache = new Map<string, ModelConfig>();
  return (dir) => {
    let c = cache.get(dir);
    if (!c) {
      c = readModelConfig(join(dir, 'config.json'));
      cache.set(dir, c);
    }
    return c;
  };
}

/** How a phase tunes, in a few words for reports and logs: 'full fine-tuning' or 'LoRA (peft 0.5.0): r 8, ...'. */
export function tuningWords(p: PeftSetting | null | undefined): string {
  if (!p || p === 'none') return 'full fine-tuning';
  const { method, ...options } = p;
  let title = String(method);
  try {
    title = peftMethod(method).title;
  } catch {
    // a method this build does not have (results of another build): its name
  }
  const opts = Object.entries(options).map(([k, v]) => `${k} ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return `${title}${opts.length ? `: ${opts.join(', ')}` : ''}`;
}

/** A short tuning label for tags and tables: 'full' or the method's name. */
export const tuningLabel = (p: PeftSetting | null | undefined): string => (!p || p === 'none' ? 'full' : p.method);

/** A cell's tuning in one label: 'full', 'lora' (both phases), or 'phase 1 full, phase 2 lora'. */
export function cellTuning(s: {
  phase1: { peft?: PeftSetting | null };
  phase2: { peft?: PeftSetting | null };
}): string {
  const [a, b] = [tuningLabel(s.phase1.peft), tuningLabel(s.phase2.peft)];
  return a === b ? a : `phase 1 ${a}, phase 2 ${b}`;
}

/** Whether a cell tunes anything with PEFT (the report then labels it). */
export const usesPeft = (s: Parameters<typeof cellTuning>[0]) => cellTuning(s) !== 'full';
