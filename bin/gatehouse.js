#!/usr/bin/env node
// Entry point of the `gatehouse` command. The source is TypeScript, run by Node's built-in type
// stripping, which needs Node.js 24 or newer.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `error: gatehouse needs Node.js 24 or newer (this is ${process.version}); run it through npm, which uses the pinned Node.js\n`,
  );
  process.exit(1);
}

// `gatehouse server` runs with a small young generation. V8 lets the semi-spaces grow to 32 MiB each
// under load, so a busy server's resident memory climbs by ~100 MB of short-lived garbage that a
// request-sized working set never needs; 2 MiB semi-spaces mean more frequent (and shorter)
// scavenges, which the benchmark shows costing no throughput. The flag only works at start-up, so
// the process replaces itself (same pid, no extra process) with the flag added. An operator's own
// `--max-semi-space-size` (on the command line or in NODE_OPTIONS) wins.
const SERVER_V8_FLAGS = ['--max-semi-space-size=2'];
const args = process.argv.slice(2);
const ownSemiSpace = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some(
  (flag) => flag.startsWith('--max-semi-space-size'),
);
// glibc gives each thread that allocates its own malloc arena (up to 8 per core); the server's
// libuv and V8 helper threads then keep ~10-20 MB of freed memory spread over them. Two arenas
// bound that at no measurable cost (docs/performance.md). An operator's own value wins.
const SERVER_ENV = { MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2' };
if (args.includes('server') && !ownSemiSpace && typeof process.execve === 'function') {
  process.execve(
    process.execPath,
    [process.execPath, ...SERVER_V8_FLAGS, ...process.execArgv, ...process.argv.slice(1)],
    { ...process.env, ...SERVER_ENV },
  );
}

// A production build (`npm run build`, scripts/build.ts) is used when it is newer than every
// source file, so an edited source is never shadowed by a stale bundle.
const { existsSync, readdirSync, statSync } = await import('node:fs');
const { join } = await import('node:path');
const root = join(import.meta.dirname, '..');
const bundle = join(root, 'dist', 'bundle', 'main.mjs');
function bundleIsFresh() {
  if (process.env.GATEHOUSE_FROM_SOURCE === '1' || !existsSync(bundle)) return false;
  const built = statSync(bundle).mtimeMs;
  if (statSync(join(root, 'package.json')).mtimeMs > built) return false;
  for (const entry of readdirSync(join(root, 'src'), { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && statSync(join(entry.parentPath, entry.name)).mtimeMs > built) return false;
  }
  return true;
}

const { main } = bundleIsFresh() ? await import(bundle) : await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2), { env: process.env, cwd: process.cwd() });
