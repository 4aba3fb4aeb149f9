// A throwaway PostgreSQL server for tests, started from the installed binaries
// (/usr/lib/postgresql/*/bin). initdb refuses to run as root, so as root the server runs as the
// `postgres` user in a directory that user owns.
//
// `npm test` (scripts/test.ts) starts one server for the whole run and passes its admin URL in
// GATEHOUSE_TEST_PG_URL; each test file then makes its own database with `createTestDatabase()`.
// Run alone (node --test FILE), a test file starts a server of its own the same way. Tests that
// must stop and start PostgreSQL start a private server with `startPostgres()`.

import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface PostgresServer {
  /** Admin URL of the `postgres` database. */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
  /** Starts the server again after `stop()`, on the same port and data. */
  start(): Promise<void>;
  /** Stops the server and deletes its data. */
  destroy(): Promise<void>;
  /** As `destroy`, synchronously (for process exit handlers). */
  destroySync(): void;
}

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) {
    throw new Error(
      'PostgreSQL binaries not found under /usr/lib/postgresql; install the postgresql package',
    );
  }
  return join(root, versions[0]!, 'bin');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        resolve(typeof address === 'object' && address !== null ? address.port : 0),
      );
    });
  });
}

const isRoot = process.getuid?.() === 0;

function asPostgres(command: string, args: string[]): void {
  const [file, argv] = isRoot
    ? ['runuser', ['-u', 'postgres', '--', command, ...args]]
    : [command, args];
  const result = spawnSync(file, argv, { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`${command} failed (${result.status}): ${result.stderr || result.stdout}`);
  }
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-pg-'));
  if (isRoot)
    chownSync(
      dir,
      Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
      Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
    );
  const data = join(dir, 'data');
  asPostgres(join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=trust',
    '--no-sync',
    '-E',
    'UTF8',
    '--locale=C',
  ]);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
  const start = async () => {
    asPostgres(join(bin, 'pg_ctl'), [
      '-D',
      data,
      '-o',
      options,
      '-l',
      join(dir, 'server.log'),
      '-w',
      '-t',
      '60',
      'start',
    ]);
  };
  const stopSync = () => {
    asPostgres(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
  };
  const stop = async () => stopSync();
  await start();
  let running = true;
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    port,
    start: async () => {
      await start();
      running = true;
    },
    stop: async () => {
      await stop();
      running = false;
    },
    destroy: async () => {
      if (running) await stop();
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
    destroySync: () => {
      try {
        if (running) stopSync();
      } catch {
        // The server may already be gone; the directory is removed all the same.
      }
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let sharedServer: Promise<PostgresServer> | null = null;

/** The admin URL of the run's shared server, starting one for this process if there is none. */
async function sharedAdminUrl(): Promise<string> {
  const fromRunner = process.env.GATEHOUSE_TEST_PG_URL;
  if (fromRunner) return fromRunner;
  if (sharedServer === null) {
    sharedServer = startPostgres();
    const server = await sharedServer;
    // 'exit' handlers must be synchronous.
    process.once('exit', () => server.destroySync());
  }
  return (await sharedServer).url;
}

let counter = 0;

/** Creates an empty database on the shared server and returns its URL. */
export async function createTestDatabase(prefix = 'gh'): Promise<string> {
  const admin = await sharedAdminUrl();
  const name = `${prefix}_${process.pid}_${++counter}_${Math.floor(Math.random() * 1e9)}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}
