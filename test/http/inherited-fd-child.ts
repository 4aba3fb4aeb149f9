// Child process for the inherited-fd test: serves the `http` section given as argv[2] (which binds
// `{fd: 0}`, i.e. fd 3 as passed by the parent), prints its addresses as one JSON line, and
// closes when its stdin ends.

import { startTestServers } from './http-test-kit.ts';

try {
  const t = await startTestServers(JSON.parse(process.argv[2]!));
  process.stdout.write(`${JSON.stringify({ addresses: t.servers.addresses() })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void t.close());
} catch (error) {
  process.stdout.write(`${JSON.stringify({ error: (error as Error).message })}\n`);
  process.exitCode = 1;
}
