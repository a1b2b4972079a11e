// GPT-2's byte-level BPE cut to its first K merges, as an OPT-style tokenizer.json. Merge ranks are in frequency
// order, so the first K merges are the most useful ones and BPE with only those is still lossless (every byte
// has a token). A tiny model pays for every output row: 50,265 rows would dominate its compute, K = 8000 does not.
import fs from 'node:fs';
import path from 'node:path';
import { findGpt2Files, loadGpt2Bpe } from './gpt2-files.ts';
import { ByteLevelBpeTokenizer } from './bpe.ts';

/** OPT's special tokens and their ids (facebook/opt-*: <s> 0, <pad> 1, </s> 2 = bos = eos, <unk> 3). */
export const OPT_SPECIALS = ['<s>', '<pad>', '</s>', '<unk>'] as const;

/**
 * tokenizer.json text for GPT-2's BPE truncated to `merges` merges: ids 0-3 OPT's specials, then GPT-2's 256 byte
 * tokens, then one token per merge (its result), numbered compactly. Template "</s> A" (OPT adds BOS = </s>).
 */
export function truncatedBpeJson(gpt2Dir: string, merges: number): Record<string, unknown> {
  const files = findGpt2Files(gpt2Dir);
  if (!files)
    throw new Error(
      `${gpt2Dir}: GPT-2's encoder.json + vocab.bpe are missing; they ship in /work/shared/data/tokenizers/gpt2 (set ` +
        `data.tokenizer to that folder)`,
    );
  const full = loadGpt2Bpe(gpt2Dir);
  const lines = fs
    .readFileSync(files.merges, 'utf8')
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l, i) => l !== '' && !(i === 0 && l.startsWith('#version')));
  if (!Number.isInteger(merges) || merges < 0 || merges > lines.length)
    throw new Error(
      `vocab merges ${merges}: must be an integer in 0..${lines.length} (GPT-2 has ${lines.length} merges)`,
    );
  const vocab: Record<string, number> = {};
  let next = 0;
  for (const s of OPT_SPECIALS) vocab[s] = next++;
  // GPT-2's first 256 ids are its byte alphabet.
  for (let id = 0; id < 256; id++) {
    const tok = full.idToToken(id);
    if (tok === undefined || tok in vocab)
      throw new Error(`${files.vocab}: id ${id} is not a byte token; expected GPT-2's encoder.json`);
    vocab[tok] = next++;
  }
  const kept = lines.slice(0, merges);
  for (const m of kept) {
    const tok = m.replace(' ', '');
    if (!(tok in vocab)) vocab[tok] = next++;
  }
  const special = (content: string) => ({
    id: vocab[content],
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: true,
    special: true,
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: OPT_SPECIALS.map(special),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '</s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '</s>', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
      ],
      special_tokens: { '</s>': { id: '</s>', ids: [vocab['</s>']], tokens: ['</s>'] } },
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: kept,
    },
  };
}

/** Write tokenizer.json (+ an OPT tokenizer_config.json) into `dir`; returns the loaded tokenizer. */
export function writeTruncatedBpe(gpt2Dir: string, merges: number, dir: string): ByteLevelBpeTokenizer {
  fs.mkdirSync(dir, { recursive: true });
  const json = truncatedBpeJson(gpt2Dir, merges);
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(json));
  fs.writeFileSync(
    path.join(dir, 'tokenizer_config.json'),
    JSON.stringify(
      {
        tokenizer_class: 'GPT2Tokenizer',
        add_bos_token: true,
        bos_token: '</s>',
        eos_token: '</s>',
        pad_token: '<pad>',
        unk_token: '<unk>',
        model_max_length: 2048,
      },
      null,
      2,
    ) + '\n',
  );
  return ByteLevelBpeTokenizer.fromJson(json, path.join(dir, 'tokenizer.json'));
}
