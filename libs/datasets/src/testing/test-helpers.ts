// Test-only helpers: in-memory zip and tar writers and fetch stand-ins (so reader and download tests need no
// fixtures or network), and the locations of the read-only shared data.
import path from 'node:path';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { findRepoRoot } from '../repo-root.ts';

export interface ZipEntrySpec {
  name: string;
  data: Buffer | string;
  method: 0 | 8;
}

/** Writes local headers + data, then the central directory and the end record. */
export function buildZip(entries: ZipEntrySpec[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const data = Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data, 'utf8');
    const body = e.method === 8 ? deflateRawSync(data) : data;
    const name = Buffer.from(e.name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(e.method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, body);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4); // version made by
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(e.method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** ../shared next to the repository (read-only real data and fixtures). */
export const SHARED_DIR = path.resolve(findRepoRoot(import.meta.dirname), '../shared');
export const SHARED_DATA = path.join(SHARED_DIR, 'data');
export const SHARED_GLUE = path.join(SHARED_DATA, 'glue');

/** A ustar archive of regular files (names < 100 bytes), gzipped when `gzip` is set. */
export function buildTar(files: { name: string; data: string | Buffer }[], gzip = true): Buffer {
  const blocks: Buffer[] = [];
  for (const f of files) {
    const data = Buffer.isBuffer(f.data) ? f.data : Buffer.from(f.data, 'utf8');
    const h = Buffer.alloc(512);
    h.write(f.name, 0, 'utf8');
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(data.length.toString(8).padStart(11, '0') + '\0', 124);
    h.write('00000000000\0', 136);
    h.write('        ', 148); // checksum field counts as spaces while summing
    h.write('0', 156);
    h.write('ustar\0' + '00', 257);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  const tar = Buffer.concat(blocks);
  return gzip ? gzipSync(tar) : tar;
}

/** A fetch stand-in serving a body per URL; unknown URLs fail like a missing network. */
export function fakeFetchByUrl(bodies: Record<string, Buffer>, calls: string[]): typeof fetch {
  return (async (url: string | URL | Request) => {
    calls.push(String(url));
    const body = bodies[String(url)];
    if (!body) throw new Error(`getaddrinfo ENOTFOUND ${new URL(String(url)).hostname}`);
    return new Response(new Uint8Array(body), { status: 200 });
  }) as typeof fetch;
}
