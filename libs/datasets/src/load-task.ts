// Loads one split of any registered task: finds the data root (config -> PRUNELAB_DATA -> ../shared/data
// -> download cache -> download), picks the first layout whose files are there, reads the rows, assigns
// content-derived ids and checks the row count against the official one.
import fs from 'node:fs';
import path from 'node:path';
import { readCustomSplit } from './custom-reader.ts';
import { DataNotFoundError, fmtCount, RowProblems } from './data-error.ts';
import { assignIds } from './example-id.ts';
import { readGlueSplit } from './glue-reader.ts';
import { hfSplitFiles, readHfClassification, readHfRace, readHfSquad } from './hf-reader.ts';
import { readFieldJsonl, readSnliJsonl } from './jsonl-readers.ts';
import { readRaceFolder } from './race-reader.ts';
import { checkRows } from './row-checks.ts';
import type { ChoiceRow, ClassRow, QaRow, RawSplit } from './raw-rows.ts';
import { findRepoRoot } from './repo-root.ts';
import { readSquadJson } from './squad-reader.ts';
import { downloadTask, hasDownload } from './task-download.ts';
import { getTask, taskSplits, type Layout, type TaskName, type TaskSpec } from './tasks.ts';
import { readAgNewsCsv, readLabelTsv, readSentEval, readTrec } from './text-readers.ts';
import type { ChoiceExample, DataSource, Example, QaExample } from './types.ts';

export interface TaskLoadOptions {
  /** Data root from the experiment config; when set it must hold the task. */
  dataRoot?: string;
  /** Download cache (tasks land in the same layout as under a data root). */
  cacheDir?: string;
  /** Download into cacheDir when no copy is found (default: true when cacheDir is set). */
  allowDownload?: boolean;
  fetchImpl?: typeof fetch;
  /** Skip malformed rows (counted and listed in warnings) instead of failing. */
  lenient?: boolean;
  /** Where to look for ../shared/data; default: findRepoRoot(). */
  repoRoot?: string;
  /** PRUNELAB_DATA; default: process.env. */
  envDataRoot?: string;
}

interface SplitMeta {
  task: TaskSpec;
  split: string;
  root: string;
  source: DataSource;
  format: Layout['format'];
  files: string[];
  /** Rows whose content repeats an earlier row (their ids get -2, -3 ...). */
  duplicates: number;
  /** Malformed rows skipped in lenient mode. */
  skipped: number;
  /** Rows the task definition leaves out (SNLI gold label "-"). */
  dropped: number;
  official?: number;
  warnings: string[];
  description: string;
}

export type LoadedSplit =
  | (SplitMeta & { kind: 'classification' | 'regression'; examples: Example[] })
  | (SplitMeta & { kind: 'extractive-qa'; examples: QaExample[] })
  | (SplitMeta & { kind: 'multiple-choice'; examples: ChoiceExample[] });

/** The files a layout needs for a split under `root`, or undefined when the layout lacks the split or they are absent. */
export function layoutFiles(layout: Layout, root: string, split: string): string[] | undefined {
  if (layout.format === 'custom') {
    // a task defined in the config names its files itself (absolute paths): the data root plays no part
    const file = layout.files[split];
    return file !== undefined && fs.existsSync(file) ? [file] : undefined;
  }
  const dir = path.join(root, layout.dir);
  if (layout.format === 'senteval') {
    if (split !== layout.split) return undefined;
    const files = layout.labelFiles.map((f) => path.join(dir, f));
    return files.every((f) => fs.existsSync(f)) ? files : undefined;
  }
  const name = layout.files[split];
  if (name === undefined) return undefined;
  if (layout.format === 'hf') {
    const files = hfSplitFiles(dir, name);
    return files.length > 0 ? files : undefined;
  }
  const file = path.join(dir, name);
  return fs.existsSync(file) ? [file] : undefined;
}

function findLayout(spec: TaskSpec, root: string, split: string): { layout: Layout; files: string[] } | undefined {
  for (const layout of spec.layouts) {
    const files = layoutFiles(layout, root, split);
    if (files) return { layout, files };
  }
  return undefined;
}

/** Where a split would be looked for under a root, for "not found" messages. */
function expectedPaths(spec: TaskSpec, root: string, split: string): string[] {
  return spec.layouts.flatMap((l) => {
    if (l.format === 'senteval')
      return l.split === split ? [path.join(root, l.dir, `{${l.labelFiles.join(',')}}`)] : [];
    const f = l.files[split];
    if (f === undefined) return [];
    if (l.format === 'custom') return [f];
    return [path.join(root, l.dir, l.format === 'hf' ? `${f}{.parquet,.jsonl,-*.parquet}` : f)];
  });
}

function tryRepoRoot(): string | undefined {
  try {
    return findRepoRoot();
  } catch {
    return undefined;
  }
}

type Located = { root: string; source: DataSource; layout: Layout; files: string[] };

/**
 * Where (task, split) is on disk now, without downloading: the explicit root (config data.root or PRUNELAB_DATA)
 * when one is set, else ../shared/data, else the download cache. `tried` lists where it was looked for.
 */
export function locateTaskSplit(
  spec: TaskSpec,
  split: string,
  opts: TaskLoadOptions,
): { hit?: Located; explicit?: { root: string; from: string }; tried: string[] } {
  if (spec.custom) {
    const hit = findLayout(spec, '', split);
    const tried = expectedPaths(spec, '', split);
    return hit ? { hit: { root: path.dirname(hit.files[0] as string), source: 'custom', ...hit }, tried } : { tried };
  }
  const env = opts.envDataRoot ?? process.env['PRUNELAB_DATA'];
  const explicit = opts.dataRoot
    ? { root: path.resolve(opts.dataRoot), source: 'config' as const, from: 'data.root in the config' }
    : env
      ? { root: path.resolve(env), source: 'env' as const, from: 'environment variable PRUNELAB_DATA' }
      : undefined;
  if (explicit) {
    const hit = findLayout(spec, explicit.root, split);
    return {
      ...(hit && { hit: { root: explicit.root, source: explicit.source, ...hit } }),
      explicit,
      tried: expectedPaths(spec, explicit.root, split),
    };
  }
  const repoRoot = opts.repoRoot ?? tryRepoRoot();
  const tried: string[] = [];
  const roots: [string, DataSource][] = [];
  if (repoRoot) roots.push([path.resolve(repoRoot, '../shared/data'), 'shared']);
  if (opts.cacheDir) roots.push([path.resolve(opts.cacheDir), 'cache']);
  for (const [root, source] of roots) {
    const hit = findLayout(spec, root, split);
    if (hit) return { hit: { root, source, ...hit }, tried };
    tried.push(...expectedPaths(spec, root, split));
  }
  return { tried };
}

/** The root and layout holding (task, split), downloading into the cache when allowed. */
export async function resolveTaskSplit(
  spec: TaskSpec,
  split: string,
  opts: TaskLoadOptions,
): Promise<Located & { warnings: string[] }> {
  const known = taskSplits(spec);
  if (!known.includes(split))
    throw new Error(`${spec.title} has no split ${JSON.stringify(split)}; its splits are ${known.join(', ')}`);
  const { hit, explicit, tried } = locateTaskSplit(spec, split, opts);
  if (hit) return { ...hit, warnings: [] };
  if (spec.custom) {
    const key = split === 'dev' ? 'dev' : 'train';
    throw new DataNotFoundError(
      `task ${spec.name}: ${tried.join(' or ')} does not exist (custom_tasks.${spec.name}.${key}); fix the path in ` +
        `the config (relative to the config file's folder, or absolute)`,
    );
  }
  if (explicit) {
    throw new DataNotFoundError(
      `${spec.title} ${split} not found under data root ${explicit.root} (${explicit.from}): looked for ` +
        `${tried.join(' or ')}; ` +
        `fix the path or unset it to fall back to ../shared/data and the download cache`,
    );
  }
  const warnings: string[] = [];
  if (opts.cacheDir) {
    const cache = path.resolve(opts.cacheDir);
    if (opts.allowDownload !== false && hasDownload(spec.name as TaskName)) {
      warnings.push(...(await downloadTask(spec.name as TaskName, cache, opts.fetchImpl)));
      const after = findLayout(spec, cache, split);
      if (after) return { root: cache, source: 'cache', ...after, warnings };
      throw new Error(
        `${spec.title}: the download into ${cache} finished but provides no ${split} split (looked for ` +
          `${expectedPaths(spec, cache, split).join(' or ')})`,
      );
    }
  }
  throw new DataNotFoundError(
    `${spec.title} ${split} not found: looked for ${tried.join(' or ') || '(no candidate roots)'}` +
      `${opts.cacheDir ? (hasDownload(spec.name as TaskName) ? ' (download disabled)' : ' (no automatic download for this task)') : ' (no cacheDir to download into)'}; ` +
      `set data.root in the config or PRUNELAB_DATA to a folder holding it`,
  );
}

async function readRaw(
  spec: TaskSpec,
  layout: Layout,
  files: string[],
  split: string,
  problems: RowProblems,
): Promise<RawSplit<ClassRow | QaRow | ChoiceRow>> {
  const labelled = !spec.unlabelledSplits.includes(split);
  const file = files[0] as string;
  switch (layout.format) {
    case 'glue-tsv':
    case 'glue-tsv-positional':
      return readGlueSplit(spec, layout, file, split, problems);
    case 'snli-jsonl':
      return readSnliJsonl(spec, file, problems);
    case 'jsonl':
      return readFieldJsonl(spec, file, layout, labelled, problems);
    case 'trec-txt':
      return readTrec(spec, file, problems);
    case 'senteval':
      return readSentEval(spec, path.dirname(file), layout.labelFiles, problems);
    case 'label-tsv':
      return readLabelTsv(spec, file, problems);
    case 'custom':
      return readCustomSplit(spec, layout, split, file, problems);
    case 'ag-news-csv':
      return readAgNewsCsv(spec, file, problems);
    case 'squad-json':
      return readSquadJson(file, problems);
    case 'race-folders':
      return readRaceFolder(file, problems);
    case 'hf':
      if (spec.kind === 'extractive-qa') return readHfSquad(files, problems);
      if (spec.kind === 'multiple-choice') return readHfRace(files, problems);
      return readHfClassification(spec, files, layout, labelled, problems);
  }
}

const FORMAT_NAMES: Record<Layout['format'], string> = {
  'glue-tsv': 'GLUE TSV',
  'glue-tsv-positional': 'GLUE TSV, no header',
  'snli-jsonl': 'SNLI jsonl',
  'squad-json': 'SQuAD v2.0 json',
  'race-folders': 'RACE json folders',
  jsonl: 'jsonl',
  'trec-txt': 'TREC txt',
  senteval: 'SentEval txt',
  'label-tsv': 'label<TAB>text',
  custom: 'defined in the config',
  'ag-news-csv': 'AG News csv',
  hf: 'Hugging Face export',
};

/** Reads (task, split) from the files given, without root resolution. */
export async function readTaskSplit(
  taskName: string,
  split: string,
  where: { root: string; source: DataSource; layout: Layout; files: string[] },
  opts: { lenient?: boolean } = {},
): Promise<LoadedSplit> {
  const spec = getTask(taskName);
  const problems = new RowProblems(opts.lenient ?? false);
  const read = await readRaw(spec, where.layout, where.files, split, problems);
  const checked = checkRows(where.layout.format, read.files, read.rows, problems);
  const raw = { ...read, rows: checked.rows };
  const warnings = [...raw.warnings, ...checked.warnings];
  if (problems.skipped.length > 0) {
    warnings.push(
      `${spec.title} ${split}: ${problems.skipped.length} malformed row(s) skipped (data.lenient); first: ` +
        `${problems.skipped.slice(0, 3).join(' | ')}`,
    );
  }
  let examples: Example[] | QaExample[] | ChoiceExample[];
  let duplicates: number;
  if (spec.kind === 'extractive-qa') {
    const rows = raw.rows as QaRow[];
    const ids = assignIds(
      spec.name,
      split,
      rows.map((r) => ({ fields: [r.context, r.question] })),
    );
    duplicates = ids.duplicates;
    examples = rows.map(({ where: _w, ...r }, i) => ({ id: ids.ids[i] as string, ...r }));
  } else if (spec.kind === 'multiple-choice') {
    const rows = raw.rows as ChoiceRow[];
    const ids = assignIds(
      spec.name,
      split,
      rows.map((r) => ({ fields: [r.context, r.question, ...r.options] })),
    );
    duplicates = ids.duplicates;
    examples = rows.map(({ where: _w, ...r }, i) => ({ id: ids.ids[i] as string, ...r }));
  } else {
    const rows = raw.rows as ClassRow[];
    // the file's own ids (checked unique by its reader), else ids from the content
    const ids =
      rows.length > 0 && rows.every((r) => r.id !== undefined)
        ? { ids: rows.map((r) => r.id as string), duplicates: 0 }
        : assignIds(spec.name, split, rows);
    duplicates = ids.duplicates;
    examples = rows.map((r, i) => {
      const ex: Example = { id: ids.ids[i] as string, text: r.fields[0] as string, label: r.label };
      if (r.fields.length > 1) ex.textB = r.fields[1] as string;
      return ex;
    });
  }
  const official = spec.official[split];
  const n = examples.length;
  if (n === 0) {
    // a file in another layout (a MultiNLI 1.0 jsonl as a task's file) reads as rows that are all skipped or dropped
    const file = where.files.length === 1 ? where.files[0] : path.dirname(where.files[0] as string);
    const why = [
      problems.skipped.length > 0 && `${fmtCount(problems.skipped.length)} malformed rows skipped`,
      raw.dropped > 0 && `${fmtCount(raw.dropped)} without gold label dropped`,
    ].filter(Boolean);
    const layouts = spec.layouts.flatMap((l) =>
      expectedPaths({ ...spec, layouts: [l] }, where.root, split).map((p) => `${FORMAT_NAMES[l.format]} at ${p}`),
    );
    throw new Error(
      `${file}: no ${spec.title} ${split} example read${why.length ? ` (${why.join(', ')})` : ''}; ` +
        `expected one of: ${layouts.join('; ')}` +
        (problems.skipped[0] ? `; first problem: ${problems.skipped[0]}` : ''),
    );
  }
  if (official !== undefined && n !== official) {
    warnings.push(
      `${where.files.length === 1 ? where.files[0] : path.dirname(where.files[0] as string)} gives ${fmtCount(n)} ` +
        `${spec.title} ${split} examples but the official split has ${fmtCount(official)}: ` +
        `the copy is partial or modified, so results are not comparable with published ones`,
    );
  }
  const parts = [`${fmtCount(n)} examples`];
  if (official !== undefined && n === official) parts[0] += ' (official count)';
  if (raw.dropped > 0) parts.push(`${fmtCount(raw.dropped)} without gold label dropped`);
  if (duplicates > 0) parts.push(`${fmtCount(duplicates)} repeated contents (ids suffixed -2, -3, ...)`);
  if (problems.skipped.length > 0) parts.push(`${fmtCount(problems.skipped.length)} malformed rows skipped`);
  const meta: SplitMeta = {
    task: spec,
    split,
    root: where.root,
    source: where.source,
    format: where.layout.format,
    files: raw.files,
    duplicates,
    skipped: problems.skipped.length,
    dropped: raw.dropped,
    ...(official !== undefined ? { official } : {}),
    warnings,
    description:
      `${spec.title} ${split} (${FORMAT_NAMES[where.layout.format]}) from ${where.root} ` +
      `[${where.source}]: ${parts.join('; ')}`,
  };
  if (spec.kind === 'extractive-qa') return { ...meta, kind: 'extractive-qa', examples: examples as QaExample[] };
  if (spec.kind === 'multiple-choice')
    return { ...meta, kind: 'multiple-choice', examples: examples as ChoiceExample[] };
  return { ...meta, kind: spec.kind, examples: examples as Example[] };
}

/** One split of a task, from wherever it is found first. */
export async function loadTaskSplit(taskName: string, split: string, opts: TaskLoadOptions = {}): Promise<LoadedSplit> {
  const spec = getTask(taskName);
  const where = await resolveTaskSplit(spec, split, opts);
  const loaded = await readTaskSplit(
    spec.name,
    split,
    where,
    opts.lenient !== undefined ? { lenient: opts.lenient } : {},
  );
  loaded.warnings.unshift(...where.warnings);
  return loaded;
}

/** Every split of a task that can be found; a missing split is a warning (QNLI has no train here). */
export async function loadTask(
  taskName: string,
  opts: TaskLoadOptions & { splits?: string[] } = {},
): Promise<{ splits: Record<string, LoadedSplit>; warnings: string[] }> {
  const spec = getTask(taskName);
  const splits: Record<string, LoadedSplit> = {};
  const warnings: string[] = [];
  for (const split of opts.splits ?? taskSplits(spec)) {
    try {
      splits[split] = await loadTaskSplit(spec.name, split, opts);
    } catch (err) {
      if (!(err instanceof DataNotFoundError)) throw err;
      warnings.push(err.message);
    }
  }
  if (Object.keys(splits).length === 0)
    throw new DataNotFoundError(`no split of ${spec.title} was found:\n${warnings.join('\n')}`);
  // A single-pool copy (SentEval "all") and a train/test export are alternatives, not parts of one copy.
  const pooled = 'all' in splits;
  const kept = warnings.filter((w) => (pooled ? !/ (train|dev|test) not found/.test(w) : !/ all not found/.test(w)));
  return { splits, warnings: kept };
}
