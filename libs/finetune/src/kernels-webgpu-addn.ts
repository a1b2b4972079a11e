// AddN for the webgpu backend in chunks. tfjs-backend-webgpu 4.22 binds every input of AddN as its own storage
// buffer in one shader, and a device allows only maxStorageBuffersPerShaderStage of them (8 on lavapipe, often 8-10
// on GPUs): the global gradient norm's sum over ~40 parameters made an invalid pipeline, and a wrong norm, not an
// error. Each chunk starts from the running sum, so the additions keep their left-to-right order.
import * as tf from '@tensorflow/tfjs';

type KernelFunc = (args: { inputs: tf.TensorInfo[]; backend: object; attrs?: tf.NamedAttrMap }) => tf.TensorInfo;
interface WebgpuBackendLike {
  device: { limits: { maxStorageBuffersPerShaderStage: number } };
  disposeData(dataId: object): boolean;
}

/** How the inputs are summed: chunks of at most `perShader`, each after the first led by the running sum. */
export function addNChunks(n: number, perShader: number): number[][] {
  if (perShader < 2) throw new Error(`AddN needs at least 2 inputs per shader, the device allows ${perShader}`);
  const chunks = [Array.from({ length: Math.min(n, perShader) }, (_, i) => i)];
  for (let i = chunks[0]!.length; i < n; i += perShader - 1)
    chunks.push(Array.from({ length: Math.min(perShader - 1, n - i) }, (_, j) => i + j));
  return chunks;
}

export function registerWebgpuAddN(): void {
  const original = tf.getKernel('AddN', 'webgpu');
  if (!original || (original as { prunelab?: boolean }).prunelab) return;
  const addN = original.kernelFunc as unknown as KernelFunc;
  const kernelFunc: KernelFunc = ({ inputs, backend }) => {
    const be = backend as WebgpuBackendLike;
    // one binding is the output
    const perShader = be.device.limits.maxStorageBuffersPerShaderStage - 1;
    if (inputs.length <= perShader) return addN({ inputs, backend });
    let sum: tf.TensorInfo | null = null;
    for (const chunk of addNChunks(inputs.length, perShader)) {
      const next: tf.TensorInfo = addN({ inputs: [...(sum ? [sum] : []), ...chunk.map((i) => inputs[i]!)], backend });
      if (sum) be.disposeData(sum.dataId);
      sum = next;
    }
    return sum!;
  };
  tf.unregisterKernel('AddN', 'webgpu');
  tf.registerKernel({
    ...original,
    kernelFunc: kernelFunc as unknown as tf.KernelFunc,
    prunelab: true,
  } as tf.KernelConfig);
}
