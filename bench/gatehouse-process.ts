// The Gatehouse under test: a config made by `config generate` (as the e2e harness does) with one
// confidential static client (synced with `config sync`), the user registered with `gatehouse manage register-user`, sessions
// and tokens seeded straight through the storage layer, then `gatehouse server` started as a
// separate process. Its CPU time and peak RSS are read from /proc (Linux, ./process-usage.ts).

import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { systemClock } from '../src/clock.ts';
import { databaseSchema } from '../src/config/sections/database.ts';
import { asOAuth2ClientId, type UserId } from '../src/model/ids.ts';
import { issueTokens } from '../src/oauth2/token-issuer.ts';
import { systemRng } from '../src/rng.ts';
import { SqlStorage } from '../src/storage/sql/sql-storage.ts';
import {
  runGatehouse,
  waitForStatus,
  writeTestConfig,
  type RunningProcess,
  type TestConfig,
} from '../test/helpers/server-process.ts';

export const CLIENT_ID = '01BENCHC11ENT000000000000A';
export const CLIENT_SECRET = 'bench-client-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
export const REDIRECT_URI = 'https://app.example.com/callback';
export const USER = { username: 'bench', password: 'Bench-Password-Correct-Horse-42' } as const;
export const MATRIX_SCOPE = 'openid urn:matrix:client:api:*';
/** Long enough that no seeded token expires during a run. */
const ACCESS_TOKEN_TTL = 3600;

export interface Seeds {
  /** Valid access tokens, each of its own user session (what Synapse introspects). */
  readonly accessTokens: string[];
  /** Unused refresh tokens, one per session, for the refresh grant chains. */
  readonly refreshTokens: string[];
}

export interface GatehouseUnderTest {
  readonly base: string;
  readonly homeserverSecret: string;
  readonly seeds: Seeds;
  readonly process: RunningProcess;
  readonly pid: number;
  stop(): Promise<void>;
}

async function runToCompletion(args: string[]): Promise<void> {
  const run = runGatehouse(args);
  const code = await run.exited;
  if (code !== 0) throw new Error(`gatehouse ${args.join(' ')} exited ${code}:\n${run.output()}`);
}

function writeBenchConfig(
  config: TestConfig,
  homeserverEndpoint: string | undefined,
  introspectionCacheTtl: number | null,
): string {
  const doc = parse(readFileSync(config.path, 'utf8')) as Record<string, Record<string, unknown>>;
  doc.clients = [
    {
      client_id: CLIENT_ID,
      client_name: 'Bench app',
      client_auth_method: 'client_secret_basic',
      client_secret: CLIENT_SECRET,
      client_uri: 'https://app.example.com/',
      redirect_uris: [REDIRECT_URI],
    },
  ] as never;
  doc.experimental = { ...doc.experimental, access_token_ttl: ACCESS_TOKEN_TTL };
  if (homeserverEndpoint !== undefined)
    doc.matrix = { ...doc.matrix, endpoint: homeserverEndpoint };
  if (introspectionCacheTtl !== null)
    doc.oauth = { ...doc.oauth, introspection_cache_ttl: introspectionCacheTtl };
  // The sign-in limits (3 per minute per IP by default) would turn a load test into a test of the
  // limiter; it still runs on every attempt, it just never refuses one.
  const unlimited = { burst: 1_000_000, per_second: 1_000_000 };
  doc.rate_limiting = { login: { per_ip: unlimited, per_account: unlimited } } as never;
  writeFileSync(config.path, stringify(doc));
  return (doc.matrix as { secret: string }).secret;
}

async function seed(
  databaseUri: string,
  counts: { accessTokens: number; refreshTokens: number },
): Promise<Seeds> {
  const storage = SqlStorage.open(databaseSchema.parse({ uri: databaseUri }));
  const deps = { clock: systemClock, rng: systemRng, accessTokenTtl: ACCESS_TOKEN_TTL };
  const accessTokens: string[] = [];
  const refreshTokens: string[] = [];
  try {
    const userId = await storage.transaction(async (repos) => {
      const user = await repos.users.findByUsername(USER.username);
      if (user === null) throw new Error('the bench user was not registered');
      return user.id;
    });
    const batch = 200;
    const total = Math.max(counts.accessTokens, counts.refreshTokens);
    for (let done = 0; done < total; done += batch) {
      await storage.transaction(async (repos) => {
        for (let i = done; i < Math.min(total, done + batch); i++) {
          const session = await repos.oauth2Sessions.add(systemRng, systemClock, {
            clientId: asOAuth2ClientId(CLIENT_ID),
            userId: userId as UserId,
            browserSessionId: null,
            scope: `${MATRIX_SCOPE} urn:matrix:client:device:BENCH${i}`,
            userAgent: 'gatehouse-bench',
          });
          const issued = await issueTokens(repos, session, deps, true);
          if (i < counts.accessTokens) accessTokens.push(issued.accessToken);
          if (i < counts.refreshTokens) refreshTokens.push(issued.refreshToken!);
        }
      });
    }
  } finally {
    await storage.close();
  }
  return { accessTokens, refreshTokens };
}

export async function startGatehouseUnderTest(options: {
  database?: string;
  /** Where the homeserver API answers (the bench's stub); the generated config's otherwise. */
  homeserverEndpoint?: string;
  accessTokens: number;
  refreshTokens: number;
  /** The server's `oauth.introspection_cache_ttl`; null or absent: its default. */
  introspectionCacheTtl?: number | null;
  /** Added to the server's environment (not to the set-up commands'). */
  serverEnv?: Record<string, string>;
}): Promise<GatehouseUnderTest> {
  const config = await writeTestConfig({ database: options.database, seed: 'bench' });
  let server: RunningProcess | null = null;
  try {
    const homeserverSecret = writeBenchConfig(
      config,
      options.homeserverEndpoint,
      options.introspectionCacheTtl ?? null,
    );
    const databaseUri = (parse(readFileSync(config.path, 'utf8')) as { database: { uri: string } })
      .database.uri;
    await runToCompletion(['-c', config.path, 'database', 'migrate']);
    await runToCompletion(['-c', config.path, 'config', 'sync']);
    await runToCompletion([
      '-c',
      config.path,
      'manage',
      'register-user',
      USER.username,
      '--password',
      USER.password,
    ]);
    const seeds = await seed(databaseUri, options);
    server = runGatehouse(['-c', config.path, 'server'], {
      env: { GATEHOUSE_LOG: 'warn', ...options.serverEnv },
    });
    const base = `http://127.0.0.1:${config.webPort}`;
    await waitForStatus(`${base}/.well-known/openid-configuration`, 200, 60_000);
    const running = server;
    return {
      base,
      homeserverSecret,
      seeds,
      process: running,
      pid: running.child.pid!,
      async stop() {
        running.child.kill('SIGTERM');
        const timer = setTimeout(() => running.child.kill('SIGKILL'), 15_000);
        await running.exited;
        clearTimeout(timer);
        config.cleanup();
      },
    };
  } catch (error) {
    config.cleanup();
    if (server === null) throw error;
    server.child.kill('SIGKILL');
    await server.exited;
    throw new Error(`${(error as Error).message}\n${server.output()}`, { cause: error });
  }
}
