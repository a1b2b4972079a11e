// Shared by the native-<kernel>.test.ts files (one per ../native/kernels/<kernel>.cc): both builds of the addon,
// a seeded float heap that notices stray writes, float32 replicas of the kernels' shared arithmetic (lanes.h,
// erf.h), and the argument checks every kernel must pass (RangeError/TypeError naming it, heap unchanged).
import assert from 'node:assert/strict';
import { loadNativeVariant, type NativeKernels, type NativeVariant } from '../kernels-native.ts';
import { splitmix32 } from '@prunelab/core';

export const f = Math.fround;

export interface Build {
  variant: NativeVariant;
  /** Set when the build loaded. */
  kernels?: NativeKernels;
  /** Why not, for the test's skip message. */
  skip?: string;
}

function build(variant: NativeVariant): Build {
  if (process.env.PRUNELAB_NATIVE === '0') return { variant, skip: 'PRUNELAB_NATIVE=0' };
  try {
    return { variant, kernels: loadNativeVariant(variant).kernels };
  } catch (e) {
    const hint = variant === 'openblas' ? ' (install libopenblas-dev to test it)' : '';
    return { variant, skip: `the ${variant} build is unavailable here${hint}: ${(e as Error).message}` };
  }
}

/** The OpenBLAS build and the plain-loop build (every kernel but sgemm is the same code in both). */
export const BUILDS: Build[] = [build('openblas'), build('loop')];

/** Uniform floats in [lo, hi) from a seeded stream. */
export function randomFloats(n: number, seed: number, lo = -2, hi = 2): Float32Array {
  const rand = splitmix32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rand();
  return out;
}

const GAP = 8; // untouched floats after every array, so writes past an array's end show

/** A float32 memory (what the wasm heap is to the kernels) handed out array by array; every float starts as a
 * seeded value, and `run` checks that a kernel wrote only its outputs. */
export class Heap {
  readonly f: Float32Array;
  private top = GAP;

  constructor(
    readonly floats: number,
    seed = 99,
  ) {
    this.f = randomFloats(floats, seed, -1e3, 1e3);
  }

  get buffer(): ArrayBuffer {
    return this.f.buffer as ArrayBuffer;
  }

  /** Room for n floats (left as they are); returns its offset. */
  alloc(n: number): number {
    const off = this.top;
    this.top += n + GAP;
    assert.ok(this.top <= this.floats, `test heap of ${this.floats} floats too small`);
    return off;
  }

  /** Copies `values` to a new array in the heap; returns its offset. */
  put(values: ArrayLike<number>): number {
    const off = this.alloc(values.length);
    this.f.set(values, off);
    return off;
  }

  read(off: number, n: number): Float32Array {
    return this.f.slice(off, off + n);
  }

  /** Runs `call`; asserts every float outside `outputs` ([offset, length] pairs) kept its bits. */
  run<T>(call: () => T, outputs: [number, number][]): T {
    const before = new Uint32Array(this.f.buffer.slice(0));
    const result = call();
    const now = new Uint32Array(this.f.buffer);
    const mine = (i: number) => outputs.some(([o, n]) => i >= o && i < o + n);
    for (let i = 0; i < now.length; i++) {
      if (now[i] !== before[i] && !mine(i)) {
        assert.fail(`float ${i} changed outside the outputs ${JSON.stringify(outputs)}`);
      }
    }
    return result;
  }
}

/** Asserts two float arrays hold the same values, bit for bit (so -0 differs from 0; NaN equals NaN). */
export function assertSameFloats(got: Float32Array, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < got.length; i++) {
    if (!Object.is(got[i], f(want[i]!))) assert.fail(`${what}: [${i}] is ${got[i]}, the reference ${f(want[i]!)}`);
  }
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Asserts `call(args)` throws `error` ("prunelab native <kernel>: ... <name> ...") and leaves the heap as it was. */
export function assertRejected(
  heap: Heap,
  call: (args: unknown[]) => unknown,
  args: unknown[],
  kernel: string,
  name: string,
  error: typeof RangeError | typeof TypeError = RangeError,
): void {
  const before = heap.f.slice();
  assert.throws(
    () => call(args),
    (e: Error) => {
      assert.ok(e instanceof error, `${kernel} ${name} (${String(args)}): ${e.name} (${e.message}), not ${error.name}`);
      assert.match(e.message, new RegExp(`^prunelab native ${kernel}: .*\\b${escapeRegex(name)}\\b`));
      return true;
    },
    `${kernel} accepted ${name} in (${args.map(String).join(', ')})`,
  );
  assertSameFloats(heap.f, before, `${kernel} with a bad ${name}: the heap`);
}

export interface Signature {
  kernel: string;
  /** The arguments after the memory, in order. */
  names: string[];
  /** Offsets, each with the floats that must fit after it in `valid`. */
  offsets: Record<string, number>;
  /** Integer counts and sizes. */
  counts: string[];
  /** Offsets for which -1 means "none" (sgemm's biasOff). */
  optional?: string[];
}

/** The checks every kernel shares, around a call `valid` (the arguments after the memory) that succeeds:
 * - each offset at exactly the end of its room works, one float further throws RangeError;
 * - offsets and counts that are negative, fractional, NaN, infinite, unsafe, or too big throw RangeError;
 * - a non-number, a missing or an extra argument, and memory that is not a buffer throw TypeError;
 * all leaving the heap unchanged. */
export function assertArgumentsChecked(kernels: NativeKernels, heap: Heap, sig: Signature, valid: unknown[]): void {
  const fn = (kernels as unknown as Record<string, (...a: unknown[]) => unknown>)[sig.kernel]!;
  const call = (args: unknown[]) => fn(heap.buffer, ...args);
  const at = (name: string) => {
    const i = sig.names.indexOf(name);
    assert.ok(i >= 0, `${sig.kernel} has no argument ${name}`);
    return i;
  };
  const withArg = (name: string, v: unknown) => valid.map((x, j) => (j === at(name) ? v : x));
  assert.equal(valid.length, sig.names.length);
  call(valid);
  for (const [name, room] of Object.entries(sig.offsets)) {
    assert.ok(room > 0, `${sig.kernel} ${name}: the valid call must give it room`);
    call(withArg(name, heap.floats - room)); // the last float it touches is the heap's last
    const bads = [heap.floats - room + 1, heap.floats, -1, -2, 0.5, NaN, Infinity, -Infinity, 2 ** 53, 1e300];
    for (const bad of bads.filter((b) => b !== -1 || !sig.optional?.includes(name))) {
      assertRejected(heap, call, withArg(name, bad), sig.kernel, name);
    }
  }
  for (const name of sig.counts) {
    for (const bad of [-1, 2.5, NaN, Infinity, 2 ** 53, heap.floats * 2 + 1]) {
      assertRejected(heap, call, withArg(name, bad), sig.kernel, name);
    }
  }
  for (const name of sig.names) {
    if (typeof valid[at(name)] !== 'number') continue;
    for (const bad of ['3', null, undefined, {}, 3n]) {
      assertRejected(heap, call, withArg(name, bad), sig.kernel, name, TypeError);
    }
  }
  assertRejected(heap, call, valid.slice(0, -1), sig.kernel, 'arguments', TypeError);
  assertRejected(heap, call, [...valid, 0], sig.kernel, 'arguments', TypeError);
  for (const mem of [[1, 2, 3], null, 7, new DataView(heap.buffer)]) {
    assertRejected(heap, (args) => fn(mem, ...args), valid, sig.kernel, 'memory', TypeError);
  }
}

// float32 replicas of ../native/lanes.h: 8 float lanes, added in double, then the tail in double.

export function laneSum(x: ArrayLike<number>, o: number, n: number): number {
  const lane = new Float32Array(8);
  let j = 0;
  for (; j + 8 <= n; j += 8) for (let k = 0; k < 8; k++) lane[k] = lane[k]! + x[o + j + k]!;
  let s = 0;
  for (let k = 0; k < 8; k++) s += lane[k]!;
  for (; j < n; j++) s += x[o + j]!;
  return s;
}

export function laneSqDev(x: ArrayLike<number>, o: number, c: number, n: number): number {
  const lane = new Float32Array(8);
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    for (let k = 0; k < 8; k++) {
      const d = f(x[o + j + k]! - c);
      lane[k] = lane[k]! + f(d * d);
    }
  }
  let s = 0;
  for (let k = 0; k < 8; k++) s += lane[k]!;
  for (; j < n; j++) {
    const d = f(x[o + j]! - c);
    s += d * d;
  }
  return s;
}

export function laneDot(x: ArrayLike<number>, xo: number, y: ArrayLike<number>, yo: number, n: number): number {
  const lane = new Float32Array(8);
  let j = 0;
  for (; j + 8 <= n; j += 8) for (let k = 0; k < 8; k++) lane[k] = lane[k]! + f(x[xo + j + k]! * y[yo + j + k]!);
  let s = 0;
  for (let k = 0; k < 8; k++) s += lane[k]!;
  for (; j < n; j++) s += x[xo + j]! * y[yo + j]!;
  return s;
}

// float32 replicas of ../native/erf.h.

const bits = new DataView(new ArrayBuffer(4));

export function expNonPositive(x: number): number {
  // biome-ignore lint/complexity/useMathMinMax: as the C code: NaN becomes -87 here, Math.max would keep NaN
  x = x > -87 ? x : -87;
  const magic = 12582912;
  const m = f(f(x * f(1.44269504088896341)) + magic);
  const n = f(m - magic);
  const r = f(f(x - f(n * 0.693359375)) - f(n * f(-2.1219444e-4)));
  let p = f(1.98756915e-4);
  for (const c of [1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1]) {
    p = f(f(p * r) + f(c));
  }
  p = f(f(f(f(p * r) * r) + r) + 1);
  bits.setFloat32(0, m);
  bits.setInt32(0, (bits.getInt32(0) - 0x4b400000 + 127) << 23);
  return f(p * bits.getFloat32(0));
}

export function erfApprox(x: number): number {
  const ax = Math.abs(x);
  const t = f(1 / f(1 + f(f(0.3275911) * ax)));
  let p = f(t * f(1.061405429));
  for (const c of [-1.453152027, 1.421413741, -0.284496736]) p = f(t * f(f(c) + p));
  p = f(t * f(f(0.254829592) + p));
  const r = f(1 - f(p * expNonPositive(f(-ax * ax))));
  return x < 0 || Object.is(x, -0) ? -Math.abs(r) : Math.abs(r); // copysign
}

/** erf in double: its Taylor series below 2.5, above from erfc's continued fraction (Laplace's), both ~1e-13. */
export function erfExact(x: number): number {
  const a = Math.abs(x);
  if (a < 2.5) {
    let term = a,
      sum = a;
    for (let n = 1; Math.abs(term) > 1e-17; n++) {
      term *= (-a * a) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  let k = a; // erfc(a) = exp(-a^2) / sqrt(pi) / (a + (1/2) / (a + 1 / (a + (3/2) / (a + ...))))
  for (let n = 80; n >= 1; n--) k = a + n / 2 / k;
  return Math.sign(x) * (1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / k);
}
