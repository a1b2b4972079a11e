import { before, describe, test } from 'node:test';
import { chooseBackend } from './backend.ts';
import { checkLinearFixture } from './testing/peft-linear-fixture.ts';

before(async () => {
  await chooseBackend();
});

describe('peft 0.5.0 IA3 fixtures', () => {
  for (const base of ['bert', 'roberta', 'opt']) {
    const name = `${base}-seqcls-ia3`;
    test(name, (t) => {
      const r = checkLinearFixture(name);
      t.diagnostic(`${name}: ${JSON.stringify(r)}`);
    });
  }
});
