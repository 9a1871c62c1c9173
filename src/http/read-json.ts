import type { IncomingMessage } from 'node:http';

const MAX_BODY = 1 << 20;

/** A request's JSON body (at most 1 MiB), undefined when it is empty; throws on a larger body or invalid JSON. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new Error('request body too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text.trim() === '' ? undefined : JSON.parse(text);
}
