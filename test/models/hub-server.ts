import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';

/** A file of a fixture repo; `virtualSize` lists a file whose bytes the stand-in never has (it must not be asked for). */
export interface RepoFile {
  path: string;
  bytes?: Buffer;
  virtualSize?: number;
}

export interface FixtureRepo {
  repo: string;
  commit: string;
  license?: string;
  files: RepoFile[];
}

export interface SeenRequest {
  method: string;
  path: string;
  range?: string;
  authorization?: string;
}

export interface StandInOptions {
  /** Only requests under this path prefix are answered (a mirror at https://host/prefix). */
  prefix?: string;
  /** Tree pages of this many entries, linked by `Link: <...>; rel="next"`. */
  pageSize?: number;
  /** Every request needs `Authorization: Bearer <token>`. */
  token?: string;
}

/** Files a model folder on disk holds, as repo files (.onnx as LFS, like the hub stores them). */
export function filesOf(dir: string, under = ''): RepoFile[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => {
    const full = join(e.parentPath, e.name);
    return { path: `${under}${relative(dir, full)}`, bytes: readFileSync(full) };
  });
}

const isLfs = (path: string) => /\.(onnx|onnx_data|safetensors)$/.test(path);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const gitOid = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');

/**
 * A stand-in for huggingface.co answering what @huggingface/hub 2.17 asks (revision, tree with Link pagination,
 * paths-info, resolve with Range/206/ETag, 404 with X-Error-Code) on 127.0.0.1, recording every request.
 */
export class StandInHub {
  readonly requests: SeenRequest[] = [];
  /** Paths whose next full download is cut after half its bytes. */
  readonly cutOnce = new Set<string>();
  /** Paths served with one byte flipped (a mirror serving other bytes). */
  readonly corrupt = new Set<string>();
  private server?: Server;

  constructor(readonly repos: FixtureRepo[], private readonly options: StandInOptions = {}) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => this.answer(req, res));
    await new Promise<void>((ok) => this.server!.listen(0, '127.0.0.1', ok));
    return `${this.origin()}${this.options.prefix ?? ''}`;
  }

  origin(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((ok) => (this.server ? this.server.close(() => ok()) : ok()));
  }

  /** Downloads of file bytes (resolve requests other than the library's 1-byte probe). */
  downloads(): SeenRequest[] {
    return this.requests.filter((r) => r.path.includes('/resolve/') && r.range !== 'bytes=0-0');
  }

  entry(file: RepoFile): Record<string, unknown> {
    const size = file.bytes?.length ?? file.virtualSize ?? 0;
    const oid = file.bytes ? gitOid(file.bytes) : createHash('sha1').update(file.path).digest('hex');
    const base = { type: 'file', path: file.path, size, oid };
    if (!isLfs(file.path)) return base;
    const lfsOid = file.bytes ? sha256(file.bytes) : createHash('sha256').update(file.path).digest('hex');
    return { ...base, lfs: { oid: lfsOid, size, pointerSize: 134 } };
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push({ method: req.method ?? '', path: url.pathname, range: req.headers.range, authorization: req.headers.authorization });
    const prefix = this.options.prefix ?? '';
    if (!url.pathname.startsWith(`${prefix}/`)) return this.json(res, 404, { error: 'not this mirror' });
    if (this.options.token && req.headers.authorization !== `Bearer ${this.options.token}`) return this.json(res, 401, { error: 'Invalid credentials' });
    const path = decodeURIComponent(url.pathname.slice(prefix.length));
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/(revision|tree|paths-info)\/([^/]+)$/.exec(path);
    if (api) return this.api(req, res, url, api[1]!, api[2]!, api[3]!);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    if (resolve) return this.resolve(req, res, resolve[1]!, resolve[2]!, resolve[3]!);
    this.json(res, 404, { error: 'unknown route' });
  }

  private repo(name: string, revision: string): FixtureRepo | undefined {
    return this.repos.find((r) => r.repo === name && (revision === 'main' || revision === r.commit));
  }

  private api(req: IncomingMessage, res: ServerResponse, url: URL, name: string, kind: string, revision: string): void {
    const repo = this.repo(name, revision);
    if (!repo) return this.json(res, 404, { error: `Repository ${name} or revision ${revision} not found` }, 'RevisionNotFound');
    if (kind === 'revision') {
      return this.json(res, 200, { _id: repo.commit.slice(0, 24), id: repo.repo, sha: repo.commit, private: false, downloads: 0, likes: 0, lastModified: '2026-01-01T00:00:00.000Z', cardData: { license: repo.license } });
    }
    if (kind === 'paths-info') {
      let body = '';
      req.on('data', (d: Buffer) => (body += d));
      req.on('end', () => {
        const { paths = [], expand } = JSON.parse(body || '{}') as { paths?: string[]; expand?: boolean };
        const lastCommit = { id: repo.commit, title: 'fixture', date: '2026-01-01T00:00:00.000Z' };
        this.json(res, 200, repo.files.filter((f) => paths.includes(f.path)).map((f) => ({ ...this.entry(f), ...(expand ? { lastCommit } : {}) })));
      });
      return;
    }
    const entries = repo.files.map((f) => this.entry(f));
    const size = this.options.pageSize ?? entries.length;
    const cursor = Number(url.searchParams.get('cursor') ?? 0);
    const next = cursor + size < entries.length ? new URL(url.href.replace('http://x', this.origin())) : undefined;
    next?.searchParams.set('cursor', String(cursor + size));
    if (next) res.setHeader('Link', `<${next.href}>; rel="next"`);
    this.json(res, 200, entries.slice(cursor, cursor + size));
  }

  private resolve(req: IncomingMessage, res: ServerResponse, name: string, revision: string, path: string): void {
    const repo = this.repo(name, revision);
    const file = repo?.files.find((f) => f.path === path);
    if (!repo || !file) return this.json(res, 404, { error: 'Entry not found' }, 'EntryNotFound');
    if (!file.bytes) {
      res.writeHead(500).end('this file must never be downloaded');
      return;
    }
    const entry = this.entry(file) as { oid: string; lfs?: { oid: string } };
    const bytes = this.corrupt.has(path) ? Buffer.concat([file.bytes.subarray(0, -1), Buffer.from([file.bytes.at(-1)! ^ 0xff])]) : file.bytes;
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const headers = { ETag: `"${entry.lfs?.oid ?? entry.oid}"`, 'X-Repo-Commit': repo.commit, 'Content-Type': 'application/octet-stream', 'Accept-Ranges': 'bytes' };
    if (m) {
      const start = Number(m[1]);
      const end = m[2] ? Math.min(Number(m[2]), bytes.length - 1) : bytes.length - 1;
      res.writeHead(206, { ...headers, 'Content-Range': `bytes ${start}-${end}/${bytes.length}`, 'Content-Length': end - start + 1 });
      res.end(bytes.subarray(start, end + 1));
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Length': bytes.length });
    if (this.cutOnce.delete(path)) {
      res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => res.destroy());
      return;
    }
    res.end(bytes);
  }

  private json(res: ServerResponse, status: number, body: unknown, errorCode?: string): void {
    res.writeHead(status, { 'Content-Type': 'application/json', ...(errorCode ? { 'X-Error-Code': errorCode } : {}) });
    res.end(JSON.stringify(body));
  }
}

/** A port nothing listens on (bound, then closed). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((ok) => s.close(() => ok()));
  return port;
}
