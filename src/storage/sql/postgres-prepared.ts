// Named prepared statements on PostgreSQL for the precompiled statements (./precompiled-query.ts),
// and only for them.
//
// Why: PostgreSQL parses, analyses and plans an unnamed statement every time it runs. A named
// prepared statement is parsed once per connection; afterwards each run only binds its values
// and executes (the plan is cached once a generic plan costs no more than the custom ones). The
// statements of every token request are precompiled; preparing them cut PostgreSQL's CPU per
// refresh grant by about 40 % (docs/performance.md). Every other query stays unnamed: Kysely builds
// texts that vary (`in` lists, optional filters), and preparing those would grow each
// connection's statements without bound, while the precompiled ones are a fixed set of fixed
// texts (a few dozen at most, each prepared once per connection).
//
// How: pg runs a named prepared statement when a query is given as `{ name, text, values }`
// (it prepares the statement on a connection the first time that connection sees the name).
// Kysely's PostgresDriver calls `client.query(text, values)`; the pool's clients are
// `PreparingClient`s (pg's own `Client` option of the pool), which add the name when `text` was
// registered here by a PrecompiledQuery. The name is a hash of the text, the same on every node
// and connection. LISTEN/NOTIFY, the migrator and all other queries go through unchanged.
//
// The rule these statements must keep: no `*` in the result (`select *`, `returning *`). A
// prepared statement's result columns are fixed when it is prepared. When a migration adds a
// column to a table while older nodes keep running (a rolling upgrade), PostgreSQL re-plans their
// prepared `select *`, finds one column more and fails with "cached plan must not change result
// type" (SQLSTATE 0A000); inside a transaction that error aborts the transaction, so it cannot
// be retried. With the columns listed, an added column changes nothing for the statement.
// PrecompiledQuery refuses a statement with `*`. What prepared statements still cannot survive
// is a migration that changes the type of a column such a statement returns: do that by adding a
// new column and moving to it (as old nodes' code needs anyway), not by ALTER COLUMN TYPE.
//
// Connection poolers: prepared statements live on a server connection. PgBouncer in transaction
// mode needs `max_prepared_statements` (PgBouncer ≥ 1.21); session mode works as is. MAS, through
// sqlx, prepares its statements too, so a setup that runs MAS runs these.

import { createHash } from 'node:crypto';
import type pg from 'pg';

/**
 * At most this many texts are prepared; statements registered beyond it run unnamed. The
 * precompiled statements are module constants (a few dozen): the bound only matters if one were
 * ever built per call, which would otherwise make every connection hold ever more statements.
 */
export const MAX_PREPARED_STATEMENTS = 256;

const names = new Map<string, string>();

/** The name PostgreSQL will know `text` by: `gh_` and 64 bits of its SHA-256. */
export function preparedStatementName(text: string): string {
  return `gh_${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
}

/**
 * Makes `text` run as a named prepared statement on PostgreSQL from now on. Called by
 * PrecompiledQuery when it compiles a statement for PostgreSQL; the statement must not return `*`
 * (see the header). Returns the name, or null once the bound is reached (it then runs unnamed).
 */
export function registerPreparedStatement(text: string): string | null {
  const known = names.get(text);
  if (known !== undefined) return known;
  if (names.size >= MAX_PREPARED_STATEMENTS) return null;
  const name = preparedStatementName(text);
  names.set(text, name);
  return name;
}

let preparingClass: { base: typeof pg.Client; client: typeof pg.Client } | null = null;

/**
 * pg's `Client` with registered texts sent as named prepared statements: give it to the pool as
 * its `Client` option. Everything else (query objects, cursors, callbacks, unregistered texts)
 * is passed through as it came.
 */
export function preparingClient(Base: typeof pg.Client): typeof pg.Client {
  if (preparingClass?.base === Base) return preparingClass.client;
  class PreparingClient extends Base {
    // pg's `query` has a dozen overloads; this one forwards whatever it is given.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    override query(config: any, values?: any, callback?: any): any {
      if (typeof config === 'string' && callback === undefined && typeof values !== 'function') {
        const name = names.get(config);
        if (name !== undefined) return super.query({ name, text: config, values });
      }
      return super.query(config, values, callback);
    }
  }
  preparingClass = { base: Base, client: PreparingClient };
  return PreparingClient;
}
