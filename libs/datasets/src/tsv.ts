// GLUE TSV reader. GLUE files are tab-separated with NO quoting: a `"` is literal text (SST-2 has
// sentences that start with a quote), so a CSV parser would silently merge rows.
import fs from 'node:fs';
import { FIX_OR_LENIENT } from './data-error.ts';

export interface TsvRow {
  /** 1-based line number in the file, for error messages. */
  line: number;
  cells: string[];
}

export interface TsvOptions {
  header: boolean;
  /** Rows with fewer cells are an error (or, with `lenient`, skipped and listed in `skipped`). */
  minColumns?: number;
  /** Column names used in error messages when the file has no header row. */
  columns?: string[];
  /** Skip short rows instead of throwing. */
  lenient?: boolean;
}

export interface TsvTable {
  header?: string[];
  rows: TsvRow[];
  /** Rows dropped in lenient mode, each with its `file:line: reason` message. */
  skipped: string[];
}

export function readTsv(file: string, opts: TsvOptions): TsvTable {
  let content: string;
  try {
    content = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read TSV file ${file}: ${(err as Error).message}`);
  }
  if (content.charCodeAt(0) === 0xfeff) content = content.slice(1); // tolerate a UTF-8 BOM
  const lines = content.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop(); // final newline
  if (lines.length === 0)
    throw new Error(`${file} is empty: expected a GLUE TSV file${opts.header ? ' with a header row' : ''}`);

  const split = (l: string): string[] => (l.endsWith('\r') ? l.slice(0, -1) : l).split('\t');
  let header: string[] | undefined;
  let first = 0;
  if (opts.header) {
    header = split(lines[0] as string);
    first = 1;
  }
  const names = header ?? opts.columns;
  const min = opts.minColumns ?? 0;
  const rows: TsvRow[] = [];
  const skipped: string[] = [];
  for (let i = first; i < lines.length; i++) {
    const cells = split(lines[i] as string);
    const line = i + 1;
    if (cells.length < min) {
      const named = names ? ` (${names.join(', ')})` : '';
      const msg = `${file}:${line}: expected ${min} tab-separated columns${named}, found ${cells.length}`;
      if (opts.lenient) {
        skipped.push(msg);
        continue;
      }
      throw new Error(`${msg}; ${FIX_OR_LENIENT}`);
    }
    rows.push({ line, cells });
  }
  return header ? { header, rows, skipped } : { rows, skipped };
}
