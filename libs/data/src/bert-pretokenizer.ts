// BERT's text normalisation and pre-tokenisation, as the slow Hugging Face BasicTokenizer does it
// (the reference fixtures come from it): drop control chars, map whitespace to ' ', put spaces around
// CJK ideographs, NFC, lowercase, strip accents, then split on whitespace and on every punctuation char.

export interface BertNormalizerConfig {
  cleanText: boolean;
  handleChineseChars: boolean;
  /** null = follow `lowercase` (the BERT convention: uncased models also strip accents). */
  stripAccents: boolean | null;
  lowercase: boolean;
}

const PUNCT = /^\p{P}$/u;
const CONTROL = /^\p{C}$/u;
const SPACE_SEP = /^\p{Zs}$/u;
const MARK_NONSPACING = /\p{Mn}/gu;
const WHITESPACE = /\s+/u;

/** HF's definition: all non-letter/number ASCII symbols count, plus Unicode category P*. */
export function isPunctuation(cp: number): boolean {
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) return true;
  return PUNCT.test(String.fromCodePoint(cp));
}

/** CJK Unified Ideographs blocks (not Hangul or kana, which are written with spaces). */
export function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

function isWhitespaceChar(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || SPACE_SEP.test(ch);
}

function isControlChar(ch: string): boolean {
  if (ch === '\t' || ch === '\n' || ch === '\r') return false; // counted as whitespace instead
  return CONTROL.test(ch);
}

export function bertNormalize(text: string, cfg: BertNormalizerConfig): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    if (cfg.cleanText) {
      if (cp === 0 || cp === 0xfffd || isControlChar(ch)) continue;
      if (isWhitespaceChar(ch)) {
        out += ' ';
        continue;
      }
    }
    out += cfg.handleChineseChars && isChineseChar(cp) ? ` ${ch} ` : ch;
  }
  out = out.normalize('NFC');
  if (cfg.lowercase) out = out.toLowerCase();
  if (cfg.stripAccents ?? cfg.lowercase) out = out.normalize('NFD').replace(MARK_NONSPACING, '');
  return out;
}

/** BertPreTokenizer: whitespace splits words, and every punctuation char becomes its own word. */
export function bertPreTokenize(text: string): string[] {
  const words: string[] = [];
  for (const chunk of text.split(WHITESPACE)) {
    let cur = '';
    for (const ch of chunk) {
      if (isPunctuation(ch.codePointAt(0) as number)) {
        if (cur) words.push(cur);
        words.push(ch);
        cur = '';
      } else cur += ch;
    }
    if (cur) words.push(cur);
  }
  return words;
}
