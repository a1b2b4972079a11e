// Reading a tokenizer.json (or any JSON file a tokenizer needs) with errors that name the file and the fix.
import fs from 'node:fs';

export type Json = Record<string, unknown>;
export const isObj = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);

export function readJsonObject(file: string, expected: string): Json {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read tokenizer file ${file}: ${(err as Error).message}; expected ${expected}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${(err as Error).message}); expected ${expected}`);
  }
  if (!isObj(json)) throw new Error(`${file}: expected a JSON object (${expected})`);
  return json;
}
