// @ts-check
// The few OSC 1.0 types the page sends: i f s T F. Enough for every parameter address.
const encoder = new window.TextEncoder();

/** @param {Uint8Array} bytes */
function padded(bytes) {
  const out = new Uint8Array((bytes.length + 4) & ~3);
  out.set(bytes);
  return out;
}

/** @param {string} s */
const str = (s) => padded(encoder.encode(s));

/**
 * args: [{type: 'i'|'f'|'s'|'T'|'F', value}] -> one OSC message as bytes.
 * @param {string} address @param {import('./values.js').OscArg[]} args
 */
export function encodeMessage(address, args) {
  const parts = [str(address), str(`,${args.map((a) => a.type).join('')}`)];
  for (const { type, value } of args) {
    if (type === 's') parts.push(str(String(value)));
    if (type === 'i' || type === 'f') {
      const b = new DataView(new ArrayBuffer(4));
      if (type === 'i') b.setInt32(0, Number(value));
      else b.setFloat32(0, Number(value));
      parts.push(new Uint8Array(b.buffer));
    }
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const decoder = new window.TextDecoder();

/**
 * One OSC message (no bundles: the server answers with plain messages) -> {address, args}; i f s T F N.
 * @param {ArrayBuffer} buffer
 */
export function decodeMessage(buffer) {
  const view = new DataView(buffer);
  let at = 0;
  const readString = () => {
    const end = new Uint8Array(buffer, at).indexOf(0);
    const s = decoder.decode(new Uint8Array(buffer, at, end));
    at += (end + 4) & ~3;
    return s;
  };
  const address = readString();
  const tags = readString().slice(1);
  /** @type {unknown[]} */
  const args = [];
  for (const tag of tags) {
    if (tag === 's') args.push(readString());
    else if (tag === 'i' || tag === 'f') {
      args.push(tag === 'i' ? view.getInt32(at) : view.getFloat32(at));
      at += 4;
    } else if (tag === 'T' || tag === 'F') args.push(tag === 'T');
    else if (tag === 'N') args.push(null);
  }
  return { address, args };
}
