// The floor: a bare Fastify "hello" server, run as its own process on the same machine, so every
// Gatehouse figure can be given as a share of what the framework alone reaches here. Prints
// `listening <port>` once ready.

import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
process.stdout.write(
  `listening ${typeof address === 'object' && address !== null ? address.port : 0}\n`,
);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
