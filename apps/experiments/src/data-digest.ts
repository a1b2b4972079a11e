// What a job's data is, as a digest of the prepared examples (loadTaskData: the training split after subsampling,
// the evaluation splits; ids, texts, labels), so labels edited in place make the jobs that read them stale. It enters
// phase-1 and phase-2 keys (grid.ts); scores jobs follow through the phase-1 hashes. Reading a task is seconds to
// minutes, and status / --dry-run expand the grid too, so the record is cached in .cache/data-digests.json by the
// data settings plus the files read (path, size, mtime; their folders too, so an added RACE file counts). Nothing
// is downloaded here unless `download` (run): data not on disk yet is "not read yet" and its jobs are pending.
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findRepoRoot, getTask, trainEvalSources, type AnyExample } from '@prunelab/datasets';
import { readJson, writeJsonAtomic } from './job-state.ts';
import { cellSettings, dataSettingsKey, type DataCfg, type ExperimentConfig, type TaskName } from './schema.ts';
import { loadOptions, loadTaskData, type TaskData } from './tasks.ts';

/** What a job read, kept in job.json and done.json (the report shows it; status names the split that changed). */
export interface DataRecord {
  /** sha256 over the split digests, 16 hex digits: the part of the job key */
  digest: string;
  /** per split (train, the evaluation split, extra ones): sha256 of its prepared examples in order, 16 hex digits */
  splits: Record<string, string>;
  /** examples read from the files per split, before subsampling */
  read: Record<string, number>;
  /** examples the job uses per split, after data.train_size / data.dev_size */
  used: Record<string, number>;
  /** the registry's official counts of those splits (a pool: of 'all') */
  official: Record<string, number>;
  /** the loader's warnings (partial or modified copy, empty texts, skipped rows, train_size over the split) */
  warnings: string[];
}

/** A cell's data: its record, or null with why (not on disk yet, or it cannot be read). */
export interface DataState {
  record: DataRecord | null;
  /** when record is null: why, for status lines and the jobs' failure */
  missing?: string;
}

/** The cells' data by dataKey(task, data settings). */
export type DataStates = Record<string, DataState>;

const sha = (x: string) => createHash('sha256').update(x).digest('hex').slice(0, 16);

/**
 * Which data a cell reads: its task and data settings (max_length and doc_stride included: harmless, simple;
 * data.per_class only when set, so the keys of configs made before it stay), and
 * for a task defined in the config its definition (files, fields, labels), so an edited definition is read again.
 */
export const dataKey = (task: TaskName, data: DataCfg) => {
  const custom = getTask(task).custom;
  return sha(JSON.stringify({ task, data: dataSettingsKey(data), ...(custom && { custom }) }));
};

export const defaultDataCache = () => join(findRepoRoot(), '.cache', 'data-digests.json');

function splitDigest(examples: AnyExample[]): string {
  const h = createHash('sha256');
  for (const e of examples) h.update(`${JSON.stringify(e)}\n`);
  return h.digest('hex').slice(0, 16);
}

/** The record of loaded task data. */
export function dataRecord(d: TaskData): DataRecord {
  const parts: [string, AnyExample[]][] = [
    ['train', d.train],
    [d.evalSplit, d.dev],
    ...d.extra.map((x): [string, AnyExample[]] => [x.split, x.examples]),
  ];
  const splits = Object.fromEntries(parts.map(([s, ex]) => [s, splitDigest(ex)]));
  return {
    digest: sha(JSON.stringify(splits)),
    splits,
    read: d.read,
    used: Object.fromEntries(parts.map(([s, ex]) => [s, ex.length])),
    official: d.official,
    warnings: d.warnings,
  };
}

interface CacheEntry {
  /** the paths trainEvalSources gave (which root and layout) */
  sources: string[];
  files: string[];
  /** over path, size and mtime of sources, files and the files' folders */
  fingerprint: string;
  record: DataRecord;
}

function fingerprint(paths: string[]): string {
  const all = [...new Set([...paths, ...paths.map((p) => dirname(p))])].sort();
  const lines = all.map((p) => {
    try {
      const st = statSync(p);
      return `${p}\0${st.size}\0${st.mtimeMs}`;
    } catch {
      return `${p}\0missing`;
    }
  });
  return sha(lines.join('\n'));
}

export interface ReadDataOptions {
  /** download a task not on disk (run, when data.allow_download); status and --dry-run never do */
  download: boolean;
  cacheFile?: string;
  log?: (line: string) => void;
}

/** One cell's data state: from the cache when its files are unchanged, else read now. */
export async function readDataState(task: TaskName, data: DataCfg, opts: ReadDataOptions): Promise<DataState> {
  const cacheFile = opts.cacheFile ?? defaultDataCache();
  const key = dataKey(task, data);
  const sources = trainEvalSources(task, loadOptions(data));
  // a task of the config is never downloaded: read it anyway, so a wrong path says which key to fix
  if (!sources && !(opts.download && data.allow_download) && !getTask(task).custom)
    return { record: null, missing: 'not on disk yet (run reads or downloads it)' };
  const cache = readJson<Record<string, CacheEntry>>(cacheFile) ?? {};
  const hit = cache[key];
  if (
    sources &&
    hit &&
    hit.sources.join('\n') === sources.join('\n') &&
    hit.fingerprint === fingerprint([...hit.sources, ...hit.files])
  )
    return { record: hit.record };
  let loaded: TaskData;
  try {
    loaded = await loadTaskData(task, { ...data, allow_download: opts.download && data.allow_download });
  } catch (e) {
    return { record: null, missing: `cannot be read: ${e instanceof Error ? e.message : String(e)}` };
  }
  const record = dataRecord(loaded);
  const now = trainEvalSources(task, loadOptions(data)) ?? []; // after a download the sources are there
  const fresh = readJson<Record<string, CacheEntry>>(cacheFile) ?? {}; // another process may have written meanwhile
  fresh[key] = { sources: now, files: loaded.files, fingerprint: fingerprint([...now, ...loaded.files]), record };
  for (const [k, e] of Object.entries(fresh)) if (!e.sources.every((p) => existsSync(p))) delete fresh[k]; // tests' roots
  writeJsonAtomic(cacheFile, fresh);
  opts.log?.(
    `data ${task}: digest ${record.digest} (${Object.entries(record.splits)
      .map(([s, d]) => `${s} ${d}`)
      .join(', ')})`,
  );
  return { record };
}

/** The data state of every cell of a config, by dataKey. */
export async function readDataStates(cfg: ExperimentConfig, opts: ReadDataOptions): Promise<DataStates> {
  const out: DataStates = {};
  for (const task of cfg.tasks) {
    for (const model of Object.keys(cfg.models)) {
      const data = cellSettings(cfg, task, model).data;
      const key = dataKey(task, data);
      if (!(key in out)) out[key] = await readDataState(task, data, opts);
    }
  }
  return out;
}

/** Status lines about data not read: why, and that its jobs are pending. */
export function dataLines(cfg: ExperimentConfig, states: DataStates): string[] {
  const lines: string[] = [];
  for (const task of cfg.tasks) {
    for (const model of Object.keys(cfg.models)) {
      const s = states[dataKey(task, cellSettings(cfg, task, model).data)];
      const line = `data ${task}: ${s?.missing ?? 'not read'}; its jobs are pending`;
      if (!s?.record && !lines.includes(line)) lines.push(line);
    }
  }
  return lines;
}
