// Added tokens ([CLS], [MASK], <s>, <mask>, ...) written in raw text are kept whole and split out
// before normalisation and pre-tokenisation, as transformers does. lstrip/rstrip tokens swallow the
// whitespace on that side (RoBERTa's <mask> has lstrip: "The <mask>" -> "The", "<mask>").

export interface AddedToken {
  content: string;
  id: number;
  special: boolean;
  lstrip: boolean;
  rstrip: boolean;
  singleWord: boolean;
}

/** A piece of raw text: plain text to tokenise, or one added token. [start, end) in the raw text. */
export interface TextSpan {
  start: number;
  end: number;
  added?: AddedToken;
}

type Json = Record<string, unknown>;
const isObj = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);
const SPACE = /^\p{White_Space}$/u;
const WORD = /^[\p{L}\p{N}_]$/u;

/** The added_tokens list of a tokenizer.json. */
export function parseAddedTokens(list: unknown, fail: (what: string) => Error): AddedToken[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw fail('added_tokens is not a list');
  return list.map((t, i) => {
    if (!isObj(t) || typeof t['content'] !== 'string' || !Number.isInteger(t['id']))
      throw fail(`added_tokens[${i}] needs a string "content" and an integer "id"`);
    return {
      content: t['content'],
      id: t['id'] as number,
      special: t['special'] === true,
      lstrip: t['lstrip'] === true,
      rstrip: t['rstrip'] === true,
      singleWord: t['single_word'] === true,
    };
  });
}

export class AddedTokenSplitter {
  private readonly byFirst = new Map<string, AddedToken[]>();

  constructor(tokens: AddedToken[]) {
    for (const t of tokens) {
      if (t.content === '') continue;
      const k = t.content[0] as string;
      const list = this.byFirst.get(k) ?? [];
      list.push(t);
      this.byFirst.set(k, list);
    }
    for (const list of this.byFirst.values()) list.sort((x, y) => y.content.length - x.content.length);
  }

  /** Leftmost, longest match first. Plain spans may be empty-free; whitespace swallowed by lstrip/rstrip is dropped. */
  split(text: string): TextSpan[] {
    if (this.byFirst.size === 0) return text ? [{ start: 0, end: text.length }] : [];
    const spans: TextSpan[] = [];
    let plainStart = 0;
    for (let i = 0; i < text.length; ) {
      const hit = this.byFirst
        .get(text[i] as string)
        ?.find((t) => text.startsWith(t.content, i) && this.wordOk(t, text, i));
      if (!hit) {
        i++;
        continue;
      }
      let plainEnd = i;
      if (hit.lstrip) while (plainEnd > plainStart && SPACE.test(text[plainEnd - 1] as string)) plainEnd--;
      if (plainEnd > plainStart) spans.push({ start: plainStart, end: plainEnd });
      spans.push({ start: i, end: i + hit.content.length, added: hit });
      i += hit.content.length;
      if (hit.rstrip) while (i < text.length && SPACE.test(text[i] as string)) i++;
      plainStart = i;
    }
    if (plainStart < text.length) spans.push({ start: plainStart, end: text.length });
    return spans;
  }

  private wordOk(t: AddedToken, text: string, i: number): boolean {
    if (!t.singleWord) return true;
    const before = text[i - 1];
    const after = text[i + t.content.length];
    return !(before !== undefined && WORD.test(before)) && !(after !== undefined && WORD.test(after));
  }
}
