// Writing and removing what the tool outputs. Every output file is written whole or not at all (temp file +
// rename: a full disk leaves the previous file or none, never a truncated PNG); write errors name the path and a
// cause a person can act on; and nothing is written or deleted outside the results root (a config `name: ..` must
// not make `clean` remove the folder above results/).
import * as nodeFs from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';

/** The fs calls the writers use: tests inject failing ones (ENOSPC, EACCES) since root ignores chmod. */
export interface WriteIo {
  writeFileSync(file: string, data: string | Uint8Array): void;
  appendFileSync(file: string, data: string): void;
  renameSync(from: string, to: string): void;
  mkdirSync(dir: string, opts?: { recursive?: boolean }): unknown;
  rmSync(path: string, opts?: { force?: boolean; recursive?: boolean }): void;
}
export const realIo: WriteIo = nodeFs;

const PERMISSION = 'permission denied (read-only?)';
const CAUSES: Record<string, string> = {
  ENOSPC: 'disk full',
  EDQUOT: 'disk full (quota exceeded)',
  EACCES: PERMISSION,
  EPERM: PERMISSION,
  EROFS: PERMISSION,
};

/** An fs error as "cannot write <path>: <cause> (<code>)"; the code stays on the error for callers. */
export function writeError(e: unknown, path: string): Error {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const cause = code && CAUSES[code] ? `${CAUSES[code]} (${code})` : e instanceof Error ? e.message : String(e);
  const err = new Error(`cannot write ${path}: ${cause}`, { cause: e }) as NodeJS.ErrnoException;
  if (code) err.code = code;
  err.path = path;
  return err;
}

/**
 * An error as a person should read it: a write error of a library (MLflow's file store, the records) that names no
 * path ("ENOSPC: no space left on device, write") names `where` (a file, or "under <folder>") and the cause; any other
 * error is returned as it is.
 */
export function explainFsError(e: unknown, where: string): unknown {
  const err = e as NodeJS.ErrnoException | undefined;
  if (!err?.code || !CAUSES[err.code] || /^cannot write /.test(err.message ?? '')) return e;
  return writeError(e, err.path ?? where);
}

/**
 * mkdir -p with the real reason on failure. Node's recursive mkdir reports a read-only file system as ENOENT (it
 * stats the missing folder after EROFS and returns that error), so on ENOENT the first missing folder is made
 * alone, which fails with the true code.
 */
export function ensureDir(dir: string, io: WriteIo = realIo): void {
  try {
    io.mkdirSync(dir, { recursive: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw writeError(e, dir);
    let first = resolve(dir);
    while (!nodeFs.existsSync(dirname(first)) && dirname(first) !== first) first = dirname(first);
    try {
      io.mkdirSync(first);
    } catch (e2) {
      throw writeError(e2, first);
    }
    ensureDir(dir, io);
  }
}

/** Write a file whole or not at all: a reader (or a full disk) sees the old file or the new one, never half. */
export function writeFileAtomic(file: string, data: string | Uint8Array, io: WriteIo = realIo): void {
  ensureDir(dirname(file), io);
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    io.writeFileSync(tmp, data);
    io.renameSync(tmp, file); // rename is atomic within a folder
  } catch (e) {
    try {
      io.rmSync(tmp, { force: true });
    } catch {
      // the temp file may not exist, or the folder may be read-only: the write error is what matters
    }
    throw writeError(e, file);
  }
}

export function writeJsonAtomic(file: string, value: unknown, io: WriteIo = realIo): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n', io);
}

/** Append to a log-like file (log.txt, metrics.jsonl), with the path in the error. */
export function appendText(file: string, text: string, io: WriteIo = realIo): void {
  try {
    io.appendFileSync(file, text);
  } catch (e) {
    throw writeError(e, file);
  }
}

/** `p` resolved, if it is strictly inside `root` (not root itself, not above it); throws otherwise. */
export function insideResults(root: string, p: string): string {
  const r = resolve(root);
  const abs = resolve(r, p);
  const rel = relative(r, abs);
  if (rel === '' || rel === '..' || rel.startsWith(`..${'/'}`) || rel.startsWith('..\\') || isAbsolute(rel)) {
    throw new Error(
      `refusing to write or delete ${abs}: it is not inside the results folder ${r} (check 'name' and 'output.dir')`,
    );
  }
  return abs;
}

/** `clean`: remove one experiment's folder, only if it lies strictly inside the results root. */
export function removeResults(root: string, dir: string, io: WriteIo = realIo): string {
  const abs = insideResults(root, dir);
  io.rmSync(abs, { recursive: true, force: true });
  return abs;
}
