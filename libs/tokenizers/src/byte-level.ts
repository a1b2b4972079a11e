// GPT-2's byte-level alphabet: each of the 256 bytes is shown as one printable character (printable
// Latin-1 stands for itself, the rest become U+0100 + n; the space is "Ġ", newline "Ċ"), and the
// regex that cuts text into words before BPE.

function buildByteChars(): string[] {
  const chars: string[] = new Array<string>(256);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    chars[b] = String.fromCharCode(printable ? b : 256 + n++);
  }
  return chars;
}

export const BYTE_TO_CHAR: readonly string[] = buildByteChars();
export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));
export const SPACE_CHAR = BYTE_TO_CHAR[0x20] as string;

/**
 * GPT-2's pre-tokenisation pattern. \s is written as \p{White_Space}, which is what Python's regex
 * module and Rust's onig mean by it (JS \s would also take U+FEFF and miss U+0085).
 */
export const GPT2_SPLIT =
  /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+/gu;

/** One pre-token as byte-level characters, with the raw-text span of each byte. */
export interface ByteWord {
  chars: string;
  /** Per byte (= per character of `chars`): [start, end) of the code point it belongs to. */
  starts: number[];
  ends: number[];
}

/** UTF-8 bytes of `text` as byte-level characters; `base` is text's place in the raw string. */
export function toByteWord(text: string, base: number, prefixSpace = false): ByteWord {
  const w: ByteWord = { chars: '', starts: [], ends: [] };
  if (prefixSpace) {
    // An added space has no source: an empty span at the start keeps the word's span honest.
    w.chars += SPACE_CHAR;
    w.starts.push(base);
    w.ends.push(base);
  }
  let pos = 0;
  for (const ch of text) {
    const start = base + pos;
    const end = start + ch.length;
    pos += ch.length;
    const cp = ch.codePointAt(0) as number;
    // UTF-8 by hand: Buffer.from per character dominates the profile otherwise. A lone surrogate
    // encodes as U+FFFD, as Buffer does.
    const c = cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp;
    const n = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    for (let k = 0; k < n; k++) {
      const b =
        k === 0
          ? n === 1
            ? c
            : ((0xf00 >> n) & 0xff) | (c >> (6 * (n - 1)))
          : 0x80 | ((c >> (6 * (n - 1 - k))) & 0x3f);
      w.chars += BYTE_TO_CHAR[b] as string;
      w.starts.push(start);
      w.ends.push(end);
    }
  }
  return w;
}

/** Byte-level characters back to text (invalid UTF-8 becomes U+FFFD, as errors="replace"). */
export function byteCharsToText(chars: string): string {
  const bytes: number[] = [];
  for (const c of chars) {
    const b = CHAR_TO_BYTE.get(c);
    if (b !== undefined) bytes.push(b);
    else for (const x of Buffer.from(c, 'utf8')) bytes.push(x); // a character outside the alphabet (an added token): its own bytes
  }
  return new TextDecoder('utf-8').decode(new Uint8Array(bytes));
}
