// A stand-in for Synapse's `/_synapse/mas/*` API, so the compat login scenarios measure Gatehouse
// and not a homeserver: every call succeeds at once (`query_user` describes an active user, the
// writes answer 200 `{}`). Run as its own process; prints `listening <port>` once ready.

import { createServer } from 'node:http';

const server = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    const body = request.url?.startsWith('/_synapse/mas/query_user')
      ? {
          user_id: '@bench:localhost',
          display_name: null,
          avatar_url: null,
          is_suspended: false,
          is_deactivated: false,
        }
      : {};
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(
    `listening ${typeof address === 'object' && address !== null ? address.port : 0}\n`,
  );
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
