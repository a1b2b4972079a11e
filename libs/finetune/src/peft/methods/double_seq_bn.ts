// AdapterHub adapters 0.1.1 DoubleSeqBnConfig (Houlsby): a bottleneck adapter after the attention output and one
// after the feed-forward output, swish, no LayerNorm before the adapter: out = LN(up(swish(down(h))) + h + res).
// The block, its options and init are seq_bn.ts's.
import { bottleneckMethod, SEQ_BN_DEFAULTS } from './seq_bn.ts';

export const doubleSeqBn = bottleneckMethod(
  'double_seq_bn',
  'Double sequential bottleneck adapter, DoubleSeqBn / Houlsby (adapters 0.1.1)',
  { mh_adapter: true, output_adapter: true },
  { ...SEQ_BN_DEFAULTS, non_linearity: 'swish', original_ln_before: false },
);
