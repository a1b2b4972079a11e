// ../native/kernels/build-info.cc (info, threads, setThreads), the module's kernel table, the memory argument
// every kernel takes (ArrayBuffer or typed-array view), the build's cache key, and nativeStatus(), in this
// process and in a child forced onto the loop build with PRUNELAB_NATIVE_BLAS=0.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  loadNative,
  nativeBuildKey,
  nativeEnabled,
  nativeStatus,
  setNativeEnabled,
  type NativeStatus,
} from './kernels-native.ts';
import { assertRejected, BUILDS, Heap, randomFloats } from './testing/native-test-kit.ts';

const KERNELS = [
  'adamw',
  'binary',
  'binaryRepeat',
  'dropoutMask',
  'gelu',
  'geluGrad',
  'info',
  'layerNorm',
  'layerNormGrad',
  'setThreads',
  'sgemm',
  'sumRows',
  'sumSquares',
  'threads',
  'unary',
];

for (const { variant, kernels: k, skip } of BUILDS) {
  describe(`native build info (${variant} build)`, { skip }, () => {
    test('exports every kernel of module.cc and names its sgemm', () => {
      assert.deepEqual(Object.getOwnPropertyNames(k!).sort(), KERNELS);
      assert.match(k!.info(), variant === 'openblas' ? /^openblas:\S+$/ : /^loop$/);
    });

    test('threads() reports what setThreads(n) set; bad counts are rejected', () => {
      const before = k!.threads();
      assert.ok(Number.isInteger(before) && before >= 1);
      k!.setThreads(1);
      assert.equal(k!.threads(), 1);
      k!.setThreads(before);
      assert.equal(k!.threads(), variant === 'loop' ? 1 : before);
      const heap = new Heap(16);
      const call = (args: unknown[]) => (k!.setThreads as (...a: unknown[]) => void)(...args);
      for (const n of [0, -1, 1.5, NaN, 1025]) assertRejected(heap, call, [n], 'setThreads', 'n');
      assertRejected(heap, call, ['2'], 'setThreads', 'n', TypeError);
      assertRejected(heap, call, [], 'setThreads', 'arguments', TypeError);
      assertRejected(heap, () => (k!.info as (...a: unknown[]) => void)(1), [], 'info', 'arguments', TypeError);
    });

    test('a typed-array view is the memory: offsets from its start, bounded by its length', () => {
      const buffer = new ArrayBuffer(4 * 64);
      const whole = new Float32Array(buffer);
      whole.set(randomFloats(64, 3));
      const view = new Float32Array(buffer, 4 * 8, 16); // floats 8..23 of the buffer
      k!.unary(view, 1, 4, 0, 4); // view[4..8) = view[0..4)^2
      for (let i = 0; i < 4; i++) assert.equal(whole[12 + i], Math.fround(whole[8 + i]! * whole[8 + i]!));
      const before = whole.slice();
      assert.throws(() => k!.unary(view, 1, 4, 0, 13), {
        name: 'RangeError',
        message: /unary: outOff 13 \+ n 4 = 17 floats.*\(16 floats\)/,
      });
      assert.deepEqual(whole, before);
      const bytes = new Uint8Array(buffer, 8, 64); // 16 floats' worth of bytes at an aligned start
      k!.unary(bytes, 1, 2, 0, 14);
      assert.throws(() => k!.unary(bytes, 1, 2, 0, 15), RangeError);
      assert.throws(() => k!.unary(new Uint8Array(buffer, 2, 16), 1, 1, 0, 1), {
        name: 'RangeError',
        message: /memory.*byte 2/,
      });
      k!.unary(new Float64Array(buffer, 0, 8), 1, 8, 0, 8); // 8 doubles: 16 floats
      assert.throws(() => k!.unary(new Float64Array(buffer, 0, 8), 1, 8, 0, 9), RangeError);
    });
  });
}

describe('native build key', () => {
  test('covers every source file: its path and content', () => {
    const dir = mkdtempSync(join(tmpdir(), 'prunelab-native-'));
    try {
      const native = join(import.meta.dirname, '../native');
      cpSync(native, dir, { recursive: true });
      const key = nativeBuildKey();
      assert.equal(nativeBuildKey(dir), key, 'a copy has the same key');
      writeFileSync(join(dir, 'kernels/gelu.cc'), '// changed\n', { flag: 'a' });
      const changed = nativeBuildKey(dir);
      assert.notEqual(changed, key);
      writeFileSync(join(dir, 'kernels/extra.h'), '#pragma once\n');
      assert.notEqual(nativeBuildKey(dir), changed, 'a new header changes the key');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const KEYS = ['active', 'build', 'core', 'fallback', 'loaded', 'sgemm', 'summary', 'threads'];

describe('nativeStatus', { skip: process.env.PRUNELAB_NATIVE === '0' ? 'PRUNELAB_NATIVE=0' : undefined }, () => {
  test('says what loaded: the sgemm, its core, threads and build key; and when it is switched off', (t) => {
    assert.deepEqual(nativeStatus(), {
      active: false,
      loaded: false,
      sgemm: null,
      core: null,
      threads: null,
      build: null,
      fallback: null,
      summary: 'not loaded',
    });
    if (!loadNative()) {
      t.skip(`native addon unavailable here: ${nativeStatus().summary}`);
      return;
    }
    const s = nativeStatus();
    assert.deepEqual(Object.keys(s).sort(), KEYS);
    assert.equal(s.active, true);
    assert.equal(s.loaded, true);
    // OpenBLAS when it builds (and is not refused by PRUNELAB_NATIVE_BLAS=0), the loop otherwise
    const expected = process.env.PRUNELAB_NATIVE_BLAS === '0' ? 'loop' : BUILDS.find((b) => b.kernels)!.variant;
    assert.equal(s.sgemm, expected);
    assert.equal(s.summary, `native ${s.sgemm}${s.core ? `:${s.core}` : ''}`);
    assert.equal(s.core === null, s.sgemm === 'loop');
    assert.ok(Number.isInteger(s.threads) && s.threads! >= 1);
    assert.equal(s.build, nativeBuildKey());
    assert.equal(s.fallback === null, s.sgemm === 'openblas' || process.env.PRUNELAB_NATIVE_BLAS === '0');
    setNativeEnabled(false);
    assert.equal(nativeEnabled(), false);
    assert.deepEqual(nativeStatus(), { ...s, active: false, summary: `${s.summary}, switched off` });
    setNativeEnabled(true);
  });

  test('PRUNELAB_NATIVE_BLAS=0 loads the loop build; PRUNELAB_THREADS sets the BLAS threads', (t) => {
    if (BUILDS.every((b) => !b.kernels)) {
      t.skip('no native build here');
      return;
    }
    const module = JSON.stringify(join(import.meta.dirname, 'kernels-native.ts'));
    const script = `import { loadNative, nativeStatus } from ${module};
      loadNative(); console.log(JSON.stringify(nativeStatus()));`;
    const child = (env: Record<string, string>) =>
      JSON.parse(
        execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
          env: { ...process.env, ...env },
          encoding: 'utf8',
        }),
      ) as NativeStatus;
    const loop = child({ PRUNELAB_NATIVE_BLAS: '0', PRUNELAB_THREADS: '' });
    assert.deepEqual(loop, {
      active: true,
      loaded: true,
      sgemm: 'loop',
      core: null,
      threads: 1,
      build: nativeBuildKey(),
      fallback: null,
      summary: 'native loop',
    });
    if (BUILDS[0]!.kernels) {
      const blas = child({ PRUNELAB_NATIVE_BLAS: '', PRUNELAB_THREADS: '1' });
      assert.equal(blas.sgemm, 'openblas');
      assert.equal(blas.threads, 1);
    }
    for (const bad of ['1.5', '0', 'many']) {
      const message = `PRUNELAB_THREADS=${bad}: expected a whole number of BLAS threads`;
      assert.throws(
        () => child({ PRUNELAB_THREADS: bad }),
        (e: { stderr: string }) => e.stderr.includes(message),
      );
    }
    assert.deepEqual(child({ PRUNELAB_NATIVE: '0' }), {
      active: false,
      loaded: false,
      sgemm: null,
      core: null,
      threads: null,
      build: null,
      fallback: null,
      summary: 'off (PRUNELAB_NATIVE=0)',
    });
  });
});
