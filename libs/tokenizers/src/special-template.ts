// Where a model's special tokens go around one or two segments, read from tokenizer.json's
// post_processor (TemplateProcessing, RobertaProcessing, BertProcessing) or named explicitly.

export type TemplateItem =
  | { kind: 'special'; token: string; ids: number[]; typeId: number }
  | { kind: 'sequence'; seq: 0 | 1; typeId: number };

export interface SpecialTemplate {
  single: TemplateItem[];
  pair: TemplateItem[];
}

type Json = Record<string, unknown>;
const isObj = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);

const seq = (s: 0 | 1, typeId: number): TemplateItem => ({ kind: 'sequence', seq: s, typeId });
const sp = (token: string, id: number, typeId: number): TemplateItem => ({ kind: 'special', token, ids: [id], typeId });

/** [CLS] a [SEP] (b [SEP]), token types 0 then 1. */
export function bertTemplate(cls: [string, number], sep: [string, number]): SpecialTemplate {
  return {
    single: [sp(...cls, 0), seq(0, 0), sp(...sep, 0)],
    pair: [sp(...cls, 0), seq(0, 0), sp(...sep, 0), seq(1, 1), sp(...sep, 1)],
  };
}

/** <s> a </s> (</s> b </s>), token types all 0 (RoBERTa has a single token type). */
export function robertaTemplate(cls: [string, number], sep: [string, number]): SpecialTemplate {
  return {
    single: [sp(...cls, 0), seq(0, 0), sp(...sep, 0)],
    pair: [sp(...cls, 0), seq(0, 0), sp(...sep, 0), sp(...sep, 0), seq(1, 0), sp(...sep, 0)],
  };
}

/** OPT (the fast tokenizer transformers builds for it): BOS a (b), no EOS, no separator; b has type 1
 * like the converted template, though OPT takes no token types. */
export function bosTemplate(bos: [string, number]): SpecialTemplate {
  return { single: [sp(...bos, 0), seq(0, 0)], pair: [sp(...bos, 0), seq(0, 0), seq(1, 1)] };
}

/** GPT-2's (no special tokens; the second segment has type 1, as in transformers). */
export const NO_SPECIAL_TOKENS: SpecialTemplate = { single: [seq(0, 0)], pair: [seq(0, 0), seq(1, 1)] };

/** add_special_tokens=False: plain concatenation, every token type 0 (the slow tokenizer's prepare_for_model). */
export const CONCATENATION: SpecialTemplate = { single: [seq(0, 0)], pair: [seq(0, 0), seq(1, 0)] };

export function countSpecial(t: SpecialTemplate, pair: boolean): number {
  let n = 0;
  for (const item of pair ? t.pair : t.single) if (item.kind === 'special') n += item.ids.length;
  return n;
}

/** A [token, id] pair from RobertaProcessing/BertProcessing ("sep": ["</s>", 2]). */
function tokenPair(x: unknown, where: string, fail: (what: string) => Error): [string, number] {
  if (Array.isArray(x) && typeof x[0] === 'string' && Number.isInteger(x[1])) return [x[0], x[1] as number];
  throw fail(`${where} is not a ["token", id] pair`);
}

function templateItems(list: unknown, where: string, specials: Json, fail: (what: string) => Error): TemplateItem[] {
  if (!Array.isArray(list)) throw fail(`${where} is not a list`);
  return list.map((raw, i) => {
    const at = `${where}[${i}]`;
    if (isObj(raw) && isObj(raw['Sequence'])) {
      const s = raw['Sequence'];
      if (s['id'] !== 'A' && s['id'] !== 'B') throw fail(`${at}.Sequence.id must be "A" or "B"`);
      return seq(s['id'] === 'A' ? 0 : 1, Number(s['type_id'] ?? 0));
    }
    if (isObj(raw) && isObj(raw['SpecialToken'])) {
      const s = raw['SpecialToken'];
      const name = String(s['id']);
      const def = specials[name];
      if (!isObj(def) || !Array.isArray(def['ids']))
        throw fail(`${at} names special token ${JSON.stringify(name)}, which special_tokens does not define`);
      return {
        kind: 'special',
        token: name,
        ids: (def['ids'] as unknown[]).map(Number),
        typeId: Number(s['type_id'] ?? 0),
      };
    }
    throw fail(`${at} is neither {"Sequence": ...} nor {"SpecialToken": ...}`);
  });
}

/**
 * The template of a tokenizer.json post_processor, or null when it adds no special tokens
 * (null, ByteLevel) so the caller can pick a default.
 */
export function templateFromPostProcessor(pp: unknown, fail: (what: string) => Error): SpecialTemplate | null {
  if (pp === null || pp === undefined) return null;
  if (!isObj(pp)) throw fail('post_processor is not an object');
  switch (pp['type']) {
    case 'TemplateProcessing': {
      const specials = isObj(pp['special_tokens']) ? pp['special_tokens'] : {};
      return {
        single: templateItems(pp['single'], 'post_processor.single', specials, fail),
        pair: templateItems(pp['pair'], 'post_processor.pair', specials, fail),
      };
    }
    case 'RobertaProcessing':
      return robertaTemplate(
        tokenPair(pp['cls'], 'post_processor.cls', fail),
        tokenPair(pp['sep'], 'post_processor.sep', fail),
      );
    case 'BertProcessing':
      return bertTemplate(
        tokenPair(pp['cls'], 'post_processor.cls', fail),
        tokenPair(pp['sep'], 'post_processor.sep', fail),
      );
    case 'ByteLevel':
      return null;
    case 'Sequence': {
      // e.g. [ByteLevel (offsets only), TemplateProcessing]: the template is the one adding tokens.
      const parts = Array.isArray(pp['processors']) ? pp['processors'] : [];
      let found: SpecialTemplate | null = null;
      for (const p of parts) found = templateFromPostProcessor(p, fail) ?? found;
      return found;
    }
    default:
      throw fail(
        `post_processor type ${JSON.stringify(pp['type'])} is not supported (TemplateProcessing, RobertaProcessing, ` +
          `BertProcessing, ByteLevel, Sequence are)`,
      );
  }
}

export interface Assembled {
  inputIds: number[];
  tokenTypeIds: number[];
  sequenceIds: Array<0 | 1 | null>;
  tokens: string[];
  offsets: Array<[number, number]>;
}

interface Segment {
  ids: number[];
  tokens?: string[];
  offsets?: Array<[number, number]>;
}

/** Lays out the segments and special tokens of a template (tokens/offsets filled when given). */
export function applyTemplate(t: SpecialTemplate, a: Segment, b?: Segment): Assembled {
  const out: Assembled = { inputIds: [], tokenTypeIds: [], sequenceIds: [], tokens: [], offsets: [] };
  for (const item of b ? t.pair : t.single) {
    if (item.kind === 'special') {
      for (const id of item.ids) {
        out.inputIds.push(id);
        out.tokenTypeIds.push(item.typeId);
        out.sequenceIds.push(null);
        out.tokens.push(item.token);
        out.offsets.push([0, 0]);
      }
      continue;
    }
    const s = item.seq === 0 ? a : b;
    if (!s) continue;
    s.ids.forEach((id, i) => {
      out.inputIds.push(id);
      out.tokenTypeIds.push(item.typeId);
      out.sequenceIds.push(item.seq);
      out.tokens.push(s.tokens?.[i] ?? '');
      out.offsets.push(s.offsets?.[i] ?? [0, 0]);
    });
  }
  return out;
}
