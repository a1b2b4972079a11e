// The numeric build as data: what the native addon's status says, the key runs compare, the build of this process.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseBackend } from './backend.ts';
import { buildKey, describeBuild, numericBuild, readNativeBuild } from './numeric-build.ts';

test('the addon status as data: OpenBLAS with its core and threads, the loop, off', () => {
  const on = { active: true, sgemm: 'openblas' as const, core: 'Zen', threads: 2 };
  assert.deepEqual(readNativeBuild(on), { native: true, sgemm: 'openblas', blasCore: 'Zen', threads: 2 });
  assert.deepEqual(readNativeBuild({ ...on, sgemm: 'loop', core: null, threads: 1 }), {
    native: true,
    sgemm: 'loop',
    blasCore: null,
    threads: 1,
  });
  // loaded but switched off (or not loaded): no native build, whatever the addon would run
  assert.deepEqual(readNativeBuild({ ...on, active: false }), {
    native: false,
    sgemm: null,
    blasCore: null,
    threads: null,
  });
});

test('the key tells apart what changes the numbers: sgemm, BLAS core, threads, backend, versions', () => {
  const base = {
    backend: 'wasm',
    native: true,
    sgemm: 'openblas' as const,
    blasCore: 'Zen',
    threads: 2,
    tfjs: '4.22.0',
    backendVersion: '4.22.0',
  };
  const keys = [
    base,
    { ...base, sgemm: 'loop' as const, blasCore: null, threads: 1 },
    { ...base, threads: 1 },
    { ...base, blasCore: 'Haswell' },
    { ...base, native: false, sgemm: null, blasCore: null, threads: null },
    { ...base, backendVersion: '4.21.0' },
    { ...base, packed: true },
    { backend: 'cpu', native: false, sgemm: null, blasCore: null, threads: null, tfjs: '4.22.0', backendVersion: null },
  ].map(buildKey);
  assert.equal(new Set(keys).size, keys.length, keys.join('\n'));
  assert.equal(keys[0], 'wasm+openblas:Zen/2t tfjs-4.22.0');
  assert.equal(keys[1], 'wasm+loop/1t tfjs-4.22.0');
  assert.equal(buildKey(base), buildKey({ ...base })); // stable
  // packing adds a word; a build recorded before packing existed (no field) keeps its key
  assert.equal(buildKey({ ...base, packed: true }), 'wasm+openblas:Zen/2t tfjs-4.22.0 packed');
  assert.equal(buildKey({ ...base, packed: false }), keys[0]);
});

test('numericBuild reads the backend in use; before one is chosen it says so', async () => {
  assert.throws(() => numericBuild(), /no TF\.js backend chosen yet; call chooseBackend/);
  await chooseBackend('cpu');
  const b = numericBuild();
  assert.equal(b.backend, 'cpu');
  assert.equal(b.native, false); // the addon serves the wasm backend only
  assert.match(b.tfjs, /^\d+\.\d+\.\d+/);
  assert.equal(b.packed, true); // the default
  assert.equal(b.key, `cpu tfjs-${b.tfjs} packed`);
  assert.equal(
    describeBuild(b),
    `cpu, tfjs ${b.tfjs}, padding skipped in token-wise layers (PRUNELAB_PACK=0: computed)`,
  );
  process.env.PRUNELAB_PACK = '0';
  try {
    assert.equal(numericBuild().key, `cpu tfjs-${b.tfjs}`);
  } finally {
    delete process.env.PRUNELAB_PACK;
  }
  assert.equal(b.nativeStatus, 'unused by cpu');
  const off = { ...b, packed: false, backend: 'wasm', backendVersion: b.tfjs, nativeStatus: 'off (PRUNELAB_NATIVE=0)' };
  assert.equal(describeBuild(off), `wasm, native addon off (PRUNELAB_NATIVE=0), tfjs ${b.tfjs}`);
  assert.equal(
    describeBuild({ ...off, nativeStatus: 'native loop, switched off' }),
    `wasm, native addon off (native loop, switched off), tfjs ${b.tfjs}`,
  );
  const on = { ...off, native: true, sgemm: 'loop' as const, threads: 1, nativeStatus: 'native loop' };
  assert.equal(describeBuild(on), `wasm, native addon on (loop sgemm, 1 thread), tfjs ${b.tfjs}`);
});
