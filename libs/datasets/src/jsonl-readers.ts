// Classification tasks published as JSON Lines: SNLI 1.0 (gold_label "-" rows dropped), and files
// with named text/label fields (IMDB, CB).
import type { RowProblems } from './data-error.ts';
import { parseLabelCell } from './glue-reader.ts';
import { readJsonl } from './jsonl.ts';
import type { ClassRow, RawSplit } from './raw-rows.ts';
import type { TaskSpec } from './tasks.ts';
import { UNLABELLED } from './types.ts';

export function readSnliJsonl(spec: TaskSpec, file: string, problems: RowProblems): RawSplit<ClassRow> {
  const rows: ClassRow[] = [];
  let dropped = 0;
  for (const { line, value } of readJsonl(
    file,
    'an SNLI 1.0 jsonl file (sentence1, sentence2, gold_label)',
    problems,
  )) {
    const missing = ['sentence1', 'sentence2', 'gold_label'].filter((k) => typeof value[k] !== 'string');
    if (missing.length > 0) {
      problems.report(
        file,
        line,
        `missing string field${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: expected sentence1, sentence2, ` +
          `gold_label`,
      );
      continue;
    }
    const label = parseLabelCell(spec, value['gold_label'] as string, file, line, problems);
    if (label === undefined) continue;
    if (label === 'drop') {
      dropped++;
      continue;
    }
    rows.push({
      where: `${file}:${line}`,
      fields: [value['sentence1'] as string, value['sentence2'] as string],
      label,
    });
  }
  return { files: [file], rows, dropped, warnings: [] };
}

export function readFieldJsonl(
  spec: TaskSpec,
  file: string,
  fields: { text: string[]; label: string },
  labelled: boolean,
  problems: RowProblems,
): RawSplit<ClassRow> {
  const rows: ClassRow[] = [];
  const what = `a ${spec.title} jsonl file with fields ${[...fields.text, fields.label].join(', ')}`;
  for (const { line, value } of readJsonl(file, what, problems)) {
    const missing = fields.text.filter((k) => typeof value[k] !== 'string');
    if (missing.length > 0) {
      problems.report(
        file,
        line,
        `missing text field${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: expected ${what}`,
      );
      continue;
    }
    const raw = value[fields.label];
    let label = UNLABELLED;
    if (raw === undefined || raw === null || raw === -1) {
      if (labelled) {
        problems.report(file, line, `missing label field ${JSON.stringify(fields.label)}: expected ${what}`);
        continue;
      }
    } else {
      const parsed = parseLabelCell(spec, String(raw), file, line, problems);
      if (parsed === undefined || parsed === 'drop') continue;
      label = parsed;
    }
    rows.push({ where: `${file}:${line}`, fields: fields.text.map((k) => value[k] as string), label });
  }
  return { files: [file], rows, dropped: 0, warnings: [] };
}
