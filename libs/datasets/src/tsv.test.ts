import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { readTsv } from './tsv.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-tsv-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const write = (name: string, content: string) => {
  const f = path.join(dir, name);
  fs.writeFileSync(f, content);
  return f;
};

test('reads header and rows; quotes are literal text; a final newline adds no row', () => {
  const f = write('ok.tsv', 'sentence\tlabel\n"quoted, with comma\t1\nit \'s fine\t0\n');
  const t = readTsv(f, { header: true, minColumns: 2 });
  assert.deepEqual(t.header, ['sentence', 'label']);
  assert.deepEqual(t.rows, [
    { line: 2, cells: ['"quoted, with comma', '1'] },
    { line: 3, cells: ["it 's fine", '0'] },
  ]);
});

test('without a header, the first line is data; CRLF line ends are tolerated', () => {
  const f = write('nohdr.tsv', 'a\t1\r\nb\t0');
  const t = readTsv(f, { header: false, minColumns: 2 });
  assert.equal(t.header, undefined);
  assert.deepEqual(
    t.rows.map((r) => r.cells),
    [
      ['a', '1'],
      ['b', '0'],
    ],
  );
});

test('a short row is an error naming file:line, the expected columns and the fix', () => {
  const f = write('short.tsv', 'sentence\tlabel\ngood\t1\nmissing label\n');
  assert.throws(
    () => readTsv(f, { header: true, minColumns: 2 }),
    (e: Error) =>
      e.message ===
      `${f}:3: expected 2 tab-separated columns (sentence, label), found 1; fix the row or pass --set data.lenient=true to skip bad rows`,
  );
  const lenient = readTsv(f, { header: true, minColumns: 2, lenient: true });
  assert.equal(lenient.rows.length, 1);
  assert.deepEqual(lenient.skipped, [`${f}:3: expected 2 tab-separated columns (sentence, label), found 1`]);
});

test('an empty file or a missing file is an error naming the file', () => {
  const f = write('empty.tsv', '');
  assert.throws(
    () => readTsv(f, { header: true }),
    (e: Error) => e.message.startsWith(`${f} is empty`),
  );
  const missing = path.join(dir, 'missing.tsv');
  assert.throws(
    () => readTsv(missing, { header: true }),
    (e: Error) => e.message.includes(missing),
  );
});
