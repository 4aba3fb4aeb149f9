// The floor: a bare Fastify server, run as its own process on the same machine, so every Gatehouse
// figure can be given as a share of what the framework alone reaches here. Prints
// `listening <port>` once ready.
//
// Two routes:
// - `GET /`: "hello", the floor the targets are ratios of;
// - `POST /introspect`: the same request bytes Synapse sends to Gatehouse's introspection endpoint
//   (form body, Bearer, `X-MAS-Supports-Device-Id`), answered with a response of the same shape
//   (an active answer, the same headers) and nothing else: no authentication, no token check, no
//   cache. It shows what HTTP and Fastify alone cost for that exchange, next to the "hello" floor.

import Fastify from 'fastify';
import { SECURITY_HEADERS } from '../src/http/security-headers.ts';

/** An active answer as Gatehouse gives it for a seeded bench token (same fields, same lengths). */
const INTROSPECTION_SHAPED_ANSWER = {
  active: true,
  scope: 'urn:matrix:client:api:* urn:matrix:org.matrix.msc2967.client:api:*',
  client_id: '01KAQ6X3ZJ0V5R9N1M3F2E8D7C',
  username: 'bench',
  token_type: 'access_token',
  exp: 1795000000,
  expires_in: 86000,
  iat: 1794914000,
  nbf: 1794914000,
  sub: '01KAQ6X3ZJ0V5R9N1M3F2E8D7D',
  jti: '01KAQ6X3ZJ0V5R9N1M3F2E8D7E',
  device_id: 'ABCDEFGHIJ',
};

const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));
app.addContentTypeParser(
  'application/x-www-form-urlencoded',
  { parseAs: 'string' },
  (_request, body, done) => done(null, new URLSearchParams(body as string)),
);
app.post('/introspect', (request, reply) => {
  (request.body as URLSearchParams).get('token');
  void reply
    .headers(SECURITY_HEADERS)
    .header('x-request-id', '01KAQ6X3ZJ0V5R9N1M3F2E8D7F')
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .type('application/json; charset=utf-8')
    .send(INTROSPECTION_SHAPED_ANSWER);
});
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
process.stdout.write(
  `listening ${typeof address === 'object' && address !== null ? address.port : 0}\n`,
);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
