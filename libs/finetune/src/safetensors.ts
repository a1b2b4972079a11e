// The safetensors format: 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets}},
// then raw little-endian tensor bytes. We read F32/F16/BF16 (as float32) and integer buffers, and write F32.
import { readFileSync, writeFileSync, renameSync } from 'node:fs';

export interface RawTensor {
  shape: number[];
  data: Float32Array | Int32Array;
}

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (m / 1024);
  if (e === 31) return m ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + m / 1024);
}

function decode(dtype: string, bytes: Buffer, count: number, file: string, name: string): Float32Array | Int32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bytesPer: Record<string, number> = { F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4 };
  const per = bytesPer[dtype];
  if (per === undefined)
    throw new Error(`${file}: tensor '${name}' has dtype ${dtype}; supported: ${Object.keys(bytesPer).join(', ')}`);
  if (bytes.byteLength !== count * per) {
    throw new Error(
      `${file}: tensor '${name}' has ${bytes.byteLength} bytes, its shape needs ${count * per}; the file is ` +
        `truncated or corrupt`,
    );
  }
  if (dtype === 'I64' || dtype === 'I32') {
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++)
      out[i] = dtype === 'I64' ? Number(view.getBigInt64(i * 8, true)) : view.getInt32(i * 4, true);
    return out;
  }
  if (dtype === 'F32' && new Uint8Array(new Uint16Array([1]).buffer)[0] === 1) {
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)); // little-endian host: one copy
  }
  const out = new Float32Array(count);
  const bits = new Uint32Array(1);
  const asFloat = new Float32Array(bits.buffer);
  for (let i = 0; i < count; i++) {
    if (dtype === 'F32') out[i] = view.getFloat32(i * 4, true);
    else if (dtype === 'F16') out[i] = f16ToF32(view.getUint16(i * 2, true));
    else {
      // bfloat16 is the top half of a float32
      bits[0] = view.getUint16(i * 2, true) << 16;
      out[i] = asFloat[0]!;
    }
  }
  return out;
}

export function readSafetensors(file: string): Map<string, RawTensor> {
  const buf = readFileSync(file);
  if (buf.byteLength < 8) throw new Error(`${file}: not a safetensors file (shorter than its 8-byte header length)`);
  const headerLen = Number(buf.readBigUInt64LE(0));
  if (headerLen <= 0 || 8 + headerLen > buf.byteLength)
    throw new Error(`${file}: corrupt safetensors header length ${headerLen}`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + headerLen).toString('utf8'));
  } catch (e) {
    throw new Error(`${file}: safetensors header is not valid JSON (${(e as Error).message})`);
  }
  const base = 8 + headerLen;
  const out = new Map<string, RawTensor>();
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [start, end] = t.data_offsets;
    const count = t.shape.reduce((a, d) => a * d, 1);
    out.set(name, { shape: t.shape, data: decode(t.dtype, buf.subarray(base + start, base + end), count, file, name) });
  }
  return out;
}

export function writeSafetensors(
  file: string,
  tensors: Map<string, RawTensor>,
  metadata: Record<string, string> = { format: 'pt' },
): void {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  const names = [...tensors.keys()].sort();
  for (const name of names) {
    const t = tensors.get(name)!;
    const dtype = t.data instanceof Float32Array ? 'F32' : 'I32';
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8); // keep tensor data 8-byte aligned, as the reference writer does
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const parts = [
    head,
    Buffer.from(json, 'utf8'),
    ...names.map((n) => {
      const d = tensors.get(n)!.data;
      return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
    }),
  ];
  writeFileSync(file + '.tmp', Buffer.concat(parts));
  renameSync(file + '.tmp', file);
}
