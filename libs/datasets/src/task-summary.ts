// What data is available here, per task and split: source, format, rows vs the official count. Used
// for the data note of a report (and by anyone wondering why a task falls back to fixtures).
import { DataNotFoundError, fmtCount } from './data-error.ts';
import { loadTask, type TaskLoadOptions } from './load-task.ts';
import { TASK_NAMES, getTask } from './tasks.ts';

export interface TaskDataRow {
  task: string;
  split: string;
  /** 'shared' | 'config' | 'env' | 'cache', 'missing', or 'error' (a copy that does not load). */
  source: string;
  format?: string;
  rows?: number;
  official?: number;
  note?: string;
}

/** Loads every split of every task that is present (tasks absent everywhere give one 'missing' row). */
export async function summarizeTaskData(opts: TaskLoadOptions = {}, tasks: readonly string[] = TASK_NAMES): Promise<TaskDataRow[]> {
  const rows: TaskDataRow[] = [];
  for (const name of tasks) {
    const spec = getTask(name);
    let loaded: Awaited<ReturnType<typeof loadTask>>;
    try {
      loaded = await loadTask(name, { ...opts, allowDownload: opts.allowDownload ?? false });
    } catch (err) {
      const missing = err instanceof DataNotFoundError;
      rows.push({ task: spec.name, split: '*', source: missing ? 'missing' : 'error', note: missing ? 'no copy under any data root' : (err as Error).message });
      continue;
    }
    for (const s of Object.values(loaded.splits)) {
      const row: TaskDataRow = { task: spec.name, split: s.split, source: s.source, format: s.format, rows: s.examples.length };
      if (s.official !== undefined) row.official = s.official;
      const notes = [s.dropped > 0 ? `${fmtCount(s.dropped)} unlabelled dropped` : '', s.duplicates > 0 ? `${fmtCount(s.duplicates)} repeated contents` : ''].filter(Boolean);
      if (notes.length) row.note = notes.join('; ');
      rows.push(row);
    }
    for (const w of loaded.warnings) {
      const split = /^\S+ (\S+) not found/.exec(w.replace(spec.title, spec.name))?.[1] ?? '?';
      rows.push({ task: spec.name, split, source: 'missing', ...(spec.official[split] !== undefined ? { official: spec.official[split] } : {}), note: 'partial copy: this split is absent' });
    }
  }
  return rows;
}

export function taskDataMarkdown(rows: TaskDataRow[]): string {
  const n = (x: number | undefined) => (x === undefined ? '' : fmtCount(x));
  const lines = ['| task | split | source | format | rows | official | note |', '|---|---|---|---|---|---|---|'];
  for (const r of rows) lines.push(`| ${r.task} | ${r.split} | ${r.source} | ${r.format ?? ''} | ${n(r.rows)} | ${n(r.official)} | ${r.note ?? ''} |`);
  return lines.join('\n');
}
