// The mitigation keys as the config reader checks them (config.ts loadConfig on a YAML file): what it refuses, with
// the file:line of the key, the key path (phase2.mitigation.N) and the fix; what it accepts. The jobs the grid plans
// from these keys: mitigation-grid.test.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MITIGATION_NAMES, MITIGATIONS } from '@prunelab/finetune';
import { ConfigError, loadConfig } from './config.ts';
import type { ExperimentConfig } from './schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'prunelab-mit-config-'));
let n = 0;
function file(text: string): string {
  const p = join(dir, `c${++n}.yaml`);
  writeFileSync(p, text);
  return p;
}
const head = (tasks = 'sst2') => `name: m\ntasks: [${tasks}]\nmodels: { a: { path: /nowhere/a } }\n`;
const HEAD = head(); // 3 lines: a key written after it is on line 4
const read = (body: string, h = HEAD): ExperimentConfig => loadConfig(file(`${h}${body}`));

/** The config is refused with a ConfigError `<its file>:<line>: <key path>: ...` matching `re`. */
function refused(body: string, line: number, key: string, re: RegExp, h = HEAD): string {
  const f = file(`${h}${body}`);
  let message = '';
  assert.throws(
    () => loadConfig(f),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, `not a ConfigError: ${String(e)}`);
      message = e.message;
      return true;
    },
  );
  const at = `${f}:${line}: `;
  assert.ok(message.startsWith(at), `expected it at ${at}: ${message}`);
  assert.ok(message.slice(at.length).startsWith(key), `expected the key ${key}: ${message}`);
  assert.match(message, re);
  return message;
}

test('an unknown method: the entry path and its own line, and every known method', () => {
  const msg = refused(
    'phase2:\n  methods: [full]\n  mitigation:\n    - none\n    - { method: ensemble, size: 2 }\n    - dropoutt\n',
    9,
    'phase2.mitigation.2',
    /unknown mitigation 'dropoutt'; known: none, ensemble, swa, ema/,
  );
  for (const m of MITIGATION_NAMES) assert.ok(msg.includes(m), `${m} is listed`);
  // a mapping with an unknown method, and one without a method
  refused('phase2:\n  mitigation: [{ method: denni, copies: 3 }]\n', 5, 'phase2.mitigation.0', /unknown.*'denni'/);
  refused(
    'phase2:\n  mitigation: [none, { copies: 3 }]\n',
    5,
    'phase2.mitigation.1',
    /a mitigation mapping needs 'method' \(one of none, ensemble/,
  );
});

test("options: an unknown one names the method's options; values are checked against their types and ranges", () => {
  refused(
    'phase2:\n  mitigation:\n    - none\n    - { method: deni, copy: 3 }\n',
    7,
    'phase2.mitigation.1',
    /'copy' is not an option of deni \(its options: copies, start, end, every, noise, ensemble_at, ensemble_noise\)/,
  );
  refused('phase2:\n  mitigation: [{ method: none, size: 1 }]\n', 5, 'phase2.mitigation.0', /of none \(it has none\)/);
  refused(
    'phase2:\n  mitigation: [{ method: ensemble, size: 2.5 }]\n',
    5,
    'phase2.mitigation.0',
    /ensemble\.size must be a whole number; got 2\.5/,
  );
  refused(
    'phase2:\n  mitigation: [{ method: ensemble, size: "3" }]\n',
    5,
    'phase2.mitigation.0',
    /ensemble\.size must be a number \(models in the ensemble.*\); got "3"/,
  );
  refused(
    'phase2:\n  mitigation: [{ method: swa, start: 2 }]\n',
    5,
    'phase2.mitigation.0',
    /swa\.start must be in \[0, 1\]; got 2/,
  );
  refused(
    'phase2:\n  mitigation: [{ method: ensemble, size: 0 }]\n',
    5,
    'phase2.mitigation.0',
    /must be in \[1, inf\]; got 0/,
  );
  // in range, whole where it must be: accepted
  assert.doesNotThrow(() =>
    read('phase2:\n  mitigation: [none, { method: ensemble, size: 3 }, { method: swa, start: 0.5 }]\n'),
  );
});

test('labels: unique (the message suggests one), a folder name, none only for none; the same mitigation twice', () => {
  refused(
    'phase2:\n  mitigation: [swa, { method: swa, start: 0.5 }]\n',
    5,
    'phase2.mitigation.1',
    /two entries are labelled 'swa'; give one a label \(e\.g\. \{method: swa, label: swa-2, \.\.\.\}\)/,
  );
  refused(
    'phase2:\n  mitigation:\n    - { method: deni, label: x }\n    - { method: swa, label: x }\n',
    7,
    'phase2.mitigation.1',
    /two entries are labelled 'x'; give one a label \(e\.g\. \{method: swa, label: swa-2/,
  );
  refused(
    'phase2:\n  mitigation: [{ method: swa, label: "a b" }]\n',
    5,
    'phase2.mitigation.0',
    /label 'a b' must be letters/,
  );
  refused(
    'phase2:\n  mitigation: [{ method: swa, label: none }]\n',
    5,
    'phase2.mitigation.0',
    /'none' belongs to method none/,
  );
  // two entries that are the same method with the same options would be the same runs (two nones: one folder)
  refused(
    'phase2:\n  mitigation: [none, { method: none, label: plain }]\n',
    5,
    'phase2.mitigation.1',
    /the same mitigation as entry 0 \('none'.*remove one or change an option/,
  );
  refused(
    'phase2:\n  mitigation: [ensemble, { method: ensemble, size: 5, label: e5 }]\n',
    5,
    'phase2.mitigation.1',
    /the same mitigation as entry 0 \('ensemble'/,
  );
  const cfg = read('phase2:\n  mitigation: [none, { method: swa, label: swa.late, start: 0.5 }, swa]\n');
  assert.equal(cfg.phase2.mitigation.length, 3);
});

test('voting methods need classes: refused on a regression task (stsb), single-model methods accepted there', () => {
  const stsb = head('stsb');
  const voting = MITIGATIONS.filter((m) => m.votes).map((m) => m.name);
  assert.deepEqual(voting.toSorted(), ['delayed_ensemble', 'deni', 'ensemble']);
  for (const m of voting) {
    refused(
      `phase2:\n  mitigation: [none, swa, ${m}]\n`,
      5,
      'phase2.mitigation.2',
      new RegExp(`${m} predicts by majority vote, which needs classes or choices; stsb is regression .*e\\.g\\. swa`),
      stsb,
    );
    refused('phase1:\n  mitigation: ' + m + '\n', 5, 'phase1.mitigation', /majority vote.*stsb is regression/, stsb);
  }
  const single = MITIGATIONS.filter((m) => !m.votes).map((m) => m.name);
  assert.doesNotThrow(() => read(`phase2:\n  mitigation: [${single.join(', ')}]\n`, stsb));
  assert.doesNotThrow(() => read('phase1:\n  mitigation: swa\n', stsb));
  // a regression task beside a classification task: the task named is the regression one
  refused('phase2:\n  mitigation: [none, deni]\n', 5, 'phase2.mitigation.1', /stsb is regression/, head('sst2, stsb'));
});

test('phase1.mitigation is one entry: a list is a type error, at its line', () => {
  refused(
    'phase1:\n  seeds: [1, 2]\n  mitigation: [swa]\n',
    6,
    "'phase1.mitigation'",
    /is \["swa"\]; expected a mitigation name or \{method/,
  );
  refused('phase1:\n  mitigation: 3\n', 5, "'phase1.mitigation'", /is 3; expected a mitigation name/);
  refused('phase1:\n  mitigation: { method: ema, decay: 2 }\n', 5, 'phase1.mitigation', /ema\.decay must be in/);
  // phase 2 takes a non-empty list
  refused('phase2:\n  mitigation: swa\n', 5, "'phase2.mitigation'", /expected a non-empty list of mitigation names/);
  refused('phase2:\n  mitigation: []\n', 5, "'phase2.mitigation'", /expected a non-empty list/);
  assert.deepEqual(read('phase1:\n  mitigation: { method: ema, decay: 0.99 }\n').phase1.mitigation, {
    method: 'ema',
    decay: 0.99,
  });
});

test('per-task and per-model overrides are checked as the top level is, each at its own key', () => {
  refused(
    'per_task:\n  sst2:\n    phase2:\n      mitigation: [none, nope]\n',
    7,
    'per_task.sst2.phase2.mitigation.1',
    /unknown mitigation 'nope'/,
  );
  refused(
    'per_task:\n  sst2: { phase1: { mitigation: { method: ema, decay: 2 } } }\n',
    5,
    'per_task.sst2.phase1.mitigation',
    /ema\.decay must be in \[0, 0\.999999\]; got 2/,
  );
  refused(
    '',
    3,
    'models.a.phase1.mitigation',
    /ema\.decay must be in/,
    'name: m\ntasks: [sst2]\nmodels: { a: { path: /x, phase1: { mitigation: { method: ema, decay: 2 } } } }\n',
  );
  refused(
    '',
    7,
    'models.b.phase2.mitigation.1',
    /two entries are labelled 'swa'/,
    'name: m\ntasks: [sst2]\nmodels:\n  a: { path: /x }\n  b:\n    path: /y\n    phase2: { mitigation: [swa, { method: swa, start: 0.5 }] }\n',
  );
  // voting on a regression task through an override is refused at the override's key
  refused(
    'per_task:\n  stsb:\n    phase2:\n      mitigation:\n        - swa\n        - delayed_ensemble\n',
    9,
    'per_task.stsb.phase2.mitigation.1',
    /delayed_ensemble predicts by majority vote.*stsb is regression/,
    head('sst2, stsb'),
  );
  refused(
    '',
    3,
    'models.a.phase2.mitigation.1',
    /ensemble predicts by majority vote.*stsb is regression/,
    'name: m\ntasks: [sst2, stsb]\nmodels: { a: { path: /x, phase2: { mitigation: [none, ensemble] } } }\n',
  );
});

test("a voting method for the classification tasks, overridden for the regression one, is accepted (the error's advice)", () => {
  // the error above says: use a single-model mitigation there via per_task.stsb; doing so must be accepted
  const two = head('sst2, stsb');
  const cfg = read(
    'phase2:\n  mitigation: [none, { method: deni, copies: 2 }]\nper_task:\n  stsb:\n    phase2:\n      mitigation: [none, swa]\n',
    two,
  );
  assert.equal(cfg.per_task.stsb?.phase2?.mitigation?.length, 2);
  assert.doesNotThrow(() =>
    read(
      'per_task:\n  stsb: { phase2: { mitigation: [none, swa] } }\n',
      'name: m\ntasks: [sst2, stsb]\nmodels: { a: { path: /x, phase2: { mitigation: [none, ensemble] } } }\n',
    ),
  );
  assert.doesNotThrow(() =>
    read('phase1:\n  mitigation: ensemble\nper_task:\n  stsb: { phase1: { mitigation: swa } }\n', two),
  );
  // a model that does not override keeps the top level's voting method on stsb: refused
  refused(
    'phase2:\n  mitigation: [none, deni]\n',
    5,
    'phase2.mitigation.1',
    /deni predicts by majority vote.*stsb is regression/,
    'name: m\ntasks: [sst2, stsb]\nmodels: { a: { path: /x, phase2: { mitigation: [none, swa] } }, b: { path: /y } }\n',
  );
  assert.doesNotThrow(
    () =>
      read(
        'phase2:\n  mitigation: [none, deni]\n',
        'name: m\ntasks: [sst2, stsb]\nmodels: { a: { path: /x, phase2: { mitigation: [none, swa] } } }\n',
      ),
    'the only model overrides it: the top level reaches no task',
  );
});
