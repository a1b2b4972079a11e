// Byte-level BPE tokenizer (GPT-2, RoBERTa, OPT) from a Hugging Face tokenizer.json or from raw
// vocab + merges (see gpt2-files.ts). Reproduces the slow Python GPT2/RoBERTa tokenizers of
// transformers 4.31 (checked against the hf-tiny roberta-bpe reference) and gives each token its
// span in the raw text.
import { AddedTokenSplitter, parseAddedTokens, type AddedToken } from './added-tokens.ts';
import { assembleEncoding } from './assemble-encoding.ts';
import { BpeMerges, parseMerges } from './bpe-merges.ts';
import { byteCharsToText, GPT2_SPLIT, SPACE_CHAR, toByteWord } from './byte-level.ts';
import { cleanUpTokenizationSpaces } from './clean-up-spaces.ts';
import {
  applyTemplate,
  bosTemplate,
  countSpecial,
  NO_SPECIAL_TOKENS,
  robertaTemplate,
  templateFromPostProcessor,
  type SpecialTemplate,
} from './special-template.ts';
import { isObj, readJsonObject, type Json } from './tokenizer-json.ts';
import type { EncodeOptions, Encoded, Pieces, Tokenizer } from './tokenizer-types.ts';

export type BpeTemplateName = 'opt' | 'roberta' | 'none';

export interface BpeOptions {
  /** Special tokens around the segments. Default: the tokenizer.json post_processor, else 'none'
   * (GPT-2 adds nothing). 'opt' = BOS a (b) with BOS "</s>" (OPT), or "<|endoftext|>" in a GPT-2
   * vocabulary; 'roberta' = <s> a </s></s> b </s>. Given explicitly, it overrides the file. */
  template?: BpeTemplateName;
  /** transformers' clean_up_tokenization after decode. Default true (transformers 4.31). */
  cleanUpTokenizationSpaces?: boolean;
  /** Leave the leading/trailing spaces of a token out of its span. Default: the file's trim_offsets, else true. */
  trimOffsets?: boolean;
  /** Prepend a space to a text that does not start with one. Default: the file's add_prefix_space, else false. */
  addPrefixSpace?: boolean;
}

export interface ByteLevelBpeConfig {
  vocab: Map<string, number>;
  merges: Array<[string, string]>;
  addedTokens: AddedToken[];
  template: SpecialTemplate;
  padToken: string;
  unkToken: string | null;
  addPrefixSpace: boolean;
  trimOffsets: boolean;
  useRegex: boolean;
  ignoreMerges: boolean;
  cleanUpTokenizationSpaces: boolean;
  source: string;
}

const EXPECTED = 'a Hugging Face tokenizer.json of a byte-level BPE model (GPT-2, RoBERTa, OPT)';
const LEADING_SPACE = /^\p{White_Space}/u;

export class ByteLevelBpeTokenizer implements Tokenizer {
  readonly kind = 'bpe' as const;
  readonly vocab: ReadonlyMap<string, number>;
  readonly vocabSize: number;
  readonly padId: number;
  readonly padToken: string;
  readonly unkId: number | null;
  readonly template: SpecialTemplate;
  readonly specialIds: Set<number>;
  readonly addPrefixSpace: boolean;
  readonly trimOffsets: boolean;
  private readonly merges: BpeMerges;
  private readonly idToTok: string[];
  private readonly splitter: AddedTokenSplitter;
  private readonly cfg: ByteLevelBpeConfig;

  constructor(cfg: ByteLevelBpeConfig) {
    this.cfg = cfg;
    const vocab = new Map(cfg.vocab);
    for (const t of cfg.addedTokens) if (!vocab.has(t.content)) vocab.set(t.content, t.id);
    this.vocab = vocab;
    this.vocabSize = Math.max(...vocab.values()) + 1;
    this.idToTok = [];
    for (const [tok, id] of vocab) this.idToTok[id] ??= tok;
    for (const t of cfg.addedTokens) this.idToTok[t.id] = t.content;
    this.merges = new BpeMerges(cfg.merges);
    this.splitter = new AddedTokenSplitter(cfg.addedTokens);
    this.specialIds = new Set(cfg.addedTokens.filter((t) => t.special).map((t) => t.id));
    this.template = cfg.template;
    this.addPrefixSpace = cfg.addPrefixSpace;
    this.trimOffsets = cfg.trimOffsets;
    const pad = vocab.get(cfg.padToken);
    if (pad === undefined)
      throw new Error(`${cfg.source}: pad token ${JSON.stringify(cfg.padToken)} is not in the vocabulary`);
    this.padId = pad;
    this.padToken = cfg.padToken;
    this.unkId = cfg.unkToken === null ? null : (vocab.get(cfg.unkToken) ?? null);
  }

  static fromFile(file: string, opts: BpeOptions = {}): ByteLevelBpeTokenizer {
    return ByteLevelBpeTokenizer.fromJson(readJsonObject(file, EXPECTED), file, opts);
  }

  static fromJson(json: unknown, source = 'tokenizer.json', opts: BpeOptions = {}): ByteLevelBpeTokenizer {
    const bad = (what: string) => new Error(`${source}: ${what}; expected ${EXPECTED}`);
    if (!isObj(json)) throw bad('not a JSON object');
    return new ByteLevelBpeTokenizer(bpeConfigFromJson(json, source, opts, bad));
  }

  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.idToTok[id];
  }

  /** Token strings (byte-level characters, "Ġ" for a space), without special tokens around them. */
  tokenize(text: string): string[] {
    return this.pieces(text).tokens;
  }

  pieces(text: string): Pieces {
    const out: Pieces = { ids: [], tokens: [], offsets: [] };
    for (const span of this.splitter.split(text)) {
      if (span.added) {
        out.ids.push(span.added.id);
        out.tokens.push(span.added.content);
        out.offsets.push([span.start, span.end]);
        continue;
      }
      const raw = text.slice(span.start, span.end);
      // The slow tokenizer prepends the space to the whole text, so only a span at its very start gets one.
      const prefix = this.cfg.addPrefixSpace && span.start === 0 && !LEADING_SPACE.test(raw);
      if (!this.cfg.useRegex) {
        this.word(raw, span.start, prefix, out);
        continue;
      }
      // Split with the space in place (it changes how the regex cuts), then map positions back.
      const src = prefix ? ` ${raw}` : raw;
      const shift = span.start - (prefix ? 1 : 0);
      for (const m of src.matchAll(GPT2_SPLIT)) {
        if (prefix && m.index === 0) this.word(m[0].slice(1), span.start, true, out);
        else this.word(m[0], shift + m.index, false, out);
      }
    }
    return out;
  }

  withSpecialTokens(a: number[], b?: number[]) {
    const { inputIds, tokenTypeIds, sequenceIds } = applyTemplate(this.template, { ids: a }, b && { ids: b });
    return { inputIds, tokenTypeIds, sequenceIds };
  }

  numSpecialTokens(pair: boolean): number {
    return countSpecial(this.template, pair);
  }

  encode(a: string, b?: string, opts: EncodeOptions = {}): Encoded {
    const pa = this.pieces(a);
    const pb = b === undefined ? undefined : this.pieces(b);
    return assembleEncoding(this.template, { id: this.padId, token: this.padToken }, pa, pb, opts);
  }

  decode(ids: number[], skipSpecialTokens = false): string {
    let chars = '';
    for (const id of ids) {
      if (skipSpecialTokens && this.specialIds.has(id)) continue;
      chars += this.idToTok[id] ?? '';
    }
    const text = byteCharsToText(chars);
    return this.cfg.cleanUpTokenizationSpaces ? cleanUpTokenizationSpaces(text) : text;
  }

  /** BPE of one pre-token; `base` is where `text` starts in the raw string. */
  private word(text: string, base: number, prefixSpace: boolean, out: Pieces): void {
    const w = toByteWord(text, base, prefixSpace);
    if (w.chars === '') return;
    const direct = this.cfg.ignoreMerges ? this.vocab.get(w.chars) : undefined;
    const symbols = direct !== undefined ? [w.chars] : this.merges.apply(w.chars);
    let j = 0;
    for (const tok of symbols) {
      const n = tok.length; // byte-level characters are single UTF-16 units: one per byte
      let id = this.vocab.get(tok);
      if (id === undefined) {
        if (this.unkId === null)
          throw new Error(
            `${this.cfg.source}: BPE produced ${JSON.stringify(tok)}, which is not in the vocabulary, and there is ` +
              `no unk token`,
          );
        id = this.unkId;
      }
      let lo = 0;
      let hi = n;
      if (this.trimOffsets) {
        // As the Rust ByteLevel post-processor: spaces at either end are not part of the span.
        while (lo < hi && tok[lo] === SPACE_CHAR) lo++;
        while (hi > lo && tok[hi - 1] === SPACE_CHAR) hi--;
      }
      const end = w.ends[j + n - 1] as number;
      out.ids.push(id);
      out.tokens.push(tok);
      out.offsets.push(lo === hi ? [end, end] : [w.starts[j + lo] as number, w.ends[j + hi - 1] as number]);
      j += n;
    }
  }
}

/** The BOS/CLS/SEP names of a template preset, checked against the vocabulary. */
export function presetTemplate(
  name: BpeTemplateName,
  vocab: ReadonlyMap<string, number>,
  source: string,
): SpecialTemplate {
  const need = (...names: string[]): [string, number] => {
    for (const n of names) {
      const id = vocab.get(n);
      if (id !== undefined) return [n, id];
    }
    throw new Error(`${source}: template '${name}' needs ${names.join(' or ')} in the vocabulary`);
  };
  if (name === 'none') return NO_SPECIAL_TOKENS;
  if (name === 'opt') return bosTemplate(need('</s>', '<|endoftext|>'));
  return robertaTemplate(need('<s>'), need('</s>'));
}

/** The first of `names` present in the vocabulary (a pad token for GPT-2, which has none of its own). */
export function firstInVocab(vocab: ReadonlyMap<string, number>, names: string[]): string | undefined {
  return names.find((n) => vocab.has(n));
}

/** The ByteLevel pre-tokenizer, alone or as the only member of a Sequence; undefined otherwise. */
function byteLevelPreTokenizer(pre: unknown): Json | undefined {
  if (isObj(pre) && pre['type'] === 'ByteLevel') return pre;
  const list = isObj(pre) && pre['type'] === 'Sequence' ? pre['pretokenizers'] : undefined;
  return Array.isArray(list) && list.length === 1 ? byteLevelPreTokenizer(list[0]) : undefined;
}

function bpeConfigFromJson(
  json: Json,
  source: string,
  opts: BpeOptions,
  bad: (what: string) => Error,
): ByteLevelBpeConfig {
  const model = json['model'];
  if (!isObj(model)) throw bad('no "model" object');
  if (model['type'] !== 'BPE') throw bad(`model.type is ${JSON.stringify(model['type'])}, not "BPE"`);
  if (!isObj(model['vocab'])) throw bad('model.vocab is not a {token: id} map');
  if (!Array.isArray(model['merges'])) throw bad('model.merges is not a list');
  if (typeof model['dropout'] === 'number' && model['dropout'] > 0)
    throw bad(`model.dropout is ${model['dropout']}: BPE dropout is random, set it to null`);
  if (model['byte_fallback'] === true)
    throw bad("model.byte_fallback is true (a SentencePiece-style BPE such as Llama's), which is not supported");
  if (typeof model['end_of_word_suffix'] === 'string' && model['end_of_word_suffix'] !== '')
    throw bad('model.end_of_word_suffix is set (not a byte-level BPE)');
  const vocab = new Map<string, number>();
  for (const [tok, id] of Object.entries(model['vocab'])) {
    if (!Number.isInteger(id)) throw bad(`model.vocab[${JSON.stringify(tok)}] is not an integer id`);
    vocab.set(tok, id as number);
  }
  const merges = parseMerges(model['merges'], `${source} model.merges`);

  const byteLevel = byteLevelPreTokenizer(json['pre_tokenizer']);
  if (!byteLevel) {
    const pre = json['pre_tokenizer'];
    throw bad(
      `pre_tokenizer is ${JSON.stringify(isObj(pre) ? pre['type'] : pre)}; only a ByteLevel pre-tokenizer (GPT-2 / ` +
        `RoBERTa / OPT) is supported`,
    );
  }
  const norm = json['normalizer'];
  if (norm !== null && norm !== undefined)
    throw bad(
      `normalizer ${JSON.stringify(isObj(norm) ? norm['type'] : norm)} is not supported for byte-level BPE (GPT-2 / ` +
        `RoBERTa have none)`,
    );

  const addedTokens = parseAddedTokens(json['added_tokens'], bad);
  for (const t of addedTokens) if (!vocab.has(t.content)) vocab.set(t.content, t.id);
  const template = opts.template
    ? presetTemplate(opts.template, vocab, source)
    : (templateFromPostProcessor(json['post_processor'], bad) ?? NO_SPECIAL_TOKENS);
  const pp = json['post_processor'];
  const ppTrim = isObj(pp) && typeof pp['trim_offsets'] === 'boolean' ? pp['trim_offsets'] : undefined;
  const padding = json['padding'];
  const padToken =
    (isObj(padding) && typeof padding['pad_token'] === 'string' ? padding['pad_token'] : undefined) ??
    firstInVocab(vocab, ['<pad>', '<|endoftext|>', '</s>']);
  if (padToken === undefined) throw bad('no pad token: none of <pad>, <|endoftext|>, </s> is in the vocabulary');
  const unk = typeof model['unk_token'] === 'string' ? model['unk_token'] : null;
  return {
    vocab,
    merges,
    addedTokens,
    template,
    padToken,
    unkToken: unk,
    addPrefixSpace: opts.addPrefixSpace ?? byteLevel['add_prefix_space'] === true,
    trimOffsets: opts.trimOffsets ?? ppTrim ?? byteLevel['trim_offsets'] !== false,
    useRegex: byteLevel['use_regex'] !== false,
    ignoreMerges: model['ignore_merges'] === true,
    cleanUpTokenizationSpaces: opts.cleanUpTokenizationSpaces ?? true,
    source,
  };
}
