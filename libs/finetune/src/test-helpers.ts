// Where the engine's tests find the read-only Hugging Face reference fixtures: ../shared beside the checkout.
import { resolve } from 'node:path';

export const HF_TINY = resolve(import.meta.dirname, '../../../../shared/fixtures/hf-tiny/models');
