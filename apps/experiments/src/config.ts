// Reading an experiment YAML: defaults from the schema, `--set a.b=value` overrides, and errors that name
// the file, the line, the key and what is allowed.
import { readFileSync } from 'node:fs';
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { SCHEMA, type ExperimentConfig, type Field, type Section } from './schema.ts';

export class ConfigError extends Error {}

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

export function didYouMean(key: string, allowed: string[]): string {
  const best = allowed.map((k) => [k, editDistance(key, k)] as const).sort((x, y) => x[1] - y[1])[0];
  return best && best[1] <= Math.max(2, Math.floor(key.length / 3)) ? ` (did you mean '${best[0]}'?)` : '';
}

function describe(f: Field): string {
  const t = f.type;
  if (t.kind === 'enum' || t.kind === 'enum[]') return `${t.kind === 'enum[]' ? 'a list of ' : 'one of '}${t.values.join(', ')}`;
  const base = { string: 'a string', int: 'an integer', number: 'a number', bool: 'true or false', 'int[]': 'a list of integers' }[t.kind];
  return base + ('min' in t && t.min !== undefined ? ` >= ${t.min}` : '') + ('nullable' in t && t.nullable ? ' or null' : '');
}

/** The value if it fits the field, else undefined. */
function check(f: Field, v: unknown): unknown {
  const t = f.type;
  if (v === null && 'nullable' in t && t.nullable) return null;
  const min = 'min' in t && t.min !== undefined ? t.min : -Infinity;
  switch (t.kind) {
    case 'string': return typeof v === 'string' && v.length > 0 ? v : undefined;
    case 'int': return Number.isInteger(v) && (v as number) >= min ? v : undefined;
    case 'number': return typeof v === 'number' && Number.isFinite(v) && v >= min ? v : undefined;
    case 'bool': return typeof v === 'boolean' ? v : undefined;
    case 'enum': return typeof v === 'string' && t.values.includes(v) ? v : undefined;
    case 'int[]': return Array.isArray(v) && v.length > 0 && v.every((x) => Number.isInteger(x) && x >= min) ? v : undefined;
    case 'enum[]': return Array.isArray(v) && v.length > 0 && v.every((x) => t.values.includes(x)) ? v : undefined;
  }
}

function lineOf(node: Node | null | undefined, lc: LineCounter): number | undefined {
  return node?.range ? lc.linePos(node.range[0]).line : undefined;
}

/** Validate a parsed config (plain data) against SCHEMA, fill defaults; `where(path)` gives a "file:line" for errors. */
export function validateConfig(raw: unknown, where: (path: string[]) => string): ExperimentConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(`${where([])}: the config must be a mapping of keys (name, task, data, model, phase1, phase2, pruning, output)`);
  }
  const sections = Object.keys(SCHEMA).filter((s) => s !== 'top');
  const out: Record<string, unknown> = {};
  const top = SCHEMA.top as Section;
  for (const key of Object.keys(raw)) {
    if (key in top || sections.includes(key)) continue;
    const allowed = [...Object.keys(top), ...sections];
    throw new ConfigError(`${where([key])}: unknown key '${key}'${didYouMean(key, allowed)}; allowed: ${allowed.join(', ')}`);
  }
  const fill = (section: Section, given: Record<string, unknown>, path: string[], into: Record<string, unknown>) => {
    for (const key of Object.keys(given)) {
      if (!(key in section)) {
        const allowed = Object.keys(section);
        throw new ConfigError(`${where([...path, key])}: unknown key '${[...path, key].join('.')}'${didYouMean(key, allowed)}; allowed in ${path.join('.') || 'the top level'}: ${allowed.join(', ')}`);
      }
    }
    for (const [key, field] of Object.entries(section)) {
      if (!(key in given)) {
        if (field.default === undefined) throw new ConfigError(`${where(path)}: '${[...path, key].join('.')}' is required (${field.doc})`);
        into[key] = structuredClone(field.default);
        continue;
      }
      const v = check(field, given[key]);
      if (v === undefined) {
        throw new ConfigError(`${where([...path, key])}: '${[...path, key].join('.')}' is ${JSON.stringify(given[key])}; expected ${describe(field)} (${field.doc})`);
      }
      into[key] = v;
    }
  };
  const r = raw as Record<string, unknown>;
  fill(top, Object.fromEntries(Object.entries(r).filter(([k]) => k in top)), [], out);
  for (const s of sections) {
    const given = r[s] ?? {};
    if (given === null || typeof given !== 'object' || Array.isArray(given)) {
      throw new ConfigError(`${where([s])}: '${s}' must be a mapping of keys: ${Object.keys(SCHEMA[s as keyof typeof SCHEMA]).join(', ')}`);
    }
    out[s] = {};
    fill(SCHEMA[s as keyof typeof SCHEMA] as Section, given as Record<string, unknown>, [s], out[s] as Record<string, unknown>);
  }
  return out as unknown as ExperimentConfig;
}

/** Apply `a.b=value` overrides (value parsed as YAML, so numbers and lists work) to the document. */
function applyOverrides(doc: Document, overrides: string[]): void {
  for (const o of overrides) {
    const eq = o.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--set ${o}: expected key=value, e.g. --set phase2.lr=1e-5`);
    const path = o.slice(0, eq).split('.');
    const value = parseDocument(o.slice(eq + 1)).toJS();
    doc.setIn(path, doc.createNode(value));
  }
}

/** Read, override and validate an experiment file. */
export function loadConfig(file: string, overrides: string[] = []): ExperimentConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`${file}: cannot read the config (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); pass a path like experiments/smoke.yaml`);
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length) {
    const err = doc.errors[0]!;
    const line = lc.linePos(err.pos[0]).line;
    throw new ConfigError(`${file}:${line}: not valid YAML (${err.message.split('\n')[0]})`);
  }
  applyOverrides(doc, overrides);
  const where = (path: string[]) => {
    let node: unknown = doc.contents;
    let last: Node | undefined = doc.contents ?? undefined;
    for (const key of path) {
      if (!isMap(node)) break;
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === key);
      if (!pair) break;
      last = (pair.key as Node) ?? last;
      node = pair.value;
    }
    const line = lineOf(last, lc);
    return line ? `${file}:${line}` : file;
  };
  return validateConfig(doc.toJS(), where);
}
