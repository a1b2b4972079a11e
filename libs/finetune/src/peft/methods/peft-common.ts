// What peft 0.5.0's LoRA and IA3 share: which linear layers a `target_modules` value selects, option checks with
// errors that name the key and what is allowed, and the adapter_config.json keys every peft config writes.
import { familyOfConfig } from '../../families/index.ts';
import { bodySpecs, headSpecs } from '../../heads.ts';
import type { ModelConfig } from '../../model-config.ts';
import type { PeftOptions } from '../method.ts';

/** A layer-numbered module: the linear layers the bodies run through the PEFT `linear` hook. */
const IN_LAYER = /^.*?\.layers?\.\d+\./;

export interface LinearModules {
  /** the linear layers the engine adapts: every linear inside a numbered encoder/decoder layer, in body order */
  adapted: string[];
  /** linear layers the engine does not adapt (pooler, OPT's project_in/out, the task heads) */
  other: string[];
  /** modules that hold parameters but are not linear layers (embeddings, LayerNorms, containers) */
  nonLinear: string[];
  /** [out, in] of every linear layer (HF shape) */
  shape: Map<string, [number, number]>;
}

/** The modules of a model of this config (module name = HF parameter name without `.weight` / `.bias`). */
export function linearModules(c: ModelConfig): LinearModules {
  const f = familyOfConfig(c);
  const specs = [...bodySpecs(c), ...f.heads.flatMap((h) => headSpecs(c, h))];
  const shape = new Map<string, [number, number]>();
  for (const s of specs) {
    if (s.kind === 'linear') shape.set(s.name.replace(/\.weight$/, ''), s.shape as [number, number]);
  }
  const linears = [...shape.keys()];
  const containers = new Set<string>();
  for (const s of specs) {
    const parts = s.name.split('.');
    for (let i = 1; i < parts.length; i++) containers.add(parts.slice(0, i).join('.'));
  }
  for (const l of linears) containers.delete(l);
  return {
    adapted: linears.filter((m) => IN_LAYER.test(m)),
    other: linears.filter((m) => !IN_LAYER.test(m)),
    nonLinear: [...containers],
    shape,
  };
}

/** The in-layer names of the adapted modules (`attention.self.query`, `fc2`): what a target list may name. */
export function moduleSuffixes(c: ModelConfig): string[] {
  return [...new Set(linearModules(c).adapted.map((m) => m.replace(IN_LAYER, '')))];
}

function regex(source: string, where: string): RegExp {
  try {
    return new RegExp(source);
  } catch (e) {
    throw new Error(`${where}: not a valid regular expression (${(e as Error).message})`);
  }
}

/**
 * peft 0.5.0's target test: a string is a regex the whole module name must match (re.fullmatch); a list entry
 * matches a name equal to it or ending in `.<entry>` (re.match(f".*\.{entry}$"): the entry is a regex too).
 */
export function targetMatcher(targets: string | string[], where: string): (module: string) => boolean {
  if (typeof targets === 'string') {
    const r = regex(`^(?:${targets})$`, where);
    return (m) => r.test(m);
  }
  const tests = targets.map((t) => {
    const r = regex(`^.*\\.(?:${t})$`, `${where} '${t}'`);
    return (m: string) => m === t || r.test(m);
  });
  return (m) => tests.some((t) => t(m));
}

/**
 * The adapted modules `targets` selects. Every list entry (and a regex as a whole) must select at least one linear
 * layer the engine adapts, and nothing else: peft would also adapt a pooler or head linear (the engine does not)
 * and rejects non-linear modules.
 */
export function resolveTargets(targets: string | string[], c: ModelConfig, where: string): string[] {
  const mods = linearModules(c);
  const title = familyOfConfig(c).title;
  const allowed =
    `allowed: the end of a linear layer's name after a '.' (${moduleSuffixes(c).join(', ')}), a full module ` +
    `name, or one regex string that whole module names must match`;
  const entries = typeof targets === 'string' ? [targets] : targets;
  for (const e of entries) {
    const test = targetMatcher(typeof targets === 'string' ? e : [e], where);
    const shown = typeof targets === 'string' ? `the regex '${e}'` : `'${e}'`;
    const other = mods.other.find(test);
    if (other) {
      throw new Error(
        `${where}: ${shown} selects '${other}', a linear layer outside the encoder/decoder layers that the engine ` +
          `does not adapt; ${allowed}`,
      );
    }
    const nonLinear = mods.nonLinear.find(test);
    if (nonLinear)
      throw new Error(`${where}: ${shown} selects '${nonLinear}', which is not a linear layer; ${allowed}`);
    if (!mods.adapted.some(test)) {
      throw new Error(
        `${where}: ${shown} matches no linear layer of ${title} (model_type '${c.model_type}'); ${allowed}`,
      );
    }
  }
  const all = targetMatcher(targets, where);
  return mods.adapted.filter(all);
}

/** `target_modules` (or another such option): absent or null -> `fallback`; else a regex string or a list of
 * non-empty strings (non-empty unless `allowEmpty`). */
export function targetsOption(v: unknown, where: string, fallback: string[], allowEmpty = false): string | string[] {
  if (v === undefined || v === null) return [...fallback];
  if (typeof v === 'string' && v !== '') return v;
  const ok = Array.isArray(v) && (allowEmpty || v.length > 0) && v.every((e) => typeof e === 'string' && e !== '');
  if (ok) return [...(v as string[])];
  throw new Error(
    `${where}: must be a list of module names or one regex string, got ${JSON.stringify(v)}; allowed: for example ` +
      `${JSON.stringify(fallback)}`,
  );
}

/** Unknown options are errors that list the known ones. */
export function checkKeys(raw: PeftOptions, known: readonly string[], key: string, what: string): void {
  for (const k of Object.keys(raw)) {
    if (!known.includes(k)) throw new Error(`${key}.${k}: not an option of ${what}; allowed: ${known.join(', ')}`);
  }
}

/** An option that the engine supports with one value only (the library's default). */
export function onlyValue(raw: PeftOptions, name: string, value: unknown, key: string, why: string): void {
  const v = raw[name];
  if (v === undefined || v === value) return;
  throw new Error(`${key}.${name}: ${JSON.stringify(v)} is not supported (${why}); allowed: ${JSON.stringify(value)}`);
}

/** The family's entry of a per-model_type table of defaults (peft's TRANSFORMERS_MODELS_TO_*_MAPPING). */
export function familyDefault<T>(table: Record<string, T>, c: ModelConfig, where: string): T {
  const d = table[c.model_type];
  if (d === undefined) {
    throw new Error(
      `${where}: no default for model_type '${c.model_type}'; name the modules (known defaults: ` +
        `${Object.keys(table).join(', ')})`,
    );
  }
  return d;
}

/** The keys every peft 0.5.0 PeftConfig writes besides its method's own, with the values save_pretrained writes. */
export function peftBaseConfig(peftType: string): Record<string, unknown> {
  return {
    auto_mapping: null,
    base_model_name_or_path: null,
    inference_mode: true,
    modules_to_save: null,
    peft_type: peftType,
    revision: null,
    // PeftModelForSequenceClassification's; a QA head's adapter would say QUESTION_ANS (the options do not carry the head)
    task_type: 'SEQ_CLS',
  };
}

/** peft task types whose PeftModel wraps a head the engine has (and saves it with the adapter). */
export const PEFT_TASK_TYPES = ['SEQ_CLS', 'QUESTION_ANS'];

/**
 * Check a saved peft config's keys against the keys `modelled` (read by the method) and the keys the engine does
 * not model, which must hold their default (`fixed`). base_model_name_or_path (any), inference_mode (any boolean)
 * and task_type (PEFT_TASK_TYPES) are checked here. Unknown keys are errors.
 */
export function checkSavedConfig(
  json: Record<string, unknown>,
  modelled: readonly string[],
  fixed: Record<string, unknown>,
  file: string,
): void {
  for (const [k, v] of Object.entries(json)) {
    if (modelled.includes(k) || k === 'peft_type') continue;
    if (k === 'base_model_name_or_path') {
      if (v === null || typeof v === 'string') continue;
      throw new Error(`${file}: ${k} must be a string or null, got ${JSON.stringify(v)}`);
    }
    if (k === 'inference_mode') {
      if (typeof v === 'boolean') continue;
      throw new Error(`${file}: ${k} must be true or false, got ${JSON.stringify(v)}`);
    }
    if (k === 'task_type') {
      if (PEFT_TASK_TYPES.includes(v as string)) continue;
      throw new Error(
        `${file}: task_type ${JSON.stringify(v)} is not supported (the engine trains and saves a task head); ` +
          `allowed: ${PEFT_TASK_TYPES.join(', ')}`,
      );
    }
    if (Object.hasOwn(fixed, k)) {
      if (JSON.stringify(v) === JSON.stringify(fixed[k])) continue;
      throw new Error(
        `${file}: ${k} ${JSON.stringify(v)} is not supported by the engine; allowed: ${JSON.stringify(fixed[k])}`,
      );
    }
    const known = [...modelled, ...Object.keys(fixed), 'base_model_name_or_path', 'inference_mode', 'task_type'];
    throw new Error(`${file}: unknown key '${k}'; known: ${known.sort().join(', ')}`);
  }
}

/** Parse a saved config's options with parse(key): an option error names the file (`<file>: <option>: ...`). */
export function parseSaved<O>(file: string, parse: (key: string) => O): O {
  try {
    return parse(file);
  } catch (e) {
    const err = e as Error;
    if (err.message.startsWith(`${file}.`)) err.message = `${file}: ${err.message.slice(file.length + 1)}`;
    throw err;
  }
}
