import type { IncomingMessage, ServerResponse } from 'node:http';
import { ChangeBatcher } from '../osc/change-batcher.js';
import type { RawData, WebSocket } from 'ws';
import type { ParamChange } from '../../engine/parameter-store.js';
import { decodePathOr400 } from '../../http/decode-path.js';
import { sendJson, type HttpHub } from '../../http/server.js';
import type { Logger } from '../../log.js';
import { encodeMessage } from '../osc/codec.js';
import type { ControlStore, OscPeer, OscServer } from '../osc/server.js';
import { buildNamespace, findNode, type ExtraNode, type OscQueryNode } from './namespace.js';
import { ControlError, type OscArg } from '../space/values.js';

export interface OscQueryOptions {
  http: HttpHub;
  server: OscServer;
  store: ControlStore;
  log: Logger;
  name: string;
  /** Nodes beside the parameters (metrics, learn, commands), read anew for every namespace and push. */
  extras: () => readonly ExtraNode[];
  /** Where a browser asking for `/` with Accept: text/html is sent. */
  uiPath?: string;
  /** How often LISTENed read-only nodes (fps, frame count...) are pushed. */
  extrasIntervalMs?: number;
}

const EXTENSIONS = {
  ACCESS: true, VALUE: true, RANGE: true, DESCRIPTION: true, UNIT: true, CLIPMODE: true,
  LISTEN: true, PATH_CHANGED: true, TAGS: false, EXTENDED_TYPE: false, CRITICAL: false,
  PATH_ADDED: false, PATH_REMOVED: false, PATH_RENAMED: false, HTML: true,
};

/** Quality of each media type in an Accept header (`text/html;q=0.9`). */
function acceptQualities(accept: string): Map<string, number> {
  return new Map(accept.split(',').map((part) => {
    const [type, ...params] = part.trim().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return [type!.trim().toLowerCase(), q ? Number(q.slice(2)) : 1] as const;
  }));
}

export function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const q = acceptQualities(accept);
  const html = q.get('text/html') ?? 0;
  return html > 0 && html >= (q.get('application/json') ?? 0);
}

/**
 * OSCQuery on the engine's HTTP port: the namespace at `/` and under the OSC root, `?HOST_INFO`, attribute
 * queries (`/sdlive/delta?VALUE`), and the WebSocket at `/`: LISTEN/IGNORE, value pushes (a binary OSC frame
 * plus a PATH_CHANGED text frame carrying VALUE), and binary OSC frames from clients applied like UDP ones.
 */
export class OscQueryService {
  private readonly listens = new Map<WebSocket, Set<string>>();
  private readonly batcher = new ChangeBatcher((keys) => this.flush(keys));
  private readonly lastExtras = new Map<string, string>();
  private readonly timer: NodeJS.Timeout;
  private readonly onChange = (c: ParamChange<Record<string, unknown>>) => this.batcher.add(c.keys);

  constructor(private readonly opts: OscQueryOptions) {
    const root = opts.server.space.root;
    opts.http.route('GET', '/', (req, res, url) => this.handleHttp(req, res, url));
    opts.http.route('GET', root, (req, res, url) => this.handleHttp(req, res, url), { prefix: true });
    opts.http.websocket('/', (ws) => this.attach(ws));
    opts.store.on('change', this.onChange);
    this.timer = setInterval(() => this.pushExtras(), opts.extrasIntervalMs ?? 250);
    this.timer.unref();
  }

  namespace(): OscQueryNode {
    return buildNamespace(this.opts.server.space.addresses, this.opts.extras(), this.opts.store.snapshot as Record<string, unknown>, (key) => this.opts.store.choiceNames(key));
  }

  hostInfo(): object {
    return {
      NAME: this.opts.name,
      OSC_PORT: this.opts.server.port,
      OSC_TRANSPORT: 'UDP',
      WS_PORT: this.opts.http.port,
      EXTENSIONS,
    };
  }

  private handleHttp(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const query = url.search.slice(1);
    if (url.pathname === '/' && !query && prefersHtml(req.headers.accept) && this.opts.uiPath) {
      res.writeHead(302, { location: this.opts.uiPath });
      res.end();
      return;
    }
    if (query === 'HOST_INFO') return sendJson(res, 200, this.hostInfo());
    const path = decodePathOr400(res, url.pathname.replace(/\/+$/, ''));
    if (path === undefined) return;
    const node = findNode(this.namespace(), path);
    if (!node) return sendJson(res, 404, { error: `no OSC node at ${url.pathname}` });
    if (!query) return sendJson(res, 200, node);
    if (!/^[A-Z_]+$/.test(query)) return sendJson(res, 400, { error: `unknown query ${query}` });
    const value = (node as Record<string, unknown>)[query];
    if (value === undefined) {
      res.writeHead(204);
      res.end();
      return;
    }
    sendJson(res, 200, { [query]: value });
  }

  private attach(ws: WebSocket): void {
    const listening = new Set<string>();
    this.listens.set(ws, listening);
    const peer: OscPeer = { address: 'websocket', port: 0, reply: (data) => ws.send(data) };
    ws.on('message', (data: RawData, isBinary: boolean) => {
      try {
        const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
        if (isBinary) this.opts.server.handlePacket(bytes, peer);
        else this.handleCommand(bytes.toString('utf8'), listening);
      } catch (e) {
        this.opts.server.fail('(websocket)', e, peer);
      }
    });
    ws.on('close', () => this.listens.delete(ws));
    ws.on('error', () => this.listens.delete(ws));
  }

  /** A text frame: `{"COMMAND":"LISTEN"|"IGNORE","DATA":"<path>"}`; anything else is counted as malformed. */
  private handleCommand(text: string, listening: Set<string>): void {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      throw new ControlError('malformed', 'WebSocket text frame is not JSON');
    }
    const { COMMAND, DATA } = (msg && typeof msg === 'object' ? msg : {}) as { COMMAND?: unknown; DATA?: unknown };
    if (typeof DATA !== 'string' || (COMMAND !== 'LISTEN' && COMMAND !== 'IGNORE')) {
      throw new ControlError('malformed', 'WebSocket text frame is not {"COMMAND":"LISTEN" or "IGNORE","DATA":"<path>"}');
    }
    if (COMMAND === 'LISTEN') listening.add(DATA);
    else listening.delete(DATA);
  }

  private flush(keys: ReadonlySet<string>): void {
    if (this.listens.size === 0) return;
    const snapshot = this.opts.store.snapshot as Record<string, unknown>;
    for (const a of this.opts.server.space.addresses) {
      if (keys.has(a.spec.key) && a.readable) this.push(a.path, a.read(snapshot), a.type);
    }
  }

  /** Pushes read-only nodes (metrics, learn state) to their listeners when their value moved. */
  private pushExtras(): void {
    if (this.listens.size === 0) return;
    for (const n of this.opts.extras()) {
      const value = n.read?.();
      const text = JSON.stringify(value);
      if (!value || this.lastExtras.get(n.path) === text) continue;
      this.lastExtras.set(n.path, text);
      this.push(n.path, value, n.type === 'i' ? 'i' : undefined);
    }
  }

  private push(path: string, value: OscArg[], type?: 'i' | 'f' | 's' | 'T'): void {
    if (value.length === 0) return;
    let binary: Uint8Array | undefined;
    for (const [ws, listening] of this.listens) {
      if (!listening.has(path) || ws.readyState !== ws.OPEN) continue;
      binary ??= encodeMessage(path, value, type);
      ws.send(binary);
      ws.send(JSON.stringify({ COMMAND: 'PATH_CHANGED', DATA: path, VALUE: value }));
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.opts.store.off('change', this.onChange);
    for (const ws of this.listens.keys()) ws.close();
    this.listens.clear();
  }
}
