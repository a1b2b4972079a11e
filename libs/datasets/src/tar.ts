// Minimal tar reader (ustar + GNU long names + pax path), enough for RACE.tar.gz and aclImdb_v1.tar.gz,
// so downloads need no tar binary.
import { gunzipSync } from 'node:zlib';

/** Entry name -> bytes, regular files only. A .gz buffer (magic 1f 8b) is gunzipped first. */
export function readTar(input: Buffer, name = 'tar archive'): Map<string, Buffer> {
  const buf = input[0] === 0x1f && input[1] === 0x8b ? gunzipSync(input) : input;
  const out = new Map<string, Buffer>();
  const str = (off: number, len: number) => {
    const raw = buf.subarray(off, off + len);
    const nul = raw.indexOf(0);
    return raw.subarray(0, nul < 0 ? len : nul).toString('utf8');
  };
  let p = 0;
  let longName: string | undefined;
  while (p + 512 <= buf.length) {
    if (buf.subarray(p, p + 512).every((b) => b === 0)) break; // end-of-archive blocks
    const sizeField = str(p + 124, 12).trim();
    const size = parseInt(sizeField || '0', 8);
    if (!Number.isFinite(size) || size < 0)
      throw new Error(`${name} is not a valid tar file (bad size field at byte ${p}); delete it and download it again`);
    const type = String.fromCharCode(buf[p + 156] ?? 0);
    const prefix = str(p + 345, 155);
    let entry = longName ?? (prefix ? `${prefix}/${str(p, 100)}` : str(p, 100));
    longName = undefined;
    const body = buf.subarray(p + 512, p + 512 + size);
    if (body.length < size) throw new Error(`${name} is truncated (entry ${entry}); delete it and download it again`);
    if (type === 'L') longName = body.toString('utf8').replace(/\0+$/, '');
    else if (type === 'x') {
      const m = /\d+ path=([^\n]*)\n/.exec(body.toString('utf8'));
      if (m) longName = m[1];
    } else if (type === '0' || type === '\0') {
      if (entry.startsWith('./')) entry = entry.slice(2);
      out.set(entry, Buffer.from(body));
    }
    p += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}
