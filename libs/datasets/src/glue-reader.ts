// GLUE TSV files. Columns are found by header NAME so one spec covers train (12 columns in MNLI) and
// dev (16); files without a header (CoLA train/dev) use positions. No quoting: `"` is literal text.
import type { RowProblems } from './data-error.ts';
import type { ClassRow, RawSplit } from './raw-rows.ts';
import { describeLabels, labelId, type Layout, type TaskSpec } from './tasks.ts';
import { readTsv } from './tsv.ts';
import { UNLABELLED } from './types.ts';

type GlueLayout = Extract<Layout, { format: 'glue-tsv' | 'glue-tsv-positional' }>;

/** Parses one raw label cell; returns undefined after reporting a problem, 'drop' for SNLI's "-". */
export function parseLabelCell(
  spec: TaskSpec,
  raw: string,
  file: string,
  line: number,
  problems: RowProblems,
): number | 'drop' | undefined {
  if (spec.kind === 'regression') {
    const v = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(v) || v < 0 || v > 5) {
      problems.report(
        file,
        line,
        `score ${JSON.stringify(raw)} is not a number between 0 and 5 (${spec.title} similarity)`,
      );
      return undefined;
    }
    return v;
  }
  if (raw === '-' && (spec.name === 'snli' || spec.name === 'mnli')) return 'drop';
  const id = labelId(spec, raw);
  if (id === undefined) {
    problems.report(file, line, `unknown label ${JSON.stringify(raw)}: expected one of ${describeLabels(spec)}`);
    return undefined;
  }
  return id;
}

export function readGlueSplit(
  spec: TaskSpec,
  layout: GlueLayout,
  file: string,
  split: string,
  problems: RowProblems,
): RawSplit<ClassRow> {
  const labelled = !spec.unlabelledSplits.includes(split);
  const rows: ClassRow[] = [];
  let dropped = 0;
  if (layout.format === 'glue-tsv-positional') {
    const table = readTsv(file, { header: false });
    const n = layout.columns.length;
    for (const { line, cells } of table.rows) {
      if (cells.length !== n) {
        problems.report(
          file,
          line,
          `expected ${n} tab-separated columns (${layout.columns.join(', ')}), found ${cells.length}`,
        );
        continue;
      }
      const label = parseLabelCell(spec, cells[layout.label] as string, file, line, problems);
      if (label === undefined) continue;
      if (label === 'drop') {
        dropped++;
        continue;
      }
      rows.push({ where: `${file}:${line}`, fields: layout.text.map((i) => cells[i] as string), label });
    }
    return { files: [file], rows, dropped, warnings: [] };
  }

  const table = readTsv(file, { header: true });
  const header = table.header ?? [];
  const col = (name: string) => header.indexOf(name);
  const missing = layout.text.filter((c) => col(c) < 0);
  if (missing.length > 0) {
    throw new Error(
      `${file}:1: missing column${missing.length > 1 ? 's' : ''} ` +
        `${missing.map((m) => JSON.stringify(m)).join(', ')}: ` +
        `expected a GLUE ${spec.title} header with ` +
        `${[...layout.text, ...(layout.label ? [layout.label] : [])].join(', ')}; found ` +
        `${JSON.stringify(header.join('\t'))}`,
    );
  }
  const labelCol = layout.label === undefined ? -1 : col(layout.label);
  if (labelled && labelCol < 0) {
    throw new Error(
      `${file}:1: missing label column ${JSON.stringify(layout.label)}: the ${split} split of ${spec.title} must be ` +
        `labelled; ` +
        `found header ${JSON.stringify(header.join('\t'))} (is this a test file?)`,
    );
  }
  const textCols = layout.text.map(col);
  for (const { line, cells } of table.rows) {
    if (cells.length !== header.length) {
      problems.report(
        file,
        line,
        `expected ${header.length} tab-separated columns like the header (${header.join(', ')}), found ${cells.length}`,
      );
      continue;
    }
    let label = UNLABELLED;
    if (labelCol >= 0) {
      const parsed = parseLabelCell(spec, cells[labelCol] as string, file, line, problems);
      if (parsed === undefined) continue;
      if (parsed === 'drop') {
        dropped++;
        continue;
      }
      label = parsed;
    }
    rows.push({ where: `${file}:${line}`, fields: textCols.map((i) => cells[i] as string), label });
  }
  return { files: [file], rows, dropped, warnings: [] };
}
