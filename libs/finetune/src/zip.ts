// The ZIP container of torch.save (PyTorchStreamWriter on top of miniz). readStoredZip reads any ZIP whose entries
// are stored uncompressed, as torch.save's always are; writeTorchZip reproduces the bytes torch (1.6 - 2.x) writes:
// each entry's data 64-byte aligned through an 'FB' extra field of 'Z' padding, zero flags except "data descriptor"
// and "UTF-8 names", zero DOS timestamps, CRC and sizes in a data descriptor after the data, and ZIP64 end records
// even for small files.
import zlib from 'node:zlib';

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const DESCRIPTOR = 0x08074b50;
const END = 0x06054b50;
const END64 = 0x06064b50;
const LOCATOR64 = 0x07064b50;
const ALIGN = 64; // torch's kFieldAlignment: storages can be memory-mapped in place
const FLAGS = 0x0808; // bit 3: sizes and CRC follow the data; bit 11: UTF-8 names

let table: Uint32Array | undefined;
export function crc32(data: Uint8Array): number {
  if (typeof zlib.crc32 === 'function') return zlib.crc32(data) >>> 0; // node >= 20.15
  table ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let c = 0xffffffff;
  for (const b of data) c = table[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The entries of a ZIP archive whose entries are all stored (not compressed): name -> a view of `buf`. */
export function readStoredZip(buf: Buffer, file: string): Map<string, Buffer> {
  const corrupt = (what: string) => new Error(`${file}: corrupt ZIP archive (${what})`);
  const sig = Buffer.alloc(4);
  sig.writeUInt32LE(END);
  const end = buf.lastIndexOf(sig);
  if (end < 0 || end + 22 > buf.length || end < buf.length - 22 - 0xffff)
    throw new Error(`${file}: not a ZIP archive (no end-of-central-directory record)`);
  let count = buf.readUInt16LE(end + 10);
  let cdOffset = buf.readUInt32LE(end + 16);
  if (count === 0xffff || cdOffset === 0xffffffff) {
    // the real values live in the ZIP64 end record, found through the locator just before the end record
    if (end < 20 || buf.readUInt32LE(end - 20) !== LOCATOR64) throw corrupt('ZIP64 locator missing');
    const at = Number(buf.readBigUInt64LE(end - 12));
    if (at + 56 > buf.length || buf.readUInt32LE(at) !== END64) throw corrupt('ZIP64 end record missing');
    count = Number(buf.readBigUInt64LE(at + 32));
    cdOffset = Number(buf.readBigUInt64LE(at + 48));
  }
  const out = new Map<string, Buffer>();
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== CENTRAL) throw corrupt(`central directory entry ${i}`);
    const method = buf.readUInt16LE(p + 10);
    const crc = buf.readUInt32LE(p + 16);
    let size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    let local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    // ZIP64 extra field: 64-bit values for those fields that hold 0xffffffff, in this order
    for (let e = p + 46 + nameLen; e + 4 <= p + 46 + nameLen + extraLen; e += 4 + buf.readUInt16LE(e + 2)) {
      if (buf.readUInt16LE(e) !== 1) continue;
      let q = e + 4;
      if (size === 0xffffffff) {
        size = Number(buf.readBigUInt64LE(q));
        q += 8;
      }
      if (buf.readUInt32LE(p + 20) === 0xffffffff) q += 8;
      if (local === 0xffffffff) local = Number(buf.readBigUInt64LE(q));
    }
    if (method !== 0)
      throw new Error(`${file}: ZIP entry '${name}' is compressed (method ${method}); torch.save stores entries as is`);
    if (local + 30 > buf.length || buf.readUInt32LE(local) !== LOCAL) throw corrupt(`local header of '${name}'`);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    if (start + size > buf.length) throw new Error(`${file}: ZIP entry '${name}' runs past the end of the file`);
    const data = buf.subarray(start, start + size);
    if (crc32(data) !== crc) throw corrupt(`CRC mismatch in '${name}'`);
    out.set(name, data);
    p += 46 + nameLen + extraLen + buf.readUInt16LE(p + 32);
  }
  return out;
}

/** A ZIP archive of `entries`, in order, byte for byte as torch's PyTorchStreamWriter lays it out. */
export function writeTorchZip(entries: { name: string; data: Uint8Array }[]): Buffer {
  const parts: Uint8Array[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const { name, data } of entries) {
    if (data.byteLength >= 0xffffffff || offset >= 0xffffffff)
      throw new Error(
        `ZIP entry '${name}': 4 GiB and beyond would need ZIP64 entries, which this writer does not write`,
      );
    const nameBytes = Buffer.from(name, 'utf8');
    const n = nameBytes.length;
    // the 'FB' field is always there, even when no padding is needed, as in torch's getPadding()
    const pad = (ALIGN - ((offset + 30 + n + 4) % ALIGN)) % ALIGN;
    const crc = crc32(data);
    const local = Buffer.alloc(30 + n + 4 + pad);
    local.writeUInt32LE(LOCAL, 0);
    local.writeUInt16LE(FLAGS, 6);
    local.writeUInt16LE(n, 26);
    local.writeUInt16LE(4 + pad, 28);
    nameBytes.copy(local, 30);
    local.write('FB', 30 + n, 'latin1');
    local.writeUInt16LE(pad, 32 + n);
    local.fill('Z', 34 + n);
    const descriptor = Buffer.alloc(16);
    descriptor.writeUInt32LE(DESCRIPTOR, 0);
    descriptor.writeUInt32LE(crc, 4);
    descriptor.writeUInt32LE(data.byteLength, 8);
    descriptor.writeUInt32LE(data.byteLength, 12);
    const entry = Buffer.alloc(46 + n);
    entry.writeUInt32LE(CENTRAL, 0);
    entry.writeUInt16LE(FLAGS, 8);
    entry.writeUInt32LE(crc, 16);
    entry.writeUInt32LE(data.byteLength, 20);
    entry.writeUInt32LE(data.byteLength, 24);
    entry.writeUInt16LE(n, 28);
    entry.writeUInt32LE(offset, 42);
    nameBytes.copy(entry, 46);
    parts.push(local, data, descriptor);
    central.push(entry);
    offset += local.length + data.byteLength + descriptor.length;
  }
  const cdSize = central.reduce((a, b) => a + b.length, 0);
  const end64 = Buffer.alloc(56);
  end64.writeUInt32LE(END64, 0);
  end64.writeBigUInt64LE(44n, 4); // size of the rest of this record
  end64.writeUInt16LE(0x031e, 12); // "made by" as miniz writes it
  end64.writeUInt16LE(0x2d, 14); // needs ZIP 4.5 (ZIP64)
  end64.writeBigUInt64LE(BigInt(entries.length), 24);
  end64.writeBigUInt64LE(BigInt(entries.length), 32);
  end64.writeBigUInt64LE(BigInt(cdSize), 40);
  end64.writeBigUInt64LE(BigInt(offset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(LOCATOR64, 0);
  locator.writeBigUInt64LE(BigInt(offset + cdSize), 8);
  locator.writeUInt32LE(1, 16);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END, 0);
  end.writeUInt16LE(Math.min(entries.length, 0xffff), 8);
  end.writeUInt16LE(Math.min(entries.length, 0xffff), 10);
  end.writeUInt32LE(Math.min(cdSize, 0xffffffff), 12);
  end.writeUInt32LE(Math.min(offset, 0xffffffff), 16);
  return Buffer.concat([...parts, ...central, end64, locator, end]);
}
