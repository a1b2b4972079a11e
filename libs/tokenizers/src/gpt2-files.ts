// Byte-level BPE from the raw files GPT-2, OPT and RoBERTa checkpoints ship without a tokenizer.json:
// encoder.json + vocab.bpe (OpenAI's names) or vocab.json + merges.txt (Hugging Face's), with the
// optional tokenizer_config.json beside them.
import fs from 'node:fs';
import path from 'node:path';
import type { AddedToken } from './added-tokens.ts';
import { parseMerges } from './bpe-merges.ts';
import { ByteLevelBpeTokenizer, firstInVocab, presetTemplate, type BpeOptions, type BpeTemplateName } from './bpe.ts';
import { isObj, readJsonObject, type Json } from './tokenizer-json.ts';

const FILE_PAIRS: Array<[string, string]> = [
  ['vocab.json', 'merges.txt'],
  ['encoder.json', 'vocab.bpe'],
];
const SPECIAL_NAMES = ['<s>', '<pad>', '</s>', '<unk>', '<mask>', '<|endoftext|>'];

/** The vocab/merges file pair in `dir`, or null. */
export function findGpt2Files(dir: string): { vocab: string; merges: string } | null {
  for (const [v, m] of FILE_PAIRS) {
    if (fs.existsSync(path.join(dir, v)) && fs.existsSync(path.join(dir, m)))
      return { vocab: path.join(dir, v), merges: path.join(dir, m) };
  }
  return null;
}

/** A special token of tokenizer_config.json: a string or {"content": ..., "lstrip": ...}. */
function configToken(cfg: Json, key: string): { content: string; lstrip?: boolean; rstrip?: boolean } | undefined {
  const v = cfg[key];
  if (typeof v === 'string') return { content: v };
  if (isObj(v) && typeof v['content'] === 'string')
    return { content: v['content'], lstrip: v['lstrip'] === true, rstrip: v['rstrip'] === true };
  return undefined;
}

/**
 * GPT-2 / OPT / RoBERTa byte-level BPE from `dir`. Special tokens: those of tokenizer_config.json,
 * else every one of <s> <pad> </s> <unk> <mask> <|endoftext|> in the vocabulary (<mask> with lstrip,
 * as RoBERTa). Template: opts.template, else 'roberta' for a RobertaTokenizer config, 'opt' when the
 * config sets add_bos_token (OPT), else 'none' (GPT-2). Pad: the config's, else <pad>, else
 * <|endoftext|> (GPT-2 has no pad token; padded positions are masked anyway). Offsets are trimmed
 * of spaces for RoBERTa only, as in transformers' fast tokenizers.
 */
export function loadGpt2Bpe(dir: string, opts: BpeOptions = {}): ByteLevelBpeTokenizer {
  const files = findGpt2Files(dir);
  if (!files) {
    throw new Error(
      `${dir}: no byte-level BPE files; expected encoder.json + vocab.bpe (GPT-2) or vocab.json + merges.txt ` +
        `(RoBERTa, OPT)`,
    );
  }
  const vocabJson = readJsonObject(files.vocab, 'a {token: id} map (GPT-2 encoder.json / vocab.json)');
  const vocab = new Map<string, number>();
  for (const [tok, id] of Object.entries(vocabJson)) {
    if (!Number.isInteger(id))
      throw new Error(`${files.vocab}: the id of ${JSON.stringify(tok)} is not an integer; expected a {token: id} map`);
    vocab.set(tok, id as number);
  }
  const lines = fs.readFileSync(files.merges, 'utf8').split('\n');
  const mergeLines: string[] = [];
  lines.forEach((line, i) => {
    const l = line.replace(/\r$/, '');
    if (l === '' || (i === 0 && l.startsWith('#version'))) return;
    mergeLines.push(l);
  });
  const merges = parseMerges(mergeLines, files.merges);

  const cfgFile = path.join(dir, 'tokenizer_config.json');
  const cfg: Json = fs.existsSync(cfgFile) ? readJsonObject(cfgFile, 'a Hugging Face tokenizer_config.json') : {};
  const named = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token']
    .map((k) => configToken(cfg, k))
    .filter((t): t is NonNullable<typeof t> => t !== undefined);
  const specials =
    named.length > 0
      ? named
      : SPECIAL_NAMES.filter((n) => vocab.has(n)).map((content) => ({
          content,
          lstrip: content === '<mask>',
          rstrip: false,
        }));
  const addedTokens: AddedToken[] = [];
  for (const s of specials) {
    const id = vocab.get(s.content);
    if (id === undefined)
      throw new Error(`${cfgFile}: special token ${JSON.stringify(s.content)} is not in ${files.vocab}`);
    if (addedTokens.some((t) => t.content === s.content)) continue;
    addedTokens.push({
      content: s.content,
      id,
      special: true,
      lstrip: s.lstrip === true,
      rstrip: s.rstrip === true,
      singleWord: false,
    });
  }

  const cls = typeof cfg['tokenizer_class'] === 'string' ? cfg['tokenizer_class'] : '';
  const templateName: BpeTemplateName =
    opts.template ?? (/roberta/i.test(cls) ? 'roberta' : cfg['add_bos_token'] === true ? 'opt' : 'none');
  const template = presetTemplate(templateName, vocab, dir);
  const padToken = configToken(cfg, 'pad_token')?.content ?? firstInVocab(vocab, ['<pad>', '<|endoftext|>', '</s>']);
  if (padToken === undefined)
    throw new Error(`${dir}: no pad token: none of <pad>, <|endoftext|>, </s> is in ${files.vocab}`);
  const clean = typeof cfg['clean_up_tokenization_spaces'] === 'boolean' ? cfg['clean_up_tokenization_spaces'] : true;
  return new ByteLevelBpeTokenizer({
    vocab,
    merges,
    addedTokens,
    template,
    padToken,
    unkToken: configToken(cfg, 'unk_token')?.content ?? firstInVocab(vocab, ['<unk>', '<|endoftext|>']) ?? null,
    addPrefixSpace: opts.addPrefixSpace ?? cfg['add_prefix_space'] === true,
    // As the fast tokenizers transformers converts these files into: RobertaProcessing trims the
    // leading space out of a span, GPT-2/OPT's post-processors do not.
    trimOffsets: opts.trimOffsets ?? templateName === 'roberta',
    useRegex: true,
    ignoreMerges: false,
    cleanUpTokenizationSpaces: opts.cleanUpTokenizationSpaces ?? clean,
    source: files.vocab,
  });
}
