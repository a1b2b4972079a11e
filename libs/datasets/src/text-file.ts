// Whole-file text reading with the errors every loader needs (wrong path, empty file, BOM).
import fs from 'node:fs';

/** The bytes of a file that must exist and not be empty; `what` says what it should be, for the error. */
export function readFileChecked(file: string, what: string): Buffer {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new Error(
      `${file} does not exist: expected ${what}; check the data root (the config's data.root, PRUNELAB_DATA or ` +
        `../shared/data)`,
    );
  }
  if (st.isDirectory()) throw new Error(`${file} is a directory: expected ${what}`);
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1').trim() === '') throw new Error(`${file} is empty: expected ${what}`);
  return buf;
}

/** File content as text without a leading BOM. */
export function readTextFile(file: string, what: string, encoding: 'utf8' | 'latin1' = 'utf8'): string {
  const content = readFileChecked(file, what).toString(encoding);
  return content.charCodeAt(0) === 0xfeff ? content.slice(1) : content;
}

/** Lines without their terminators (\n or \r\n); a final newline does not make an extra empty line. */
export function splitLines(content: string): string[] {
  const lines = content.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/** Bytes that are not valid UTF-8 decode to U+FFFD; TREC's files are Latin-1 in places, so detect it. */
export function isValidUtf8(buf: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buf);
    return true;
  } catch {
    return false;
  }
}
