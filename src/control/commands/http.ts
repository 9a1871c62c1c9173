import { errorLine } from '../../errors.js';
import { readJson } from '../../http/read-json.js';
import { sendJson, type HttpHub } from '../../http/server.js';
import { ControlError } from '../space/values.js';
import type { CommandRegistry } from './registry.js';

const PREFIX = '/api/commands/';

/** A POST body's arguments: `{"args": [...]}`, a bare array, or nothing for a command that takes none. */
function argsOf(body: unknown): unknown[] {
  if (body === undefined || body === null) return [];
  if (Array.isArray(body)) return body;
  const args = (body as { args?: unknown }).args;
  if (typeof body === 'object' && (args === undefined || Array.isArray(args))) return args ?? [];
  throw new ControlError('bad_type', 'expected {"args": [...]} or a JSON array of arguments');
}

const STATUS = { unknown_address: 404, bad_type: 400, out_of_range: 400, malformed: 400, oversize: 413, rejected: 409, not_allowed: 403 } as const;

/** `GET /api/commands` lists the commands; `POST /api/commands/<name>` runs one and answers `{ result }` or `{ error }`. */
export function installHttpCommands(http: HttpHub, commands: CommandRegistry): void {
  http.route('GET', '/api/commands', (_req, res) => {
    sendJson(res, 200, { commands: commands.list().map(({ name, description, types }) => ({ name, description, types })) });
  });
  http.route('POST', PREFIX, async (req, res, url) => {
    try {
      const args = argsOf(await readJson(req));
      sendJson(res, 200, { result: (await commands.run(url.pathname.slice(PREFIX.length), args, 'http')) ?? null });
    } catch (e) {
      const status = e instanceof ControlError ? STATUS[e.reason] : 400;
      sendJson(res, status, { error: errorLine(e) });
    }
  }, { prefix: true });
}
