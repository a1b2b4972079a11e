import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { loadSst2, readSst2, SST2_OFFICIAL_COUNTS } from './sst2.ts';
import { SHARED_GLUE } from './test-helpers.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-sst2-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A glue dir in a temp folder with the given SST-2 file contents. */
function glueWith(name: string, files: Record<string, string>): string {
  const glue = path.join(tmp, name, 'glue');
  fs.mkdirSync(path.join(glue, 'SST-2'), { recursive: true });
  for (const [f, c] of Object.entries(files)) fs.writeFileSync(path.join(glue, 'SST-2', f), c);
  return glue;
}

test('real SST-2 from ../shared/data: official counts, unique ids, duplicates reported', () => {
  const train = readSst2(SHARED_GLUE, 'train');
  const dev = readSst2(SHARED_GLUE, 'dev');
  assert.equal(train.examples.length, SST2_OFFICIAL_COUNTS.train);
  assert.equal(dev.examples.length, SST2_OFFICIAL_COUNTS.dev);
  assert.deepEqual([train.warnings, dev.warnings], [[], []]);
  assert.equal(new Set(train.examples.map((e) => e.id)).size, train.examples.length);
  assert.equal(new Set(dev.examples.map((e) => e.id)).size, dev.examples.length);
  // Counted with an independent script over the same file: 371 rows repeat an earlier sentence.
  assert.equal(train.duplicates, 371);
  assert.equal(dev.duplicates, 0);
  assert.equal(train.examples.filter((e) => e.id.endsWith('-2')).length > 0, true);
  // first row of the file, text kept verbatim (GLUE's trailing space included)
  assert.deepEqual(train.examples[0], { id: train.examples[0]?.id, text: 'hide new secretions from the parental units ', label: 0 });
  assert.deepEqual([0, 1].map((l) => dev.examples.filter((e) => e.label === l).length), [428, 444]);
});

test('a partial file loads with a warning, not an error', () => {
  const glue = glueWith('partial', { 'dev.tsv': 'sentence\tlabel\ngood film\t1\nbad film\t0\n' });
  const warnings: string[] = [];
  const dev = loadSst2(glue, 'dev', { warnings });
  assert.equal(dev.length, 2);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0] ?? '', /has 2 rows but the official GLUE SST-2 dev split has 872/);
});

test('a broken label row gives a file:line error listing the allowed labels', () => {
  // a temp copy of the real dev file with row 5 (line 6) broken
  const lines = fs.readFileSync(path.join(SHARED_GLUE, 'SST-2', 'dev.tsv'), 'utf8').split('\n');
  lines[5] = (lines[5] ?? '').replace(/\t[01]$/, '\tpositive');
  const glue = glueWith('broken', { 'dev.tsv': lines.join('\n') });
  const file = path.join(glue, 'SST-2', 'dev.tsv');
  assert.throws(
    () => loadSst2(glue, 'dev'),
    (e: Error) => e.message.startsWith(`${file}:6: label "positive" is not one of the allowed labels 0 (negative), 1 (positive)`),
  );
  // lenient: the row is skipped and reported
  const warnings: string[] = [];
  const dev = loadSst2(glue, 'dev', { lenient: true, warnings });
  assert.equal(dev.length, 871);
  assert.ok(warnings.some((w) => w.includes(`${file}:6:`)));
});

test('wrong header or a missing file is an error naming the file', () => {
  const glue = glueWith('hdr', { 'train.tsv': 'text\tlabel\nx\t1\n' });
  assert.throws(() => loadSst2(glue, 'train'), /train\.tsv:1: expected the GLUE SST-2 header/);
  assert.throws(() => loadSst2(glue, 'dev'), (e: Error) => e.message.includes(path.join(glue, 'SST-2', 'dev.tsv')));
});
