// Where the engine's tests find the read-only inputs beside the checkout (../shared): the Hugging Face
// reference fixtures (hf-tiny models, peft-tiny adapters) and the real GLUE files.
import { resolve } from 'node:path';

const SHARED = resolve(import.meta.dirname, '../../../../../shared');
export const HF_TINY = resolve(SHARED, 'fixtures/hf-tiny/models');
export const GLUE = resolve(SHARED, 'data/glue');
/** peft 0.5.0 / AdapterHub adapters 0.1.1 adapters on the hf-tiny checkpoints. */
export const PEFT_TINY = resolve(SHARED, 'fixtures/peft-tiny');
