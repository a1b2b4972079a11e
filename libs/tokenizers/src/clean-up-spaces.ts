// transformers' clean_up_tokenization: the spaces a decode leaves before punctuation and in
// English contractions ("it 's" -> "it's"). Applied when the tokenizer's config asks for it.
const RULES: Array<[string, string]> = [
  [' .', '.'],
  [' ?', '?'],
  [' !', '!'],
  [' ,', ','],
  [" ' ", "'"],
  [" n't", "n't"],
  [" 'm", "'m"],
  [" 's", "'s"],
  [" 've", "'ve"],
  [" 're", "'re"],
];

export function cleanUpTokenizationSpaces(text: string): string {
  let out = text;
  for (const [from, to] of RULES) out = out.split(from).join(to);
  return out;
}
