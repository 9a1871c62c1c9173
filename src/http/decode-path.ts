import type { ServerResponse } from 'node:http';
import { decodedOrUndefined } from '../util/percent-decode.js';
import { sendJson } from './server.js';

/** A URL path percent-decoded; undefined, after answering 400, when its encoding is malformed (`/%`, `/%E0%A4%A`). */
export function decodePathOr400(res: ServerResponse, path: string): string | undefined {
  const decoded = decodedOrUndefined(path);
  if (decoded === undefined) sendJson(res, 400, { error: 'malformed percent-encoding in the URL path' });
  return decoded;
}
