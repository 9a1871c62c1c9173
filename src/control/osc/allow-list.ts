import { BlockList, isIP } from 'node:net';

interface AllowEntry {
  address: string;
  family: 'ipv4' | 'ipv6';
  /** CIDR prefix length; undefined for a single address. */
  prefix?: number;
}

/** `10.0.0.7`, `192.168.1.0/24`, `::1`, `fd00::/8`; undefined for anything else. */
export function parseAllowEntry(entry: string): AllowEntry | undefined {
  const [address = '', prefixText, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return undefined;
  const family = version === 4 ? 'ipv4' : 'ipv6';
  if (prefixText === undefined) return { address, family };
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  return prefix <= (version === 4 ? 32 : 128) ? { address, family, prefix } : undefined;
}

/** The senders `entries` allow (validated by the config schema); IPv4 entries also match IPv4-mapped IPv6 senders. */
export function allowList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const text of entries) {
    const entry = parseAllowEntry(text);
    if (!entry) throw new Error(`not an IP address or CIDR: ${text}`);
    if (entry.prefix === undefined) list.addAddress(entry.address, entry.family);
    else list.addSubnet(entry.address, entry.prefix, entry.family);
  }
  return list;
}

export const isAllowed = (list: BlockList, address: string) => list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
