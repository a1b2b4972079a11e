import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { buildZip } from './testing/test-helpers.ts';
import { readZip } from './zip.ts';

const text = 'sentence\tlabel\n' + 'a rather good film \t1\n'.repeat(200);
const binary = randomBytes(3000);

test('round trip: stored and deflated entries, directories skipped', () => {
  const zip = buildZip([
    { name: 'SST-2/', data: '', method: 0 },
    { name: 'SST-2/train.tsv', data: text, method: 8 },
    { name: 'SST-2/blob.bin', data: binary, method: 0 },
    { name: 'SST-2/empty.txt', data: '', method: 8 },
    { name: 'SST-2/café.txt', data: 'ü', method: 0 },
  ]);
  const entries = readZip(zip);
  assert.deepEqual([...entries.keys()], ['SST-2/train.tsv', 'SST-2/blob.bin', 'SST-2/empty.txt', 'SST-2/café.txt']);
  assert.equal(entries.get('SST-2/train.tsv')?.toString('utf8'), text);
  assert.ok(entries.get('SST-2/blob.bin')?.equals(binary));
  assert.equal(entries.get('SST-2/empty.txt')?.length, 0);
  assert.equal(entries.get('SST-2/café.txt')?.toString('utf8'), 'ü');
  // deflate really compressed the repetitive file
  assert.ok(zip.length < text.length + binary.length);
});

test('corrupt or unsupported archives give clear errors', () => {
  assert.throws(
    () => readZip(Buffer.from('not a zip at all, just some text bytes'), 'x.zip'),
    /x\.zip is not a valid zip file \(no end-of-central-directory record\)/,
  );
  const zip = buildZip([{ name: 'a.txt', data: 'hello hello hello', method: 0 }]);
  const flipped = Buffer.from(zip);
  const at = 30 + 'a.txt'.length; // first data byte
  flipped.writeUInt8((flipped.readUInt8(at) ^ 0xff) & 0xff, at);
  assert.throws(() => readZip(flipped, 'x.zip'), /CRC mismatch in a\.txt/);
  assert.throws(() => readZip(zip.subarray(0, zip.length - 10), 'x.zip'), /not a valid zip file/);
  const method = Buffer.from(zip);
  method.writeUInt16LE(12, 8); // local header: bzip2
  const cd = method.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  method.writeUInt16LE(12, cd + 10);
  assert.throws(() => readZip(method, 'x.zip'), /compression method 12; only stored \(0\) and deflate \(8\)/);
});
