// How a simulated node answers on the wire: a JSON body, a raw (possibly broken) body, a hang or a reset;
// and reading a request body within a limit.
import type { IncomingMessage, ServerResponse } from 'node:http';

export type Reply = { status: number; body: unknown } | { fault: 'hang' | 'reset' } | { raw: string };

/** A request the client got wrong (answered 400). */
export class BadRequest extends Error {}

export function send(req: IncomingMessage, res: ServerResponse, reply: Reply) {
  if ('fault' in reply) {
    // A hang keeps the connection open until the client gives up; a reset drops it at once.
    if (reply.fault === 'reset') req.socket.destroy();
    return;
  }
  const text = 'raw' in reply ? reply.raw : JSON.stringify(reply.body);
  const status = 'raw' in reply ? 200 : reply.status;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BadRequest(`body larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
