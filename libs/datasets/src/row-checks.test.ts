// Rows no format owns: empty texts (kept and warned; skipped under data.lenient), bytes that are not UTF-8 (an error
// naming file and line; skipped and counted under data.lenient), and a split that reads as nothing (an error naming
// the file and the layouts expected, lenient or not).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { loadTaskSplit } from './load-task.ts';
import { invalidUtf8Lines } from './row-checks.ts';
import type { Example } from './types.ts';

const roots: string[] = [];
after(() => roots.forEach((r) => fs.rmSync(r, { recursive: true, force: true })));
/** A fresh data root holding one file. */
function rootWith(rel: string, content: string | Buffer): { root: string; file: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-rows-'));
  roots.push(root);
  const file = path.join(root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return { root, file };
}
const load = (root: string, task: string, split: string, lenient = false) =>
  loadTaskSplit(task, split, { dataRoot: root, envDataRoot: '', lenient });

describe('empty texts', () => {
  const { root, file } = rootWith('glue/SST-2/dev.tsv', 'sentence\tlabel\ngood .\t1\n\t0\n  \t1\nbad .\t0\n');

  test('kept, with one warning line giving the count and the file', async () => {
    const s = await load(root, 'sst2', 'dev');
    assert.equal(s.examples.length, 4);
    const w = s.warnings.filter((x) => x.includes('empty text'));
    assert.deepEqual(w, [
      `${file}: 2 row(s) with an empty text (first: ${file}:3): kept; pass --set data.lenient=true to skip them`,
    ]);
  });

  test('data.lenient: skipped, with the count', async () => {
    const s = await load(root, 'sst2', 'dev', true);
    assert.deepEqual(
      (s.examples as Example[]).map((e) => e.text),
      ['good .', 'bad .'],
    );
    assert.ok(s.warnings.includes(`${file}: 2 row(s) with an empty text (first: ${file}:3): skipped (data.lenient)`));
  });
});

describe('invalid UTF-8', () => {
  const bytes = Buffer.concat([
    Buffer.from('sentence\tlabel\ngood .\t1\nbad '),
    Buffer.from([0xff, 0xfe]), // never valid in UTF-8
    Buffer.from(' .\t0\nfine\t1\ncaf'),
    Buffer.from([0xe9]), // Latin-1 é
    Buffer.from('\t0\n'),
  ]);
  const { root, file } = rootWith('glue/SST-2/dev.tsv', bytes);

  test('the lines are found', () => {
    assert.deepEqual(invalidUtf8Lines(file), [3, 5]);
  });

  test('an error naming the file and the first bad line', async () => {
    await assert.rejects(load(root, 'sst2', 'dev'), (err: Error) => {
      assert.equal(
        err.message,
        `${file}:3: not valid UTF-8 (2 line(s) of this file); save the file as UTF-8 or pass --set data.lenient=true ` +
          'to skip the rows on those lines',
      );
      return true;
    });
  });

  test('data.lenient: those rows skipped, with the count', async () => {
    const s = await load(root, 'sst2', 'dev', true);
    assert.deepEqual(
      (s.examples as Example[]).map((e) => e.text),
      ['good .', 'fine'],
    );
    assert.ok(
      s.warnings.includes(`2 line(s) of ${file} are not valid UTF-8 (first: line 3): 2 row(s) skipped (data.lenient)`),
      s.warnings.join('\n'),
    );
  });
});

describe('a split that reads as nothing', () => {
  // MultiNLI 1.0's jsonl given as CommitmentBank's val.jsonl: no row has premise/hypothesis
  const mnli = [
    { gold_label: 'neutral', sentence1: 'A man.', sentence2: 'A person.', pairID: '1n', genre: 'fiction' },
    { gold_label: 'entailment', sentence1: 'B.', sentence2: 'C.', pairID: '2e', genre: 'fiction' },
  ];
  const { root, file } = rootWith('other/cb/val.jsonl', mnli.map((r) => JSON.stringify(r)).join('\n') + '\n');

  test('strict: the first row stops the load', async () => {
    await assert.rejects(load(root, 'cb', 'dev'), /val\.jsonl:1: missing text fields premise, hypothesis/);
  });

  test('lenient too: an error naming the file and the layouts expected', async () => {
    await assert.rejects(load(root, 'cb', 'dev', true), (err: Error) => {
      assert.ok(err.message.startsWith(`${file}: no CommitmentBank (SuperGLUE) dev example read (2 malformed rows `));
      assert.match(err.message, /expected one of: jsonl at .*other\/cb\/val\.jsonl; jsonl at .*CB\/val\.jsonl; /);
      assert.match(err.message, /Hugging Face export at .*hf\/cb\/validation\{\.parquet,\.jsonl,-\*\.parquet\}/);
      assert.match(err.message, /first problem: .*val\.jsonl:1: missing text fields premise, hypothesis/);
      return true;
    });
  });
});
