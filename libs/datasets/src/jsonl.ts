// JSON Lines reader: one object per line, blank lines ignored; a bad line names the file and line.
import type { RowProblems } from './data-error.ts';
import { readTextFile, splitLines } from './text-file.ts';

export interface JsonlRow {
  line: number;
  value: Record<string, unknown>;
}

export function readJsonl(file: string, what: string, problems: RowProblems): JsonlRow[] {
  const lines = splitLines(readTextFile(file, what));
  const rows: JsonlRow[] = [];
  lines.forEach((text, i) => {
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      problems.report(
        file,
        i + 1,
        `not valid JSON (${(err as Error).message}): expected one JSON object per line (${what})`,
      );
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.report(
        file,
        i + 1,
        `expected a JSON object per line (${what}), found ${Array.isArray(value) ? 'an array' : typeof value}`,
      );
      return;
    }
    rows.push({ line: i + 1, value: value as Record<string, unknown> });
  });
  return rows;
}
