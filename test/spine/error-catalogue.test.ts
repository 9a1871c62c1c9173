import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fromWireError, toWireError } from '../../src/engine/worker-protocol.js';
import { ERROR_CODES, errorLine, isSdliveError, SdliveError, type ErrorCode } from '../../src/errors.js';

const DOCS = join(import.meta.dirname, '../../docs');
const codes = Object.keys(ERROR_CODES) as ErrorCode[];

/** `| \`SDL_ERR_X\` | meaning | what to do |` rows of the table in docs/errors.md. */
function documentedRows(): Map<string, string> {
  const text = readFileSync(join(DOCS, 'errors.md'), 'utf8');
  return new Map([...text.matchAll(/^\| `(SDL_ERR_[A-Z_]+)` \| ([^|]+?) \|/gm)].map((m) => [m[1]!, m[2]!]));
}

test('the catalogue holds exactly 21 codes (a new code: raise this count, add its row to docs/errors.md)', () => {
  assert.equal(codes.length, 21);
});

test('every code is its own key: prefixed, described, and the same code after a round trip through the worker', () => {
  for (const code of codes) {
    assert.match(code, /^SDL_ERR_[A-Z]+(_[A-Z]+)*$/);
    const description = ERROR_CODES[code];
    assert.match(description, /^[A-Z].{15,}\.$/, `${code} has a one-sentence description`);
    const e = new SdliveError(code, 'what happened', 'field');
    assert.equal(e.code, code);
    assert.equal(errorLine(e), `${code}: what happened`);
    const back = fromWireError(toWireError(e));
    assert.ok(isSdliveError(back, code), `${code} survives the worker protocol`);
  }
  assert.equal(new Set(Object.values(ERROR_CODES)).size, codes.length, 'no two codes share a description');
});

test('every code has a row in the docs/errors.md table with the catalogue meaning, and the table documents no other code', () => {
  const rows = documentedRows();
  for (const code of codes) assert.equal(rows.get(code), ERROR_CODES[code], `${code} in docs/errors.md`);
  assert.deepEqual([...rows.keys()].filter((code) => !(code in ERROR_CODES)), [], 'documented codes that do not exist');
});

test('every SDL_ERR_ code the docs mention exists', () => {
  for (const file of readdirSync(DOCS).filter((f) => f.endsWith('.md'))) {
    const mentioned = readFileSync(join(DOCS, file), 'utf8').match(/SDL_ERR_[A-Z_]*[A-Z]/g) ?? [];
    assert.deepEqual(mentioned.filter((code) => !(code in ERROR_CODES)), [], `unknown codes in docs/${file}`);
  }
});
