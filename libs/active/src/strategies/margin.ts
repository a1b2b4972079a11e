// Margin sampling (Scheffer et al. 2001): the smallest gap between the two most likely classes, p(1st) - p(2nd).
import { topByScore, type Strategy } from '../strategy.ts';

export const margin: Strategy = {
  name: 'margin',
  title: 'margin',
  doc: 'the smallest p(first class|x) - p(second class|x)',
  citation: 'Scheffer et al. 2001',
  needs: {},
  select: ({ pool, k }) => {
    const { n, numClasses: C, probs } = pool.out;
    const s = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let a = -1;
      let b = -1;
      for (let c = 0; c < C; c++) {
        const v = probs[i * C + c]!;
        if (v > a) [a, b] = [v, a];
        else if (v > b) b = v;
      }
      s[i] = -(a - b); // the highest score is the smallest margin
    }
    return topByScore(s, pool.ids, k, 'margin');
  },
};
