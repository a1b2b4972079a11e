// MC-dropout entropy (Gal et al. 2017; "MC" in Jukić & Šnajder 2023): the entropy of the mean of T dropout passes.
import { topByScore, type Strategy } from '../strategy.ts';
import { mcEntropies } from './mc.ts';

export const mcEntropy: Strategy = {
  name: 'mc_entropy',
  title: 'MC dropout (entropy)',
  doc: 'the highest entropy of the mean of T seeded dropout passes, H(mean_t p_t(c|x))',
  citation: 'Gal et al. 2017',
  needs: { mc: true },
  select: ({ pool, k }) => topByScore(mcEntropies(pool.out, 'mc_entropy').total, pool.ids, k, 'mc_entropy'),
};
