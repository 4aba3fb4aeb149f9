// The Matrix device an OAuth 2.0 session holds, in a column of its own (`device_id`, null when the
// scope names none), indexed with the user. A compat login ends the user's sessions holding the
// device it logs in; this finds them with one index lookup instead of reading every active session
// of the user and matching its scope (a bot's account can hold thousands).
//
// A session's scope never changes after the session is created, so the column is written once: by
// the repository's insert for new sessions, and below for the sessions that exist already.

import { sql, type Kysely } from 'kysely';
import { deviceIdOfScope } from '../../../model/matrix-device-scope.ts';
import type { SqlDialect } from '../dialect.ts';

/** Sessions read per statement while filling the column: bounds the memory a large table needs. */
const BATCH = 1000;

/** The part of the table this migration reads and writes. */
interface Tables {
  oauth2_sessions: { id: string; scope: string; device_id: string | null };
}

export async function up(untyped: Kysely<unknown>, _dialect: SqlDialect): Promise<void> {
  const db = untyped as Kysely<Tables>;
  await db.schema.alterTable('oauth2_sessions').addColumn('device_id', 'text').execute();

  // Only scopes that can hold a device scope are read (both forms contain `:device:`; LIKE may
  // also let others through, which the parser then rejects).
  let after = '';
  for (;;) {
    const rows = await db
      .selectFrom('oauth2_sessions')
      .select(['id', 'scope'])
      .where('id', '>', after)
      .where('scope', 'like', '%:device:%')
      .orderBy('id')
      .limit(BATCH)
      .execute();
    for (const row of rows) {
      const deviceId = deviceIdOfScope(row.scope);
      if (deviceId === null) continue;
      await db
        .updateTable('oauth2_sessions')
        .set({ device_id: deviceId })
        .where('id', '=', row.id)
        .execute();
    }
    if (rows.length < BATCH) break;
    after = rows.at(-1)!.id;
  }

  // Partial: most sessions of a non-Matrix deployment (and client_credentials ones) have no device.
  // `device_id = ?` implies `device_id is not null`, so both SQLite and PostgreSQL use it.
  await db.schema
    .createIndex('oauth2_sessions_user_device_idx')
    .on('oauth2_sessions')
    .columns(['user_id', 'device_id'])
    .where(sql.ref('device_id'), 'is not', null)
    .execute();
}
