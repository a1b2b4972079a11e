// PyTorch .bin checkpoints as torch.save (>= 1.6) writes them, the format of Hugging Face peft's adapter_model.bin
// and AdapterHub's pytorch_adapter.bin: a stored ZIP holding <root>/data.pkl (a protocol-2 pickle of a dict
// name -> tensor), one raw file <root>/data/<key> per storage, and <root>/version. Pickles can run arbitrary code,
// so data.pkl is read by a small VM that calls nothing: it knows the opcodes torch.save emits and the few globals a
// plain tensor dict needs (OrderedDict, _rebuild_tensor_v2, _rebuild_parameter, torch.*Storage); anything else is
// refused with an error that names it.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import type { RawTensor } from './safetensors.ts';
import { readStoredZip, writeTorchZip } from './zip.ts';

type Values = Float32Array | Int32Array;

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (m / 1024);
  if (e === 31) return m ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + m / 1024);
}

const bf16 = new Float32Array(1);
const bf16Bits = new Uint32Array(bf16.buffer);
function bf16ToF32(h: number): number {
  bf16Bits[0] = h << 16; // bfloat16 is the top half of a float32
  return bf16[0]!;
}

// torch storage class -> element size, whether it becomes float32 (else int32), and how to read one element
const STORAGES: Record<string, [number, boolean, (v: DataView, at: number, le: boolean) => number]> = {
  FloatStorage: [4, true, (v, at, le) => v.getFloat32(at, le)],
  DoubleStorage: [8, true, (v, at, le) => v.getFloat64(at, le)],
  HalfStorage: [2, true, (v, at, le) => f16ToF32(v.getUint16(at, le))],
  BFloat16Storage: [2, true, (v, at, le) => bf16ToF32(v.getUint16(at, le))],
  LongStorage: [8, false, (v, at, le) => Number(v.getBigInt64(at, le))],
  IntStorage: [4, false, (v, at, le) => v.getInt32(at, le)],
  ShortStorage: [2, false, (v, at, le) => v.getInt16(at, le)],
  CharStorage: [1, false, (v, at) => v.getInt8(at)],
  ByteStorage: [1, false, (v, at) => v.getUint8(at)],
  BoolStorage: [1, false, (v, at) => (v.getUint8(at) ? 1 : 0)],
};
const ALLOWED = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  ...Object.keys(STORAGES).map((s) => `torch.${s}`),
]);

// What the VM builds: a global is only a name until REDUCE looks it up in the switch of call().
class Global {
  constructor(readonly name: string) {}
}
class Storage {
  constructor(
    readonly type: string,
    readonly key: string,
    readonly numel: number,
  ) {}
}
class TensorView {
  constructor(
    readonly storage: Storage,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}

function describe(v: unknown): string {
  if (v === null) return 'None';
  if (v instanceof Global) return `global '${v.name}'`;
  if (v instanceof Storage) return 'a bare storage';
  if (v instanceof Map) return 'a dict';
  if (Array.isArray(v)) return 'a tuple or list';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an int' : 'a float';
  return typeof v === 'string' ? 'a str' : typeof v === 'boolean' ? 'a bool' : typeof v;
}

const isInts = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => Number.isInteger(x) && x >= 0);

function call(fn: unknown, args: unknown, where: string): unknown {
  if (!(fn instanceof Global) || !Array.isArray(args)) throw new Error(`${where}: calls ${describe(fn)}`);
  if (fn.name === 'collections.OrderedDict') {
    if (args.length === 0) return new Map();
    if (Array.isArray(args[0]) && args[0].every((kv) => Array.isArray(kv) && kv.length === 2))
      return new Map(args[0] as [unknown, unknown][]);
  } else if (fn.name === 'torch._utils._rebuild_tensor_v2') {
    // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
    const [storage, offset, size, stride] = args;
    if (storage instanceof Storage && isInts([offset]) && isInts(size) && isInts(stride))
      if (size.length === stride.length) return new TensorView(storage, offset as number, size, stride);
  } else if (fn.name === 'torch._utils._rebuild_parameter') {
    if (args[0] instanceof TensorView) return args[0]; // an nn.Parameter is its tensor plus requires_grad
  }
  throw new Error(`${where}: unexpected arguments for ${fn.name}`);
}

/** Runs a pickle without executing code; `persistent` turns BINPERSID ids into storages. */
function unpickle(p: Buffer, file: string, persistent: (pid: unknown, where: string) => Storage): unknown {
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let pos = 0;
  let at = 0;
  let done = false;
  const where = () => `${file}: data.pkl offset ${at}`;
  const take = (n: number) => {
    if (pos + n > p.length) throw new Error(`${where()}: data.pkl is truncated`);
    pos += n;
    return pos - n;
  };
  const u8 = () => p[take(1)]!;
  const u32 = () => p.readUInt32LE(take(4));
  const top = () => {
    if (stack.length <= (marks.at(-1) ?? 0)) throw new Error(`${where()}: pickle stack underflow`);
    return stack[stack.length - 1];
  };
  const pop = () => {
    top();
    return stack.pop();
  };
  const push = (v: unknown) => void stack.push(v);
  const popMark = () => {
    const m = marks.pop();
    if (m === undefined) throw new Error(`${where()}: no MARK on the stack`);
    return stack.splice(m);
  };
  const dict = () => {
    const d = top();
    if (!(d instanceof Map)) throw new Error(`${where()}: SETITEM on ${describe(d)}`);
    return d;
  };
  const list = () => {
    const l = top();
    if (!Array.isArray(l)) throw new Error(`${where()}: APPEND to ${describe(l)}`);
    return l;
  };
  // the items are popped before the default parameter looks at the container below them
  const setItems = (items: unknown[], d = dict()) => {
    for (let i = 0; i + 1 < items.length; i += 2) d.set(items[i], items[i + 1]);
    return d;
  };
  const appends = (items: unknown[], l = list()) => l.push(...items);
  const build = (state: unknown) => {
    // attributes: only an OrderedDict's (a state dict's _metadata), which are not needed
    if (!(top() instanceof Map)) throw new Error(`${where()}: BUILD on ${describe(top())} (with ${describe(state)})`);
  };
  const line = () => {
    const end = p.indexOf(0x0a, pos);
    if (end < 0) throw new Error(`${where()}: data.pkl is truncated`);
    return p.toString('utf8', take(end + 1 - pos), end);
  };
  const text = (n: number, enc: BufferEncoding) => p.toString(enc, take(n), pos);
  const global = (name: string) => {
    if (!ALLOWED.has(name))
      throw new Error(
        `${file}: pickle references '${name}'; only plain tensors saved by torch.save are read (this reader executes no code)`,
      );
    return new Global(name);
  };
  const get = (i: number) => {
    if (!memo.has(i)) throw new Error(`${where()}: memo ${i} read before it was written`);
    push(memo.get(i));
  };
  const tuple = (n: number) => push(Array.from({ length: n }, pop).reverse());
  const long1 = () => {
    // little-endian two's complement
    const n = u8();
    const bytes = p.subarray(take(n), pos);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
    if (n > 0 && bytes[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER))
      throw new Error(`${where()}: integer ${v} is too large`);
    push(Number(v));
  };
  const reduce = () => {
    const args = pop();
    push(call(pop(), args, where()));
  };
  // keyed by the opcode byte as a character, as in CPython's pickle.py
  const ops: Record<string, () => void> = {
    '\x80': () => take(1), // PROTO
    '\x95': () => take(8), // FRAME: only a read-ahead hint
    '.': () => (done = true), // STOP
    '(': () => marks.push(stack.length), // MARK
    '}': () => push(new Map()), // EMPTY_DICT
    ']': () => push([]), // EMPTY_LIST
    ')': () => push([]), // EMPTY_TUPLE
    '\x88': () => push(true), // NEWTRUE
    '\x89': () => push(false), // NEWFALSE
    N: () => push(null), // NONE
    q: () => memo.set(u8(), top()), // BINPUT
    r: () => memo.set(u32(), top()), // LONG_BINPUT
    '\x94': () => memo.set(memo.size, top()), // MEMOIZE
    h: () => get(u8()), // BINGET
    j: () => get(u32()), // LONG_BINGET
    X: () => push(text(u32(), 'utf8')), // BINUNICODE
    '\x8c': () => push(text(u8(), 'utf8')), // SHORT_BINUNICODE
    T: () => push(text(u32(), 'latin1')), // BINSTRING
    U: () => push(text(u8(), 'latin1')), // SHORT_BINSTRING
    c: () => push(global(`${line()}.${line()}`)), // GLOBAL
    '\x93': () => push(global([pop(), pop()].reverse().join('.'))), // STACK_GLOBAL
    J: () => push(p.readInt32LE(take(4))), // BININT
    K: () => push(u8()), // BININT1
    M: () => push(p.readUInt16LE(take(2))), // BININT2
    '\x8a': long1, // LONG1
    G: () => push(p.readDoubleBE(take(8))), // BINFLOAT
    t: () => push(popMark()), // TUPLE
    l: () => push(popMark()), // LIST
    '\x85': () => tuple(1), // TUPLE1
    '\x86': () => tuple(2), // TUPLE2
    '\x87': () => tuple(3), // TUPLE3
    d: () => push(setItems(popMark(), new Map())), // DICT
    Q: () => push(persistent(pop(), where())), // BINPERSID
    R: reduce, // REDUCE
    '\x81': reduce, // NEWOBJ: cls(*args), the same for the classes allowed here
    s: () => setItems([pop(), pop()].reverse()), // SETITEM
    u: () => setItems(popMark()), // SETITEMS
    a: () => appends([pop()]), // APPEND
    e: () => appends(popMark()), // APPENDS
    '0': pop, // POP
    '1': popMark, // POP_MARK
    '2': () => push(top()), // DUP
    b: () => build(pop()), // BUILD
  };
  while (!done) {
    at = pos;
    const op = u8();
    const run = ops[String.fromCharCode(op)];
    if (run === undefined)
      throw new Error(`${file}: data.pkl: unknown or unsupported pickle opcode 0x${op.toString(16)} at offset ${at}`);
    run();
  }
  return pop();
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function decodeStorage(s: Storage, bytes: Buffer, le: boolean, file: string, name: string): Values {
  const [size, float, read] = STORAGES[s.type]!;
  if (bytes.byteLength !== s.numel * size)
    throw new Error(
      `${file}: storage data/${s.key} has ${bytes.byteLength} bytes; its ${s.numel} ${s.type} elements need ${s.numel * size}`,
    );
  if (s.type === 'FloatStorage' && le && LITTLE_ENDIAN_HOST)
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const out = float ? new Float32Array(s.numel) : new Int32Array(s.numel);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < s.numel; i++) {
    const v = read(view, i * size, le);
    if (!float && (v > 2147483647 || v < -2147483648))
      throw new Error(`${file}: tensor '${name}' holds ${v}, outside the int32 range a RawTensor can hold`);
    out[i] = v;
  }
  return out;
}

/** The tensor a (storage, offset, shape, stride) view selects, copied out unless it is the whole storage. */
function materialise(s: Values, t: TensorView, file: string, name: string): Values {
  const { offset, shape, stride } = t;
  const numel = shape.reduce((a, d) => a * d, 1);
  if (numel === 0) return s instanceof Float32Array ? new Float32Array(0) : new Int32Array(0);
  const last = shape.reduce((a, d, i) => a + (d - 1) * stride[i]!, offset);
  if (last >= s.length)
    throw new Error(`${file}: tensor '${name}' reads past the end of its storage data/${t.storage.key}`);
  if (offset === 0 && numel === s.length && contiguous(shape).every((st, i) => st === stride[i] || shape[i] === 1))
    return s; // aliases of a whole storage share one array, as torch.load's tensors share memory
  const out = s instanceof Float32Array ? new Float32Array(numel) : new Int32Array(numel);
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0, src = offset; i < numel; i++) {
    out[i] = s[src]!;
    for (let d = shape.length - 1; d >= 0; d--) {
      src += stride[d]!;
      if (++idx[d]! < shape[d]!) break;
      src -= stride[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

/** Row-major strides, as torch computes them (a dimension of size 0 counts as 1). */
function contiguous(shape: number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let i = shape.length - 1, s = 1; i >= 0; s *= Math.max(shape[i]!, 1), i--) out[i] = s;
  return out;
}

/**
 * The tensors of a torch.save (>= 1.6) file holding a dict name -> tensor, in pickle order. float16, bfloat16 and
 * float64 become float32; int64, int32, int16, int8, uint8 and bool become int32. Views (offsets, strides) are
 * copied out; names that view one whole storage the same way (AdapterHub's shared prefix pool) share one array,
 * as they share memory after torch.load.
 */
export function readTorchBin(file: string): Map<string, RawTensor> {
  const buf = readFileSync(file);
  if (buf[0] === 0x80)
    throw new Error(`${file}: a legacy (pre-1.6) torch.save file; re-save it with torch >= 1.6 or as safetensors`);
  if (buf.length < 4 || buf.readUInt32LE(0) !== 0x04034b50)
    throw new Error(`${file}: not a torch.save file (torch >= 1.6 writes a ZIP archive; this is none)`);
  const entries = readStoredZip(buf, file);
  const pkl = [...entries.keys()].find((n) => /^[^/]*\/data\.pkl$/.test(n));
  if (pkl === undefined) throw new Error(`${file}: a ZIP archive without <root>/data.pkl; not a torch.save file`);
  const root = pkl.slice(0, -'/data.pkl'.length);
  const le = entries.get(`${root}/byteorder`)?.toString() !== 'big'; // files without it are little-endian
  const persistent = (pid: unknown, where: string) => {
    if (Array.isArray(pid) && pid.length === 5 && pid[0] === 'storage' && pid[1] instanceof Global) {
      const [, type, key, , numel] = pid as [string, Global, unknown, unknown, unknown];
      const storage = type.name.slice('torch.'.length);
      if (
        type.name.startsWith('torch.') &&
        Object.hasOwn(STORAGES, storage) &&
        typeof key === 'string' &&
        Number.isInteger(numel)
      )
        return new Storage(storage, key, numel as number);
    }
    throw new Error(`${where}: a persistent id that is not a torch storage reference`);
  };
  const top = unpickle(entries.get(pkl)!, file, persistent);
  if (!(top instanceof Map)) throw new Error(`${file}: data.pkl holds ${describe(top)}, not a dict of tensors`);
  const storages = new Map<string, Values>();
  const out = new Map<string, RawTensor>();
  for (const [name, t] of top) {
    if (typeof name !== 'string')
      throw new Error(`${file}: the dict has ${describe(name)} as a key, not a tensor name`);
    if (!(t instanceof TensorView))
      throw new Error(`${file}: '${name}' is ${describe(t)}, not a tensor; only a flat dict name -> tensor is read`);
    const id = `${t.storage.type}/${t.storage.key}`;
    let s = storages.get(id);
    if (s === undefined) {
      const bytes = entries.get(`${root}/data/${t.storage.key}`);
      if (bytes === undefined)
        throw new Error(`${file}: tensor '${name}' needs ${root}/data/${t.storage.key}, which the archive lacks`);
      s = decodeStorage(t.storage, bytes, le, file, name);
      storages.set(id, s);
    }
    out.set(name, { shape: [...t.shape], data: materialise(s, t, file, name) });
  }
  return out;
}

export interface TorchBinWriteOptions {
  /** The folder inside the ZIP; torch uses the file name without its extension ("archive" for streams). */
  archiveName?: string;
  /**
   * Tensors whose `data` is the same array object share one storage, as AdapterHub's aliased names do (readTorchBin
   * returns such aliases with one array). Off by default: every tensor gets its own storage, which torch reads the
   * same way, only without the shared memory.
   */
  shareStorage?: boolean;
  /** The pickled container: peft and AdapterHub save a plain dict (the default); nn.Module.state_dict() an OrderedDict. */
  container?: 'dict' | 'OrderedDict';
  /** Int32Array tensors as torch.int32 (IntStorage, the default) or torch.int64 (LongStorage). */
  intDtype?: 'int32' | 'int64';
}

interface Entry {
  name: string;
  key: string;
  type: string;
  numel: number;
  shape: number[];
}

/** The protocol-2 pickle torch.save (CPython's C pickler) writes for a dict of contiguous CPU tensors. */
function pickleTensors(tensors: Entry[], container: 'dict' | 'OrderedDict'): Buffer {
  const out: number[] = [0x80, 2];
  const memo = new Map<string, number>();
  let next = 0;
  const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
  const put = () => (next < 256 ? out.push(0x71, next++) : out.push(0x72, ...u32(next++)));
  // objects pickled once and then fetched from the memo: globals and the strings torch reuses
  const once = (id: string, write: () => void) => {
    const i = memo.get(id);
    if (i === undefined) {
      write();
      memo.set(id, next);
      put();
    } else out.push(...(i < 256 ? [0x68, i] : [0x6a, ...u32(i)]));
  };
  const str = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    out.push(0x58, ...u32(b.length), ...b);
  };
  const int = (n: number) => {
    if (n >= 0 && n < 256) out.push(0x4b, n);
    else if (n >= 0 && n < 65536) out.push(0x4d, n & 0xff, n >> 8);
    else if (n >= -(2 ** 31) && n < 2 ** 31) out.push(0x4a, ...u32(n >>> 0));
    else {
      const bytes: number[] = []; // LONG1 of a positive value: (bits / 8) + 1 bytes, so the sign bit stays 0
      for (let v = BigInt(n), k = (v.toString(2).length >> 3) + 1; k > 0; k--, v >>= 8n) bytes.push(Number(v & 0xffn));
      out.push(0x8a, bytes.length, ...bytes);
    }
  };
  const tuple = (xs: number[]) => {
    if (xs.length === 0) return void out.push(0x29); // EMPTY_TUPLE is never memoized
    if (xs.length > 3) out.push(0x28);
    xs.forEach(int);
    out.push(xs.length > 3 ? 0x74 : 0x84 + xs.length);
    put();
  };
  const global = (module: string, name: string) =>
    once(`global ${module}.${name}`, () => out.push(0x63, ...Buffer.from(`${module}\n${name}\n`)));
  const tensor = (t: Entry) => {
    global('torch._utils', '_rebuild_tensor_v2');
    out.push(0x28, 0x28);
    once('str storage', () => str('storage'));
    global('torch', t.type);
    once(`key ${t.key}`, () => str(t.key));
    once('str cpu', () => str('cpu'));
    int(t.numel);
    out.push(0x74);
    put();
    out.push(0x51); // BINPERSID
    int(0);
    tuple(t.shape);
    tuple(contiguous(t.shape));
    out.push(0x89); // requires_grad False
    global('collections', 'OrderedDict');
    out.push(0x29, 0x52); // backward_hooks: OrderedDict()
    put();
    out.push(0x74);
    put();
    out.push(0x52);
    put();
  };
  if (container === 'dict') {
    out.push(0x7d);
    put();
  } else {
    global('collections', 'OrderedDict');
    out.push(0x29, 0x52);
    put();
  }
  const items = (batch: Entry[], single: boolean) => {
    if (!single) out.push(0x28); // MARK
    for (const t of batch) {
      str(t.name);
      put();
      tensor(t);
    }
    out.push(single ? 0x73 : 0x75); // SETITEM or SETITEMS
  };
  // Items go in batches of 1000, as CPython's pickler does. An exact dict (batch_dict_exact) uses SETITEM only for
  // a dict of one item, and after a full batch it writes another, possibly empty, MARK ... SETITEMS; an OrderedDict
  // (batch_dict, fed by an iterator) writes a lone last item with SETITEM and never an empty batch.
  if (container === 'dict' && tensors.length === 1) items(tensors, true);
  else if (container === 'dict' && tensors.length > 1) {
    for (let i = 0; ; i += 1000) {
      items(tensors.slice(i, i + 1000), false);
      if (i + 1000 > tensors.length) break;
    }
  } else for (let i = 0; i < tensors.length; i += 1000) items(tensors.slice(i, i + 1000), i + 1 === tensors.length);
  out.push(0x2e);
  return Buffer.from(out);
}

/**
 * Writes `tensors` byte for byte as torch 1.13's torch.save writes a dict of contiguous float32 / int32 CPU tensors:
 * a plain dict (see the options), storage keys "0", "1", ... in order of first use, one storage per tensor unless
 * `shareStorage`. Newer torch versions add records (such as <root>/byteorder) that torch.load does not require.
 */
export function writeTorchBin(file: string, tensors: Map<string, RawTensor>, opts: TorchBinWriteOptions = {}): void {
  const root = opts.archiveName ?? (basename(file, extname(file)) || 'archive');
  const keys = new Map<Values, string>();
  const storages = new Map<string, Uint8Array>();
  const entries: Entry[] = [];
  const int64 = opts.intDtype === 'int64';
  for (const [name, { shape, data }] of tensors) {
    const numel = shape.reduce((a, d) => a * d, 1);
    if (numel !== data.length)
      throw new Error(`${file}: tensor '${name}' has ${data.length} values; its shape [${shape}] needs ${numel}`);
    const type = data instanceof Float32Array ? 'FloatStorage' : int64 ? 'LongStorage' : 'IntStorage';
    let key = opts.shareStorage ? keys.get(data) : undefined;
    if (key === undefined) {
      key = String(storages.size);
      keys.set(data, key);
      // little-endian hosts only, like writeSafetensors
      const bytes =
        type === 'LongStorage'
          ? BigInt64Array.from(data, (v) => BigInt(v))
          : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      storages.set(key, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    }
    entries.push({ name, key, type, numel: data.length, shape });
  }
  const zip = writeTorchZip([
    { name: `${root}/data.pkl`, data: pickleTensors(entries, opts.container ?? 'dict') },
    ...[...storages.keys()].sort().map((k) => ({ name: `${root}/data/${k}`, data: storages.get(k)! })),
    { name: `${root}/version`, data: Buffer.from('3\n') },
  ]);
  writeFileSync(file + '.tmp', zip);
  renameSync(file + '.tmp', file);
}
