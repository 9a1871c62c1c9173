import { existsSync, readFileSync } from 'node:fs';

/** A JSON file's content, undefined when absent; a malformed file throws a message naming it. */
export function readJsonFile<T = unknown>(file: string): T | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new Error(`${file} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}
