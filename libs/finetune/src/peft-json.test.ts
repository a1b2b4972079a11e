// pythonJson writes what Python's json.dumps(indent=2, sort_keys=True) writes (the expected strings below are
// Python 3's output for the same values), so saved adapter configs can equal the libraries' files byte for byte.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pyFloat, pyFloatRepr, pythonJson } from './peft/py-json.ts';
import { PEFT_TINY } from './testing/shared-paths.ts';

test("floats print as Python's repr", () => {
  const cases: Array<[number, string]> = [
    [0, '0.0'],
    [8, '8.0'],
    [0.1, '0.1'],
    [1e-5, '1e-05'],
    [1e-4, '0.0001'],
    [123456789012345678, '1.2345678901234568e+17'],
    [1.5e16, '1.5e+16'],
    [0.0001234, '0.0001234'],
    [1e22, '1e+22'],
    [-3.75, '-3.75'],
  ];
  for (const [x, want] of cases) assert.equal(pyFloatRepr(x), want, String(x));
});

test('keys sorted at every level, floats marked, non-ASCII escaped, no trailing newline', () => {
  const text = pythonJson({ b: [1, 'x'], a: pyFloat(0), c: null, d: { z: pyFloat(1e-5), y: [] }, e: 'é' });
  const want =
    '{\n  "a": 0.0,\n  "b": [\n    1,\n    "x"\n  ],\n  "c": null,\n  "d": {\n    "y": [],\n    "z": 1e-05\n  },\n  "e": "\\u00e9"\n}';
  assert.equal(text, want);
});

test("a peft fixture's adapter_config.json is rewritten byte for byte once its floats are marked", () => {
  const file = join(PEFT_TINY, 'peft/bert-seqcls-lora/adapter_config.json');
  const text = readFileSync(file, 'utf8');
  const json = JSON.parse(text);
  json.lora_dropout = pyFloat(json.lora_dropout); // the one float in a LoraConfig as peft saved it
  assert.equal(pythonJson(json), text);
});
