// The peer: node-oidc-provider with its built-in in-memory adapter (no durable storage), one
// confidential client (client_secret_basic) allowed the client credentials grant, and
// introspection enabled. Run as its own process; prints `listening <port>` once ready.

import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const clientId = process.argv[2] ?? 'peer-client';
const clientSecret = process.argv[3] ?? 'peer-secret';

const server = createServer();
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const address = server.address();
const port = typeof address === 'object' && address !== null ? address.port : 0;

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  features: {
    clientCredentials: { enabled: true },
    introspection: { enabled: true, allowedPolicy: async () => true },
    devInteractions: { enabled: false },
  },
  scopes: ['openid', 'api'],
});
// Quiet: the provider warns about its development-only defaults (in-memory adapter, keys).
console.warn = () => {};
server.on('request', provider.callback());
process.stdout.write(`listening ${port}\n`);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
