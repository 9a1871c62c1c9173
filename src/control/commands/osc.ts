import { encodeMessage } from '../osc/codec.js';
import type { OscCommand, OscServer } from '../osc/server.js';
import { ACCESS, type ExtraNode } from '../oscquery/namespace.js';
import { isQuery } from '../space/address-space.js';
import type { CommandRegistry, CommandSpec } from './registry.js';

const pathOf = (root: string, spec: CommandSpec) => `${root}/${spec.name}`;

/**
 * Every registered command as an OSC address `/sdlive/<name>`, following the registry as commands come and go.
 * `?` answers a command's current value where it has one. A command may not take a parameter's address.
 * Returns the function that removes them all.
 */
export function installOscCommands(osc: OscServer, commands: CommandRegistry): () => void {
  const installed = new Map<string, () => void>();
  const root = osc.space.root;
  const handler = (spec: CommandSpec): OscCommand => {
    const address = pathOf(root, spec);
    return (args, from) => {
      if (isQuery(args) && spec.read) return void (from && osc.send(from, encodeMessage(address, spec.read())));
      commands.run(spec.name, args, 'osc').catch((e: unknown) => osc.fail(address, e, from));
    };
  };
  const sync = () => {
    for (const [name, remove] of installed) {
      if (commands.get(name)) continue;
      remove();
      installed.delete(name);
    }
    for (const spec of commands.list()) {
      if (installed.has(spec.name)) continue;
      if (osc.space.get(pathOf(root, spec))) throw new Error(`command ${spec.name} would hide the parameter address ${pathOf(root, spec)}`);
      installed.set(spec.name, osc.command(pathOf(root, spec), handler(spec)));
    }
  };
  sync();
  commands.on('change', sync);
  return () => {
    commands.off('change', sync);
    for (const remove of installed.values()) remove();
    installed.clear();
  };
}

/** The commands as OSCQuery nodes: write-only, or read-write where a command has a value. */
export function commandNodes(commands: CommandRegistry, root: string): ExtraNode[] {
  return commands.list().map((spec) => ({
    path: pathOf(root, spec), type: spec.types || 'N', access: spec.read ? ACCESS.readWrite : ACCESS.write, description: spec.description,
    ...(spec.read ? { read: spec.read } : {}),
  }));
}
