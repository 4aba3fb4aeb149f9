// `npm test`: type-check, lint, then every test file under test/ with Node's test runner, against
// SQLite and a throwaway PostgreSQL this script starts (unless DATABASE_URL names one) and stops.
//
//   npm test                       everything
//   npm test -- test/config        only files under the given paths

import { spawnSync } from 'node:child_process';
import { globSync } from 'node:fs';
import { startPostgres, type PostgresServer } from '../test/helpers/postgres.ts';

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const result = spawnSync(command, args, { stdio: 'inherit', env });
  return result.status ?? 1;
}

const selected = process.argv.slice(2);
const files = (selected.length > 0 ? selected : ['test'])
  .flatMap((path) =>
    path.endsWith('.test.ts') ? [path] : globSync(`${path.replace(/\/$/, '')}/**/*.test.ts`),
  )
  .sort();

if (selected.length === 0) {
  console.log('# type-check');
  if (run('tsc', ['-p', '.']) !== 0) process.exit(1);
  console.log('# lint');
  if (run('eslint', ['.']) !== 0) process.exit(1);
}

let postgres: PostgresServer | null = null;
const env = { ...process.env };
if (process.env.DATABASE_URL) {
  env.GATEHOUSE_TEST_PG_URL = process.env.DATABASE_URL;
} else {
  postgres = await startPostgres();
  env.GATEHOUSE_TEST_PG_URL = postgres.url;
}

let status: number;
try {
  status = run(
    process.execPath,
    ['--test', '--test-concurrency=2', '--test-timeout=300000', '--test-reporter=spec', ...files],
    env,
  );
} finally {
  await postgres?.destroy();
}
process.exit(status);
