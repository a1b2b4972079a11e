// Fused layer norm and GELU (forward and backward) for the wasm backend, computed by the native addon in the
// wasm heap: one kernel each instead of the 5-20 small tfjs kernels their compositions take. layers.ts uses them
// only while they are registered for the active backend.
import * as tf from '@tensorflow/tfjs';
import { nativeEnabled, type NativeKernels } from './kernels-native.ts';
import { floatOffset, type WasmBackendInternals } from './kernels-wasm-matmul.ts';

export const FUSED = {
  layerNorm: 'PrunelabLayerNorm',
  layerNormGrad: 'PrunelabLayerNormGrad',
  gelu: 'PrunelabGelu',
  geluGrad: 'PrunelabGeluGrad',
  dropoutMask: 'PrunelabDropoutMask',
} as const;

type Info = tf.TensorInfo;

function size(t: Info): number {
  return t.shape.reduce((a, d) => a * d, 1);
}

/** Rows of the last axis (0 for an empty last axis, where size / cols would be NaN, which the addon rejects). */
function rows(t: Info, cols: number): number {
  return cols === 0 ? 0 : size(t) / cols;
}

export function registerWasmFused(native: NativeKernels): void {
  if (tf.getKernel(FUSED.layerNorm, 'wasm')) return;
  const reg = (
    kernelName: string,
    f: (be: WasmBackendInternals, inputs: Record<string, Info>, attrs: tf.NamedAttrMap) => Info | Info[],
  ) =>
    tf.registerKernel({
      kernelName,
      backendName: 'wasm',
      kernelFunc: ({ inputs, backend, attrs }) =>
        f(backend as unknown as WasmBackendInternals, inputs as Record<string, Info>, attrs ?? {}),
    });
  reg(FUSED.layerNorm, (be, { x, gamma, beta }, { eps }) => {
    const cols = x!.shape[x!.shape.length - 1]!;
    const y = be.makeOutput(x!.shape, 'float32');
    native.layerNorm(
      be.wasm.HEAPU8.buffer,
      rows(x!, cols),
      cols,
      floatOffset(be, x!),
      floatOffset(be, gamma!),
      floatOffset(be, beta!),
      floatOffset(be, y),
      eps as number,
    );
    return y;
  });
  reg(FUSED.layerNormGrad, (be, { x, gamma, dy }, { eps }) => {
    const cols = x!.shape[x!.shape.length - 1]!;
    const dx = be.makeOutput(x!.shape, 'float32');
    const dg = be.makeOutput([cols], 'float32');
    const db = be.makeOutput([cols], 'float32');
    native.layerNormGrad(
      be.wasm.HEAPU8.buffer,
      rows(x!, cols),
      cols,
      floatOffset(be, x!),
      floatOffset(be, gamma!),
      floatOffset(be, dy!),
      floatOffset(be, dx),
      floatOffset(be, dg),
      floatOffset(be, db),
      eps as number,
    );
    return [dx, dg, db];
  });
  reg(FUSED.dropoutMask, (be, _inputs, { shape, rate, seed }) => {
    const y = be.makeOutput(shape as number[], 'float32');
    native.dropoutMask(be.wasm.HEAPU8.buffer, size(y), rate as number, seed as number, floatOffset(be, y));
    return y;
  });
  reg(FUSED.gelu, (be, { x }) => {
    const y = be.makeOutput(x!.shape, 'float32');
    native.gelu(be.wasm.HEAPU8.buffer, size(x!), floatOffset(be, x!), floatOffset(be, y));
    return y;
  });
  reg(FUSED.geluGrad, (be, { x, dy }) => {
    const dx = be.makeOutput(x!.shape, 'float32');
    native.geluGrad(be.wasm.HEAPU8.buffer, size(x!), floatOffset(be, x!), floatOffset(be, dy!), floatOffset(be, dx));
    return dx;
  });
}

/** Whether the fused kernels can run on the backend in use now. */
export function fusedActive(): boolean {
  return nativeEnabled() && tf.getBackend() === 'wasm' && !!tf.getKernel(FUSED.layerNorm, 'wasm');
}
