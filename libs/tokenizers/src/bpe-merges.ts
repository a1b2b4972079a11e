// The BPE merge loop of GPT-2's encoder.py (and transformers' slow GPT2/RoBERTa tokenizers):
// repeatedly merge every occurrence of the adjacent pair with the lowest merge rank.

const pairKey = (a: string, b: string) => `${a.length}:${a}${b}`; // unambiguous whatever the symbols hold

/** Parses merges given as "a b" strings (merges.txt, vocab.bpe, older tokenizer.json) or [a, b] pairs. */
export function parseMerges(list: unknown[], where: string): Array<[string, string]> {
  return list.map((m, i) => {
    if (typeof m === 'string') {
      const sp = m.indexOf(' ');
      if (sp <= 0 || sp === m.length - 1 || m.indexOf(' ', sp + 1) !== -1)
        throw new Error(`${where}: merge #${i} ${JSON.stringify(m)} is not two symbols separated by one space`);
      return [m.slice(0, sp), m.slice(sp + 1)];
    }
    if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string') return [m[0], m[1]];
    throw new Error(`${where}: merge #${i} is neither "a b" nor ["a", "b"]`);
  });
}

export class BpeMerges {
  readonly size: number;
  private readonly ranks = new Map<string, number>();
  private readonly cache = new Map<string, string[]>();
  private static readonly CACHE_MAX = 50_000;

  constructor(merges: Array<[string, string]>) {
    merges.forEach(([a, b], rank) => {
      const k = pairKey(a, b);
      if (!this.ranks.has(k)) this.ranks.set(k, rank);
    });
    this.size = merges.length;
  }

  /** Symbols of one word (its characters, merged). */
  apply(word: string): string[] {
    const hit = this.cache.get(word);
    if (hit) return hit;
    let symbols = Array.from(word);
    while (symbols.length > 1) {
      let best = Infinity;
      let first = '';
      let second = '';
      for (let i = 0; i + 1 < symbols.length; i++) {
        const r = this.ranks.get(pairKey(symbols[i] as string, symbols[i + 1] as string));
        if (r !== undefined && r < best) {
          best = r;
          first = symbols[i] as string;
          second = symbols[i + 1] as string;
        }
      }
      if (best === Infinity) break;
      const next: string[] = [];
      for (let i = 0; i < symbols.length; ) {
        if (symbols[i] === first && symbols[i + 1] === second) {
          next.push(first + second);
          i += 2;
        } else next.push(symbols[i++] as string);
      }
      symbols = next;
    }
    if (this.cache.size >= BpeMerges.CACHE_MAX) this.cache.clear();
    this.cache.set(word, symbols);
    return symbols;
  }
}
