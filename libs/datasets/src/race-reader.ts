// RACE: <split>/{middle,high}/<n>.txt, each file one JSON object {id, article, questions[], options[][4],
// answers[] ("A".."D")}. The "all" task is middle + high, in that order.
import fs from 'node:fs';
import path from 'node:path';
import type { RowProblems } from './data-error.ts';
import type { ChoiceRow, RawSplit } from './raw-rows.ts';
import { readTextFile } from './text-file.ts';

const LEVELS = ['middle', 'high'] as const;

export function readRaceFolder(splitDir: string, problems: RowProblems): RawSplit<ChoiceRow> {
  if (!fs.existsSync(splitDir) || !fs.statSync(splitDir).isDirectory()) {
    throw new Error(
      `${splitDir} does not exist: expected a RACE split folder with middle/ and high/ inside (RACE/train, RACE/dev, ` +
        `RACE/test)`,
    );
  }
  const rows: ChoiceRow[] = [];
  const files: string[] = [];
  const warnings: string[] = [];
  for (const level of LEVELS) {
    const dir = path.join(splitDir, level);
    if (!fs.existsSync(dir)) {
      warnings.push(`${dir} is missing: RACE "all" is middle + high, this copy has only part of it`);
      continue;
    }
    // Numeric order (1.txt, 2.txt, ..., 10.txt) so the reading order is the publisher's.
    const names = fs.readdirSync(dir).filter((f) => f.endsWith('.txt') || f.endsWith('.json'));
    names.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    for (const name of names) {
      const file = path.join(dir, name);
      files.push(file);
      let obj: unknown;
      try {
        obj = JSON.parse(readTextFile(file, 'a RACE question file (JSON with article, questions, options, answers)'));
      } catch (err) {
        const msg = (err as Error).message;
        problems.report(file, undefined, msg.startsWith(file) ? msg.slice(file.length + 2) : `not valid JSON (${msg})`);
        continue;
      }
      const o = obj as Record<string, unknown>;
      const { article, questions, options, answers } = o;
      if (
        typeof article !== 'string' ||
        !Array.isArray(questions) ||
        !Array.isArray(options) ||
        !Array.isArray(answers) ||
        questions.length !== options.length ||
        questions.length !== answers.length
      ) {
        problems.report(
          file,
          undefined,
          'expected {"article": string, "questions": [...], "options": [[4 strings], ...], "answers": ["A".."D", ' +
            '...]} with equally long lists',
        );
        continue;
      }
      questions.forEach((q, i) => {
        const opts = options[i];
        const ans = answers[i];
        const label = typeof ans === 'string' ? 'ABCD'.indexOf(ans) : -1;
        if (
          typeof q !== 'string' ||
          !Array.isArray(opts) ||
          opts.length !== 4 ||
          !opts.every((x) => typeof x === 'string') ||
          label < 0 ||
          ans.length !== 1
        ) {
          problems.report(
            file,
            undefined,
            `question ${i + 1}: expected a string question, 4 string options and an answer letter A-D, found answer ` +
              `${JSON.stringify(ans)}`,
          );
          return;
        }
        rows.push({
          where: `${file}: questions[${i}]`,
          sourceId: `${typeof o['id'] === 'string' ? o['id'] : `${level}/${name}`}#${i}`,
          context: article,
          question: q,
          options: opts as string[],
          label,
        });
      });
    }
  }
  if (files.length === 0) throw new Error(`${splitDir} holds no RACE files: expected middle/*.txt and high/*.txt`);
  return { files, rows, dropped: 0, warnings };
}
