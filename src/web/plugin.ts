import { readFile } from 'node:fs/promises';
import type { App, AppPlugin } from '../plugin.js';
import { controlSurfaceOf } from '../control/surface.js';
import { errorLine } from '../errors.js';
import { readJson } from '../http/read-json.js';
import { sendJson } from '../http/server.js';
import { PreviewFeed } from './preview.js';
import { STATIC_DIR, staticFiles } from './static-files.js';

/** Whether a MIDI input is open: the page shows MIDI learn buttons only then. */
const midiOpen = (app: App) => controlSurfaceOf(app)?.midi?.available ?? false;

/**
 * The control page at `/ui/` (and its icon at `/favicon.ico`), its JSON route `/api/params` and the `/preview`
 * WebSocket. Parameter changes from the page normally travel over the OSCQuery WebSocket like any client's;
 * POST /api/params is the same change for scripts and for pages without OSCQuery.
 */
export const webPlugin: AppPlugin = {
  name: 'web',
  async register(app) {
    const { http, store, engine, definition } = app;
    const preview = new PreviewFeed(engine);
    http.route('GET', '/ui', (_req, res) => void res.writeHead(301, { location: '/ui/' }).end());
    http.route('GET', '/ui/', staticFiles('/ui/'), { prefix: true });
    http.route('GET', '/api/params', (_req, res) => sendJson(res, 200, { pipeline: definition.name, specs: store.specs, values: store.snapshot, midi: midiOpen(app) }));
    http.route('GET', '/favicon.ico', async (_req, res) => {
      res.writeHead(200, { 'content-type': 'image/svg+xml', 'cache-control': 'max-age=86400' }).end(await readFile(`${STATIC_DIR}favicon.svg`));
    });
    http.route('POST', '/api/params', async (req, res) => {
      let patch: unknown;
      try {
        patch = await readJson(req);
      } catch (e) {
        return sendJson(res, 400, { error: errorLine(e) });
      }
      if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return sendJson(res, 400, { error: 'expected a JSON object of parameter values' });
      const result = store.update(patch as Record<string, unknown>, 'web');
      if (!result.ok) return sendJson(res, 400, { error: errorLine(result.error), field: result.error.field });
      sendJson(res, 200, { values: result.current });
    });
    http.websocket('/preview', (ws) => preview.attach(ws));
    return { close: async () => preview.close() };
  },
};
