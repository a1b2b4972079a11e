import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { appendEntry, journalFile, readJournal, stashArtifact } from './journal.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-journal-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('a torn last line (killed mid-append) is dropped; damage elsewhere names file and line', async () => {
  const dir = path.join(tmp, 'p1');
  await appendEntry(
    dir,
    'local-a',
    { op: 'run', id: 'local-a', runName: 'r', startTime: 1, tags: {}, experimentName: 'e' },
    { create: true },
  );
  await appendEntry(dir, 'local-a', {
    op: 'batch',
    metrics: [{ key: 'm', value: 'NaN', timestamp: 5, step: 0 }],
    params: [],
    tags: [],
  });
  fs.appendFileSync(journalFile(dir, 'local-a'), '{"op":"batch","metr');
  const entries = readJournal(dir, 'local-a');
  assert.deepEqual(
    entries.map((e) => e.op),
    ['run', 'batch'],
  );
  assert.deepEqual(entries[1], {
    op: 'batch',
    metrics: [{ key: 'm', value: 'NaN', timestamp: 5, step: 0 }],
    params: [],
    tags: [],
  });
  fs.appendFileSync(journalFile(dir, 'local-a'), '\n{"op":"end","status":"FINISHED","endTime":9}\n');
  assert.throws(() => readJournal(dir, 'local-a'), /local-a\.jsonl:3: not a JSON journal entry/);
  // a second header for the same id is refused rather than mixing two runs
  await assert.rejects(
    appendEntry(dir, 'local-a', { op: 'run', id: 'local-a', runName: 'r', startTime: 1, tags: {} }, { create: true }),
    /EEXIST/,
  );
});

test('stashed artifacts keep their name, one numbered folder per call', async () => {
  const dir = path.join(tmp, 'p2');
  const src = path.join(tmp, 'plots');
  fs.mkdirSync(src, { recursive: true });
  fs.writeFileSync(path.join(src, 'a.svg'), '<svg/>');
  assert.equal(await stashArtifact(dir, 'local-b', src), 'local-b.artifacts/0/plots');
  assert.equal(await stashArtifact(dir, 'local-b', path.join(src, 'a.svg')), 'local-b.artifacts/1/a.svg');
  assert.equal(fs.readFileSync(path.join(dir, 'local-b.artifacts', '0', 'plots', 'a.svg'), 'utf8'), '<svg/>');
});

test(
  'findPendingDirs: the folder itself, or mlflow-pending folders up to three levels below (not inside ' + 'mlruns)',
  async () => {
    const { findPendingDirs } = await import('./sync.ts');
    const root = path.join(tmp, 'results');
    for (const d of ['a/mlflow-pending', 'b/c/mlflow-pending', 'x/y/z/w/mlflow-pending', 'a/mlruns/mlflow-pending'])
      fs.mkdirSync(path.join(root, d), { recursive: true });
    assert.deepEqual(findPendingDirs(root), [
      path.join(root, 'a/mlflow-pending'),
      path.join(root, 'b/c/mlflow-pending'),
    ]);
    assert.deepEqual(findPendingDirs(path.join(root, 'a')), [path.join(root, 'a/mlflow-pending')]);
    assert.deepEqual(findPendingDirs(path.join(root, 'a/mlflow-pending')), [path.join(root, 'a/mlflow-pending')]);
    assert.deepEqual(findPendingDirs(path.join(root, 'missing')), []);
  },
);
