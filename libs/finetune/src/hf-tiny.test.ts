// Exactness against Hugging Face on the default backend (testing/hf-tiny-suite.ts; webgpu.test.ts runs the same
// checks on WebGPU).
import { before } from 'node:test';
import { chooseBackend } from './backend.ts';
import { hfTinySuite } from './testing/hf-tiny-suite.ts';

before(async () => {
  await chooseBackend();
});

hfTinySuite();
