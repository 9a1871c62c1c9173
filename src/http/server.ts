import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { SdliveError } from '../errors.js';
import type { Logger } from '../log.js';
import type { HttpConfig } from './config.js';
import { MetricsRegistry } from './metrics.js';

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

/**
 * The engine's one HTTP port. Concerns plug in routes (exact or prefix) and WebSocket paths; the first
 * registered route that matches wins, and a catch-all (OSCQuery's namespace) goes last.
 */
export class HttpHub {
  private readonly routes: Route[] = [];
  private readonly sockets = new Map<string, SocketHandler>();
  private readonly wss = new WebSocketServer({ noServer: true });
  private server: Server | undefined;
  /** Plugins' additions to `/metrics`. */
  readonly metrics = new MetricsRegistry();

  /** The config has passed HttpConfig (a token whenever the host is not loopback). */
  constructor(private readonly config: HttpConfig, private readonly log: Logger) {}

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

  private authorized(req: IncomingMessage, url: URL): boolean {
    if (!this.config.token) return true;
    const header = req.headers.authorization?.replace(/^Bearer /, '');
    return header === this.config.token || url.searchParams.get('token') === this.config.token;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!this.authorized(req, url)) return sendJson(res, 401, { error: 'token required' });
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

  async listen(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const handler = this.sockets.get(url.pathname);
      if (!handler || !this.authorized(req, url)) {
        socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => handler(ws, req));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) =>
        reject(e.code === 'EADDRINUSE' ? new SdliveError('SDL_ERR_PORT_IN_USE', `HTTP port ${this.config.port} is already in use (set --http-port)`, 'http.port') : e));
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
