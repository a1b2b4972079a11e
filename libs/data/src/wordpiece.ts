// BERT WordPiece tokenizer read from a Hugging Face tokenizer.json. It reproduces the slow Python
// BertTokenizer of transformers 4.31 (checked against the hf-tiny reference encodings), including its
// 'longest_first' truncation that removes one token at a time from the longer segment.
import fs from 'node:fs';
import { bertNormalize, bertPreTokenize, type BertNormalizerConfig } from './bert-pretokenizer.ts';

export interface Encoding {
  inputIds: number[];
  attentionMask: number[];
  tokenTypeIds: number[];
}

type Json = Record<string, unknown>;
const isObj = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);

export class WordPieceTokenizer {
  readonly vocab: Map<string, number>;
  readonly vocabSize: number;
  readonly unkToken: string;
  readonly clsId: number;
  readonly sepId: number;
  readonly padId: number;
  readonly unkId: number;
  private readonly prefix: string;
  private readonly maxCharsPerWord: number;
  private readonly normalizer: BertNormalizerConfig | null;
  /** Added/special tokens matched verbatim in the raw text before normalisation, longest first. */
  private readonly addedTokens: string[];
  /** First UTF-16 units of the added tokens: a cheap pre-check before trying each of them. */
  private readonly addedFirst: Set<string>;

  private constructor(json: Json, source: string) {
    const bad = (what: string) =>
      new Error(`${source}: ${what}; expected a Hugging Face tokenizer.json of a BERT WordPiece model (like bert-base-uncased's)`);
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
    const added = Array.isArray(json['added_tokens']) ? json['added_tokens'] : [];
    this.addedTokens = [];
    for (const t of added) {
      if (!isObj(t) || typeof t['content'] !== 'string' || !Number.isInteger(t['id'])) throw bad('malformed entry in added_tokens');
      if (!this.vocab.has(t['content'])) this.vocab.set(t['content'], t['id'] as number);
      if (t['content'] !== '') this.addedTokens.push(t['content']);
    }
    this.addedTokens.sort((a, b) => b.length - a.length);
    this.addedFirst = new Set(this.addedTokens.map((t) => t[0] as string));
    this.vocabSize = Math.max(...this.vocab.values()) + 1;

    this.unkToken = typeof model['unk_token'] === 'string' ? model['unk_token'] : '[UNK]';
    this.prefix = typeof model['continuing_subword_prefix'] === 'string' ? model['continuing_subword_prefix'] : '##';
    this.maxCharsPerWord = typeof model['max_input_chars_per_word'] === 'number' ? model['max_input_chars_per_word'] : 100;
    const id = (tok: string) => {
      const v = this.vocab.get(tok);
      if (v === undefined) throw bad(`special token ${tok} is not in the vocabulary`);
      return v;
    };
    this.unkId = id(this.unkToken);
    this.clsId = id('[CLS]');
    this.sepId = id('[SEP]');
    this.padId = id('[PAD]');

    const norm = json['normalizer'];
    if (norm === null || norm === undefined) this.normalizer = null;
    else if (isObj(norm) && norm['type'] === 'BertNormalizer') {
      this.normalizer = {
        cleanText: norm['clean_text'] !== false,
        handleChineseChars: norm['handle_chinese_chars'] !== false,
        stripAccents: typeof norm['strip_accents'] === 'boolean' ? norm['strip_accents'] : null,
        lowercase: norm['lowercase'] !== false,
      };
    } else throw bad(`normalizer type ${JSON.stringify(isObj(norm) ? norm['type'] : norm)} is not supported (only BertNormalizer)`);
    const pre = json['pre_tokenizer'];
    if (pre !== null && pre !== undefined && !(isObj(pre) && pre['type'] === 'BertPreTokenizer')) {
      throw bad(`pre_tokenizer type ${JSON.stringify(isObj(pre) ? pre['type'] : pre)} is not supported (only BertPreTokenizer)`);
    }
  }

  static fromFile(file: string): WordPieceTokenizer {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`cannot read tokenizer file ${file}: ${(err as Error).message}; expected a Hugging Face tokenizer.json`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new Error(`${file} is not valid JSON (${(err as Error).message}); expected a Hugging Face tokenizer.json`);
    }
    if (!isObj(json)) throw new Error(`${file}: expected a JSON object (a Hugging Face tokenizer.json)`);
    return new WordPieceTokenizer(json, file);
  }

  static fromJson(json: unknown, source = 'tokenizer.json'): WordPieceTokenizer {
    if (!isObj(json)) throw new Error(`${source}: expected a JSON object (a Hugging Face tokenizer.json)`);
    return new WordPieceTokenizer(json, source);
  }

  /** WordPiece tokens of `text`, without [CLS]/[SEP]. Special tokens written in the text stay whole. */
  tokenize(text: string): string[] {
    const out: string[] = [];
    for (const piece of this.splitOnAdded(text)) {
      if (piece.special) {
        out.push(piece.text);
        continue;
      }
      const normalized = this.normalizer ? bertNormalize(piece.text, this.normalizer) : piece.text;
      for (const word of bertPreTokenize(normalized)) this.wordPiece(word, out);
    }
    return out;
  }

  tokensToIds(tokens: string[]): number[] {
    return tokens.map((t) => this.vocab.get(t) ?? this.unkId);
  }

  /** [CLS] a [SEP] (b [SEP]), truncated to maxLength (longest_first) and right-padded to exactly maxLength. */
  encode(text: string, textB: string | undefined, maxLength: number): Encoding {
    const a = this.tokensToIds(this.tokenize(text));
    const b = textB === undefined ? undefined : this.tokensToIds(this.tokenize(textB));
    const nSpecial = b ? 3 : 2;
    if (!Number.isInteger(maxLength) || maxLength < nSpecial) {
      throw new Error(`maxLength must be an integer >= ${nSpecial} (room for the special tokens), got ${maxLength}`);
    }
    // Slow-tokenizer longest_first: one token at a time from the longer segment, the second on ties.
    for (let excess = a.length + (b?.length ?? 0) + nSpecial - maxLength; excess > 0; excess--) {
      if (!b || a.length > b.length) a.pop();
      else b.pop();
    }
    const inputIds = [this.clsId, ...a, this.sepId];
    const tokenTypeIds = inputIds.map(() => 0);
    if (b) {
      inputIds.push(...b, this.sepId);
      for (let i = 0; i <= b.length; i++) tokenTypeIds.push(1);
    }
    const attentionMask = inputIds.map(() => 1);
    while (inputIds.length < maxLength) {
      inputIds.push(this.padId);
      attentionMask.push(0);
      tokenTypeIds.push(0);
    }
    return { inputIds, attentionMask, tokenTypeIds };
  }

  private splitOnAdded(text: string): { text: string; special: boolean }[] {
    if (this.addedTokens.length === 0) return [{ text, special: false }];
    const pieces: { text: string; special: boolean }[] = [];
    let start = 0;
    for (let i = 0; i < text.length; ) {
      const hit = this.addedFirst.has(text[i] as string) ? this.addedTokens.find((t) => text.startsWith(t, i)) : undefined;
      if (hit === undefined) {
        i++;
        continue;
      }
      if (i > start) pieces.push({ text: text.slice(start, i), special: false });
      pieces.push({ text: hit, special: true });
      i += hit.length;
      start = i;
    }
    if (start < text.length) pieces.push({ text: text.slice(start), special: false });
    return pieces;
  }

  /** Greedy longest-match-first split of one word; a word with an unmatched part becomes [UNK]. */
  private wordPiece(word: string, out: string[]): void {
    const chars = Array.from(word);
    if (chars.length > this.maxCharsPerWord) {
      out.push(this.unkToken);
      return;
    }
    const pieces: string[] = [];
    for (let start = 0; start < chars.length; ) {
      let end = chars.length;
      let found: string | undefined;
      while (start < end) {
        const sub = (start > 0 ? this.prefix : '') + chars.slice(start, end).join('');
        if (this.vocab.has(sub)) {
          found = sub;
          break;
        }
        end--;
      }
      if (found === undefined) {
        out.push(this.unkToken);
        return;
      }
      pieces.push(found);
      start = end;
    }
    out.push(...pieces);
  }
}
