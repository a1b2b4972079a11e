// Where the engine's tests find the read-only inputs beside the checkout (../shared): the Hugging Face
// reference fixtures and the real GLUE files.
import { resolve } from 'node:path';

const SHARED = resolve(import.meta.dirname, '../../../../../shared');
export const HF_TINY = resolve(SHARED, 'fixtures/hf-tiny/models');
export const PEFT_TINY = resolve(SHARED, 'fixtures/peft-tiny');
export const GLUE = resolve(SHARED, 'data/glue');
