// Hot statements built and compiled once, then run with fresh values. Kysely builds an operation
// tree and compiles it to SQL on every call; for the statements every token request runs (token
// lookups and inserts, the client lookup) that work cost more CPU than SQLite's own execution.
// A `PrecompiledQuery` is written with the ordinary query builder, with `arg(i)` where the i-th
// value of each call goes; it is compiled on first use for each dialect and then only its
// parameters change. Values that are not `arg(…)` stay as they were compiled (constants).
//
// Use it only where a profile shows the cost: an ordinary Kysely query is easier to read. The
// statement must have the same shape on every call (no `in` lists of varying length, no optional
// clauses); a shape that varies needs one `PrecompiledQuery` per variant. Make each one a module
// constant: its compiled text is kept, and on PostgreSQL runs as a named prepared statement
// (./postgres-prepared.ts), one per text and connection.
//
// Its result columns must be listed, never `*` (`selectAll()`, `returningAll()`): a prepared
// `select *` fails once a migration adds a column under running nodes (./postgres-prepared.ts
// says why). A statement with `*` is refused when it is compiled, on every dialect, so SQLite
// tests catch it too.
//
//   const FIND = new PrecompiledQuery((db) =>
//     db.selectFrom('oauth2_access_tokens').select(ACCESS_TOKEN_COLUMNS)
//       .where('token_hash', '=', arg<string>(0)),
//   );
//   const rows = await FIND.execute(db, dialect, [hash]);

import type { Compilable, CompiledQuery, Kysely, QueryResult, Transaction } from 'kysely';
import type { DialectName, SqlDialect } from './dialect.ts';
import { registerPreparedStatement } from './postgres-prepared.ts';
import type { Schema } from './schema.ts';

type Db = Kysely<Schema> | Transaction<Schema>;

/** Stands for the value at `index` of the arguments given to `execute`. */
class Arg {
  readonly index: number;
  constructor(index: number) {
    this.index = index;
  }
}

/**
 * A placeholder for the `index`-th argument of `execute`, typed as the column value it stands
 * for. Kysely sees an ordinary value and makes it a bind parameter.
 */
export function arg<T>(index: number): T {
  if (!Number.isInteger(index) || index < 0) throw new RangeError(`bad argument index ${index}`);
  return new Arg(index) as unknown as T;
}

/**
 * `select *`, `select distinct *`, `returning *` and a qualified `"table".*`, as Kysely writes
 * them (`count(*)` and arithmetic do not match).
 */
const STAR_RESULT = /\b(?:select(?:\s+distinct)?|returning)\s+\*|"\s*\.\s*\*/i;

interface Compiled<Row> {
  readonly query: CompiledQuery<Row>;
  /** For each bind parameter: the argument index it takes, or -1 for a compiled-in constant. */
  readonly slots: readonly number[];
  readonly arity: number;
}

export class PrecompiledQuery<Row> {
  readonly #build: (db: Db) => Compilable<Row>;
  readonly #compiled = new Map<DialectName, Compiled<Row>>();

  constructor(build: (db: Db) => Compilable<Row>) {
    this.#build = build;
  }

  /** Runs the statement with `args` in place of `arg(0)`, `arg(1)`, … and returns its result. */
  execute(db: Db, dialect: SqlDialect, args: readonly unknown[]): Promise<QueryResult<Row>> {
    const compiled = this.#compiledFor(db, dialect.name);
    if (args.length !== compiled.arity) {
      throw new Error(`statement takes ${compiled.arity} arguments, got ${args.length}`);
    }
    const parameters = compiled.slots.map((slot, i) =>
      slot === -1 ? compiled.query.parameters[i] : args[slot],
    );
    return db.executeQuery<Row>({ ...compiled.query, parameters });
  }

  /** The rows of `execute`. */
  async rows(db: Db, dialect: SqlDialect, args: readonly unknown[]): Promise<Row[]> {
    return (await this.execute(db, dialect, args)).rows;
  }

  /** The first row of `execute`, or undefined. */
  async first(db: Db, dialect: SqlDialect, args: readonly unknown[]): Promise<Row | undefined> {
    return (await this.execute(db, dialect, args)).rows[0];
  }

  #compiledFor(db: Db, dialect: DialectName): Compiled<Row> {
    let compiled = this.#compiled.get(dialect);
    if (compiled === undefined) {
      // Compiling runs no query: any connection or transaction of the dialect compiles the same.
      const query = this.#build(db).compile();
      if (STAR_RESULT.test(query.sql)) {
        throw new Error(
          `a precompiled statement must list its result columns, not \`*\` (a prepared statement ` +
            `returning * breaks when a migration adds a column): ${query.sql}`,
        );
      }
      const slots = query.parameters.map((p) => (p instanceof Arg ? p.index : -1));
      const used = new Set(slots.filter((s) => s !== -1));
      const arity = used.size;
      // Every argument must land in a bind parameter, each index from 0 up without gaps.
      for (let i = 0; i < arity; i++) {
        if (!used.has(i)) throw new Error(`arg(${i}) is not a bind parameter of: ${query.sql}`);
      }
      if (dialect === 'postgres') registerPreparedStatement(query.sql);
      compiled = { query, slots, arity };
      this.#compiled.set(dialect, compiled);
    }
    return compiled;
  }
}
