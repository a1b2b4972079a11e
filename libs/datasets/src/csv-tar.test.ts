// The small CSV and tar readers the loaders and downloads rely on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCsv } from './csv.ts';
import { RowProblems } from './data-error.ts';
import { readTar } from './tar.ts';
import { buildTar } from './testing/test-helpers.ts';

test('CSV: quoted commas, "" escapes, a newline inside quotes, line numbers of each record', () => {
  const text = '"1","a, b","say ""hi"""\n"2","two\nlines","x"\r\n3,plain,y\n';
  assert.deepEqual(parseCsv(text, 'f.csv', new RowProblems(false)), [
    { line: 1, cells: ['1', 'a, b', 'say "hi"'] },
    { line: 2, cells: ['2', 'two\nlines', 'x'] },
    { line: 4, cells: ['3', 'plain', 'y'] },
  ]);
});

test('CSV: an unterminated quote names the line where the record starts', () => {
  assert.throws(
    () => parseCsv('"1","ok"\n"2","never closed\n', 'f.csv', new RowProblems(false)),
    /^Error: f\.csv:2: malformed CSV record \(unterminated quoted field\)/,
  );
  const lenient = new RowProblems(true);
  assert.deepEqual(parseCsv('"1","x"y\n"2","ok"\n', 'f.csv', lenient), [{ line: 2, cells: ['2', 'ok'] }]);
  assert.deepEqual(lenient.skipped, ['f.csv:1: malformed CSV record (text after a closing quote)']);
});

test('tar: gzipped ustar entries come back byte for byte', () => {
  const big = Buffer.alloc(1500, 7);
  const entries = readTar(
    buildTar([
      { name: 'RACE/dev/high/1.txt', data: '{"a": 1}' },
      { name: 'x/big.bin', data: big },
    ]),
  );
  assert.deepEqual([...entries.keys()], ['RACE/dev/high/1.txt', 'x/big.bin']);
  assert.equal(entries.get('RACE/dev/high/1.txt')?.toString(), '{"a": 1}');
  assert.ok(entries.get('x/big.bin')?.equals(big));
  assert.throws(
    () => readTar(buildTar([{ name: 'a', data: big }], false).subarray(0, 1000), 'cut.tar'),
    /cut\.tar is truncated \(entry a\)/,
  );
});
