// The few OSC 1.0 types the page sends: i f s T F. Enough for every parameter address.
const encoder = new window.TextEncoder();

function padded(bytes) {
  const out = new Uint8Array((bytes.length + 4) & ~3);
  out.set(bytes);
  return out;
}

const str = (s) => padded(encoder.encode(s));

/** args: [{type: 'i'|'f'|'s'|'T'|'F', value}] -> one OSC message as bytes. */
export function encodeMessage(address, args) {
  const parts = [str(address), str(`,${args.map((a) => a.type).join('')}`)];
  for (const { type, value } of args) {
    if (type === 's') parts.push(str(String(value)));
    if (type === 'i' || type === 'f') {
      const b = new DataView(new ArrayBuffer(4));
      if (type === 'i') b.setInt32(0, value);
      else b.setFloat32(0, value);
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
