import type { Command } from 'commander';

interface CommandFlags {
  url: string;
  token?: string;
}

/** A command-line argument as JSON where it is JSON (3, 0.5, true, ["a"]), else as the text it is. */
function argument(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Runs a command on a running engine over its HTTP port; prints the answer, or the refusal with exit code 1. */
async function sendCommand(name: string, args: string[], flags: CommandFlags): Promise<void> {
  const url = new URL(`/api/commands/${name}`, flags.url);
  const token = flags.token ?? process.env.SDLIVE_TOKEN;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ args: args.map(argument) }),
  });
  const body = (await res.json()) as { result?: unknown; error?: string };
  if (!res.ok) {
    process.stderr.write(`${name}: ${body.error ?? res.status}\n`);
    process.exitCode = 1;
    return;
  }
  if (body.result !== null && body.result !== undefined) process.stdout.write(`${JSON.stringify(body.result, null, 2)}\n`);
}

export function registerCommand(program: Command): void {
  program
    .command('command')
    .description('run a command (preset/recall, step, ...) on a running engine; GET /api/commands lists them')
    .argument('<name>', 'the command, as its OSC address without /sdlive/ (e.g. step)')
    .argument('[args...]', 'its arguments; each is read as JSON where it parses (3, true), else as text')
    .option('--url <url>', 'the engine\'s HTTP address', 'http://127.0.0.1:9001')
    .option('--token <token>', 'the http.token, if the engine has one (default: $SDLIVE_TOKEN)')
    .action(sendCommand);
}
