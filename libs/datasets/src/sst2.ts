// SST-2 from the official GLUE download: SST-2/{train,dev}.tsv, header `sentence\tlabel`, label 0/1.
import path from 'node:path';
import { assignIds } from './example-id.ts';
import { readTsv } from './tsv.ts';
import type { Example, TaskInfo } from './types.ts';

export const SST2_TASK: TaskInfo = { name: 'sst2', labels: ['negative', 'positive'], textFields: ['sentence'] };

/** Row counts of the official GLUE SST-2 files (header excluded). */
export const SST2_OFFICIAL_COUNTS = { train: 67_349, dev: 872 } as const;

export type Sst2Split = 'train' | 'dev';

export interface Sst2Options {
  /** Skip malformed rows (listed in warnings) instead of throwing. */
  lenient?: boolean;
  /** Warnings (partial file, skipped rows) are pushed here. */
  warnings?: string[];
}

export interface Sst2SplitData {
  file: string;
  examples: Example[];
  /** Rows whose sentence repeats an earlier one (they get `-2`, `-3` id suffixes). */
  duplicates: number;
  warnings: string[];
}

/** Path of an SST-2 split under a GLUE directory (the folder that holds SST-2/). */
export function sst2File(glueDir: string, split: Sst2Split): string {
  return path.join(glueDir, 'SST-2', `${split}.tsv`);
}

/** Reads one split with full diagnostics. `glueDir` is the folder holding SST-2/. */
export function readSst2(glueDir: string, split: Sst2Split, opts: { lenient?: boolean } = {}): Sst2SplitData {
  const file = sst2File(glueDir, split);
  const lenient = opts.lenient ?? false;
  const table = readTsv(file, { header: true, minColumns: 2, lenient });
  const header = table.header ?? [];
  if (header.length !== 2 || header[0] !== 'sentence' || header[1] !== 'label') {
    throw new Error(
      `${file}:1: expected the GLUE SST-2 header "sentence<TAB>label", found ${JSON.stringify(header.join('\t'))}; ` +
        `is this the ${split} file of GLUE SST-2 (test.tsv has no labels)?`,
    );
  }
  const warnings = [...table.skipped];
  const kept: { sentence: string; label: number }[] = [];
  for (const { line, cells } of table.rows) {
    let problem: string | undefined;
    if (cells.length !== 2) problem = `expected 2 tab-separated columns (sentence, label), found ${cells.length}`;
    else if (cells[1] !== '0' && cells[1] !== '1') {
      problem = `label ${JSON.stringify(cells[1])} is not one of the allowed labels 0 (negative), 1 (positive)`;
    }
    if (problem) {
      if (!lenient) throw new Error(`${file}:${line}: ${problem}; fix the row or pass --lenient`);
      warnings.push(`${file}:${line}: ${problem} (row skipped)`);
      continue;
    }
    kept.push({ sentence: cells[0] as string, label: cells[1] === '1' ? 1 : 0 });
  }
  if (lenient && warnings.length > 0) warnings.unshift(`${file}: ${warnings.length} malformed row(s) skipped (--lenient)`);

  const { ids, duplicates } = assignIds(SST2_TASK.name, split, kept.map((k) => ({ fields: [k.sentence] })));
  const examples = kept.map((k, i) => ({ id: ids[i] as string, text: k.sentence, label: k.label }));
  const official = SST2_OFFICIAL_COUNTS[split];
  if (examples.length !== official) {
    warnings.push(
      `${file} has ${examples.length.toLocaleString('en-US')} rows but the official GLUE SST-2 ${split} split has ` +
        `${official.toLocaleString('en-US')}: the file is partial or modified, so results are not comparable with the paper`,
    );
  }
  return { file, examples, duplicates, warnings };
}

/** SST-2 examples of one split. Warnings (e.g. a partial file) go to `opts.warnings`, never thrown. */
export function loadSst2(glueDir: string, split: Sst2Split, opts: Sst2Options = {}): Example[] {
  const r = readSst2(glueDir, split, opts);
  opts.warnings?.push(...r.warnings);
  return r.examples;
}
