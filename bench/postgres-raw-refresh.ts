// The PostgreSQL reference for the refresh grant (issue 8: "on PostgreSQL within 2× of the raw
// transaction rate for the same writes"): the statements one `grant_type=refresh_token` request
// makes PostgreSQL run, sent straight through `pg`, with no HTTP, no Fastify, no Kysely and no
// repositories in between. The rate it reaches is what the database and the driver allow; the
// Gatehouse refresh scenario is judged against it.
//
// The statements are copied, text and order, from what PostgreSQL logs (`log_statement = all`)
// for one refresh by the server (client authentication, the grant in
// src/http/handlers/oauth2/grants/refresh-token.ts, token issuance, the introspection cache's
// cross-node invalidation). They are repeated here on purpose rather than imported: the reference
// must not move when the storage layer does. When the grant's statements change, change
// `REFRESH_SQL` (and the sequence in `refreshOnce`) to match the log again.
//
// They are sent as Gatehouse sends them: the grant's reads and writes (Gatehouse's precompiled
// statements, src/storage/sql/postgres-prepared.ts) as named prepared statements, parsed once per
// connection; begin and commit as simple queries; pg_notify unnamed. Sending them unnamed (parsed
// and planned on every run) would make the reference ~40 % more expensive for PostgreSQL and the
// ratio flatter Gatehouse than the driver path it is compared with.
//
// Run by the runner (./run.ts) as its own process after Gatehouse's server has stopped, on the
// same throwaway server and in the same database Gatehouse used: the same tables, indexes and
// foreign keys (made by Gatehouse's own migrations), the real client and user rows, and sessions
// of its own (user agent `gatehouse-bench-raw <ulid>`). Prints one JSON line
// (`RawTransactionsResult`).
//
//   node bench/postgres-raw-refresh.ts --url URL --client-id ID --username NAME
//     --pool N --connections N --duration S [--warmup S]

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { systemClock } from '../src/clock.ts';
import { newUlid, systemRng } from '../src/rng.ts';
import { processTreeCpuSeconds } from './process-usage.ts';

/** One refresh request's statements, in the order Gatehouse sends them (see `refreshOnce`). */
export const REFRESH_SQL = {
  begin: 'begin',
  // client_secret_basic: the client is read in the request's transaction.
  client:
    'select "id", "is_static", "encrypted_client_secret", "token_endpoint_auth_method", "token_endpoint_auth_signing_alg", "grant_types", "redirect_uris", "post_logout_redirect_uris", "application_type", "client_name", "client_name_localized", "client_uri", "logo_uri", "policy_uri", "tos_uri", "contacts", "jwks", "jwks_uri", "id_token_signed_response_alg", "userinfo_signed_response_alg", "initiate_login_uri", "metadata_digest", "created_at" from "oauth2_clients" where "id" = $1',
  refreshTokenByHash:
    'select "id", "oauth2_session_id", "token_hash", "oauth2_access_token_id", "created_at", "consumed_at", "revoked_at", "next_oauth2_refresh_token_id" from "oauth2_refresh_tokens" where "token_hash" = $1',
  session:
    'select "id", "oauth2_client_id", "user_id", "user_session_id", "scope", "created_at", "finished_at", "user_agent", "last_active_at", "last_active_ip", "human_name" from "oauth2_sessions" where "id" = $1',
  user: 'select "id", "username", "created_at", "locked_at", "deactivated_at", "can_request_admin" from "users" where "id" = $1',
  insertAccessToken:
    'insert into "oauth2_access_tokens" ("id", "oauth2_session_id", "token_hash", "created_at", "expires_at", "revoked_at", "first_used_at") values ($1, $2, $3, $4, $5, $6, $7)',
  insertRefreshToken:
    'insert into "oauth2_refresh_tokens" ("id", "oauth2_session_id", "token_hash", "oauth2_access_token_id", "created_at", "consumed_at", "revoked_at", "next_oauth2_refresh_token_id") values ($1, $2, $3, $4, $5, $6, $7, $8)',
  // Compare-and-set: of two concurrent refreshes with one token, the second updates no row.
  consumeRefreshToken:
    'update "oauth2_refresh_tokens" set "consumed_at" = coalesce("consumed_at", $1), "next_oauth2_refresh_token_id" = $2 where "id" = $3 and "revoked_at" is null and "next_oauth2_refresh_token_id" is null returning "id", "oauth2_session_id", "token_hash", "oauth2_access_token_id", "created_at", "consumed_at", "revoked_at", "next_oauth2_refresh_token_id"',
  // The presented token's access token, unless already revoked (no read first).
  revokeAccessToken:
    'update "oauth2_access_tokens" set "revoked_at" = $1 where "id" = $2 and "revoked_at" is null',
  // Sent on the LISTEN connection (outside the pool), awaited before the commit.
  notifyRevoked: 'select pg_notify($1, $2)',
  commit: 'commit',
} as const;

/** The statement sequence of one refresh, as recorded in the results. */
export const REFRESH_SEQUENCE: readonly string[] = [
  REFRESH_SQL.begin,
  REFRESH_SQL.client,
  REFRESH_SQL.refreshTokenByHash,
  REFRESH_SQL.session,
  REFRESH_SQL.user,
  REFRESH_SQL.insertAccessToken,
  REFRESH_SQL.insertRefreshToken,
  REFRESH_SQL.consumeRefreshToken,
  REFRESH_SQL.revokeAccessToken,
  `${REFRESH_SQL.notifyRevoked} -- on the LISTEN connection`,
  REFRESH_SQL.commit,
];

/** The introspection cache's invalidation channel (src/services/revocation-channel.ts). */
const REVOCATION_CHANNEL = 'gatehouse_token_revoked';
/** The access token lifetime the bench configures (bench/gatehouse-process.ts). */
const ACCESS_TOKEN_TTL_MS = 3600 * 1000;
/**
 * Marks the sessions of one run of the reference (`gatehouse-bench-raw <ulid>`), to count what it
 * consumed afterwards even when the database holds an earlier run's.
 */
const USER_AGENT_PREFIX = 'gatehouse-bench-raw';
/** Seeded sessions per connection, as the runner seeds for the refresh scenario. */
const TOKENS_PER_CONNECTION = 20;

export const RAW_REFRESH_DESCRIPTION =
  "the refresh grant's statements (BEGIN, 4 reads, 2 inserts, 2 updates, pg_notify, COMMIT) straight through pg";

export interface RawTransactionsResult {
  readonly description: string;
  /** The statements of one transaction, in order. */
  readonly statements: readonly string[];
  /** pg Pool size (Gatehouse's default `database.max_connections`). */
  readonly poolSize: number;
  /** Transactions in flight (the bench's connections). */
  readonly concurrency: number;
  /** Length of the measured load (after the warm-up), seconds. */
  readonly seconds: number;
  /** Transactions committed during the measured load. */
  readonly transactions: number;
  readonly perSecond: number;
  /** Transactions rolled back (a statement failed or a check did not hold). */
  readonly errors: number;
  /** The first failure's message, when there was one. */
  readonly firstError?: string;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** CPU seconds of this client process during the measured load. */
  readonly clientCpuSeconds: number;
  /** CPU seconds of the PostgreSQL server (postmaster and children) during it; null if unreadable. */
  readonly postgresCpuSeconds: number | null;
  /** Transactions committed in the warm-up and the measured load together. */
  readonly totalTransactions: number;
  /**
   * Refresh token rows of the reference's sessions found consumed in the database afterwards:
   * equal to `totalTransactions` when every transaction consumed a fresh token.
   */
  readonly consumedRows: number;
}

export interface RawRefreshOptions {
  /** The database Gatehouse ran on (migrated, with the client and user in it). */
  readonly url: string;
  readonly clientId: string;
  readonly username: string;
  readonly poolSize: number;
  readonly connections: number;
  readonly duration: number;
  readonly warmup: number;
}

type Row = Record<string, unknown>;

/** Stands in for the SHA-256 of a fresh token: only the hash is stored. */
const newTokenHash = (): string => randomBytes(32).toString('hex');
const newId = (): string => newUlid(systemClock, systemRng);

/** Sessions of the reference's own, each with an access token and an unused refresh token. */
async function seed(
  pool: pg.Pool,
  clientId: string,
  userId: string,
  userAgent: string,
  count: number,
): Promise<string[]> {
  const hashes: string[] = [];
  const client = await pool.connect();
  try {
    await client.query('begin');
    for (let i = 0; i < count; i++) {
      const now = new Date();
      const sessionId = newId();
      await client.query(
        'insert into "oauth2_sessions" ("id", "oauth2_client_id", "user_id", "user_session_id", "scope", "created_at", "user_agent", "device_id") values ($1, $2, $3, null, $4, $5, $6, $7)',
        [
          sessionId,
          clientId,
          userId,
          // As the runner's seeded sessions (MATRIX_SCOPE plus a device).
          `openid urn:matrix:client:api:* urn:matrix:client:device:RAW${i}`,
          now,
          userAgent,
          `RAW${i}`,
        ],
      );
      const accessTokenId = newId();
      await client.query(REFRESH_SQL.insertAccessToken, [
        accessTokenId,
        sessionId,
        newTokenHash(),
        now,
        new Date(now.getTime() + ACCESS_TOKEN_TTL_MS),
        null,
        null,
      ]);
      const hash = newTokenHash();
      await client.query(REFRESH_SQL.insertRefreshToken, [
        newId(),
        sessionId,
        hash,
        accessTokenId,
        now,
        null,
        null,
        null,
      ]);
      hashes.push(hash);
    }
    await client.query('commit');
  } catch (error) {
    await client.query('rollback');
    throw error;
  } finally {
    client.release();
  }
  return hashes;
}

/**
 * The LISTEN connection's pg_notify calls, one after another: pg would queue concurrent calls on
 * one client the same way (one query on the wire at a time), but warns that it will stop doing so.
 */
interface Notifier {
  notify(payload: string): Promise<void>;
}

function serialNotifier(client: pg.Client): Notifier {
  let last: Promise<unknown> = Promise.resolve();
  return {
    notify(payload) {
      const sent = last.then(() =>
        client.query(REFRESH_SQL.notifyRevoked, [REVOCATION_CHANNEL, payload]),
      );
      last = sent.catch(() => {});
      return sent.then(() => {});
    },
  };
}

const first = (result: pg.QueryResult): Row | undefined => result.rows[0] as Row | undefined;

type GrantStatement = Exclude<keyof typeof REFRESH_SQL, 'begin' | 'commit' | 'notifyRevoked'>;

/** Runs one of the grant's statements as a named prepared statement, as Gatehouse does. */
function prepared(db: pg.PoolClient, statement: GrantStatement, values: unknown[]) {
  return db.query({ name: `raw_${statement}`, text: REFRESH_SQL[statement], values });
}

/**
 * One refresh: the transaction Gatehouse runs for `grant_type=refresh_token` with the token whose
 * hash is `presented`, with the grant's checks (cheap here, as there). Returns the new refresh
 * token's hash; throws (after a rollback) when a check fails.
 */
async function refreshOnce(
  pool: pg.Pool,
  notifier: Notifier,
  clientId: string,
  presented: string,
): Promise<string> {
  const db = await pool.connect();
  try {
    await db.query(REFRESH_SQL.begin);
    try {
      // authenticate the client
      if (first(await prepared(db, 'client', [clientId])) === undefined)
        throw new Error('client not found');
      // load and check
      const token = first(await prepared(db, 'refreshTokenByHash', [presented]));
      if (token === undefined) throw new Error('unknown refresh token');
      const session = first(await prepared(db, 'session', [token.oauth2_session_id]));
      if (session === undefined || session.oauth2_client_id !== clientId)
        throw new Error('token of another client');
      if (session.finished_at !== null) throw new Error('session ended');
      const user = first(await prepared(db, 'user', [session.user_id]));
      if (user === undefined) throw new Error('user not found');
      if (token.revoked_at !== null || token.consumed_at !== null)
        throw new Error('token revoked or consumed');
      // issue: a new access token and its refresh token
      const now = new Date();
      const accessTokenId = newId();
      await prepared(db, 'insertAccessToken', [
        accessTokenId,
        session.id,
        newTokenHash(),
        now,
        new Date(now.getTime() + ACCESS_TOKEN_TTL_MS),
        null,
        null,
      ]);
      const nextHash = newTokenHash();
      const nextId = newId();
      await prepared(db, 'insertRefreshToken', [
        nextId,
        session.id,
        nextHash,
        accessTokenId,
        new Date(),
        null,
        null,
        null,
      ]);
      // consume the presented token, then revoke its access token
      const consumed = await prepared(db, 'consumeRefreshToken', [new Date(), nextId, token.id]);
      if (consumed.rowCount !== 1) throw new Error('refresh token consumed concurrently');
      const accessTokenToRevoke = token.oauth2_access_token_id as string | null;
      if (accessTokenToRevoke !== null) {
        const revoked = await prepared(db, 'revokeAccessToken', [new Date(), accessTokenToRevoke]);
        // The introspection cache's invalidation, only when this transaction revoked it.
        if (revoked.rowCount === 1) {
          await notifier.notify(
            JSON.stringify({ n: 'gatehouse-bench-raw', k: [`t:${accessTokenToRevoke}`] }),
          );
        }
      }
      await db.query(REFRESH_SQL.commit);
      return nextHash;
    } catch (error) {
      await db.query('rollback');
      throw error;
    }
  } finally {
    db.release();
  }
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** The PostgreSQL server's postmaster pid (read from its data directory), or null. */
export async function postmasterPid(pool: pg.Pool): Promise<number | null> {
  try {
    const dir = first(await pool.query('show data_directory'))?.data_directory as string;
    const pid = Number(readFileSync(join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    processTreeCpuSeconds(pid);
    return pid;
  } catch {
    // Not our server's files (another user, another machine): its CPU is left out.
    return null;
  }
}

export async function measureRawRefresh(
  options: RawRefreshOptions,
): Promise<RawTransactionsResult> {
  const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize });
  // Gatehouse's revocation listener: its own connection, LISTENing on the channel it notifies.
  const notifier = new pg.Client({ connectionString: options.url });
  await notifier.connect();
  try {
    await notifier.query(`LISTEN ${REVOCATION_CHANNEL}`);
    const notify = serialNotifier(notifier);
    const userId = first(
      await pool.query('select id from users where username = $1', [options.username]),
    )?.id as string | undefined;
    if (userId === undefined) throw new Error(`user ${options.username} not found`);
    // A shared pool of unused tokens, as the refresh scenario's: each transaction takes one and
    // puts back the one it issued, so every transaction consumes a fresh row.
    const userAgent = `${USER_AGENT_PREFIX} ${newId()}`;
    const tokens = await seed(
      pool,
      options.clientId,
      userId,
      userAgent,
      options.connections * TOKENS_PER_CONNECTION,
    );
    let firstError: string | undefined;
    let total = 0;

    const load = async (seconds: number) => {
      const latencies: number[] = [];
      let errors = 0;
      const started = performance.now();
      const deadline = started + seconds * 1000;
      await Promise.all(
        Array.from({ length: options.connections }, async () => {
          while (performance.now() < deadline) {
            const presented = tokens.shift();
            // Only failed transactions lose tokens; with none left this connection stops.
            if (presented === undefined) return;
            const t0 = performance.now();
            try {
              tokens.push(await refreshOnce(pool, notify, options.clientId, presented));
              latencies.push(performance.now() - t0);
            } catch (error) {
              errors++;
              firstError ??= (error as Error).message;
            }
          }
        }),
      );
      total += latencies.length;
      return { latencies, errors, seconds: (performance.now() - started) / 1000 };
    };

    if (options.warmup > 0) await load(options.warmup);
    const pid = await postmasterPid(pool);
    const pgBefore = pid === null ? 0 : processTreeCpuSeconds(pid);
    const cpuBefore = process.cpuUsage();
    const measured = await load(options.duration);
    const cpu = process.cpuUsage(cpuBefore);
    const pgAfter = pid === null ? 0 : processTreeCpuSeconds(pid);

    const consumed = first(
      await pool.query(
        'select count(*)::int as n from "oauth2_refresh_tokens" r join "oauth2_sessions" s on s."id" = r."oauth2_session_id" where s."user_agent" = $1 and r."consumed_at" is not null',
        [userAgent],
      ),
    )?.n as number;
    const sorted = measured.latencies.sort((a, b) => a - b);
    return {
      description: RAW_REFRESH_DESCRIPTION,
      statements: REFRESH_SEQUENCE,
      poolSize: options.poolSize,
      concurrency: options.connections,
      seconds: measured.seconds,
      transactions: sorted.length,
      perSecond: sorted.length / measured.seconds,
      errors: measured.errors,
      ...(firstError === undefined ? {} : { firstError }),
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
      postgresCpuSeconds: pid === null ? null : pgAfter - pgBefore,
      totalTransactions: total,
      consumedRows: consumed,
    };
  } finally {
    await notifier.end();
    await pool.end();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      'client-id': { type: 'string' },
      username: { type: 'string' },
      pool: { type: 'string' },
      connections: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string', default: '0' },
    },
  });
  const numbers = {
    poolSize: Number(values.pool),
    connections: Number(values.connections),
    duration: Number(values.duration),
    warmup: Number(values.warmup),
  };
  if (
    values.url === undefined ||
    values['client-id'] === undefined ||
    values.username === undefined ||
    !(numbers.poolSize > 0 && numbers.connections > 0 && numbers.duration > 0) ||
    !(numbers.warmup >= 0)
  ) {
    process.stderr.write(
      'usage: postgres-raw-refresh.ts --url URL --client-id ID --username NAME --pool N --connections N --duration S [--warmup S]\n',
    );
    process.exit(2);
  }
  const result = await measureRawRefresh({
    url: values.url,
    clientId: values['client-id'],
    username: values.username,
    ...numbers,
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
