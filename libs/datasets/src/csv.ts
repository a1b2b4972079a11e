// RFC 4180 CSV: fields optionally quoted, "" is a literal quote inside quotes, quoted fields may
// span lines. Each record keeps the line it starts on for error messages.
import type { RowProblems } from './data-error.ts';

export interface CsvRecord {
  line: number;
  cells: string[];
}

export function parseCsv(text: string, file: string, problems: RowProblems): CsvRecord[] {
  const out: CsvRecord[] = [];
  let i = 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const start = line;
    const cells: string[] = [];
    let bad: string | undefined;
    for (;;) {
      let cell = '';
      while (i < n && text[i] === ' ') i++; // tolerate a space after the comma (AG News has none, others do)
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= n) {
            bad = 'unterminated quoted field';
            break;
          }
          const c = text[i] as string;
          if (c === '"') {
            if (text[i + 1] === '"') {
              cell += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          cell += c;
          i++;
        }
        while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          if (!bad) bad = 'text after a closing quote';
          i++;
        }
      } else {
        while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') cell += text[i++];
      }
      cells.push(cell);
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '\r') i++;
      if (text[i] === '\n') {
        i++;
        line++;
      }
      break;
    }
    if (bad) {
      problems.report(file, start, `malformed CSV record (${bad})`);
      continue;
    }
    if (cells.length === 1 && cells[0] === '') continue; // blank line
    out.push({ line: start, cells });
  }
  return out;
}
