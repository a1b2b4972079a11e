// Input noise on the encoder output: in training passes the body's output x gets Gaussian noise of std
// `scale * std(x)` (std over the batch's whole output) before the head sees it. Evaluation is noise-free.
import * as tf from '@tensorflow/tfjs';
import { singleModel, type MitigationMethod } from '../method.ts';

export const inputNoise: MitigationMethod = {
  name: 'input_noise',
  doc: "Gaussian noise on the encoder's output in training passes",
  options: { scale: { default: 0.1, min: 0, doc: "noise std as a multiple of the output's std" } },
  prefix: () => 0,
  cost: (T) => T,
  create: (env, o) => {
    let seed = env.noiseSeed;
    const scale = o.scale!;
    return singleModel({
      // the next pass's seed travels in the snapshot
      save: () => ({ json: { inputNoiseSeed: seed } }),
      restore: (s) => {
        seed = (s?.json as { inputNoiseSeed?: number } | undefined)?.inputNoiseSeed ?? env.noiseSeed;
      },
      ...(scale > 0 && {
        encoderOutput: (x: tf.Tensor) => {
          const sd = tf.sqrt(tf.moments(x).variance);
          return tf.add(x, tf.mul(tf.randomNormal(x.shape, 0, 1, 'float32', seed++), tf.mul(sd, scale)));
        },
      }),
    });
  },
};
