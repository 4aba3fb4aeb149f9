// Writing many rows' activity at once: one `UPDATE … FROM (VALUES …)` per group of rows, each row
// with its own time and address (SQLite 3.33+ and PostgreSQL both run it; VALUES columns are
// `column1`, `column2`, … in both).
//
// The activity tracker (src/services/activity-tracker.ts) flushes every session and token the
// homeserver introspected in the last seconds, each seen at its own millisecond. One UPDATE per
// row (or per distinct time) was a thousand statements per flush under load: on SQLite, whose
// driver is synchronous, that held the event loop for tens of milliseconds every few seconds, the
// tail of the introspection latency.
//
// Groups have fixed sizes (GROUP_SIZES), so a handful of statement texts recur and stay prepared
// instead of one new text per batch length.

import { sql, type Kysely, type Transaction } from 'kysely';
import type { SqlDialect, TimestampValue } from '../dialect.ts';
import type { Schema } from '../schema.ts';

type Db = Kysely<Schema> | Transaction<Schema>;

/** Largest first; every batch is cut into groups of these sizes. */
const GROUP_SIZES = [256, 32, 4, 1] as const;

/** `items` cut into groups whose sizes are all in GROUP_SIZES. */
export function fixedSizeGroups<T>(items: readonly T[]): T[][] {
  const groups: T[][] = [];
  let at = 0;
  for (const size of GROUP_SIZES) {
    while (items.length - at >= size) {
      groups.push(items.slice(at, at + size));
      at += size;
    }
  }
  return groups;
}

/** Rows are written in id order, so concurrent writers lock them in the same order. */
const byId = (a: { readonly id: string }, b: { readonly id: string }): number =>
  a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

/** The SQL type a timestamp parameter is cast to, so PostgreSQL types the VALUES column. */
function timestampType(dialect: SqlDialect): string {
  const type = dialect.types.timestamp;
  if (typeof type !== 'string') throw new Error('timestamp columns must have a named SQL type');
  return type;
}

export interface LatestActivity {
  readonly id: string;
  readonly at: Date;
  /** Null keeps the address already recorded. */
  readonly ip: string | null;
}

/**
 * Sets `last_active_at` (and `last_active_ip`, unless the entry has none) of each row, only ever
 * moving the time forward. Several entries of one id keep the newest (a later entry wins a tie:
 * it was recorded last), with the last address known.
 */
export async function recordLatestActivity(
  db: Db,
  dialect: SqlDialect,
  table: 'oauth2_sessions' | 'personal_sessions' | 'compat_sessions',
  entries: readonly LatestActivity[],
): Promise<void> {
  const newest = new Map<string, LatestActivity>();
  for (const entry of entries) {
    const known = newest.get(entry.id);
    if (known === undefined || entry.at.getTime() >= known.at.getTime())
      newest.set(entry.id, { ...entry, ip: entry.ip ?? known?.ip ?? null });
  }
  const cast = sql.raw(timestampType(dialect));
  const column = (name: string) => sql.ref(`${table}.${name}`);
  for (const group of fixedSizeGroups([...newest.values()].sort(byId))) {
    const rows = sql.join(
      group.map(
        (e) =>
          sql`(${e.id}, cast(${dialect.toTimestamp(e.at) as TimestampValue} as ${cast}), cast(${e.ip} as text))`,
      ),
    );
    await sql`update ${sql.table(table)}
      set last_active_at = v.column2, last_active_ip = coalesce(v.column3, ${column('last_active_ip')})
      from (values ${rows}) as v
      where ${column('id')} = v.column1
        and (${column('last_active_at')} is null or ${column('last_active_at')} < v.column2)`.execute(
      db,
    );
  }
}

/**
 * Sets `first_used_at` of each access token, only ever moving it earlier (a batch flushed late
 * must not move a known first use forward). Several entries of one id keep the earliest.
 */
export async function recordEarliestUse(
  db: Db,
  dialect: SqlDialect,
  entries: readonly { readonly id: string; readonly at: Date }[],
): Promise<void> {
  const earliest = new Map<string, { readonly id: string; readonly at: Date }>();
  for (const entry of entries) {
    const known = earliest.get(entry.id);
    if (known === undefined || entry.at.getTime() < known.at.getTime())
      earliest.set(entry.id, entry);
  }
  const cast = sql.raw(timestampType(dialect));
  for (const group of fixedSizeGroups([...earliest.values()].sort(byId))) {
    const rows = sql.join(
      group.map(
        (e) => sql`(${e.id}, cast(${dialect.toTimestamp(e.at) as TimestampValue} as ${cast}))`,
      ),
    );
    await sql`update oauth2_access_tokens
      set first_used_at = v.column2
      from (values ${rows}) as v
      where oauth2_access_tokens.id = v.column1
        and (oauth2_access_tokens.first_used_at is null
          or oauth2_access_tokens.first_used_at > v.column2)`.execute(db);
  }
}
