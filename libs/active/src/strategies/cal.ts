// Contrastive active learning (Margatina et al. 2021): examples whose predictions differ most from those of their
// nearest labelled neighbours in the embedding space: score(x) = mean over the `neighbours` nearest labelled x_j of
// KL(p(.|x_j) || p(.|x)).
import { checkK, dist2, need, topByScore, type Strategy } from '../strategy.ts';

export const cal: Strategy = {
  name: 'cal',
  title: 'CAL',
  doc: 'the highest mean KL(p(.|x_j) || p(.|x)) over the nearest labelled neighbours x_j (embeddings)',
  citation: 'Margatina et al. 2021',
  needs: { embedding: true, labelled: true },
  options: {
    neighbours: { kind: 'int', default: 10, min: 1, doc: 'labelled neighbours each candidate is compared with' },
  },
  select: ({ pool, labelled, k, options }) => {
    checkK('cal', k, pool.ids.length);
    const e = need(pool.out.embedding, 'cal', 'pool embeddings');
    const l = need(labelled.out.embedding, 'cal', 'labelled embeddings');
    const lp = labelled.out.probs;
    const { n, numClasses: C, probs } = pool.out;
    const m = labelled.out.n;
    if (lp.length !== m * C) throw new Error("strategy cal: needs the labelled set's probabilities");
    const K = Math.min(Number(options.neighbours ?? 10), m);
    const eps = 1e-12;
    const s = new Float64Array(n);
    const d = new Float64Array(m);
    const idx = Array.from({ length: m }, (_, j) => j);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) d[j] = dist2(e.data, i, l.data, j, e.dim);
      idx.sort((a, b) => d[a]! - d[b]! || (labelled.ids[a]! < labelled.ids[b]! ? -1 : 1));
      let kl = 0;
      for (const j of idx.slice(0, K)) {
        for (let c = 0; c < C; c++) {
          const pj = lp[j * C + c]!;
          if (pj > 0) kl += pj * Math.log(pj / Math.max(probs[i * C + c]!, eps));
        }
      }
      s[i] = kl / K;
    }
    return topByScore(s, pool.ids, k, 'cal');
  },
};
