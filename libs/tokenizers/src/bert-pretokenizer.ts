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
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126))
    return true;
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

// ---- The same pipeline with alignment back to the raw text (for character offsets) ----

/** Normalised text plus, per UTF-16 unit of it, the [start, end) of the raw text it came from.
 * start/end null: unit i came from base + i (nothing changed length). */
export interface AlignedText {
  text: string;
  start: number[] | null;
  end: number[] | null;
  base: number;
}

/** The raw-text span of normalised units [s, e). */
export function alignedSpan(a: AlignedText, s: number, e: number): [number, number] {
  if (a.start === null || a.end === null) return [a.base + s, a.base + e];
  return [a.start[s] as number, a.end[e - 1] as number];
}

const PLAIN_ASCII = /^[\t\n\r\x20-\x7e]*$/;
const ASCII_SPACES = /[\t\n\r]/g;

const MARK = /^\p{M}$/u;

/** Code points that can compose with what precedes them under NFC: marks and Hangul medial/final jamo. */
function joinsPrevious(ch: string, cp: number): boolean {
  return (cp >= 0x1160 && cp <= 0x11ff) || MARK.test(ch);
}

/**
 * bertNormalize, tracking where each output unit came from. The text is cut into NFC clusters (a
 * starter and the marks after it), each normalised alone; lowercasing is taken from the whole
 * string so the context-dependent final sigma matches str.lower()/toLowerCase of the whole text.
 * `base` is added to every position (the span's place in a larger text).
 */
export function bertNormalizeAligned(input: string, cfg: BertNormalizerConfig, base = 0): AlignedText {
  // Fast path (most English text): printable ASCII keeps its length through every step.
  if (PLAIN_ASCII.test(input)) {
    let text = cfg.cleanText ? input.replace(ASCII_SPACES, ' ') : input;
    if (cfg.lowercase) text = text.toLowerCase();
    return { text, start: null, end: null, base };
  }
  const clusters: { s: string; start: number; end: number }[] = [];
  let pos = 0;
  for (const ch of input) {
    const start = base + pos;
    const end = start + ch.length;
    pos += ch.length;
    const cp = ch.codePointAt(0) as number;
    if (cfg.cleanText) {
      if (cp === 0 || cp === 0xfffd || isControlChar(ch)) continue;
      if (isWhitespaceChar(ch)) {
        clusters.push({ s: ' ', start, end });
        continue;
      }
    }
    const last = clusters[clusters.length - 1];
    if (cfg.handleChineseChars && isChineseChar(cp))
      clusters.push({ s: ' ', start, end }, { s: ch, start, end }, { s: ' ', start, end });
    else if (last && joinsPrevious(ch, cp)) {
      last.s += ch;
      last.end = end;
    } else clusters.push({ s: ch, start, end });
  }
  let outs = clusters.map((c) => c.s.normalize('NFC'));
  if (cfg.lowercase) {
    const whole = outs.join('').toLowerCase();
    let at = 0;
    const lowered = outs.map((s) => {
      const n = s.toLowerCase().length; // case-mapping lengths never depend on context
      const part = whole.slice(at, at + n);
      at += n;
      return part;
    });
    outs = at === whole.length ? lowered : outs.map((s) => s.toLowerCase());
  }
  if (cfg.stripAccents ?? cfg.lowercase) outs = outs.map((s) => s.normalize('NFD').replace(MARK_NONSPACING, ''));
  const start: number[] = [];
  const end: number[] = [];
  outs.forEach((s, i) => {
    const c = clusters[i] as { start: number; end: number };
    for (let k = 0; k < s.length; k++) {
      start.push(c.start);
      end.push(c.end);
    }
  });
  return { text: outs.join(''), start, end, base };
}

/** A pre-tokenised word and its [start, end) in the string it was cut from. */
export interface WordSpan {
  word: string;
  start: number;
  end: number;
}

/** bertPreTokenize with positions. */
export function bertPreTokenizeSpans(text: string): WordSpan[] {
  const words: WordSpan[] = [];
  let cur = '';
  let curStart = 0;
  let pos = 0;
  const flush = () => {
    if (cur) words.push({ word: cur, start: curStart, end: curStart + cur.length });
    cur = '';
  };
  for (const ch of text) {
    if (WHITESPACE.test(ch)) flush();
    else if (isPunctuation(ch.codePointAt(0) as number)) {
      flush();
      words.push({ word: ch, start: pos, end: pos + ch.length });
    } else {
      if (!cur) curStart = pos;
      cur += ch;
    }
    pos += ch.length;
  }
  flush();
  return words;
}
