// SQuAD v2.0 json: {version, data: [{title, paragraphs: [{context, qas: [{id, question, answers,
// is_impossible, plausible_answers?}]}]}]}. Unanswerable questions get answers = [] (plausible
// answers are not gold). Locations are JSON paths, since the file is one line.
import type { RowProblems } from './data-error.ts';
import type { QaRow, RawSplit } from './raw-rows.ts';
import { readTextFile } from './text-file.ts';

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

export function readSquadJson(file: string, problems: RowProblems): RawSplit<QaRow> {
  const what = 'a SQuAD v2.0 json file ({"version": "v2.0", "data": [...]})';
  let json: unknown;
  try {
    json = JSON.parse(readTextFile(file, what));
  } catch (err) {
    if ((err as Error).message.startsWith(file)) throw err;
    throw new Error(`${file}: not valid JSON (${(err as Error).message}): expected ${what}`);
  }
  if (!isObj(json) || !Array.isArray(json['data']))
    throw new Error(`${file}: no "data" array at the top level: expected ${what}`);
  const warnings: string[] = [];
  if (json['version'] !== 'v2.0')
    warnings.push(
      `${file}: version is ${JSON.stringify(json['version'])}, not "v2.0": unanswerable questions may be missing`,
    );
  const rows: QaRow[] = [];
  let misaligned = 0;
  (json['data'] as unknown[]).forEach((article, a) => {
    const at = `data[${a}]`;
    if (!isObj(article) || !Array.isArray(article['paragraphs'])) {
      problems.report(file, undefined, `${at} has no "paragraphs" array`);
      return;
    }
    const title = typeof article['title'] === 'string' ? article['title'] : undefined;
    (article['paragraphs'] as unknown[]).forEach((para, p) => {
      const pat = `${at}.paragraphs[${p}]`;
      if (!isObj(para) || typeof para['context'] !== 'string' || !Array.isArray(para['qas'])) {
        problems.report(file, undefined, `${pat} needs a string "context" and a "qas" array`);
        return;
      }
      const context = para['context'];
      (para['qas'] as unknown[]).forEach((qa, q) => {
        const qat = `${pat}.qas[${q}]`;
        if (
          !isObj(qa) ||
          typeof qa['question'] !== 'string' ||
          typeof qa['id'] !== 'string' ||
          !Array.isArray(qa['answers'])
        ) {
          problems.report(file, undefined, `${qat} needs string "id", string "question" and an "answers" array`);
          return;
        }
        const impossible = qa['is_impossible'] === true;
        const answers: { text: string; start: number }[] = [];
        let bad: string | undefined;
        for (const [k, ans] of (qa['answers'] as unknown[]).entries()) {
          if (!isObj(ans) || typeof ans['text'] !== 'string' || !Number.isInteger(ans['answer_start'])) {
            bad = `answers[${k}] needs string "text" and integer "answer_start"`;
            break;
          }
          const start = ans['answer_start'] as number;
          if (start < 0 || start + ans['text'].length > context.length) {
            bad = `answers[${k}].answer_start ${start} lies outside the context (${context.length} characters)`;
            break;
          }
          if (context.slice(start, start + ans['text'].length) !== ans['text']) misaligned++;
          answers.push({ text: ans['text'], start });
        }
        if (!bad && !impossible && answers.length === 0) bad = 'is_impossible is false but there are no answers';
        if (bad) {
          problems.report(file, undefined, `${qat} (id ${qa['id']}): ${bad}`);
          return;
        }
        rows.push({
          where: `${file}: ${qat}`,
          sourceId: qa['id'],
          ...(title !== undefined ? { title } : {}),
          context,
          question: qa['question'],
          answers: impossible ? [] : answers,
        });
      });
    });
  });
  if (misaligned > 0)
    warnings.push(
      `${file}: ${misaligned} answer(s) whose text differs from the context at answer_start (kept as published)`,
    );
  return { files: [file], rows, dropped: 0, warnings };
}
