// BALD (Houlsby et al. 2011, with MC dropout as in Gal et al. 2017): the mutual information between the prediction
// and the weights, H(mean_t p_t) - mean_t H(p_t): high where the passes disagree, not where each is unsure.
import { topByScore, type Strategy } from '../strategy.ts';
import { mcEntropies } from './mc.ts';

export const bald: Strategy = {
  name: 'bald',
  title: 'BALD (MC dropout)',
  doc: 'the highest H(mean_t p_t) - mean_t H(p_t) over T seeded dropout passes',
  citation: 'Houlsby et al. 2011; Gal et al. 2017',
  needs: { mc: true },
  select: ({ pool, k }) => {
    const { total, expected } = mcEntropies(pool.out, 'bald');
    const s = total.map((t, i) => t - expected[i]!);
    return topByScore(s, pool.ids, k, 'bald');
  },
};
