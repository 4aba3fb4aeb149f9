// The raw PostgreSQL reference of the benchmark (bench/postgres-raw-refresh.ts) sends what
// Gatehouse sends for a refresh. One `grant_type=refresh_token` request to a real server (run from
// the sources of this tree) and the reference's transactions are logged by PostgreSQL
// (`log_statement = all`); the statements of one transaction must be the same, in the same order,
// with pg_notify on a connection of its own. When this fails, the grant's statements changed:
// update `REFRESH_SQL` and `refreshOnce` to match (the failure shows both sequences). How each is
// sent is part of it: the grant's reads and writes as named prepared statements (Gatehouse's
// precompiled statements), begin and commit as simple queries, pg_notify unnamed, in both.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import {
  CLIENT_ID,
  startGatehouseUnderTest,
  USER,
  type GatehouseUnderTest,
} from '../../bench/gatehouse-process.ts';
import { measureRawRefresh, REFRESH_SEQUENCE } from '../../bench/postgres-raw-refresh.ts';
import { BASIC_AUTH } from '../../bench/scenarios.ts';
import { startPostgres, type PostgresServer } from '../helpers/postgres.ts';

const OTHER = '(other connection) ';

/**
 * The statements of the `index`-th transaction (from 0) that begins after `marker` and satisfies
 * `wanted`, from its `begin` to its `commit`, with the pg_notify calls other connections made
 * meanwhile (prefixed by OTHER): the one statement of a request sent on another connection.
 * Anything else other connections run (the server's worker, its activity flushes) is background
 * work, left out; `wanted` skips the background work's own transactions (a job that starts at the
 * same moment).
 */
function loggedTransaction(
  log: string,
  marker: string,
  index = 0,
  wanted: (statements: string[]) => boolean = () => true,
): string[] {
  const from = log.indexOf(marker);
  assert.ok(from >= 0, `${marker} is in the log`);
  let statements: string[] = [];
  let owner: string | null = null;
  let seen = 0;
  for (const line of log.slice(from).split('\n')) {
    // `[pid] LOG:  statement: begin` (simple protocol), `execute <unnamed>: …` (extended, parsed
    // each time) or `execute NAME: …` (a prepared statement). How a statement is sent is part of
    // what it costs, so it is compared too.
    const match = /^\[(\d+)\] LOG: {2}(statement|execute ([^:]+)): (.*)$/.exec(line);
    if (match === null) continue;
    const [, pid, how, name, sql] = match as unknown as [string, string, string, string, string];
    const sent = how === 'statement' ? 'simple' : name === '<unnamed>' ? 'unnamed' : 'prepared';
    const text = `${sent}: ${sql}`;
    if (owner === null) {
      if (sql === 'begin') owner = pid;
      else continue;
    }
    if (pid === owner) statements.push(text);
    else if (sql.startsWith('select pg_notify(')) statements.push(OTHER + text);
    if (pid === owner && sql === 'commit') {
      if (wanted(statements) && seen++ === index) return statements;
      statements = [];
      owner = null;
    }
  }
  assert.fail(`no transaction ${index} after ${marker}`);
}

describe('raw PostgreSQL refresh reference', () => {
  let postgres: PostgresServer;
  let gh: GatehouseUnderTest | null = null;
  let logFile: string;
  let admin: pg.Client;
  const env = process.env.GATEHOUSE_FROM_SOURCE;

  before(async () => {
    // The server must run this tree's sources, not a bundle built earlier.
    process.env.GATEHOUSE_FROM_SOURCE = '1';
    postgres = await startPostgres();
    admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    // test/helpers/postgres.ts writes the server's log next to its data directory.
    const dataDir = (await admin.query<{ data_directory: string }>('show data_directory')).rows[0]!
      .data_directory;
    logFile = join(dirname(dataDir), 'server.log');
    assert.ok(existsSync(logFile), `the server log is at ${logFile}`);
  });

  after(async () => {
    await gh?.stop();
    await admin?.end();
    await postgres?.destroy();
    if (env === undefined) delete process.env.GATEHOUSE_FROM_SOURCE;
    else process.env.GATEHOUSE_FROM_SOURCE = env;
  });

  it("sends the refresh grant's statements, and consumes a fresh token per transaction", async () => {
    gh = await startGatehouseUnderTest({
      database: postgres.url,
      accessTokens: 1,
      refreshTokens: 1,
    });
    await admin.query("alter system set log_statement = 'all'");
    await admin.query("alter system set log_line_prefix = '[%p] '");
    await admin.query('select pg_reload_conf()');
    // Each backend applies the reload on its own, between statements: wait for ours.
    for (let i = 0; ; i++) {
      const { rows } = await admin.query<{ log_statement: string }>('show log_statement');
      if (rows[0]!.log_statement === 'all') break;
      assert.ok(i < 100, 'log_statement = all took effect');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    await admin.query("select 'gatehouse-refresh-starts'");
    const response = await fetch(`${gh.base}/oauth2/token`, {
      method: 'POST',
      headers: { authorization: BASIC_AUTH, 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=refresh_token&refresh_token=${gh.seeds.refreshTokens[0]}`,
    });
    assert.equal(response.status, 200, await response.text());
    const stopping = gh;
    gh = null;
    await stopping.stop();

    // The reference seeds its sessions in one transaction, then runs its refreshes.
    await admin.query("select 'raw-reference-starts'");
    // One transaction in flight, so the log holds them one after another (the runner's smoke
    // test runs it with several).
    const raw = await measureRawRefresh({
      url: postgres.url,
      clientId: CLIENT_ID,
      username: USER.username,
      poolSize: 1,
      connections: 1,
      duration: 0.3,
      warmup: 0.1,
    });
    await admin.query("select 'raw-reference-ends'");

    const log = readFileSync(logFile, 'utf8');
    // The refresh grant's transaction: the one that reads refresh tokens.
    const gatehouse = loggedTransaction(log, 'gatehouse-refresh-starts', 0, (statements) =>
      statements.some((s) => s.includes('from "oauth2_refresh_tokens"')),
    );
    // Transaction 0 seeds the reference's sessions; 1 is its first refresh.
    const reference = loggedTransaction(log, 'raw-reference-starts', 1);
    assert.equal(reference[0], 'simple: begin');
    assert.deepEqual(reference, gatehouse, 'the reference sends what Gatehouse sends, as it does');
    assert.deepEqual(
      REFRESH_SEQUENCE.map((s) => s.replace(/ -- on the LISTEN connection$/, '')),
      reference.map((s) => s.replace(OTHER, '').replace(/^[a-z]+: /, '')),
      'the recorded sequence is the one sent',
    );
    // begin and commit go as simple queries, pg_notify (on the LISTEN connection) unnamed, the
    // grant's reads and writes prepared.
    const how = (s: string) => /^(?:\(other connection\) )?([a-z]+): /.exec(s)![1];
    assert.deepEqual(
      gatehouse.map(how),
      gatehouse.map((s) =>
        s.endsWith(': begin') || s.endsWith(': commit')
          ? 'simple'
          : s.startsWith(OTHER)
            ? 'unnamed'
            : 'prepared',
      ),
      'how the statements are sent',
    );

    assert.ok(raw.transactions > 0, 'transactions in the measured load');
    assert.ok(raw.totalTransactions >= raw.transactions, 'the warm-up counts in the total');
    assert.equal(raw.errors, 0, raw.firstError);
    assert.equal(
      raw.consumedRows,
      raw.totalTransactions,
      'one fresh token consumed per transaction',
    );
    // Every transaction left a committed chain link: the tokens it consumed point at successors.
    const links = await admin.query<{ n: number }>(
      `select count(*)::int as n from oauth2_refresh_tokens r
         join oauth2_sessions s on s.id = r.oauth2_session_id
         join oauth2_refresh_tokens next on next.id = r.next_oauth2_refresh_token_id
        where s.user_agent like 'gatehouse-bench-raw %' and r.consumed_at is not null`,
    );
    assert.equal(links.rows[0]!.n, raw.totalTransactions);
  });
});
