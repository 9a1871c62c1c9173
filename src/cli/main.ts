import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { errorLine, isSdliveError } from '../errors.js';
import { COMMANDS } from './commands/index.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Parses the command line and runs the command; a failure is one line on stderr and exit 2 (1 for a bug). */
export async function main(argv: readonly string[]): Promise<void> {
  const program = new Command('sdlive')
    .description('Real-time StreamDiffusion engine for live performance')
    .version(pkg.version)
    .showHelpAfterError()
    .exitOverride();
  for (const register of COMMANDS) register(program);
  try {
    await program.parseAsync([...argv]);
  } catch (e) {
    if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
    process.stderr.write(`sdlive: ${errorLine(e)}\n`);
    process.exit(isSdliveError(e) ? 2 : 1);
  }
}
