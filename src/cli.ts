#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { COMMANDS } from './cli/commands/index.js';
import { errorLine, isSdliveError } from './errors.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

// A closed pipe (`sdlive schema | head`) is a normal end, not a crash.
process.stdout.on('error', (e: NodeJS.ErrnoException) => process.exit(e.code === 'EPIPE' ? 0 : 1));

const program = new Command('sdlive')
  .description('Real-time StreamDiffusion engine for live performance')
  .version(pkg.version)
  .showHelpAfterError()
  .exitOverride();
for (const register of COMMANDS) register(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
  process.stderr.write(`sdlive: ${errorLine(e)}\n`);
  process.exit(isSdliveError(e) ? 2 : 1);
}
