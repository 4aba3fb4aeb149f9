// `npm run build`: bundles the `gatehouse` command into one JavaScript file,
// dist/bundle/main.mjs, for production. Running from the TypeScript sources works too (that is
// what the tests do), but costs memory a server keeps for its whole life: Node's TypeScript
// stripper (~18 MB) and ~1 300 separately loaded modules (Kysely alone is ~1 000 files).
// docs/performance.md has the figures.
//
// bin/gatehouse.js runs the bundle when it is newer than every file under src/ and package.json
// (so an edited source file is never shadowed by a stale bundle), and the sources otherwise.
//
// Left out of the bundle, loaded from node_modules as before: native addons (@node-rs/*), and the
// packages Gatehouse imports only when a feature needs them (pg, ioredis, nodemailer,
// OpenTelemetry, zxcvbn's dictionaries), so they cost nothing when unused.
//
// The bundle sits two folders below the repository root, like src/<folder>/<file>.ts, so the
// paths the code computes from its own location (templates/, translations/) stay right.

import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

export const ROOT = join(import.meta.dirname, '..');
export const BUNDLE_PATH = join(ROOT, 'dist', 'bundle', 'main.mjs');

const LOADED_ON_DEMAND = [
  '@node-rs/*',
  'pg',
  'pg-native',
  'ioredis',
  'nodemailer',
  '@opentelemetry/*',
  '@zxcvbn-ts/*',
];

/** Writes the bundle to `outfile`, which must be two folders below the repository root. */
export async function buildBundle(outfile: string = BUNDLE_PATH): Promise<void> {
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    entryPoints: [join(ROOT, 'src', 'cli', 'main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    external: LOADED_ON_DEMAND,
    // Bundled CommonJS packages call `require`, which an ES module does not have.
    banner: {
      js: "import { createRequire as __gatehouseRequire } from 'node:module'; const require = __gatehouseRequire(import.meta.url);",
    },
    // Whitespace, comments and syntax only: identifiers keep their names for readable stack
    // traces. The server holds its source text for its whole life; comments with one non-Latin-1
    // character would make V8 store all of it at two bytes a character.
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
}

if (import.meta.main) {
  await buildBundle();
  console.log(`wrote ${BUNDLE_PATH}`);
}
