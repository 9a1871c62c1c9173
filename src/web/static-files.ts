import { readFile } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodePathOr400 } from '../http/decode-path.js';
import type { RouteHandler } from '../http/server.js';

/** The package's src/web/static, from src/web (tsx) and from dist/web (compiled) alike. */
export const STATIC_DIR = fileURLToPath(new URL('../../src/web/static/', import.meta.url));

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
};

/** Serves files under `dir` for URLs under `prefix` (index.html for the folder); nothing outside `dir`. */
export function staticFiles(prefix: string, dir = STATIC_DIR): RouteHandler {
  const root = resolve(dir);
  return async (_req, res, url) => {
    const decoded = decodePathOr400(res, url.pathname.slice(prefix.length));
    if (decoded === undefined) return;
    const rel = decoded || 'index.html';
    const file = resolve(root, rel.endsWith('/') ? `${rel}index.html` : rel);
    const type = TYPES[extname(file)];
    if (!file.startsWith(root + sep) || !type) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  };
}
