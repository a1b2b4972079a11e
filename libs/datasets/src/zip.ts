// Minimal zip reader (central directory + stored/deflated entries), enough for the GLUE downloads,
// so the project needs no unzip binary or npm dependency.
import { crc32, inflateRawSync } from 'node:zlib';

const EOCD_SIG = 0x06054b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;

/** Entry name -> uncompressed bytes. Directory entries (names ending in '/') are omitted. */
export function readZip(buf: Buffer, name = 'zip archive'): Map<string, Buffer> {
  const corrupt = (why: string) =>
    new Error(`${name} is not a valid zip file (${why}); delete it and download it again`);

  // The end-of-central-directory record is the last 22 bytes plus an optional comment (<= 65535).
  let eocd = -1;
  for (let i = buf.length - 22; i >= 0 && i >= buf.length - 22 - 0xffff; i--) {
    if (buf.readUInt32LE(i) === EOCD_SIG) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw corrupt('no end-of-central-directory record');
  const count = buf.readUInt16LE(eocd + 10);
  const cdSize = buf.readUInt32LE(eocd + 12);
  const cdOffset = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff)
    throw new Error(`${name} is a zip64 archive, which this reader does not support`);
  if (cdOffset + cdSize > eocd) throw corrupt('central directory runs past its end record');

  const out = new Map<string, Buffer>();
  let p = cdOffset;
  for (let e = 0; e < count; e++) {
    if (p + 46 > eocd || buf.readUInt32LE(p) !== CENTRAL_SIG) throw corrupt(`bad central directory entry #${e + 1}`);
    const flags = buf.readUInt16LE(p + 8);
    const method = buf.readUInt16LE(p + 10);
    const crc = buf.readUInt32LE(p + 16);
    const compSize = buf.readUInt32LE(p + 20);
    const size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const localOffset = buf.readUInt32LE(p + 42);
    const entryName = buf.toString('utf8', p + 46, p + 46 + nameLen);
    p += 46 + nameLen + extraLen + commentLen;
    if (entryName.endsWith('/')) continue;
    if (flags & 1) throw new Error(`${name}: entry ${entryName} is encrypted, which this reader does not support`);

    if (localOffset + 30 > buf.length || buf.readUInt32LE(localOffset) !== LOCAL_SIG)
      throw corrupt(`bad local header for ${entryName}`);
    // Sizes come from the central directory: the local header may hold zeros (data descriptor).
    const start = localOffset + 30 + buf.readUInt16LE(localOffset + 26) + buf.readUInt16LE(localOffset + 28);
    if (start + compSize > buf.length) throw corrupt(`data of ${entryName} is truncated`);
    const raw = buf.subarray(start, start + compSize);
    let data: Buffer;
    if (method === 0) data = Buffer.from(raw);
    else if (method === 8) {
      try {
        data = inflateRawSync(raw);
      } catch (err) {
        throw corrupt(`cannot inflate ${entryName}: ${(err as Error).message}`);
      }
    } else
      throw new Error(
        `${name}: entry ${entryName} uses compression method ${method}; only stored (0) and deflate (8) are supported`,
      );
    if (data.length !== size) throw corrupt(`${entryName} has ${data.length} bytes, expected ${size}`);
    if (crc32(data) !== crc) throw corrupt(`CRC mismatch in ${entryName}`);
    out.set(entryName, data);
  }
  return out;
}
