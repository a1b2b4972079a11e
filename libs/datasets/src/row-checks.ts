// Checks on the rows a reader gave that no single format owns: bytes that are not valid UTF-8 (Node decodes them to
// U+FFFD without a word) and empty texts. Invalid UTF-8 stops the load at the first bad line (strict) or skips the
// rows on bad lines, counted (data.lenient). Empty texts are kept with a warning (a published set may hold a few, as
// it was used) or skipped with one under data.lenient; either way the count and the file reach the job's warnings.
import fs from 'node:fs';
import type { RowProblems } from './data-error.ts';
import type { ChoiceRow, ClassRow, QaRow } from './raw-rows.ts';
import type { Layout } from './tasks.ts';

type Row = ClassRow | QaRow | ChoiceRow;

/** Whether a format's files are checked as UTF-8: not TREC / SentEval (Latin-1 fallback, warned by their reader). */
const UTF8_CHECKED: Record<Layout['format'], boolean> = {
  'glue-tsv': true,
  'glue-tsv-positional': true,
  'snli-jsonl': true,
  'squad-json': true,
  'race-folders': true,
  jsonl: true,
  'trec-txt': false,
  senteval: false,
  'label-tsv': false,
  custom: true, // csv/tsv/jsonl; parquet files are skipped below
  'ag-news-csv': true,
  hf: true, // its jsonl files; parquet strings are decoded by hyparquet
};

/** The texts of a row a model reads. */
const texts = (r: Row): string[] =>
  'fields' in r ? r.fields : 'options' in r ? [r.context, ...r.options] : [r.context, r.question];

/** `file:line` or `file: json path` -> [file, line?]. */
function location(where: string): [string, number | undefined] {
  const m = /^(.*?):(\d+)$/.exec(where) ?? /^(.*?): /.exec(where);
  return m ? [m[1] as string, m[2] && /^\d+$/.test(m[2]) ? Number(m[2]) : undefined] : [where, undefined];
}

/** 1-based numbers of the lines of a file that are not valid UTF-8; [] for a valid file. */
export function invalidUtf8Lines(file: string): number[] {
  const buf = fs.readFileSync(file);
  const fatal = new TextDecoder('utf-8', { fatal: true });
  try {
    fatal.decode(buf);
    return [];
  } catch {
    // find the lines: split the bytes at \n (never part of a multi-byte sequence)
  }
  const bad: number[] = [];
  let start = 0;
  for (let line = 1; start <= buf.length; line++) {
    let end = buf.indexOf(0x0a, start);
    if (end < 0) end = buf.length;
    try {
      fatal.decode(buf.subarray(start, end));
    } catch {
      bad.push(line);
    }
    start = end + 1;
  }
  return bad;
}

export function checkRows<R extends Row>(
  format: Layout['format'],
  files: string[],
  rows: R[],
  problems: RowProblems,
): { rows: R[]; warnings: string[] } {
  const warnings: string[] = [];
  let kept = rows;
  if (UTF8_CHECKED[format]) {
    for (const file of files.filter((f) => !f.endsWith('.parquet') && fs.statSync(f).isFile())) {
      const bad = invalidUtf8Lines(file);
      if (!bad.length) continue;
      const badSet = new Set(bad);
      // rows located by line, or (one-line json, RACE files) by a text that decoded to U+FFFD
      const isBad = (r: Row) => {
        const [f, line] = location(r.where);
        if (f !== file) return false;
        return line !== undefined ? badSet.has(line) : texts(r).some((t) => t.includes('\uFFFD'));
      };
      const n = kept.filter(isBad).length;
      const where = `${bad.length} line(s) of ${file} are not valid UTF-8 (first: line ${bad[0]})`;
      if (!problems.lenient)
        throw new Error(
          `${file}:${bad[0]}: not valid UTF-8 (${bad.length} line(s) of this file); save the file as UTF-8 or pass ` +
            '--set data.lenient=true to skip the rows on those lines',
        );
      kept = kept.filter((r) => !isBad(r));
      warnings.push(`${where}: ${n} row(s) skipped (data.lenient)`);
    }
  }
  const byFile = new Map<string, { n: number; first: string }>();
  for (const r of kept) {
    if (!texts(r).some((t) => t.trim() === '')) continue;
    const [file] = location(r.where);
    const c = byFile.get(file) ?? { n: 0, first: r.where };
    c.n++;
    byFile.set(file, c);
  }
  for (const [file, { n, first }] of byFile) {
    warnings.push(
      `${file}: ${n} row(s) with an empty text (first: ${first})` +
        (problems.lenient ? ': skipped (data.lenient)' : ': kept; pass --set data.lenient=true to skip them'),
    );
  }
  if (problems.lenient && byFile.size) kept = kept.filter((r) => !texts(r).some((t) => t.trim() === ''));
  return { rows: kept, warnings };
}
