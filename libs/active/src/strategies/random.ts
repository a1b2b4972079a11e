// Passive learning: k examples drawn uniformly by the seed (the baseline every AL curve is compared with).
import { mulberry32 } from '@prunelab/core';
import { checkK, idOrder, type Strategy } from '../strategy.ts';

export const random: Strategy = {
  name: 'random',
  title: 'random',
  doc: 'k examples drawn uniformly from the pool by the seed (passive learning)',
  citation: '',
  needs: {},
  select: ({ pool, k, seed }) => {
    checkK('random', k, pool.ids.length);
    // shuffle the id order, not the input order: the draw depends on the pool's ids and the seed only
    const order = idOrder(pool.ids);
    const rand = mulberry32(seed);
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(rand() * (order.length - i));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    return order.slice(0, k);
  },
};
