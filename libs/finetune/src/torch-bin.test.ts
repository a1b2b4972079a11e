// torch.save .bin files: the 42 real peft / AdapterHub files of peft-tiny (torch 1.13) are read, compared with their
// safetensors twins and rewritten byte for byte; hand-built files cover views, dtypes and every refusal.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, test } from 'node:test';
import { type RawTensor, readSafetensors } from './safetensors.ts';
import { PEFT_TINY } from './testing/shared-paths.ts';
import { readTorchBin, writeTorchBin } from './torch-bin.ts';
import { readStoredZip, writeTorchZip } from './zip.ts';

const TMP = mkdtempSync(join(tmpdir(), 'prunelab-torch-bin-'));
after(() => rmSync(TMP, { recursive: true, force: true }));
let dirs = 0;
const tmp = () => {
  const dir = join(TMP, String(dirs++));
  mkdirSync(dir);
  return dir;
};

interface Recorded {
  name: string;
  dtype: string;
  shape: number[];
}
const fixtures = (kind: string) =>
  readdirSync(join(PEFT_TINY, kind))
    .sort()
    .map((d) => join(PEFT_TINY, kind, d));
const fixture = (dir: string) => JSON.parse(readFileSync(join(dir, 'fixture.json'), 'utf8'));
const PEFT = fixtures('peft');
const ADAPTERS = fixtures('adapters');
const ALIASES = 'aliased_names (same tensor saved under several names)';
const BINS: [string, Recorded[]][] = [
  ...PEFT.map((d): [string, Recorded[]] => [
    join(d, 'adapter_model.bin'),
    fixture(d).adapter_model_bin.tensors_in_pickle_order,
  ]),
  ...ADAPTERS.flatMap((d): [string, Recorded[]][] => [
    [join(d, 'pytorch_adapter.bin'), fixture(d).pytorch_adapter_bin.tensors_in_pickle_order],
    [join(d, 'pytorch_model_head.bin'), fixture(d).pytorch_model_head_bin.tensors_in_pickle_order],
  ]),
];
const aliasGroups = (dir: string): string[][] => fixture(dir).pytorch_adapter_bin[ALIASES];

const bytes = (d: ArrayBufferView) => Buffer.from(d.buffer, d.byteOffset, d.byteLength);
function assertSame(a: Map<string, RawTensor>, b: Map<string, RawTensor>, ordered = true) {
  const names = (m: Map<string, RawTensor>) => (ordered ? [...m.keys()] : [...m.keys()].sort());
  assert.deepEqual(names(a), names(b));
  for (const [name, t] of a) {
    const u = b.get(name)!;
    assert.deepEqual(t.shape, u.shape, name);
    assert.equal(t.data.constructor, u.data.constructor, name);
    assert.ok(bytes(t.data).equals(bytes(u.data)), `${name}: values differ`); // bitwise: NaN and -0 included
  }
}

test('every fixture .bin reads as recorded: names in pickle order, dtypes, shapes', () => {
  assert.equal(BINS.length, 18 + 2 * 12);
  for (const [file, recorded] of BINS) {
    const got = readTorchBin(file);
    assert.deepEqual(
      [...got].map(([name, t]) => ({
        name,
        dtype: t.data instanceof Float32Array ? 'float32' : 'int',
        shape: t.shape,
      })),
      recorded,
      file,
    );
  }
});

test('peft: adapter_model.bin holds exactly the tensors of adapter_model.safetensors', () => {
  for (const dir of PEFT) {
    const bin = readTorchBin(join(dir, 'adapter_model.bin'));
    const st = readSafetensors(join(dir, 'adapter_model.safetensors'));
    assertSame(st, bin, false); // safetensors sorts its names
  }
});

test("AdapterHub: aliased names (one storage under several names) hold equal values and share one array, as torch.load's tensors share memory", () => {
  let groups = 0;
  for (const dir of ADAPTERS) {
    const t = readTorchBin(join(dir, 'pytorch_adapter.bin'));
    for (const [first, ...rest] of aliasGroups(dir)) {
      for (const name of rest) {
        assert.deepEqual(t.get(name)!.shape, t.get(first!)!.shape);
        assert.equal(t.get(name)!.data, t.get(first!)!.data, `${name} and ${first}`);
      }
      groups++;
    }
  }
  assert.equal(groups, 4 * 5); // prefix_tuning and unipelt, BERT and RoBERTa, 5 pool tensors each
});

test('rewriting every fixture .bin gives the file torch 1.13 wrote, byte for byte', () => {
  for (const [file] of BINS) {
    const tensors = readTorchBin(file);
    const out = join(tmp(), basename(file)); // the ZIP's root folder is the file name without extension
    writeTorchBin(out, tensors, { shareStorage: true });
    assert.ok(readFileSync(out).equals(readFileSync(file)), file);
    if (!file.endsWith('pytorch_adapter.bin') || aliasGroups(join(file, '..')).length === 0) {
      writeTorchBin(out, tensors); // without aliases the default options are the same thing
      assert.ok(readFileSync(out).equals(readFileSync(file)), file);
    }
  }
});

test('by default aliases are written as separate storages; they read back equal, no longer shared', () => {
  const dir = join(PEFT_TINY, 'adapters/bert-seqcls-prefix_tuning');
  const tensors = readTorchBin(join(dir, 'pytorch_adapter.bin'));
  const out = join(tmp(), 'pytorch_adapter.bin');
  writeTorchBin(out, tensors);
  const names = [...readStoredZip(readFileSync(out), out).keys()];
  assert.equal(names.filter((n) => n.startsWith('pytorch_adapter/data/')).length, tensors.size);
  const back = readTorchBin(out);
  assertSame(tensors, back);
  const [first, second] = aliasGroups(dir)[0]!;
  assert.notEqual(back.get(first!)!.data, back.get(second!)!.data);
});

test('write -> read round trip: float32 and int32 of any rank (0-d and empty included), dict and OrderedDict, int64', () => {
  const tensors = new Map<string, RawTensor>([
    ['scalar', { shape: [], data: Float32Array.of(-0) }],
    ['empty', { shape: [0, 3], data: new Float32Array(0) }],
    ['w', { shape: [2, 3, 1, 2], data: Float32Array.from({ length: 12 }, (_, i) => Math.fround(i / 7 - 1)) }],
    ['special', { shape: [4], data: Float32Array.of(NaN, Infinity, -Infinity, 1e-45) }],
    ['ids', { shape: [2, 2], data: Int32Array.of(-2147483648, 2147483647, 0, -1) }],
    ['long', { shape: [70000], data: Float32Array.from({ length: 70000 }, (_, i) => i) }],
  ]);
  const dir = tmp();
  for (const opts of [{}, { container: 'OrderedDict' as const }, { intDtype: 'int64' as const, archiveName: 'x' }]) {
    const file = join(dir, 'model.bin');
    writeTorchBin(file, tensors, opts);
    assertSame(tensors, readTorchBin(file));
    const entries = readStoredZip(readFileSync(file), file);
    const root = opts.archiveName ?? 'model';
    assert.equal(entries.get(`${root}/version`)!.toString(), '3\n');
    const pkl = entries.get(`${root}/data.pkl`)!.toString('latin1');
    assert.equal(pkl.includes('ctorch\nLongStorage\n'), opts.intDtype === 'int64');
    assert.equal(pkl.includes('ccollections\nOrderedDict\n'), true); // backward_hooks, and the container if asked
    for (const [, data] of entries)
      assert.equal((data.byteOffset - entries.get(`${root}/data.pkl`)!.byteOffset) % 64, 0);
  }
});

// A hand-built pickle: the opcodes torch.save uses, written plainly (no memo) unless a test needs more.
const op = (...parts: (string | Buffer)[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p)));
const str = (s: string) => {
  const b = Buffer.from(s);
  const n = Buffer.alloc(4);
  n.writeUInt32LE(b.length);
  return op('X', n, b);
};
const int = (n: number) => {
  const b = Buffer.alloc(5);
  b[0] = 0x4a; // BININT
  b.writeInt32LE(n, 1);
  return b;
};
const ints = (xs: number[]) => op('(', ...xs.map(int), 't');
const global = (name: string) => op('c', name.replace(/\.(?=[^.]*$)/, '\n'), '\n');
const tensor = (type: string, key: string, numel: number, offset: number, size: number[], stride: number[]) =>
  op(
    global('torch._utils._rebuild_tensor_v2'),
    '((',
    str('storage'),
    global(`torch.${type}`),
    str(key),
    str('cpu'),
    int(numel),
    'tQ',
    int(offset),
    ints(size),
    ints(stride),
    '\x89',
    global('collections.OrderedDict'),
    ')Rt',
    'R',
  );
const pickle = (items: [string, Buffer][]) => op('\x80\x02}(', ...items.flatMap(([k, v]) => [str(k), v]), 'u.');
function torchFile(pkl: Buffer, storages: Record<string, Buffer>, more: { name: string; data: Buffer }[] = []) {
  const file = join(tmp(), 'hand.bin');
  const entries = [
    { name: 'archive/data.pkl', data: pkl },
    ...Object.entries(storages).map(([k, data]) => ({ name: `archive/data/${k}`, data })),
    { name: 'archive/version', data: Buffer.from('3\n') },
    ...more,
  ];
  writeFileSync(file, writeTorchZip(entries));
  return file;
}
const f32 = (xs: number[]) => bytes(Float32Array.from(xs)); // storages are little-endian, like the hosts we run on

test('views: storage offsets, strides (a transpose) and several tensors on one storage are materialised', () => {
  const s = Array.from({ length: 12 }, (_, i) => i);
  const file = torchFile(
    pickle([
      ['t', tensor('FloatStorage', '0', 12, 0, [4, 3], [1, 4])],
      ['every_other', tensor('FloatStorage', '0', 12, 5, [3], [2])],
      ['row', tensor('FloatStorage', '0', 12, 4, [1, 4], [4, 1])],
      ['whole', tensor('FloatStorage', '0', 12, 0, [3, 4], [4, 1])],
      ['flat', tensor('FloatStorage', '0', 12, 0, [12], [1])],
      ['broadcast', tensor('FloatStorage', '0', 12, 2, [2, 3], [0, 1])],
    ]),
    { 0: f32(s) },
  );
  const t = readTorchBin(file);
  assert.deepEqual([...t.get('t')!.data], [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
  assert.deepEqual([...t.get('every_other')!.data], [5, 7, 9]);
  assert.deepEqual([...t.get('row')!.data], [4, 5, 6, 7]);
  assert.deepEqual([...t.get('whole')!.data], s);
  assert.deepEqual([...t.get('broadcast')!.data], [2, 3, 4, 2, 3, 4]);
  assert.equal(t.get('whole')!.data, t.get('flat')!.data); // whole-storage views share the array
  assert.notEqual(t.get('row')!.data.buffer, t.get('whole')!.data.buffer); // partial views are copies
  assert.deepEqual(t.get('t')!.shape, [4, 3]);
});

test('dtypes: float16, bfloat16, float64 -> float32; int64, int32, int16, int8, uint8, bool -> int32; big-endian files', () => {
  const f16 = [0x3c00, 0xc000, 0x3800, 0x7c00, 0x0001, 0x7e00];
  const storages = {
    h: bytes(Uint16Array.from(f16)),
    bf: bytes(Uint16Array.of(0x3f80, 0xc040)),
    d: bytes(Float64Array.of(0.1, -1e300)),
    l: bytes(BigInt64Array.of(-5n, 2147483647n, -2147483648n)),
    i: bytes(Int32Array.of(-7, 123456)),
    s: bytes(Int16Array.of(-300)),
    c: Buffer.from([0xf9]),
    u: Buffer.from([200]),
    b: Buffer.from([1, 0, 1]),
  };
  const items: [string, Buffer][] = [
    ['half', tensor('HalfStorage', 'h', 6, 0, [6], [1])],
    ['bfloat', tensor('BFloat16Storage', 'bf', 2, 0, [2], [1])],
    ['double', tensor('DoubleStorage', 'd', 2, 0, [2], [1])],
    ['long', tensor('LongStorage', 'l', 3, 0, [3], [1])],
    ['int', tensor('IntStorage', 'i', 2, 0, [2], [1])],
    ['short', tensor('ShortStorage', 's', 1, 0, [1], [1])],
    ['char', tensor('CharStorage', 'c', 1, 0, [1], [1])],
    ['byte', tensor('ByteStorage', 'u', 1, 0, [1], [1])],
    ['bool', tensor('BoolStorage', 'b', 3, 0, [3], [1])],
  ];
  const t = readTorchBin(torchFile(pickle(items), storages));
  const values = (name: string) => [...t.get(name)!.data];
  assert.deepEqual(values('half'), [1, -2, 0.5, Infinity, 2 ** -24, NaN]);
  assert.deepEqual(values('bfloat'), [1, -3]);
  assert.deepEqual(values('double'), [Math.fround(0.1), -Infinity]);
  for (const name of ['half', 'bfloat', 'double']) assert.ok(t.get(name)!.data instanceof Float32Array);
  assert.deepEqual(values('long'), [-5, 2147483647, -2147483648]);
  assert.deepEqual(values('int'), [-7, 123456]);
  assert.deepEqual([values('short'), values('char'), values('byte'), values('bool')], [[-300], [-7], [200], [1, 0, 1]]);
  for (const name of ['long', 'int', 'short', 'char', 'byte', 'bool'])
    assert.ok(t.get(name)!.data instanceof Int32Array);

  const big = torchFile(
    pickle([['x', tensor('FloatStorage', '0', 2, 0, [2], [1])]]),
    { 0: Buffer.from([0x3f, 0xc0, 0, 0, 0xc0, 0, 0, 0]) }, // 1.5, -2 as big-endian float32
    [{ name: 'archive/byteorder', data: Buffer.from('big') }],
  );
  assert.deepEqual([...readTorchBin(big).get('x')!.data], [1.5, -2]);
});

test("a state_dict() OrderedDict with _metadata (BUILD), memo reuse, nn.Parameter (_rebuild_parameter) and torch 2's metadata argument", () => {
  const memoed = op(
    global('torch._utils._rebuild_tensor_v2'),
    'q\x01((',
    str('storage'),
    'q\x02',
    global('torch.FloatStorage'),
    'q\x03',
    str('0'),
    'q\x04',
    str('cpu'),
    'q\x05K\x03tq\x06QK\x00K\x03\x85K\x01\x85\x89',
    global('collections.OrderedDict'),
    'q\x07)R}t', // torch 2 passes a 7th argument, metadata: {}
    'R',
  );
  const param = op(
    global('torch._utils._rebuild_parameter'),
    '(h\x01((h\x02h\x03h\x04h\x05K\x03tQK\x01K\x02\x85K\x01\x85\x89h\x07)RtR\x88h\x07)RtR',
  );
  const pkl = op(
    '\x80\x02',
    global('collections.OrderedDict'),
    'q\x00)Rq\x08(',
    str('a'),
    memoed,
    str('p'),
    param,
    'u}', // BUILD with {'_metadata': OrderedDict([('', {'version': 1})])}
    str('_metadata'),
    'h\x00)R',
    str(''),
    '}',
    str('version'),
    'K\x01sssb.',
  );
  const t = readTorchBin(torchFile(pkl, { 0: f32([7, 8, 9]) }));
  assert.deepEqual([...t.keys()], ['a', 'p']);
  assert.deepEqual([...t.get('a')!.data], [7, 8, 9]);
  assert.deepEqual(t.get('p'), { shape: [2], data: Float32Array.of(8, 9) });
});

test('refusals: each names the file and what is wrong', () => {
  const dir = tmp();
  const file = (name: string, data: Buffer) => {
    writeFileSync(join(dir, name), data);
    return join(dir, name);
  };
  const refuses = (f: string, message: RegExp | string) =>
    assert.throws(
      () => readTorchBin(f),
      (e: Error) =>
        e.message.startsWith(`${f}: `) &&
        (typeof message === 'string' ? e.message === `${f}: ${message}` : message.test(e.message)),
    );
  const x = (key = '0') => tensor('FloatStorage', key, 3, 0, [3], [1]);

  refuses(file('text.bin', Buffer.from('hello world')), /not a torch\.save file \(torch >= 1\.6 writes a ZIP archive/);
  refuses(
    file(
      'legacy.bin',
      Buffer.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]),
    ),
    'a legacy (pre-1.6) torch.save file; re-save it with torch >= 1.6 or as safetensors',
  );
  refuses(
    file('other.zip', writeTorchZip([{ name: 'archive/other', data: Buffer.from('x') }])),
    /without <root>\/data\.pkl/,
  );
  refuses(
    torchFile(pickle([['w', x('7')]]), { 0: f32([1, 2, 3]) }),
    /tensor 'w' needs archive\/data\/7, which the archive lacks/,
  );
  refuses(torchFile(op('\x80\x02}\xff'), {}), 'data.pkl: unknown or unsupported pickle opcode 0xff at offset 3');
  refuses(
    torchFile(op('\x80\x02', global('numpy.core.multiarray._reconstruct'), '.'), {}),
    "pickle references 'numpy.core.multiarray._reconstruct'; only plain tensors saved by torch.save are read (this reader executes no code)",
  );
  refuses(
    torchFile(op('\x80\x02', global('torch.storage._load_from_bytes'), '.'), {}),
    /references 'torch\.storage\._load_from_bytes'/,
  );
  refuses(torchFile(op('\x80\x02', global('builtins.eval'), '.'), {}), /references 'builtins\.eval'/);
  refuses(
    torchFile(
      pickle([
        ['w', x()],
        ['step', int(5)],
      ]),
      { 0: f32([1, 2, 3]) },
    ),
    /'step' is an int, not a tensor/,
  );
  refuses(
    torchFile(op('\x80\x02](', x(), 'e.'), { 0: f32([1, 2, 3]) }),
    /data\.pkl holds a tuple or list, not a dict of tensors/,
  );
  refuses(torchFile(op('\x80\x02}(X\xff\x00\x00\x00ab'), {}), /data\.pkl is truncated/);
  refuses(
    torchFile(pickle([['w', x()]]), { 0: f32([1, 2]) }),
    /storage data\/0 has 8 bytes; its 3 FloatStorage elements need 12/,
  );
  refuses(
    torchFile(pickle([['w', tensor('FloatStorage', '0', 3, 1, [3], [1])]]), { 0: f32([1, 2, 3]) }),
    /'w' reads past the end/,
  );
  const long = bytes(BigInt64Array.of(2n ** 40n));
  refuses(
    torchFile(pickle([['i', tensor('LongStorage', '0', 1, 0, [1], [1])]]), { 0: long }),
    /'i' holds 1099511627776, outside the int32 range/,
  );

  const good = readFileSync(torchFile(pickle([['w', x()]]), { 0: f32([1, 2, 3]) }));
  const corrupt = Buffer.from(good);
  const at = corrupt.indexOf(f32([1, 2, 3]));
  corrupt[at] = corrupt[at]! ^ 1;
  refuses(file('crc.bin', corrupt), /corrupt ZIP archive \(CRC mismatch in 'archive\/data\/0'\)/);
  const deflated = Buffer.from(good);
  for (const sig of [0x04034b50, 0x02014b50]) {
    const s = Buffer.alloc(4);
    s.writeUInt32LE(sig);
    for (let at = deflated.indexOf(s); at >= 0; at = deflated.indexOf(s, at + 4))
      deflated.writeUInt16LE(8, at + (sig === 0x04034b50 ? 8 : 10));
  }
  refuses(file('deflate.bin', deflated), /ZIP entry 'archive\/data\.pkl' is compressed \(method 8\)/);
  refuses(file('cut.bin', good.subarray(0, good.length - 30)), /not a ZIP archive|corrupt ZIP/);

  assert.throws(
    () => writeTorchBin(join(dir, 'bad.bin'), new Map([['w', { shape: [2, 2], data: new Float32Array(3) }]])),
    /tensor 'w' has 3 values; its shape \[2,2\] needs 4/,
  );
});
