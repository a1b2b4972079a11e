// A subset on disk: a JSON file listing the kept ids plus how they were chosen, so phase 2 and the report
// can trust and explain it.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export const SUBSET_FORMAT = 'prunelab-subset/1';

export interface SubsetSpec {
  ids: string[];
  /** 'hscore', 'random', 'ambiguous', ... */
  method: string;
  /** whatever reproduces the choice (removed H values, seed, k, ...) */
  params: Record<string, unknown>;
  /** where the scores came from (e.g. record folders) */
  source?: string | null;
  /** size of the full set the subset was drawn from */
  total: number;
  /** id -> label name; when given, the file records how many kept examples each class has */
  labels?: Record<string, string | number> | Map<string, string | number>;
  /** the task (and split) the ids belong to: a run of any model on this task can train on the subset */
  task?: string;
  /** the model whose training dynamics chose the subset (informative: ids carry over to other models) */
  model?: string;
}

export interface SubsetFile {
  format: typeof SUBSET_FORMAT;
  method: string;
  task?: string;
  model?: string;
  params: Record<string, unknown>;
  source: string | null;
  size: number;
  total: number;
  /** size / total */
  fraction: number;
  perClass?: Record<string, number>;
  ids: string[];
}

export function writeSubset(path: string, spec: SubsetSpec): SubsetFile {
  const { ids, total } = spec;
  if (!Number.isInteger(total) || total < ids.length)
    throw new Error(
      `writeSubset ${path}: total = ${total} is smaller than the ${ids.length} kept ids; pass the size of the full set`,
    );
  if (new Set(ids).size !== ids.length)
    throw new Error(`writeSubset ${path}: the ids contain duplicates; a subset lists each example once`);
  let perClass: Record<string, number> | undefined;
  if (spec.labels) {
    const labels = spec.labels;
    const get =
      labels instanceof Map
        ? (id: string) => labels.get(id)
        : (id: string) => (Object.hasOwn(labels, id) ? labels[id] : undefined);
    const counts: Record<string, number> = {};
    for (const id of ids) {
      const l = get(id);
      if (l === undefined)
        throw new Error(`writeSubset ${path}: id "${id}" has no label in labels; pass a label for every kept id`);
      counts[l] = (counts[l] ?? 0) + 1;
    }
    perClass = Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
  // ids last: the summary stays at the top of the file where a human can read it
  const out: SubsetFile = {
    format: SUBSET_FORMAT,
    method: spec.method,
    ...(spec.task !== undefined ? { task: spec.task } : {}),
    ...(spec.model !== undefined ? { model: spec.model } : {}),
    params: spec.params,
    source: spec.source ?? null,
    size: ids.length,
    total,
    fraction: total === 0 ? 0 : ids.length / total,
    ...(perClass ? { perClass } : {}),
    ids,
  };
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(out, null, 1) + '\n');
  renameSync(tmp, path); // atomic: a reader never sees half a subset
  return out;
}

export interface ReadSubsetOptions {
  /** the ids of the task the subset will be used on: every subset id must be one of them */
  knownIds?: Iterable<string>;
  /** the task the subset will be used on: must equal the file's task when the file names one */
  task?: string;
}

/** The subset ids that are not among `known` (in file order). */
export function missingIds(subset: Pick<SubsetFile, 'ids'>, known: Iterable<string>): string[] {
  const set = known instanceof Set ? (known as Set<string>) : new Set(known);
  return subset.ids.filter((id) => !set.has(id));
}

/**
 * Reads a subset file. With `knownIds` (the training ids of the run that will use it, possibly another model on
 * the same task) every id is checked and the error names the ids that are not in the target set.
 */
export function readSubset(path: string, opts: ReadSubsetOptions = {}): SubsetFile {
  let v: SubsetFile;
  try {
    v = JSON.parse(readFileSync(path, 'utf8')) as SubsetFile;
  } catch (e) {
    throw new Error(`readSubset ${path}: cannot read it as JSON (${(e as Error).message}); regenerate the subset`);
  }
  if (v === null || typeof v !== 'object' || v.format !== SUBSET_FORMAT) {
    throw new Error(
      `readSubset ${path}: format is ${JSON.stringify((v as { format?: unknown } | null)?.format)}, expected ` +
        `"${SUBSET_FORMAT}"; regenerate the subset with writeSubset`,
    );
  }
  if (!Array.isArray(v.ids) || v.ids.some((id) => typeof id !== 'string'))
    throw new Error(`readSubset ${path}: "ids" must be an array of strings; regenerate the subset`);
  if (v.size !== v.ids.length)
    throw new Error(
      `readSubset ${path}: size = ${v.size} but ids has ${v.ids.length} entries; the file is damaged, regenerate the ` +
        `subset`,
    );
  if (typeof v.method !== 'string' || typeof v.total !== 'number')
    throw new Error(`readSubset ${path}: missing "method" or "total"; regenerate the subset`);
  if (opts.task !== undefined && v.task !== undefined && v.task !== opts.task) {
    throw new Error(
      `readSubset ${path}: the subset was chosen on task "${v.task}" but is read for task "${opts.task}"; subsets ` +
        `carry over between models of one task, not between tasks`,
    );
  }
  if (opts.knownIds !== undefined) {
    const missing = missingIds(v, opts.knownIds);
    if (missing.length) {
      throw new Error(
        `readSubset ${path}: ${missing.length} of ${v.ids.length} ids are not in the target training set (${missing
          .slice(0, 5)
          .map((m) => `"${m}"`)
          .join(', ')}${missing.length > 5 ? ', ...' : ''}); ` +
          'the subset was made for another task, split or data version: regenerate it, or drop those ids with ' +
          'missingIds',
      );
    }
  }
  return v;
}
