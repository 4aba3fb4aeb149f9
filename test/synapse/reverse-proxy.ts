// The homeserver's front door for the tests, as an operator's nginx would be: a loopback HTTP
// proxy that sends the login, logout and refresh endpoints (`/_matrix/client/*/(login|logout|
// refresh)`, including `login/sso/redirect`) to Gatehouse, and everything else to Synapse.
// Synapse with delegated authentication does not serve those endpoints at all (404).

import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The paths an operator routes to the auth service (MAS's reverse-proxy documentation). */
export const COMPAT_PATH = /^\/_matrix\/client\/[^/]+\/(login|logout|refresh)(\/|$)/;

export interface ReverseProxy {
  /** `http://127.0.0.1:PORT`, the homeserver base URL clients use. */
  readonly url: string;
  /** Every routed request, `<target> <method> <path>`, newest last. */
  readonly log: string[];
  close(): Promise<void>;
}

export async function startReverseProxy(targets: {
  synapse: string;
  gatehouse: string;
}): Promise<ReverseProxy> {
  const log: string[] = [];
  const server: Server = createServer((incoming, outgoing) => {
    const path = incoming.url ?? '/';
    const pathname = path.split('?')[0]!;
    const toGatehouse = COMPAT_PATH.test(pathname);
    const target = new URL(toGatehouse ? targets.gatehouse : targets.synapse);
    log.push(`${toGatehouse ? 'gatehouse' : 'synapse'} ${incoming.method} ${pathname}`);
    const headers = { ...incoming.headers };
    headers['x-forwarded-for'] = incoming.socket.remoteAddress ?? '127.0.0.1';
    headers['x-forwarded-proto'] = 'http';
    headers['x-forwarded-host'] = incoming.headers.host ?? '';
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path,
        headers,
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    upstream.on('error', (error) => {
      if (outgoing.headersSent) {
        outgoing.destroy();
        return;
      }
      outgoing.writeHead(502, { 'content-type': 'application/json' });
      outgoing.end(JSON.stringify({ errcode: 'M_UNKNOWN', error: `proxy: ${error.message}` }));
    });
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
