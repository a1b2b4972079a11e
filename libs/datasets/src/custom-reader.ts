// Reads a split of a task defined in the config (custom-task.ts) from CSV, TSV, JSONL or parquet. Fields are found
// by name (the header line of a csv/tsv file, the keys of a JSON object, the parquet columns) or, in a csv/tsv file
// without a header line, by column number; with column numbers the first line is taken for a header when its label
// is not a label (not a number, for regression). A field the file lacks is an error that lists the fields it has;
// a bad row (label not in labels, empty text, empty or repeated id) names the file, line and field.
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { parseCsv } from './csv.ts';
import type { RowProblems } from './data-error.ts';
import { readJsonl } from './jsonl.ts';
import type { ClassRow, RawSplit } from './raw-rows.ts';
import { describeLabels, labelId, type CustomLayout, type FieldRef, type TableFormat, type TaskSpec } from './tasks.ts';
import { readTextFile, splitLines } from './text-file.ts';

/** One record of a table: where it is, and its value by field. */
interface Rec {
  line?: number;
  /** parquet: the row number (no lines) */
  row?: number;
  get: (ref: FieldRef) => unknown;
  /** the fields this record has, for "missing field" messages */
  fields: () => string[];
}

/** An id goes into file names' neighbours: scores.csv, subset lists, MLflow; keep it to plain characters. */
const ID_CHARS = /^[\w.:@+-]+$/;

const at = (file: string, r: Rec) => (r.line !== undefined ? `${file}:${r.line}` : `${file}: row ${r.row}`);

function refsOf(layout: CustomLayout): FieldRef[] {
  return [...layout.text, layout.label, ...(layout.id === undefined ? [] : [layout.id])];
}

/** The key of the config that names a field, for messages. */
function keyOf(spec: TaskSpec, layout: CustomLayout, ref: FieldRef): string {
  const k = layout.label === ref ? 'label' : layout.id === ref ? 'id' : 'text';
  return `custom_tasks.${spec.name}.${k}`;
}

function missingField(spec: TaskSpec, layout: CustomLayout, file: string, where: string, ref: FieldRef, has: string[]) {
  const what = typeof ref === 'number' ? `column ${ref}` : `field ${JSON.stringify(ref)}`;
  return new Error(
    `${where}: no ${what} (${keyOf(spec, layout, ref)}); ${file} has the fields ${has.map((f) => JSON.stringify(f)).join(', ')}: ` +
      `name one of them in the config${typeof ref === 'string' ? ' (or, for a csv/tsv file without a header line, column numbers from 0)' : ''}`,
  );
}

/** Whether a first csv/tsv line read by column number is a header: its label cell is not a label. */
function looksLikeHeader(spec: TaskSpec, cell: string | undefined): boolean {
  if (cell === undefined) return true;
  if (spec.kind === 'regression') return !Number.isFinite(Number(cell)) || cell.trim() === '';
  return labelId(spec, cell.trim()) === undefined;
}

/** csv/tsv records with their header handled. */
function tableRecords(
  spec: TaskSpec,
  layout: CustomLayout,
  file: string,
  table: 'csv' | 'tsv',
  problems: RowProblems,
): Rec[] {
  const content = readTextFile(file, `a ${table.toUpperCase()} file of task ${spec.name}`);
  const raw =
    table === 'csv'
      ? parseCsv(content, file, problems)
      : splitLines(content).flatMap((l, i) => (l.trim() === '' ? [] : [{ line: i + 1, cells: l.split('\t') }]));
  if (raw.length === 0) throw new Error(`${file}: no rows: expected a ${table} file with ${refsOf(layout).join(', ')}`);
  const refs = refsOf(layout);
  let index: (ref: FieldRef) => number;
  let names: string[];
  if (refs.every((r) => typeof r === 'number')) {
    const first = raw[0]!;
    if (looksLikeHeader(spec, first.cells[layout.label as number])) {
      raw.shift();
      names = first.cells;
    } else {
      names = first.cells.map((_, i) => String(i));
    }
    index = (r) => r as number;
  } else {
    const header = raw.shift()!;
    names = header.cells.map((c) => c.trim());
    for (const r of refs) {
      if (!names.includes(r as string)) {
        const dataLike = !looksLikeHeader(spec, header.cells[0]) || !looksLikeHeader(spec, header.cells.at(-1));
        const err = missingField(spec, layout, file, `${file}:${header.line}`, r, names);
        if (dataLike)
          err.message += `; the first line looks like data, not a header: add a header line or name columns by number`;
        throw err;
      }
    }
    index = (r) => names.indexOf(r as string);
  }
  const need = Math.max(...refs.map(index)) + 1;
  const out: Rec[] = [];
  for (const { line, cells } of raw) {
    if (cells.length < need) {
      problems.report(
        file,
        line,
        `expected ${names.length} ${table === 'csv' ? 'comma' : 'tab'}-separated fields (${names.join(', ')}), found ${cells.length}`,
      );
      continue;
    }
    out.push({ line, get: (r) => cells[index(r)], fields: () => names });
  }
  return out;
}

async function parquetRecords(spec: TaskSpec, layout: CustomLayout, file: string): Promise<Rec[]> {
  let rows: Record<string, unknown>[];
  let columns: string[];
  try {
    const buf = await asyncBufferFromFile(file);
    const meta = await parquetMetadataAsync(buf);
    columns = parquetSchema(meta).children.map((c) => c.element.name);
    rows = (await parquetReadObjects({ file: buf, metadata: meta, compressors })) as Record<string, unknown>[];
  } catch (err) {
    throw new Error(`${file}: cannot read parquet (${(err as Error).message}): expected a parquet file`);
  }
  for (const r of refsOf(layout))
    if (!columns.includes(String(r))) throw missingField(spec, layout, file, file, r, columns);
  return rows.map((v, i) => ({ row: i + 1, get: (r) => v[String(r)], fields: () => columns }));
}

function jsonlRecords(spec: TaskSpec, layout: CustomLayout, file: string, problems: RowProblems): Rec[] {
  const rows = readJsonl(file, `a JSON Lines file of task ${spec.name}`, problems);
  const first = rows[0];
  if (first) {
    for (const r of refsOf(layout))
      if (!(String(r) in first.value))
        throw missingField(spec, layout, file, `${file}:${first.line}`, r, Object.keys(first.value));
  }
  return rows.map(({ line, value }) => ({ line, get: (r) => value[String(r)], fields: () => Object.keys(value) }));
}

async function records(
  spec: TaskSpec,
  layout: CustomLayout,
  file: string,
  table: TableFormat,
  problems: RowProblems,
): Promise<Rec[]> {
  if (table === 'parquet') return parquetRecords(spec, layout, file);
  if (table === 'jsonl') return jsonlRecords(spec, layout, file, problems);
  return tableRecords(spec, layout, file, table, problems);
}

const cellText = (v: unknown): string | undefined =>
  typeof v === 'string'
    ? v
    : typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean'
      ? String(v)
      : undefined;

export async function readCustomSplit(
  spec: TaskSpec,
  layout: CustomLayout,
  split: string,
  file: string,
  problems: RowProblems,
): Promise<RawSplit<ClassRow>> {
  const table = layout.tables[split] as TableFormat;
  const recs = await records(spec, layout, file, table, problems);
  const rows: ClassRow[] = [];
  const seen = new Map<string, string>();
  const report = (r: Rec, msg: string) =>
    r.line !== undefined
      ? problems.report(file, r.line, msg)
      : problems.report(file, undefined, `row ${r.row}: ${msg}`);
  const name = (ref: FieldRef) => (typeof ref === 'number' ? `column ${ref}` : `field ${JSON.stringify(ref)}`);
  rec: for (const r of recs) {
    const fields: string[] = [];
    for (const ref of layout.text) {
      const t = cellText(r.get(ref));
      if (t === undefined) {
        report(r, `no text in ${name(ref)} (${keyOf(spec, layout, ref)}); this row has ${r.fields().join(', ')}`);
        continue rec;
      }
      if (t.trim() === '') {
        report(r, `empty text in ${name(ref)}: fill it in or remove the row`);
        continue rec;
      }
      fields.push(t);
    }
    const rawLabel = cellText(r.get(layout.label))?.trim();
    let label: number | undefined;
    if (spec.kind === 'regression') {
      const v = Number(rawLabel);
      if (rawLabel !== undefined && rawLabel !== '' && Number.isFinite(v)) label = v;
      else report(r, `label ${JSON.stringify(rawLabel ?? null)} in ${name(layout.label)} is not a number (regression)`);
    } else {
      label = rawLabel === undefined ? undefined : labelId(spec, rawLabel);
      if (label === undefined)
        report(
          r,
          `label ${JSON.stringify(rawLabel ?? null)} in ${name(layout.label)} is not one of the task's labels ` +
            `(${describeLabels(spec)}); fix the row, or list it under custom_tasks.${spec.name}.labels`,
        );
    }
    if (label === undefined) continue;
    const row: ClassRow = { where: at(file, r), fields, label };
    if (layout.id !== undefined) {
      const id = cellText(r.get(layout.id))?.trim() ?? '';
      if (!ID_CHARS.test(id)) {
        report(
          r,
          `id ${JSON.stringify(id)} in ${name(layout.id)} ${id === '' ? 'is empty' : 'holds characters other than letters, digits and _ . : @ + -'}; ` +
            `fix it, or drop custom_tasks.${spec.name}.id to derive ids from the content`,
        );
        continue;
      }
      const first = seen.get(id);
      if (first !== undefined) {
        report(r, `id ${JSON.stringify(id)} repeats the one at ${first}; ids must be unique within a file`);
        continue;
      }
      seen.set(id, row.where);
      row.id = id;
    }
    rows.push(row);
  }
  return { files: [file], rows, dropped: 0, warnings: [] };
}
