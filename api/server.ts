// The HTTP server around the Hono app, with the parts Node decides before the app sees a request.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

/** Node's answer to a request it could not parse, as JSON with a `detail` like every other refusal. */
function refuseClient(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, detail] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'the request headers are too large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'the request headers did not arrive in time']
        : [400, `malformed HTTP request (${err.code ?? 'parse error'})`];
  const body = JSON.stringify({ detail, code: status === 400 ? 'bad_request' : undefined });
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status]}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export async function startServer(
  app: Hono,
  options: { hostname: string; port: number },
): Promise<Server & { port: number }> {
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, ...options }, () => resolve(s as Server));
  });
  // The app bounds every request itself (a JSON body and its answer by REQUEST_TIMEOUT_MS, an upload by how
  // long it may stall); Node's own cap of 300 s per request would cut a large upload on a slow link.
  server.requestTimeout = 0;
  server.on('clientError', refuseClient);
  return Object.assign(server, { port: (server.address() as AddressInfo).port });
}
