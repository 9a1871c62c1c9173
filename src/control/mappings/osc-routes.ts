import { IgnorePatterns } from '../osc/ignore-patterns.js';
import type { OscServer } from '../osc/server.js';
import { asNumber, ControlError, type OscArg } from '../space/values.js';
import type { LoadedMapping } from './load.js';
import type { OscBinding } from './schema.js';

/** The handler for one host address of a mapping file: fixed values, value maps, input ranges, or pass-through. */
function routeFor(server: OscServer, b: OscBinding) {
  return (args: OscArg[], from: Parameters<OscServer['apply']>[2]) => {
    if (b.ignore || b.param === undefined) return;
    const address = server.space.target(b.range ? `norm/${b.param}` : b.param);
    if (!address) return server.fail(b.address, new ControlError('unknown_address', `mapped to missing ${b.param}`), from);
    let values: OscArg[] = args;
    if (b.value !== undefined) values = [b.value];
    else if (b.map) {
      const mapped = b.map[String(args[0])];
      if (mapped === undefined) return server.fail(b.address, new ControlError('out_of_range', `expected one of ${Object.keys(b.map).join('|')}`), from);
      values = [mapped];
    } else if (b.range) {
      const [lo, hi] = b.range;
      try {
        values = [(asNumber(args[0]) - lo) / (hi - lo)];
      } catch (e) {
        return server.fail(b.address, e, from);
      }
    }
    server.apply(address, values, from, b.address);
  };
}

/** Registers the OSC bindings and ignore patterns of mapping files on a server; returns the function that removes them again. */
export function installOscRoutes(server: OscServer, mappings: readonly LoadedMapping[]): () => void {
  const removers = mappings.flatMap(({ mapping }) => mapping.osc.map((b) => server.command(b.address, routeFor(server, b))));
  removers.push(server.ignore(new IgnorePatterns(mappings.flatMap(({ mapping }) => mapping.ignore))));
  return () => removers.forEach((remove) => remove());
}
