import type { AppPlugin } from '../plugin.js';
import { sendJson } from '../http/server.js';
import { health } from './health.js';
import { prometheusText } from './prometheus.js';

/** `/metrics` (Prometheus text), `/health` (JSON, 200 when frames flow, 503 when stalled) and `/api/metrics` (JSON). */
export const engineHttpPlugin: AppPlugin = {
  name: 'engine-http',
  async register({ http, engine }) {
    http.route('GET', '/metrics', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'cache-control': 'no-store' });
      res.end(prometheusText(engine.metrics(), http.metrics.families()));
    });
    http.route('GET', '/health', (_req, res) => {
      const h = health(engine.metrics());
      sendJson(res, h.httpStatus, h);
    });
    http.route('GET', '/api/metrics', (_req, res) => sendJson(res, 200, engine.metrics()));
  },
};
