// Security headers on every response of a listener, through @fastify/helmet. Content-Security-
// Policy is left to the resources that render pages (they know what they load); HSTS is left to
// the operator's reverse proxy, which knows whether the public URL is https.

import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: false,
    strictTransportSecurity: false,
    // Discovery, keys and assets are fetched by other origins (clients, the homeserver).
    crossOriginResourcePolicy: { policy: 'cross-origin' },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    crossOriginEmbedderPolicy: false,
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
  });
}
