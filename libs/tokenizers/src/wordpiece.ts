// BERT WordPiece tokenizer read from a Hugging Face tokenizer.json. It reproduces the slow Python
// BertTokenizer of transformers 4.31 (checked against the hf-tiny reference encodings), including its
// 'longest_first' truncation that removes one token at a time from the longer segment, and gives
// each piece its span in the raw text (through lowercasing and accent stripping).
import { AddedTokenSplitter, parseAddedTokens } from './added-tokens.ts';
import { assembleEncoding } from './assemble-encoding.ts';
import {
  alignedSpan,
  bertNormalizeAligned,
  bertPreTokenizeSpans,
  type AlignedText,
  type BertNormalizerConfig,
} from './bert-pretokenizer.ts';
import { cleanUpTokenizationSpaces } from './clean-up-spaces.ts';
import {
  applyTemplate,
  bertTemplate,
  countSpecial,
  templateFromPostProcessor,
  type SpecialTemplate,
} from './special-template.ts';
import { isObj, readJsonObject, type Json } from './tokenizer-json.ts';
import type { EncodeOptions, Encoded, Pieces, Tokenizer } from './tokenizer-types.ts';

/** The fixed-length row of the original encode(text, textB, maxLength); Encoded has these and more. */
export interface Encoding {
  inputIds: number[];
  attentionMask: number[];
  tokenTypeIds: number[];
}

const EXPECTED = "a Hugging Face tokenizer.json of a BERT WordPiece model (like bert-base-uncased's)";

export class WordPieceTokenizer implements Tokenizer {
  readonly kind = 'wordpiece' as const;
  readonly vocab: Map<string, number>;
  readonly vocabSize: number;
  readonly unkToken: string;
  readonly clsId: number;
  readonly sepId: number;
  readonly padId: number;
  readonly unkId: number;
  /** Ids that decode(ids, true) drops: the added tokens marked special. */
  readonly specialIds: Set<number>;
  readonly template: SpecialTemplate;
  private readonly idToTok: string[];
  private readonly prefix: string;
  private readonly maxCharsPerWord: number;
  private readonly normalizer: BertNormalizerConfig | null;
  private readonly splitter: AddedTokenSplitter;
  private readonly cleanUp: boolean;

  private constructor(json: Json, source: string) {
    const bad = (what: string) => new Error(`${source}: ${what}; expected ${EXPECTED}`);
    const model = json['model'];
    if (!isObj(model)) throw bad('no "model" object');
    if (model['type'] !== 'WordPiece') throw bad(`model.type is ${JSON.stringify(model['type'])}, not "WordPiece"`);
    const vocab = model['vocab'];
    if (!isObj(vocab)) throw bad('model.vocab is not a {token: id} map');
    this.vocab = new Map();
    for (const [tok, id] of Object.entries(vocab)) {
      if (!Number.isInteger(id)) throw bad(`model.vocab[${JSON.stringify(tok)}] is not an integer id`);
      this.vocab.set(tok, id as number);
    }
    const added = parseAddedTokens(json['added_tokens'], bad);
    for (const t of added) if (!this.vocab.has(t.content)) this.vocab.set(t.content, t.id);
    this.splitter = new AddedTokenSplitter(added);
    this.specialIds = new Set(added.filter((t) => t.special).map((t) => t.id));
    this.vocabSize = Math.max(...this.vocab.values()) + 1;
    this.idToTok = [];
    for (const [tok, id] of this.vocab) this.idToTok[id] ??= tok;

    this.unkToken = typeof model['unk_token'] === 'string' ? model['unk_token'] : '[UNK]';
    this.prefix = typeof model['continuing_subword_prefix'] === 'string' ? model['continuing_subword_prefix'] : '##';
    this.maxCharsPerWord =
      typeof model['max_input_chars_per_word'] === 'number' ? model['max_input_chars_per_word'] : 100;
    const id = (tok: string) => {
      const v = this.vocab.get(tok);
      if (v === undefined) throw bad(`special token ${tok} is not in the vocabulary`);
      return v;
    };
    this.unkId = id(this.unkToken);
    this.clsId = id('[CLS]');
    this.sepId = id('[SEP]');
    this.padId = id('[PAD]');
    this.template =
      templateFromPostProcessor(json['post_processor'], bad) ??
      bertTemplate(['[CLS]', this.clsId], ['[SEP]', this.sepId]);

    const norm = json['normalizer'];
    if (norm === null || norm === undefined) this.normalizer = null;
    else if (isObj(norm) && norm['type'] === 'BertNormalizer') {
      this.normalizer = {
        cleanText: norm['clean_text'] !== false,
        handleChineseChars: norm['handle_chinese_chars'] !== false,
        stripAccents: typeof norm['strip_accents'] === 'boolean' ? norm['strip_accents'] : null,
        lowercase: norm['lowercase'] !== false,
      };
    } else
      throw bad(
        `normalizer type ${JSON.stringify(isObj(norm) ? norm['type'] : norm)} is not supported (only BertNormalizer)`,
      );
    const pre = json['pre_tokenizer'];
    if (pre !== null && pre !== undefined && !(isObj(pre) && pre['type'] === 'BertPreTokenizer')) {
      throw bad(
        `pre_tokenizer type ${JSON.stringify(isObj(pre) ? pre['type'] : pre)} is not supported (only BertPreTokenizer)`,
      );
    }
    const dec = json['decoder'];
    this.cleanUp = isObj(dec) ? dec['cleanup'] !== false : true;
  }

  static fromFile(file: string): WordPieceTokenizer {
    return new WordPieceTokenizer(readJsonObject(file, EXPECTED), file);
  }

  static fromJson(json: unknown, source = 'tokenizer.json'): WordPieceTokenizer {
    if (!isObj(json)) throw new Error(`${source}: expected a JSON object (a Hugging Face tokenizer.json)`);
    return new WordPieceTokenizer(json, source);
  }

  /** WordPiece tokens of `text`, without [CLS]/[SEP]. Special tokens written in the text stay whole. */
  tokenize(text: string): string[] {
    return this.pieces(text).tokens;
  }

  tokensToIds(tokens: string[]): number[] {
    return tokens.map((t) => this.vocab.get(t) ?? this.unkId);
  }

  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.idToTok[id];
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
      const norm: AlignedText = this.normalizer
        ? bertNormalizeAligned(raw, this.normalizer, span.start)
        : { text: raw, start: null, end: null, base: span.start };
      for (const w of bertPreTokenizeSpans(norm.text)) this.wordPieces(w.word, w.start, norm, out);
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

  /**
   * encode(a, b, opts): HF semantics (see EncodeOptions). encode(a, b, maxLength) is the original
   * fixed-length form: longest_first truncation and padding to exactly maxLength.
   */
  encode(text: string, textB?: string, opts?: EncodeOptions | number): Encoded {
    const o: EncodeOptions =
      typeof opts === 'number' ? { maxLength: opts, truncation: 'longest_first', padding: 'max_length' } : (opts ?? {});
    const a = this.pieces(text);
    const b = textB === undefined ? undefined : this.pieces(textB);
    return assembleEncoding(this.template, { id: this.padId, token: this.idToTok[this.padId] ?? '[PAD]' }, a, b, o);
  }

  /** The slow tokenizer's decode: pieces joined by spaces, "##" glued, then clean_up_tokenization. */
  decode(ids: number[], skipSpecialTokens = false): string {
    const toks: string[] = [];
    for (const id of ids) {
      if (skipSpecialTokens && this.specialIds.has(id)) continue;
      toks.push(this.idToTok[id] ?? this.unkToken);
    }
    const text = toks.join(' ').split(` ${this.prefix}`).join('').trim();
    return this.cleanUp ? cleanUpTokenizationSpaces(text) : text;
  }

  /** Greedy longest-match-first split of one word; a word with an unmatched part becomes [UNK]. */
  private wordPieces(word: string, wordStart: number, norm: AlignedText, out: Pieces): void {
    // Hot loop: no closures or per-piece objects (tsx wraps every named closure at each call).
    const chars = Array.from(word);
    const nPieces = out.ids.length;
    let ok = chars.length <= this.maxCharsPerWord;
    let start = 0;
    let pos = 0; // UTF-16 position of chars[start] in word
    while (ok && start < chars.length) {
      let end = chars.length;
      let sub = chars.length === word.length ? word.slice(start) : chars.slice(start).join('');
      let id: number | undefined;
      while (start < end) {
        id = this.vocab.get(start > 0 ? this.prefix + sub : sub);
        if (id !== undefined) break;
        end--;
        sub = sub.slice(0, sub.length - (chars[end] as string).length);
      }
      if (id === undefined) {
        ok = false;
        break;
      }
      out.ids.push(id);
      out.tokens.push(start > 0 ? this.prefix + sub : sub);
      out.offsets.push(alignedSpan(norm, wordStart + pos, wordStart + pos + sub.length));
      pos += sub.length;
      start = end;
    }
    if (ok) return;
    out.ids.length = out.tokens.length = out.offsets.length = nPieces;
    out.ids.push(this.unkId);
    out.tokens.push(this.unkToken);
    out.offsets.push(alignedSpan(norm, wordStart, wordStart + word.length));
  }
}
