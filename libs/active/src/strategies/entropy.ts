// Entropy sampling (Settles 2009; "ER" in Jukić & Šnajder 2023): the highest predictive entropy -sum_c p log p.
import { rowEntropy, topByScore, type Strategy } from '../strategy.ts';

export const entropy: Strategy = {
  name: 'entropy',
  title: 'entropy',
  doc: 'the highest predictive entropy -sum_c p(c|x) log p(c|x)',
  citation: 'Settles 2009',
  needs: {},
  select: ({ pool, k }) => {
    const { n, numClasses: C, probs } = pool.out;
    const s = new Float64Array(n);
    for (let i = 0; i < n; i++) s[i] = rowEntropy(probs, i, C);
    return topByScore(s, pool.ids, k, 'entropy');
  },
};
