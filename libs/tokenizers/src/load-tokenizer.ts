// One entry point for every tokenizer a checkpoint directory can hold: tokenizer.json (WordPiece or
// byte-level BPE or SentencePiece Unigram), else raw GPT-2-style BPE files, else a BERT vocab.txt.
import fs from 'node:fs';
import path from 'node:path';
import { ByteLevelBpeTokenizer, type BpeOptions } from './bpe.ts';
import { findGpt2Files, loadGpt2Bpe } from './gpt2-files.ts';
import { isObj, readJsonObject, type Json } from './tokenizer-json.ts';
import type { Tokenizer } from './tokenizer-types.ts';
import { UnigramTokenizer } from './unigram.ts';
import { WordPieceTokenizer } from './wordpiece.ts';

export type LoadTokenizerOptions = BpeOptions;

const EXPECTED =
  'a Hugging Face tokenizer.json (WordPiece for BERT, byte-level BPE for GPT-2/RoBERTa/OPT, Unigram for USE-Lite)';

function readConfig(dir: string): Json {
  const f = path.join(dir, 'tokenizer_config.json');
  return fs.existsSync(f) ? readJsonObject(f, 'a Hugging Face tokenizer_config.json') : {};
}

type AnyTokenizer = WordPieceTokenizer | ByteLevelBpeTokenizer | UnigramTokenizer;

/** tokenizer.json's model.type decides the implementation. */
function fromTokenizerJson(file: string, opts: LoadTokenizerOptions): AnyTokenizer {
  const json = readJsonObject(file, EXPECTED);
  const model = json['model'];
  const type = isObj(model) ? model['type'] : undefined;
  if (type === 'WordPiece') return WordPieceTokenizer.fromJson(json, file);
  if (type === 'Unigram') return UnigramTokenizer.fromJson(json, file);
  if (type === 'BPE') {
    const cfg = readConfig(path.dirname(file));
    const clean =
      typeof cfg['clean_up_tokenization_spaces'] === 'boolean' ? cfg['clean_up_tokenization_spaces'] : undefined;
    return ByteLevelBpeTokenizer.fromJson(json, file, {
      ...(clean === undefined ? {} : { cleanUpTokenizationSpaces: clean }),
      ...opts,
    });
  }
  if (!isObj(model)) throw new Error(`${file}: no "model" object; expected ${EXPECTED}`);
  throw new Error(
    `${file}: model.type ${JSON.stringify(type)} is not supported; supported are "WordPiece" (BERT), "BPE" with a ` +
      `ByteLevel ` +
      'pre-tokenizer (GPT-2, RoBERTa, OPT) and "Unigram" with a Metaspace pre-tokenizer (Universal Sentence Encoder ' +
      'Lite)',
  );
}

/** A BERT vocab.txt (one token per line, id = line number) and its tokenizer_config.json. */
function fromVocabTxt(dir: string): WordPieceTokenizer {
  const file = path.join(dir, 'vocab.txt');
  const cfg = readConfig(dir);
  const vocab: Record<string, number> = {};
  fs.readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i, all) => {
      const tok = line.replace(/\r$/, '');
      if (i === all.length - 1 && tok === '') return;
      if (!(tok in vocab)) vocab[tok] = i;
    });
  const specials = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].filter((t) => t in vocab);
  const lower = cfg['do_lower_case'] !== false;
  return WordPieceTokenizer.fromJson(
    {
      model: {
        type: 'WordPiece',
        vocab,
        unk_token: '[UNK]',
        continuing_subword_prefix: '##',
        max_input_chars_per_word: 100,
      },
      added_tokens: specials.map((content) => ({ content, id: vocab[content], special: true })),
      normalizer: {
        type: 'BertNormalizer',
        clean_text: true,
        handle_chinese_chars: cfg['tokenize_chinese_chars'] !== false,
        strip_accents: typeof cfg['strip_accents'] === 'boolean' ? cfg['strip_accents'] : null,
        lowercase: lower,
      },
      pre_tokenizer: { type: 'BertPreTokenizer' },
    },
    file,
  );
}

/**
 * The tokenizer of a checkpoint directory (or a tokenizer.json path). In a directory, tried in order:
 * tokenizer.json; vocab.json + merges.txt or encoder.json + vocab.bpe (loadGpt2Bpe: GPT-2, OPT,
 * RoBERTa); vocab.txt (BERT). opts apply to byte-level BPE (template 'opt' for OPT/GPT-2 files).
 */
export function loadTokenizer(dirOrFile: string, opts: LoadTokenizerOptions = {}): Tokenizer & AnyTokenizer {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dirOrFile);
  } catch {
    throw new Error(
      `${dirOrFile} does not exist; give a checkpoint directory holding tokenizer.json (or vocab.json + merges.txt, ` +
        `or vocab.txt), or the tokenizer.json itself`,
    );
  }
  if (stat.isFile()) return fromTokenizerJson(dirOrFile, opts);
  const tj = path.join(dirOrFile, 'tokenizer.json');
  if (fs.existsSync(tj)) return fromTokenizerJson(tj, opts);
  if (findGpt2Files(dirOrFile)) return loadGpt2Bpe(dirOrFile, opts);
  if (fs.existsSync(path.join(dirOrFile, 'vocab.txt'))) return fromVocabTxt(dirOrFile);
  throw new Error(
    `${dirOrFile}: no tokenizer files; expected tokenizer.json, or vocab.json + merges.txt / encoder.json + ` +
      `vocab.bpe (byte-level BPE), ` +
      'or vocab.txt (BERT WordPiece). Download them with the model (they sit beside config.json on the Hugging Face ' +
      'Hub)',
  );
}
