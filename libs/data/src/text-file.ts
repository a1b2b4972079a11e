// Whole-file text reading with the errors every loader needs (wrong path, empty file, BOM).
import fs from 'node:fs';

/** File content as UTF-8 without a leading BOM. `what` says what the file should be, for the error. */
export function readTextFile(file: string, what: string, encoding: 'utf8' | 'latin1' = 'utf8'): string {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new Error(`${file} does not exist: expected ${what}; check the data root (config dataRoot, PRUNELAB_DATA or ../shared/data)`);
  }
  if (st.isDirectory()) throw new Error(`${file} is a directory: expected ${what}`);
  let content = fs.readFileSync(file, encoding);
  if (content.charCodeAt(0) === 0xfeff) content = content.slice(1);
  if (content.trim() === '') throw new Error(`${file} is empty: expected ${what}`);
  return content;
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
