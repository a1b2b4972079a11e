import zlib from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function checkSignature(png: Buffer, where: string): void {
  if (png.length < 33 || !png.subarray(0, 8).equals(SIGNATURE) || png.toString('latin1', 12, 16) !== 'IHDR') {
    throw new Error(
      `${where}: not a PNG (bad signature or no IHDR chunk first); fix: pass the bytes svgToPng returned`,
    );
  }
}

/** Width and height in pixels from the IHDR chunk, which the PNG format requires to come first. */
export function readPngSize(png: Buffer): { width: number; height: number } {
  checkSignature(png, 'readPngSize');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/**
 * The inflated image data (filtered scanlines) of all IDAT chunks. Two PNGs from the same encoder
 * with equal pixels give equal bytes here, so tests can tell "text drawn" from "text dropped".
 */
export function pngImageData(png: Buffer): Buffer {
  checkSignature(png, 'pngImageData');
  const parts: Buffer[] = [];
  for (let at = 8; at + 8 <= png.length; ) {
    const len = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    if (type === 'IDAT') parts.push(png.subarray(at + 8, at + 8 + len));
    if (type === 'IEND') break;
    at += 12 + len; // length + type + data + crc
  }
  return zlib.inflateSync(Buffer.concat(parts));
}
