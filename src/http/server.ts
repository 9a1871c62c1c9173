import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { rateLimited, type Logger } from '../log.js';
import { AccessPolicy, isRefusal, stripToken, type Admission, type Refusal, type RefusalReason } from './access.js';
import { HttpConfig, type HttpConfigInput } from './config.js';
import { listenError } from '../util/listen-error.js';
import { MetricsRegistry } from './metrics.js';

/** Larger WebSocket messages close that socket (1009); ws's own default is 100 MiB. */
const MAX_WS_MESSAGE_BYTES = 1 << 20;

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;
export type SocketHandler = (socket: WebSocket, req: IncomingMessage) => void;

interface Route {
  method: string;
  path: string;
  prefix: boolean;
  handler: RouteHandler;
}


export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

const isJson = (contentType: string | undefined) => contentType?.split(';')[0]!.trim().toLowerCase() === 'application/json';

function refuseUpgrade(socket: Duplex, status: number, error: string): void {
  const body = JSON.stringify({ error });
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

/**
 * The engine's one HTTP port. Concerns plug in routes (exact or prefix) and WebSocket paths; the first
 * registered route that matches wins, and a catch-all (OSCQuery's namespace) goes last.
 */
export class HttpHub {
  private readonly routes: Route[] = [];
  private readonly sockets = new Map<string, SocketHandler>();
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_MESSAGE_BYTES });
  private readonly config: HttpConfig;
  private readonly access: AccessPolicy;
  private readonly refused = new Map<RefusalReason, number>();
  private readonly warn: ReturnType<typeof rateLimited>;
  private server: Server | undefined;
  /** Plugins' additions to `/metrics`. */
  readonly metrics = new MetricsRegistry();

  constructor(config: HttpConfigInput, private readonly log: Logger) {
    this.config = HttpConfig.parse(config);
    this.access = new AccessPolicy(this.config);
    this.warn = rateLimited(log);
    this.metrics.add(() => [
      { name: 'http_refused_total', type: 'counter', help: 'HTTP requests and WebSocket upgrades refused, by reason.', samples: [...this.refused].map(([reason, n]) => [{ reason }, n]) },
      { name: 'http_websockets', type: 'gauge', help: 'Open WebSocket connections (OSCQuery and preview).', samples: [[{}, this.wss.clients.size]] },
    ]);
  }

  route(method: string, path: string, handler: RouteHandler, opts: { prefix?: boolean } = {}): this {
    this.routes.push({ method, path, prefix: opts.prefix ?? false, handler });
    return this;
  }

  websocket(path: string, handler: SocketHandler): this {
    this.sockets.set(path, handler);
    return this;
  }

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? this.config.port;
  }

  get url(): string {
    return `http://${this.config.host.includes(':') ? `[${this.config.host}]` : this.config.host}:${this.port}`;
  }

  private count(req: IncomingMessage, refusal: Refusal): Refusal {
    this.refused.set(refusal.reason, (this.refused.get(refusal.reason) ?? 0) + 1);
    this.warn(`http-${refusal.reason}`, `http: refused ${req.method} ${req.url?.split('?')[0]}: ${refusal.error}`, { from: req.socket.remoteAddress });
    return refusal;
  }

  /** Host, Origin and token checks for a request or an upgrade; on success the token is gone from `url`. */
  private admit(req: IncomingMessage, url: URL): Refusal | Admission {
    const admission = this.access.admit(req, url);
    if (isRefusal(admission)) return this.count(req, admission);
    stripToken(req, url);
    return admission;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const admission = this.admit(req, url);
    if (isRefusal(admission)) return sendJson(res, admission.status, { error: admission.error });
    if (admission.setCookie) res.setHeader('set-cookie', admission.setCookie);
    if (req.method === 'POST' && !isJson(req.headers['content-type'])) {
      const refusal = this.count(req, { status: 415, reason: 'content_type', error: 'POST bodies must be JSON (content-type: application/json)' });
      return sendJson(res, refusal.status, { error: refusal.error });
    }
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    const route = this.routes.find((r) => r.method === method && (r.prefix ? url.pathname.startsWith(r.path) : url.pathname === r.path));
    if (!route) return sendJson(res, 404, { error: `no route for ${req.method} ${url.pathname}` });
    try {
      await route.handler(req, res, url);
    } catch (e) {
      this.log.warn({ err: e, path: url.pathname }, 'http handler failed');
      if (!res.headersSent) sendJson(res, 500, { error: (e as Error).message });
    }
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://localhost');
    const admission = this.admit(req, url);
    if (isRefusal(admission)) return refuseUpgrade(socket, admission.status, admission.error);
    const handler = this.sockets.get(url.pathname);
    if (!handler) return refuseUpgrade(socket, 404, `no WebSocket at ${url.pathname}`);
    if (this.wss.clients.size >= this.config.max_websockets) {
      const refusal = this.count(req, { status: 503, reason: 'websockets', error: `${this.config.max_websockets} WebSockets open (http.max_websockets)` });
      return refuseUpgrade(socket, refusal.status, refusal.error);
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', (e) => this.warn('ws-error', `http: WebSocket ${url.pathname} closed: ${e.message}`, { from: req.socket.remoteAddress }));
      handler(ws, req);
    });
  }

  async listen(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => reject(listenError(e, { host: this.config.host, hostField: 'http.host', port: this.config.port, portField: 'http.port', portHint: 'set --http-port' })));
      server.listen(this.config.port, this.config.host, resolve);
    });
    this.server = server;
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
