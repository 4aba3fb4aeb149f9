// Makes sure Debian's Redis server is at /usr/bin/redis-server, for the tests of the Redis
// rate-limit store (test/helpers/redis.ts starts throwaway servers from it), installing the
// package when it is missing (see ./apt-install.ts). The package's own service is not used
// (Docker-style machines refuse to start it through policy-rc.d anyway): every test runs its own
// server on a free loopback port.
//
//   node scripts/ensure-redis.ts      prints the server's path on the last line
//
// Also imported by test/helpers/redis.ts, so `npm test` works on a fresh machine.

import { aptEnsurer, printEnsured } from './apt-install.ts';

export const REDIS_SERVER_PATH = '/usr/bin/redis-server';

/** The path of an executable redis-server, installing Debian's package first when needed. */
export const ensureRedis = aptEnsurer({
  path: REDIS_SERVER_PATH,
  pkg: 'redis-server',
  installOptions: ['--no-install-recommends'],
});

if (import.meta.main) await printEnsured(ensureRedis);
