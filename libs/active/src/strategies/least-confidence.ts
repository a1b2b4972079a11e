// Least confidence (Lewis & Gale 1994): the examples whose most likely class is least likely, 1 - max_c p(c|x).
import { topByScore, type Strategy } from '../strategy.ts';

export const leastConfidence: Strategy = {
  name: 'least_confidence',
  title: 'least confidence',
  doc: 'the highest 1 - max_c p(c|x)',
  citation: 'Lewis & Gale 1994',
  needs: {},
  select: ({ pool, k }) => {
    const { n, numClasses: C, probs } = pool.out;
    const s = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let m = 0;
      for (let c = 0; c < C; c++) m = Math.max(m, probs[i * C + c]!);
      s[i] = 1 - m;
    }
    return topByScore(s, pool.ids, k, 'least_confidence');
  },
};
