// Test-only tokenizer implementing the Tokenizer interface: lowercased words and single punctuation
// marks, ids from a fixed hash, BERT-style specials ([CLS]=1, [SEP]=2, [PAD]=0). Offsets point into
// the original text, which is all the SQuAD/RACE preparation relies on.
import type { EncodeOptions, Encoded, Pieces, Tokenizer } from '@prunelab/tokenizers';

const SPECIAL: Record<number, string> = { 0: '[PAD]', 1: '[CLS]', 2: '[SEP]' };

export class TestTokenizer implements Tokenizer {
  readonly kind = 'wordpiece' as const;
  readonly vocabSize = 1000;
  readonly padId = 0;
  private readonly names = new Map<number, string>();

  private idOf(token: string): number {
    let h = 2166136261;
    for (let i = 0; i < token.length; i++) h = Math.imul(h ^ token.charCodeAt(i), 16777619) >>> 0;
    const id = 3 + (h % (this.vocabSize - 3));
    this.names.set(id, token);
    return id;
  }

  pieces(text: string): Pieces {
    const out: Pieces = { ids: [], tokens: [], offsets: [] };
    for (const m of text.matchAll(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu)) {
      const token = m[0].toLowerCase();
      out.ids.push(this.idOf(token));
      out.tokens.push(token);
      out.offsets.push([m.index, m.index + m[0].length]);
    }
    return out;
  }

  withSpecialTokens(a: number[], b?: number[]) {
    const inputIds = [1, ...a, 2, ...(b ? [...b, 2] : [])];
    const tokenTypeIds = [
      ...new Array<number>(a.length + 2).fill(0),
      ...(b ? new Array<number>(b.length + 1).fill(1) : []),
    ];
    const sequenceIds: Array<0 | 1 | null> = [
      null,
      ...a.map(() => 0 as const),
      null,
      ...(b ? [...b.map(() => 1 as const), null] : []),
    ];
    return { inputIds, tokenTypeIds, sequenceIds };
  }

  numSpecialTokens(pair: boolean): number {
    return pair ? 3 : 2;
  }

  encode(a: string, b?: string, opts: EncodeOptions = {}): Encoded {
    const pa = this.pieces(a);
    const pb = b === undefined ? undefined : this.pieces(b);
    let na = pa.ids.length;
    let nb = pb?.ids.length ?? 0;
    const max = opts.maxLength;
    if (max !== undefined && opts.truncation !== 'none') {
      const room = max - this.numSpecialTokens(pb !== undefined);
      while (na + nb > room) {
        if (opts.truncation === 'only_first' || (opts.truncation !== 'only_second' && na > nb)) na--;
        else nb--;
      }
    }
    const w = this.withSpecialTokens(pa.ids.slice(0, na), pb?.ids.slice(0, nb));
    const offsets: Array<[number, number]> = [];
    let ia = 0;
    let ib = 0;
    for (const s of w.sequenceIds)
      offsets.push(
        s === 0 ? (pa.offsets[ia++] as [number, number]) : s === 1 ? (pb?.offsets[ib++] as [number, number]) : [0, 0],
      );
    const len = w.inputIds.length;
    const pad = opts.padding === 'max_length' && max !== undefined ? Math.max(0, max - len) : 0;
    return {
      inputIds: [...w.inputIds, ...new Array<number>(pad).fill(0)],
      attentionMask: [...new Array<number>(len).fill(1), ...new Array<number>(pad).fill(0)],
      tokenTypeIds: [...w.tokenTypeIds, ...new Array<number>(pad).fill(0)],
      tokens: w.inputIds
        .map((id) => this.names.get(id) ?? SPECIAL[id] ?? '?')
        .concat(new Array<string>(pad).fill('[PAD]')),
      offsets: [...offsets, ...new Array<[number, number]>(pad).fill([0, 0])],
      sequenceIds: [...w.sequenceIds, ...new Array<null>(pad).fill(null)],
    };
  }

  decode(ids: number[], skipSpecialTokens = true): string {
    return ids
      .filter((id) => !(skipSpecialTokens && id in SPECIAL))
      .map((id) => this.names.get(id) ?? SPECIAL[id] ?? '?')
      .join(' ');
  }
}
