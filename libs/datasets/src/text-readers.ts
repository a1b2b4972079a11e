// Plain-text formats: TREC (`COARSE:fine question`), SentEval (one sentence per line, one file per
// label; MR's files are Latin-1, or one file of `label<TAB>sentence` lines) and the AG News CSV. A header line is
// recognised where a file may or may not have one (the widely shared AG News CSV starts `Class Index,Title,Description`):
// the first line is a header when its label field is not one of the task's labels; later lines must be data.
import path from 'node:path';
import { parseCsv } from './csv.ts';
import type { RowProblems } from './data-error.ts';
import { parseLabelCell } from './glue-reader.ts';
import type { ClassRow, RawSplit } from './raw-rows.ts';
import { describeLabels, labelId, type TaskSpec } from './tasks.ts';
import { isValidUtf8, readFileChecked, readTextFile, splitLines } from './text-file.ts';

/** UTF-8 when the bytes are valid UTF-8, else Latin-1 (older corpora predate UTF-8). */
function readLegacyText(file: string, what: string): { text: string; latin1: boolean } {
  const buf = readFileChecked(file, what);
  const latin1 = !isValidUtf8(buf);
  let text = buf.toString(latin1 ? 'latin1' : 'utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { text, latin1 };
}

export function readTrec(spec: TaskSpec, file: string, problems: RowProblems): RawSplit<ClassRow> {
  const { text, latin1 } = readLegacyText(file, 'a TREC question file (`COARSE:fine question` per line)');
  const rows: ClassRow[] = [];
  splitLines(text).forEach((l, i) => {
    if (l.trim() === '') return;
    const m = /^([A-Z]+):(\S+)\s+(.*)$/.exec(l);
    if (!m) {
      problems.report(
        file,
        i + 1,
        `expected "COARSE:fine question text" (e.g. "DESC:manner How did ...?"), found ` +
          `${JSON.stringify(l.slice(0, 60))}`,
      );
      return;
    }
    const label = parseLabelCell(spec, m[1] as string, file, i + 1, problems);
    if (label === undefined || label === 'drop') return;
    rows.push({ where: `${file}:${i + 1}`, fields: [(m[3] as string).trim()], label });
  });
  return { files: [file], rows, dropped: 0, warnings: latin1 ? [`${file} is not valid UTF-8: read as Latin-1`] : [] };
}

/** Every non-blank line is a sentence, so there is no malformed row (`problems` kept for a uniform signature). */
export function readSentEval(
  spec: TaskSpec,
  dir: string,
  labelFiles: string[],
  _problems: RowProblems,
): RawSplit<ClassRow> {
  const rows: ClassRow[] = [];
  const warnings: string[] = [];
  const files = labelFiles.map((f) => path.join(dir, f));
  files.forEach((file, label) => {
    const { text, latin1 } = readLegacyText(
      file,
      `a SentEval ${spec.title} file (one ${spec.labels[label]} sentence per line)`,
    );
    if (latin1) warnings.push(`${file} is not valid UTF-8: read as Latin-1`);
    splitLines(text).forEach((l, i) => {
      if (l.trim() === '') return;
      rows.push({ where: `${file}:${i + 1}`, fields: [l.trim()], label });
    });
  });
  return { files, rows, dropped: 0, warnings };
}

/** Whether a file's first record, whose label field reads `cell`, is a header line rather than data. */
export const isHeaderLabel = (spec: TaskSpec, cell: string): boolean => labelId(spec, cell.trim()) === undefined;

/** SentEval as one file: `label<TAB>sentence` per line, label a name or its alias (0/1, neg/pos); a header is skipped. */
export function readLabelTsv(spec: TaskSpec, file: string, problems: RowProblems): RawSplit<ClassRow> {
  const { text, latin1 } = readLegacyText(file, `a ${spec.title} file of label<TAB>sentence lines`);
  const rows: ClassRow[] = [];
  let first = true;
  splitLines(text).forEach((l, i) => {
    if (l.trim() === '') return;
    const tab = l.indexOf('\t');
    const isFirst = first;
    first = false;
    if (isFirst && (tab < 0 || isHeaderLabel(spec, l.slice(0, tab)))) return; // header line: `label<TAB>sentence`
    if (tab < 0) {
      problems.report(
        file,
        i + 1,
        `expected "label<TAB>sentence" (labels ${describeLabels(spec)}), found no tab in ${JSON.stringify(l.slice(0, 60))}`,
      );
      return;
    }
    const label = parseLabelCell(spec, l.slice(0, tab).trim(), file, i + 1, problems);
    if (label === undefined || label === 'drop') return;
    rows.push({ where: `${file}:${i + 1}`, fields: [l.slice(tab + 1).trim()], label });
  });
  return { files: [file], rows, dropped: 0, warnings: latin1 ? [`${file} is not valid UTF-8: read as Latin-1`] : [] };
}

/** AG News CSV with or without its header line `Class Index,Title,Description`; classes 1-4 are labels 0-3. */
export function readAgNewsCsv(spec: TaskSpec, file: string, problems: RowProblems): RawSplit<ClassRow> {
  const content = readTextFile(file, 'an AG News CSV file ("class","title","description")');
  const rows: ClassRow[] = [];
  const records = parseCsv(content, file, problems);
  if (records[0] && isHeaderLabel(spec, records[0].cells[0] ?? '')) records.shift();
  for (const rec of records) {
    if (rec.cells.length !== 3) {
      problems.report(
        file,
        rec.line,
        `expected 3 comma-separated fields ("class","title","description"), found ${rec.cells.length}`,
      );
      continue;
    }
    const [cls, title, desc] = rec.cells as [string, string, string];
    const label = parseLabelCell(spec, cls.trim(), file, rec.line, problems);
    if (label === undefined || label === 'drop') continue;
    rows.push({ where: `${file}:${rec.line}`, fields: [`${title} ${desc}`], label });
  }
  return { files: [file], rows, dropped: 0, warnings: [] };
}
