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
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2), { env: process.env, cwd: process.cwd() });
