// Safe names and paths (nothing written or removed outside the results root) and write errors that name the path
// and the cause. Failures are injected through WriteIo: tests may run as root, where chmod blocks nothing.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { cliOverrides, loadConfig, validateConfig } from './config.ts';
import {
  ensureDir,
  explainFsError,
  insideResults,
  realIo,
  removeResults,
  writeFileAtomic,
  type WriteIo,
} from './files.ts';
import { outDirOf } from './run.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'prunelab-files-'));
const validate = (raw: Record<string, unknown>) => validateConfig(raw, (path) => `cfg.yaml:${path.join('.')}`);
const errno = (code: string, msg = code) => Object.assign(new Error(`${code}: ${msg}`), { code });

test("name must be a plain folder name: '..', '.', absolute, separators, empty and control characters are refused", () => {
  for (const [name, why] of [
    ['..', /is not a folder of its own/],
    ['.', /is not a folder of its own/],
    ['/tmp/x', /path separator/],
    ['a/b', /path separator/],
    ['a\\b', /path separator/],
    ['../results', /path separator/],
    ['C:results', /absolute path/],
    ['smoke\u0007', /control character/],
    ['two\nlines', /control character/],
  ] as const) {
    assert.throws(
      () => validate({ name }),
      (e: Error) => {
        assert.match(e.message, /^cfg\.yaml:name: 'name' is /, name);
        assert.match(e.message, why, name);
        assert.match(e.message, /must be a plain folder name/, name);
        return true;
      },
    );
  }
  assert.throws(() => validate({ name: '' }), /'name' is ""; expected a string/);
  assert.equal(validate({ name: 'smoke-2.v1' }).name, 'smoke-2.v1');
  // model names name folders too
  assert.throws(() => validate({ name: 'x', models: { '..': { path: 'm' } } }), /model name '\.\.' must be/);
});

test('clean removes nothing outside the results root; a sentinel beside it survives', () => {
  const base = tmp();
  const root = join(base, 'results');
  mkdirSync(join(root, 'smoke'), { recursive: true });
  writeFileSync(join(root, 'smoke', 'done.json'), '{}');
  writeFileSync(join(base, 'sentinel.txt'), 'keep me');
  // a config that slipped past validation still cannot point clean above or at the root
  const bad = { ...validate({ name: 'smoke', output: { dir: root } }), name: '..' };
  assert.throws(() => outDirOf(bad), /refusing to write or delete .* not inside the results folder/);
  for (const p of [join(root, '..'), root, base, '/', join(root, 'smoke', '..', '..', 'sentinel.txt')])
    assert.throws(() => removeResults(root, p), /not inside the results folder/, p);
  assert.equal(readFileSync(join(base, 'sentinel.txt'), 'utf8'), 'keep me');
  assert.ok(existsSync(root));
  // strictly inside: removed
  const ok = validate({ name: 'smoke', output: { dir: root } });
  assert.equal(removeResults(root, outDirOf(ok)), join(root, 'smoke'));
  assert.deepEqual(readdirSync(root), []);
  assert.equal(insideResults(root, 'a/b'), join(root, 'a', 'b'));
});

test('a full disk: the error names the file and says disk full; the old file stays whole, no temp file is left', () => {
  const dir = tmp();
  const file = join(dir, 'plot.png');
  writeFileSync(file, 'old picture');
  const io: WriteIo = {
    ...realIo,
    writeFileSync: (f, data) => {
      fs.writeFileSync(f, String(data).slice(0, 3)); // half written, then the disk is full
      throw errno('ENOSPC', 'no space left on device, write');
    },
  };
  assert.throws(() => writeFileAtomic(file, 'new picture, much longer', io), {
    message: `cannot write ${file}: disk full (ENOSPC)`,
  });
  assert.equal(readFileSync(file, 'utf8'), 'old picture');
  assert.deepEqual(readdirSync(dir), ['plot.png']);
  writeFileAtomic(file, 'new picture');
  assert.equal(readFileSync(file, 'utf8'), 'new picture');
});

test("a library's write error without a path names where it happened", () => {
  const e = explainFsError(errno('ENOSPC', 'no space left on device, write'), 'under /r/smoke') as Error;
  assert.equal(e.message, 'cannot write under /r/smoke: disk full (ENOSPC)');
  const other = new Error('not an fs error');
  assert.equal(explainFsError(other, 'x'), other);
});

test('a read-only results folder is "permission denied (read-only?)", not ENOENT', () => {
  const dir = tmp();
  const denied: WriteIo = {
    ...realIo,
    writeFileSync: () => {
      throw errno('EACCES', "permission denied, open 'x.tmp-1'");
    },
  };
  assert.throws(() => writeFileAtomic(join(dir, 'report.md'), '# r', denied), {
    message: `cannot write ${join(dir, 'report.md')}: permission denied (read-only?) (EACCES)`,
  });
  // Node's recursive mkdir on a read-only file system fails with ENOENT; the first missing folder alone gives EROFS
  const readOnlyFs: WriteIo = {
    ...realIo,
    mkdirSync: (_d, opts) => {
      throw opts?.recursive ? errno('ENOENT', 'no such file or directory') : errno('EROFS', 'read-only file system');
    },
  };
  const target = join(dir, 'results', 'smoke', 'plots');
  assert.throws(() => ensureDir(target, readOnlyFs), {
    message: `cannot write ${join(dir, 'results')}: permission denied (read-only?) (EROFS)`,
  });
});

test('repeated seeds are a validation error naming the key, wherever they are set', () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ phase1: { seeds: [1, 1] } }, 'phase1.seeds'],
    [{ phase2: { seeds: [6666, 1, 6666] } }, 'phase2.seeds'],
    [{ models: { m: { path: 'p', phase1: { seeds: [2, 3, 2] } } } }, 'models.m.phase1.seeds'],
    [{ per_task: { sst2: { phase2: { seeds: [5, 5] } } } }, 'per_task.sst2.phase2.seeds'],
  ];
  for (const [extra, key] of cases) {
    assert.throws(
      () => validate({ name: 'x', ...extra }),
      (e: Error) => {
        assert.match(e.message, new RegExp(`^cfg\\.yaml:${key.replace(/\./g, '\\.')}: '${key}' lists \\d+ twice`));
        assert.match(e.message, /remove the repeat/);
        return true;
      },
    );
  }
  // with --set, the error names the --set argument
  const dir = tmp();
  const p = join(dir, 'c.yaml');
  writeFileSync(p, 'name: x\n');
  assert.throws(
    () => loadConfig(p, ['phase1.seeds=[1,1]']),
    /^Error: --set phase1\.seeds=\[1,1\]: 'phase1\.seeds' lists 1/,
  );
});

test('--lenient is --set data.lenient=true', () => {
  assert.deepEqual(cliOverrides({ set: ['a.b=1'], lenient: true }), ['a.b=1', 'data.lenient=true']);
  assert.deepEqual(cliOverrides({}), []);
  const dir = tmp();
  const p = join(dir, 'c.yaml');
  writeFileSync(p, 'name: x\n');
  assert.equal(loadConfig(p, cliOverrides({ lenient: true })).data.lenient, true);
  assert.equal(loadConfig(p, cliOverrides({})).data.lenient, false);
});
