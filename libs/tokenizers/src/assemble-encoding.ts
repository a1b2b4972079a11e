// From the pieces of one or two texts to a model input row: truncate (HF semantics), add the special
// tokens of the template, pad. Shared by the WordPiece and byte-level BPE tokenizers.
import { applyTemplate, CONCATENATION, countSpecial, type SpecialTemplate } from './special-template.ts';
import type { EncodeOptions, Encoded, Pieces } from './tokenizer-types.ts';
import { truncatedLengths } from './truncation.ts';

export interface PadToken {
  id: number;
  token: string;
}

const cut = (p: Pieces, n: number): Pieces =>
  n >= p.ids.length ? p : { ids: p.ids.slice(0, n), tokens: p.tokens.slice(0, n), offsets: p.offsets.slice(0, n) };

export function assembleEncoding(
  template: SpecialTemplate,
  pad: PadToken,
  a: Pieces,
  b: Pieces | undefined,
  opts: EncodeOptions = {},
): Encoded {
  const addSpecial = opts.addSpecialTokens ?? true;
  const tpl = addSpecial ? template : CONCATENATION;
  const maxLength = opts.maxLength;
  const truncation = opts.truncation ?? (maxLength === undefined ? 'none' : 'longest_first');
  const padding = opts.padding ?? (maxLength === undefined ? 'none' : 'max_length');
  if (maxLength !== undefined && (!Number.isInteger(maxLength) || maxLength < 0)) {
    throw new Error(`maxLength must be a non-negative integer, got ${maxLength}`);
  }
  if (maxLength === undefined && (truncation !== 'none' || padding !== 'none')) {
    throw new Error(`truncation '${truncation}' / padding '${padding}' need a maxLength`);
  }
  let pa = a;
  let pb = b;
  if (truncation !== 'none' && maxLength !== undefined) {
    const nSpecial = countSpecial(tpl, b !== undefined);
    if (maxLength < nSpecial) {
      throw new Error(`maxLength must be an integer >= ${nSpecial} (room for the special tokens), got ${maxLength}`);
    }
    const [ka, kb] = truncatedLengths(
      a.ids.length,
      b?.ids.length,
      maxLength - nSpecial,
      truncation,
      opts.truncationStyle ?? 'slow',
    );
    pa = cut(a, ka);
    pb = b && cut(b, kb);
  }
  const row = applyTemplate(tpl, pa, pb);
  const enc: Encoded = { ...row, attentionMask: row.inputIds.map(() => 1) };
  if (padding === 'max_length' && maxLength !== undefined) padEncoded(enc, maxLength, pad);
  return enc;
}

/** Right-pads in place to `length` (no-op when already that long or longer, as in HF). */
export function padEncoded(e: Encoded, length: number, pad: PadToken): Encoded {
  while (e.inputIds.length < length) {
    e.inputIds.push(pad.id);
    e.attentionMask.push(0);
    e.tokenTypeIds.push(0);
    e.tokens.push(pad.token);
    e.offsets.push([0, 0]);
    e.sequenceIds.push(null);
  }
  return e;
}

/** Batch padding to the longest row (HF padding=true), optionally to at least `minLength`. Returns copies. */
export function padBatch(rows: Encoded[], padIdOrToken: number | PadToken, minLength = 0): Encoded[] {
  const pad = typeof padIdOrToken === 'number' ? { id: padIdOrToken, token: '' } : padIdOrToken;
  const width = Math.max(minLength, ...rows.map((r) => r.inputIds.length));
  return rows.map((r) =>
    padEncoded(
      {
        inputIds: [...r.inputIds],
        attentionMask: [...r.attentionMask],
        tokenTypeIds: [...r.tokenTypeIds],
        tokens: [...r.tokens],
        offsets: r.offsets.map(([s, e]) => [s, e] as [number, number]),
        sequenceIds: [...r.sequenceIds],
      },
      width,
      pad,
    ),
  );
}
