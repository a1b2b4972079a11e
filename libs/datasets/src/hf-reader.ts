// Hugging Face exports of the same sets: parquet (read with hyparquet) or jsonl, one file per split
// (`train.parquet`, `validation.jsonl`) or shards (`train-00000-of-00002.parquet`). Integer labels are
// ClassLabel indices; when the parquet carries HF's feature metadata, its label names are matched to
// ours by name, so a differently ordered export still maps correctly.
import fs from 'node:fs';
import path from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import type { RowProblems } from './data-error.ts';
import { parseLabelCell } from './glue-reader.ts';
import { readJsonl } from './jsonl.ts';
import type { ChoiceRow, ClassRow, QaRow, RawSplit } from './raw-rows.ts';
import { describeLabels, labelId, type TaskSpec } from './tasks.ts';
import { UNLABELLED } from './types.ts';

type Obj = Record<string, unknown>;
const EXTS = ['.parquet', '.jsonl', '.json'];

/** The export files of one HF split inside `dir`, in shard order; [] when there are none. */
export function hfSplitFiles(dir: string, hfSplit: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const names = fs
    .readdirSync(dir)
    .filter((f) => EXTS.some((e) => f === hfSplit + e || (f.startsWith(`${hfSplit}-`) && f.endsWith(e))));
  return names.sort().map((f) => path.join(dir, f));
}

interface HfRecord {
  where: string;
  value: Obj;
}

/** Rows of every file, plus a label-name remapping read from parquet metadata when present. */
async function readRecords(
  files: string[],
  problems: RowProblems,
  labelColumn: string,
): Promise<{ records: HfRecord[]; names?: string[] }> {
  const records: HfRecord[] = [];
  let names: string[] | undefined;
  for (const file of files) {
    if (file.endsWith('.parquet')) {
      let rows: Obj[];
      try {
        const buf = await asyncBufferFromFile(file);
        const meta = await parquetMetadataAsync(buf);
        const hfMeta = meta.key_value_metadata?.find((kv) => kv.key === 'huggingface')?.value;
        if (hfMeta) {
          try {
            const feat = JSON.parse(hfMeta)?.info?.features?.[labelColumn];
            if (Array.isArray(feat?.names)) names = feat.names as string[];
          } catch {
            // metadata we cannot read does not stop the load: integer labels then use our order
          }
        }
        rows = (await parquetReadObjects({ file: buf, metadata: meta, compressors })) as Obj[];
      } catch (err) {
        throw new Error(
          `${file}: cannot read parquet (${(err as Error).message}): expected a Hugging Face parquet export`,
        );
      }
      rows.forEach((value, i) => records.push({ where: `${file}: row ${i + 1}`, value }));
    } else {
      for (const { line, value } of readJsonl(file, 'a Hugging Face jsonl export (one JSON object per line)', problems))
        records.push({ where: `${file}:${line}`, value });
    }
  }
  return names ? { records, names } : { records };
}

const num = (v: unknown): number | undefined =>
  typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : undefined;

/** Reports a problem at a record location (`file:line` or `file: row n`). */
function report(problems: RowProblems, where: string, problem: string): void {
  const m = /^(.*):(\d+)$/.exec(where);
  if (m) problems.report(m[1] as string, Number(m[2]), problem);
  else problems.report(where, undefined, problem);
}

export async function readHfClassification(
  spec: TaskSpec,
  files: string[],
  fields: { text: string[]; label: string },
  labelled: boolean,
  problems: RowProblems,
): Promise<RawSplit<ClassRow>> {
  const { records, names } = await readRecords(files, problems, fields.label);
  const warnings: string[] = [];
  let remap: number[] | undefined;
  if (names && spec.kind === 'classification') {
    remap = names.map((n) => labelId(spec, n) ?? -1);
    if (remap.some((r) => r < 0)) {
      throw new Error(
        `${files[0]}: the export's label names ${JSON.stringify(names)} do not match ${spec.title}'s ` +
          `${JSON.stringify(spec.labels)}`,
      );
    }
    if (remap.some((r, i) => r !== i))
      warnings.push(`${files[0]}: label order ${names.join(', ')} differs from ours; labels remapped by name`);
  }
  const rows: ClassRow[] = [];
  let dropped = 0;
  for (const { where, value } of records) {
    const missing = fields.text.filter((k) => typeof value[k] !== 'string');
    if (missing.length > 0) {
      report(
        problems,
        where,
        `missing text column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: expected ` +
          `${[...fields.text, fields.label].join(', ')}`,
      );
      continue;
    }
    const raw = value[fields.label];
    const n = num(raw);
    let label: number;
    if (raw === undefined || raw === null || n === -1) {
      // HF marks unlabelled rows with -1: test splits, and SNLI's no-consensus pairs (dropped).
      if (labelled) {
        if (n === -1 && spec.name === 'snli') {
          dropped++;
          continue;
        }
        report(problems, where, `missing label ${JSON.stringify(fields.label)} in a labelled split`);
        continue;
      }
      label = UNLABELLED;
    } else if (n !== undefined && spec.kind === 'regression') {
      label = n;
    } else if (n !== undefined) {
      const id = remap ? remap[n] : n;
      if (!Number.isInteger(n) || id === undefined || id < 0 || id >= spec.labels.length) {
        report(
          problems,
          where,
          `label ${n} is out of range: expected 0..${spec.labels.length - 1} (${describeLabels(spec)})`,
        );
        continue;
      }
      label = id;
    } else {
      const m = /^(.*):(\d+)$/.exec(where);
      const parsed = parseLabelCell(spec, String(raw), m ? (m[1] as string) : where, m ? Number(m[2]) : 0, problems);
      if (parsed === undefined) continue;
      if (parsed === 'drop') {
        dropped++;
        continue;
      }
      label = parsed;
    }
    rows.push({ where, fields: fields.text.map((k) => value[k] as string), label });
  }
  return { files, rows, dropped, warnings };
}

export async function readHfSquad(files: string[], problems: RowProblems): Promise<RawSplit<QaRow>> {
  const { records } = await readRecords(files, problems, 'answers');
  const rows: QaRow[] = [];
  for (const { where, value } of records) {
    const { id, title, context, question, answers } = value as {
      id?: unknown;
      title?: unknown;
      context?: unknown;
      question?: unknown;
      answers?: { text?: unknown; answer_start?: unknown };
    };
    const texts = answers?.text;
    const starts = answers?.answer_start;
    if (
      typeof context !== 'string' ||
      typeof question !== 'string' ||
      !Array.isArray(texts) ||
      !Array.isArray(starts) ||
      texts.length !== starts.length
    ) {
      report(
        problems,
        where,
        'expected columns context, question and answers {text: [...], answer_start: [...]} of equal length',
      );
      continue;
    }
    const ans = texts.map((t, k) => ({ text: String(t), start: num(starts[k]) ?? -1 }));
    if (ans.some((a) => a.start < 0 || a.start + a.text.length > context.length)) {
      report(problems, where, 'an answer_start lies outside the context');
      continue;
    }
    rows.push({
      where,
      ...(typeof id === 'string' ? { sourceId: id } : {}),
      ...(typeof title === 'string' ? { title } : {}),
      context,
      question,
      answers: ans,
    });
  }
  return { files, rows, dropped: 0, warnings: [] };
}

export async function readHfRace(files: string[], problems: RowProblems): Promise<RawSplit<ChoiceRow>> {
  const { records } = await readRecords(files, problems, 'answer');
  const rows: ChoiceRow[] = [];
  for (const { where, value } of records) {
    const { example_id, article, question, options, answer } = value;
    const label = typeof answer === 'string' && answer.length === 1 ? 'ABCD'.indexOf(answer) : -1;
    if (
      typeof article !== 'string' ||
      typeof question !== 'string' ||
      !Array.isArray(options) ||
      options.length !== 4 ||
      !options.every((o) => typeof o === 'string') ||
      label < 0
    ) {
      report(
        problems,
        where,
        `expected article, question, 4 string options and an answer letter A-D, found answer ${JSON.stringify(answer)}`,
      );
      continue;
    }
    rows.push({
      where,
      ...(typeof example_id === 'string' ? { sourceId: example_id } : {}),
      context: article,
      question,
      options: options as string[],
      label,
    });
  }
  return { files, rows, dropped: 0, warnings: [] };
}
