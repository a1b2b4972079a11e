// Tasks with no copy in ../shared/data load from small files written here in their real published
// formats: GLUE TSV (MNLI, QQP, SNLI), SNLI jsonl, SQuAD v2 json, RACE json folders, AG News csv,
// SentEval txt (SUBJ, MR, CR, MPQA), TREC's original file names, and Hugging Face parquet / jsonl exports.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { loadTaskSplit, type LoadedSplit } from './load-task.ts';
import type { ChoiceExample, Example, QaExample } from './types.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-fixtures-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const write = (rel: string, content: string | Buffer | ArrayBuffer) => {
  const file = path.join(root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content instanceof ArrayBuffer ? Buffer.from(content) : content);
};
const load = (task: string, split: string) => loadTaskSplit(task, split, { dataRoot: root, envDataRoot: '' });
const cls = (s: LoadedSplit) => s.examples as Example[];
const tsv = (rows: string[][]) => rows.map((r) => r.join('\t')).join('\n') + '\n';

// MNLI: train has 12 columns, dev 16 (label1..label5), test 10 and no label.
const MNLI_BASE = [
  'index',
  'promptID',
  'pairID',
  'genre',
  'sentence1_binary_parse',
  'sentence2_binary_parse',
  'sentence1_parse',
  'sentence2_parse',
  'sentence1',
  'sentence2',
];
write(
  'glue/MNLI/train.tsv',
  tsv([
    [...MNLI_BASE, 'label1', 'gold_label'],
    [
      '0',
      '31193',
      '31193n',
      'government',
      '( ( x ) )',
      '( y )',
      '(ROOT x)',
      '(ROOT y)',
      'Conceptually cream skimming has two basic dimensions.',
      'Product and geography are what make cream skimming work. ',
      'neutral',
      'neutral',
    ],
    [
      '1',
      '101457',
      '101457e',
      'telephone',
      '( a )',
      '( b )',
      '(ROOT a)',
      '(ROOT b)',
      'you know during the season and i guess at "at" your level',
      'You lose the things to the following level if the people recall.',
      'entailment',
      'entailment',
    ],
  ]),
);
write(
  'glue/MNLI/dev_matched.tsv',
  tsv([
    [...MNLI_BASE, 'label1', 'label2', 'label3', 'label4', 'label5', 'gold_label'],
    [
      '0',
      '63735',
      '63735n',
      'slate',
      '(a)',
      '(b)',
      '(a)',
      '(b)',
      'The new rights are nice enough',
      'Everyone really likes the newest benefits ',
      'neutral',
      'entailment',
      'neutral',
      'neutral',
      'neutral',
      'neutral',
    ],
    [
      '1',
      '91383',
      '91383c',
      'government',
      '(a)',
      '(b)',
      '(a)',
      '(b)',
      'This site includes a list of all award winners.',
      'The Government Executive articles housed on the website are not able to be searched.',
      'contradiction',
      'contradiction',
      'contradiction',
      'contradiction',
      'contradiction',
      'contradiction',
    ],
  ]),
);
write(
  'glue/MNLI/dev_mismatched.tsv',
  tsv([
    [...MNLI_BASE, 'label1', 'label2', 'label3', 'label4', 'label5', 'gold_label'],
    [
      '0',
      '75290',
      '75290c',
      'letters',
      '(a)',
      '(b)',
      '(a)',
      '(b)',
      'Your contribution helped make it possible.',
      'Your contributions were of no help.',
      'contradiction',
      'contradiction',
      'contradiction',
      'contradiction',
      'contradiction',
      'contradiction',
    ],
  ]),
);
write(
  'glue/MNLI/test_matched.tsv',
  tsv([
    MNLI_BASE,
    [
      '0',
      '31493',
      '31493',
      'travel',
      '(a)',
      '(b)',
      '(a)',
      '(b)',
      'Hierbas, ans seco, ans dulce, and frigola are just a few names worth keeping a look-out for.',
      'Hierbas is a name worth looking out for.',
    ],
  ]),
);
// QQP: id qid1 qid2 question1 question2 is_duplicate; test has id question1 question2.
write(
  'glue/QQP/train.tsv',
  tsv([
    ['id', 'qid1', 'qid2', 'question1', 'question2', 'is_duplicate'],
    [
      '133273',
      '213221',
      '213222',
      'How is the life of a math student? Could you describe your own experiences?',
      'Which level of prepration is enough for the exam jlpt5?',
      '0',
    ],
    ['402555', '536040', '536041', 'How do I control my horny emotions?', 'How do you control your horniness?', '1'],
  ]),
);
write(
  'glue/QQP/test.tsv',
  tsv([
    ['id', 'question1', 'question2'],
    ['0', 'Why do rockets look white?', 'Why are rockets and boosters painted white?'],
  ]),
);
// SNLI in the GLUE layout (same columns as MNLI minus genre, plus captionID), under its own root below.
const SNLI_GLUE = [
  'index',
  'captionID',
  'pairID',
  'sentence1_binary_parse',
  'sentence2_binary_parse',
  'sentence1_parse',
  'sentence2_parse',
  'sentence1',
  'sentence2',
  'label1',
  'label2',
  'label3',
  'label4',
  'label5',
  'gold_label',
];
// SNLI 1.0 jsonl: the "-" row (no annotator consensus) is dropped.
const snli = (s1: string, s2: string, gold: string) =>
  JSON.stringify({
    annotator_labels: [gold],
    captionID: '3416050480.jpg#4',
    gold_label: gold,
    pairID: 'x',
    sentence1: s1,
    sentence1_binary_parse: '',
    sentence1_parse: '',
    sentence2: s2,
    sentence2_binary_parse: '',
    sentence2_parse: '',
  });
write(
  'snli_1.0/snli_1.0_dev.jsonl',
  [
    snli(
      'A person on a horse jumps over a broken down airplane.',
      'A person is training his horse for a competition.',
      'neutral',
    ),
    snli(
      'A person on a horse jumps over a broken down airplane.',
      'A person is at a diner, ordering an omelette.',
      'contradiction',
    ),
    snli('Two women are embracing while holding to go packages.', 'The sisters are hugging goodbye.', '-'),
    snli('Children smiling and waving at camera', 'There are children present', 'entailment'),
  ].join('\n') + '\n',
);
// SQuAD v2.0 json: one answerable question with two gold answers, one unanswerable with a plausible answer.
const CONTEXT =
  'The Normans were the people who in the 10th and 11th centuries gave their name to Normandy, a region in France.';
write(
  'squad_v2/dev-v2.0.json',
  JSON.stringify({
    version: 'v2.0',
    data: [
      {
        title: 'Normans',
        paragraphs: [
          {
            context: CONTEXT,
            qas: [
              {
                question: 'In what country is Normandy located?',
                id: '56ddde6b9a695914005b9628',
                answers: [
                  { text: 'France', answer_start: 104 },
                  { text: 'France.', answer_start: 104 },
                ],
                is_impossible: false,
              },
              {
                question: 'Who gave their name to Normandy in the 1000s and 1100s',
                id: '5ad39d53604f3c001a3fe8d1',
                answers: [],
                plausible_answers: [{ text: 'Normans', answer_start: 4 }],
                is_impossible: true,
              },
            ],
          },
        ],
      },
    ],
  }),
);
// RACE: one json object per file, under <split>/{middle,high}/.
write(
  'RACE/dev/middle/2.txt',
  JSON.stringify({
    answers: ['B', 'D'],
    options: [
      ['a cat', 'a dog', 'a bird', 'a fish'],
      ['in the park', 'at school', 'at home', 'by the river'],
    ],
    questions: ['Tom has _ .', 'Where does Tom walk his dog?'],
    article: 'Tom has a dog. He walks it by the river every day.',
    id: 'middle2.txt',
  }),
);
write(
  'RACE/dev/high/10.txt',
  JSON.stringify({
    answers: ['A'],
    options: [['rain', 'snow', 'sun', 'wind']],
    questions: ['What was the weather like?'],
    article: 'It rained all day, so the match was cancelled.',
    id: 'high10.txt',
  }),
);
// AG News CSV: quoted fields, "" escapes, commas inside quotes.
write(
  'ag_news_csv/test.csv',
  [
    '"3","Fears for T N pension after talks","Unions representing workers at Turner   Newall say they are ' +
      '""disappointed"" after talks with stricken parent firm Federal Mogul."',
    '"4","The Race is On: Second Private Team Sets Launch Date for Human Spaceflight (SPACE.com)","SPACE.com - ' +
      'TORONTO, Canada -- A second team of rocketeers competing for the  #36;10 million Ansari X Prize."',
  ].join('\n') + '\n',
);
// SentEval: one sentence per line, one file per class; MR's files are Latin-1.
write(
  'SentEval/MR/rt-polarity.neg',
  Buffer.from(
    "simplistic , silly and tedious . \nit's so laddish and juvenile , only teenage boys could possibly find it funny . \n",
    'latin1',
  ),
);
write(
  'SentEval/MR/rt-polarity.pos',
  Buffer.from(
    'the rock is destined to be the 21st century\'s new " conan " and that he\'s going to make a splash even greater than arnold schwarzenegger , jean-claud van damme or steven segal . \na caf\u00e9 of a film , full of charm . \n',
    'latin1',
  ),
);
write(
  'SentEval/SUBJ/subj.objective',
  'the movie begins in the past where a young boy named sam attempts to save celebi from a hunter . \n',
);
write(
  'SentEval/SUBJ/subj.subjective',
  'smart and alert , thirteen conversations about one thing is a small gem . \ncolorful , energetic and sweetly whimsical . . . \n',
);
write('SentEval/CR/custrev.neg', 'the battery life is awful .\n');
write('SentEval/CR/custrev.pos', 'weak points : i think the design is great .\n');
write('SentEval/MPQA/mpqa.neg', 'complaining\nfailing to support\n');
write('SentEval/MPQA/mpqa.pos', 'are also being encouraged\n');
// TREC under its original file names.
write(
  'trec/TREC_10.label',
  'NUM:dist How far is it from Denver to Aspen ?\nLOC:city What county is Modesto , California in ?\n',
);

describe('fixtures in each real format', () => {
  test(
    'MNLI GLUE TSV: columns by header name (12 in train, 16 in dev), matched and mismatched dev, unlabelled ' + 'test',
    async () => {
      const train = await load('mnli', 'train');
      assert.deepEqual(
        cls(train).map((e) => [e.text, e.textB, train.task.labels[e.label]]),
        [
          [
            'Conceptually cream skimming has two basic dimensions.',
            'Product and geography are what make cream skimming work. ',
            'neutral',
          ],
          [
            'you know during the season and i guess at "at" your level',
            'You lose the things to the following level if the people recall.',
            'entailment',
          ],
        ],
      );
      assert.equal(train.format, 'glue-tsv');
      assert.match(train.warnings[0] as string, /gives 2 MultiNLI train examples but the official split has 392,702/);
      const dm = await load('mnli', 'dev_matched');
      assert.deepEqual(
        cls(dm).map((e) => e.label),
        [1, 2],
      );
      const dmm = await load('mnli', 'dev_mismatched');
      assert.deepEqual(
        cls(dmm).map((e) => e.label),
        [2],
      );
      const test_ = await load('mnli', 'test_matched');
      assert.deepEqual(
        cls(test_).map((e) => e.label),
        [-1],
      );
    },
  );

  test('QQP GLUE TSV with is_duplicate; test without labels', async () => {
    const tr = await load('qqp', 'train');
    assert.deepEqual(
      cls(tr).map((e) => [e.textB, e.label]),
      [
        ['Which level of prepration is enough for the exam jlpt5?', 0],
        ['How do you control your horniness?', 1],
      ],
    );
    const te = await load('qqp', 'test');
    assert.deepEqual(
      cls(te).map((e) => [e.text, e.label]),
      [['Why do rockets look white?', -1]],
    );
  });

  test('SNLI jsonl drops gold label "-" and counts it', async () => {
    const dev = await load('snli', 'dev');
    assert.equal(dev.format, 'snli-jsonl');
    assert.deepEqual(
      cls(dev).map((e) => dev.task.labels[e.label]),
      ['neutral', 'contradiction', 'entailment'],
    );
    assert.equal(dev.dropped, 1);
    assert.match(dev.description, /1 without gold label dropped/);
  });

  test('SNLI in the GLUE TSV layout', async () => {
    const glueRoot = path.join(root, 'glue-only');
    fs.mkdirSync(path.join(glueRoot, 'glue', 'SNLI'), { recursive: true });
    fs.writeFileSync(
      path.join(glueRoot, 'glue', 'SNLI', 'dev.tsv'),
      tsv([
        SNLI_GLUE,
        [
          '0',
          '4705552913.jpg#2',
          '4705552913.jpg#2r1n',
          '(a)',
          '(b)',
          '(a)',
          '(b)',
          'Two women are embracing.',
          'The sisters are hugging goodbye.',
          'neutral',
          'entailment',
          'neutral',
          'neutral',
          'neutral',
          'neutral',
        ],
        [
          '1',
          '4705552913.jpg#2',
          '4705552913.jpg#2r1e',
          '(a)',
          '(b)',
          '(a)',
          '(b)',
          'Two women are embracing.',
          'Two woman are holding packages.',
          'entailment',
          'entailment',
          'entailment',
          'entailment',
          'entailment',
          'entailment',
        ],
      ]),
    );
    const dev = await loadTaskSplit('snli', 'dev', { dataRoot: glueRoot, envDataRoot: '' });
    assert.equal(dev.format, 'glue-tsv');
    assert.deepEqual(
      cls(dev).map((e) => [e.textB, dev.task.labels[e.label]]),
      [
        ['The sisters are hugging goodbye.', 'neutral'],
        ['Two woman are holding packages.', 'entailment'],
      ],
    );
  });

  test(
    'SQuAD v2 json: answers with character offsets, unanswerable -> no answers (plausible answers ' + 'ignored)',
    async () => {
      const dev = await load('squad_v2', 'dev');
      assert.equal(dev.kind, 'extractive-qa');
      const [a, b] = dev.examples as QaExample[];
      assert.deepEqual(a?.answers, [
        { text: 'France', start: 104 },
        { text: 'France.', start: 104 },
      ]);
      assert.equal(CONTEXT.slice(104, 110), 'France');
      assert.equal(a?.sourceId, '56ddde6b9a695914005b9628');
      assert.equal(a?.title, 'Normans');
      assert.deepEqual(b?.answers, []);
    },
  );

  test('RACE folders: all = middle + high, answers A-D to option indices', async () => {
    const dev = await load('race', 'dev');
    const ex = dev.examples as ChoiceExample[];
    assert.deepEqual(
      ex.map((e) => [e.question, e.label, e.sourceId]),
      [
        ['Tom has _ .', 1, 'middle2.txt#0'],
        ['Where does Tom walk his dog?', 3, 'middle2.txt#1'],
        ['What was the weather like?', 0, 'high10.txt#0'],
      ],
    );
    assert.equal(dev.files.length, 2);
  });

  test('AG News CSV: title + " " + description, "" unescaped, classes 1-4 -> 0-3', async () => {
    const t = await load('ag_news', 'test');
    assert.deepEqual(
      cls(t).map((e) => [e.label, t.task.labels[e.label]]),
      [
        [2, 'Business'],
        [3, 'Sci/Tech'],
      ],
    );
    assert.equal(
      cls(t)[0]?.text,
      'Fears for T N pension after talks Unions representing workers at Turner   Newall say they are "disappointed" ' +
        'after talks with stricken parent firm Federal Mogul.',
    );
  });

  test('SentEval files: one class per file, Latin-1 decoded, split "all"', async () => {
    const mr = await load('mr', 'all');
    assert.deepEqual(
      cls(mr).map((e) => e.label),
      [0, 0, 1, 1],
    );
    assert.equal(cls(mr)[3]?.text, 'a caf\u00e9 of a film , full of charm .');
    assert.match(mr.warnings.join('\n'), /not valid UTF-8: read as Latin-1/);
    assert.deepEqual(
      cls(await load('subj', 'all')).map((e) => e.label),
      [0, 1, 1],
    );
    assert.deepEqual(
      cls(await load('cr', 'all')).map((e) => [e.text, e.label]),
      [
        ['the battery life is awful .', 0],
        ['weak points : i think the design is great .', 1],
      ],
    );
    assert.deepEqual(
      cls(await load('mpqa', 'all')).map((e) => [e.text, e.label]),
      [
        ['complaining', 0],
        ['failing to support', 0],
        ['are also being encouraged', 1],
      ],
    );
  });

  test('TREC under its original file names', async () => {
    const t = await load('trec', 'test');
    assert.deepEqual(
      cls(t).map((e) => [e.text, t.task.labels[e.label]]),
      [
        ['How far is it from Denver to Aspen ?', 'NUM'],
        ['What county is Modesto , California in ?', 'LOC'],
      ],
    );
  });
});

describe('Hugging Face exports (parquet via hyparquet, jsonl)', () => {
  const hfRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-hf-'));
  after(() => fs.rmSync(hfRoot, { recursive: true, force: true }));
  const put = (rel: string, buf: ArrayBuffer | string) => {
    const file = path.join(hfRoot, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, typeof buf === 'string' ? buf : Buffer.from(buf));
  };
  const classLabel = (names: string[]) => [
    { key: 'huggingface', value: JSON.stringify({ info: { features: { label: { names, _type: 'ClassLabel' } } } }) },
  ];
  const hload = (task: string, split: string) => loadTaskSplit(task, split, { dataRoot: hfRoot, envDataRoot: '' });

  // MNLI validation_matched in two shards; the metadata lists the labels in another order, so ints are remapped by
  // name.
  put(
    'hf/mnli/validation_matched-00000-of-00002.parquet',
    parquetWriteBuffer({
      columnData: [
        { name: 'premise', data: ['A man inspects a uniform.'], type: 'STRING' },
        { name: 'hypothesis', data: ['The man is sleeping.'], type: 'STRING' },
        { name: 'label', data: [0n], type: 'INT64' },
        { name: 'idx', data: [0], type: 'INT32' },
      ],
      kvMetadata: classLabel(['contradiction', 'entailment', 'neutral']),
    }),
  );
  put(
    'hf/mnli/validation_matched-00001-of-00002.parquet',
    parquetWriteBuffer({
      columnData: [
        { name: 'premise', data: ['Two kids play.', 'A dog runs.'], type: 'STRING' },
        { name: 'hypothesis', data: ['Kids are playing.', 'An animal moves.'], type: 'STRING' },
        { name: 'label', data: [1n, 1n], type: 'INT64' },
        { name: 'idx', data: [1, 2], type: 'INT32' },
      ],
      kvMetadata: classLabel(['contradiction', 'entailment', 'neutral']),
    }),
  );
  put(
    'hf/stsb/train.parquet',
    parquetWriteBuffer({
      columnData: [
        { name: 'sentence1', data: ['A plane is taking off.'], type: 'STRING' },
        { name: 'sentence2', data: ['An air plane is taking off.'], type: 'STRING' },
        { name: 'label', data: [5.0], type: 'FLOAT' },
      ],
    }),
  );
  put(
    'hf/squad_v2/validation.parquet',
    parquetWriteBuffer({
      columnData: [
        { name: 'id', data: ['q1', 'q2'], type: 'STRING' },
        { name: 'title', data: ['Normans', 'Normans'], type: 'STRING' },
        { name: 'context', data: [CONTEXT, CONTEXT], type: 'STRING' },
        {
          name: 'question',
          data: ['In what country is Normandy located?', 'Who gave their name to Normandy in the 1000s?'],
          type: 'STRING',
        },
        {
          name: 'answers',
          data: [
            { text: ['France'], answer_start: [104] },
            { text: [], answer_start: [] },
          ],
        },
      ],
    }),
  );
  put(
    'hf/race/test.parquet',
    parquetWriteBuffer({
      columnData: [
        { name: 'example_id', data: ['high1.txt'], type: 'STRING' },
        { name: 'article', data: ['It rained all day.'], type: 'STRING' },
        { name: 'answer', data: ['C'], type: 'STRING' },
        { name: 'question', data: ['The weather was _ .'], type: 'STRING' },
        { name: 'options', data: [['sunny', 'windy', 'rainy', 'snowy']] },
      ],
    }),
  );
  // SNLI jsonl export: -1 marks the no-consensus pairs, dropped like "-".
  put(
    'hf/snli/train.jsonl',
    [
      { premise: 'A person on a horse jumps.', hypothesis: 'A person is outdoors.', label: 0 },
      { premise: 'Two women embrace.', hypothesis: 'The sisters hug.', label: -1 },
      { premise: 'A boy skates.', hypothesis: 'A girl sleeps.', label: 2 },
    ]
      .map((o) => JSON.stringify(o))
      .join('\n') + '\n',
  );
  put(
    'hf/mr/validation.jsonl',
    [
      { text: 'a gem', label: 1 },
      { text: 'a dud', label: 0 },
    ]
      .map((o) => JSON.stringify(o))
      .join('\n') + '\n',
  );

  test('parquet shards are read in order and labels remapped by the ClassLabel names', async () => {
    const s = await hload('mnli', 'dev_matched');
    assert.equal(s.format, 'hf');
    assert.equal(s.files.length, 2);
    assert.deepEqual(
      cls(s).map((e) => [e.text, s.task.labels[e.label]]),
      [
        ['A man inspects a uniform.', 'contradiction'],
        ['Two kids play.', 'entailment'],
        ['A dog runs.', 'entailment'],
      ],
    );
    assert.match(s.warnings.join('\n'), /labels remapped by name/);
  });

  test('STS-B float labels, SQuAD answers struct, RACE options list', async () => {
    assert.deepEqual(
      cls(await hload('stsb', 'train')).map((e) => e.label),
      [5],
    );
    const sq = (await hload('squad_v2', 'dev')).examples as QaExample[];
    assert.deepEqual(
      sq.map((e) => [e.sourceId, e.answers]),
      [
        ['q1', [{ text: 'France', start: 104 }]],
        ['q2', []],
      ],
    );
    const race = (await hload('race', 'test')).examples as ChoiceExample[];
    assert.deepEqual(
      race.map((e) => [e.options, e.label]),
      [[['sunny', 'windy', 'rainy', 'snowy'], 2]],
    );
  });

  test('jsonl exports: SNLI -1 dropped, rotten_tomatoes "validation" is our dev', async () => {
    const s = await hload('snli', 'train');
    assert.deepEqual(
      cls(s).map((e) => e.label),
      [0, 2],
    );
    assert.equal(s.dropped, 1);
    assert.deepEqual(
      cls(await hload('mr', 'dev')).map((e) => [e.text, e.label]),
      [
        ['a gem', 1],
        ['a dud', 0],
      ],
    );
  });
});
