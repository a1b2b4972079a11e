// Several methods' hooks as one (UniPELT: LoRA on the linears, a bottleneck at the sublayer end, an attention
// prefix). At each hook point the first method that acts there wins; the parts of a union use disjoint points.
import type { PeftHooks } from './hooks.ts';

export function composeHooks(parts: PeftHooks[]): PeftHooks {
  const out: PeftHooks = {};
  const linears = parts.filter((h) => h.linear);
  if (linears.length) {
    out.linear = (module, x, w, b, ctx) => {
      for (const h of linears) {
        const y = h.linear!(module, x, w, b, ctx);
        if (y) return y;
      }
      return undefined;
    };
  }
  const sublayers = parts.filter((h) => h.sublayer);
  if (sublayers.length) {
    out.sublayer = (layer, part, h, res, norm, ctx) => {
      for (const p of sublayers) {
        const y = p.sublayer!(layer, part, h, res, norm, ctx);
        if (y) return y;
      }
      return undefined;
    };
  }
  const prefixes = parts.filter((h) => h.prefix);
  if (prefixes.length) {
    out.prefix = (layer, x, ctx) => {
      for (const p of prefixes) {
        const y = p.prefix!(layer, x, ctx);
        if (y) return y;
      }
      return undefined;
    };
  }
  const past = parts.find((h) => h.pastLength)?.pastLength;
  if (past) out.pastLength = past;
  const prompt = parts.find((h) => h.prompt)?.prompt;
  if (prompt) out.prompt = prompt;
  return out;
}
