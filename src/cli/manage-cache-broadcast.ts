// After every `manage` command on PostgreSQL, running servers are told to drop their cached
// introspection answers (src/services/introspection-cache.ts): a command may lock a user, end
// sessions or revoke tokens, and the CLI keeps no cache of its own to name what became stale, so
// it sends "forget everything" on the servers' revocation channel (pg_notify). Commands are rare
// next to introspections; a server refills its cache from the database within seconds.
// On SQLite the servers notice the CLI's commits themselves (SQLite's `data_version`).

import type { Command } from 'commander';
import { sql } from 'kysely';
import { forgetEverythingMessage } from '../services/introspection-cache.ts';
import { REVOCATION_CHANNEL } from '../services/revocation-channel.ts';
import { sqlitePathFromUri } from '../storage/sql/dialect.ts';
import type { CliContext } from './context.ts';
import { oneLine, openStorage } from './lifecycle.ts';
import { loadConfigForCommand } from './load-config.ts';

/** Sent as the broadcast's sender: no server has this node id. */
const SENDER = 'manage-cli';

export async function broadcastForgetIntrospections(
  ctx: CliContext,
  command: Command,
): Promise<void> {
  const { config } = loadConfigForCommand(ctx, command);
  if (sqlitePathFromUri(config.database.uri) !== null) return;
  const { storage } = openStorage(config.database, ctx.cwd);
  try {
    await sql`select pg_notify(${REVOCATION_CHANNEL}, ${forgetEverythingMessage(SENDER)})`.execute(
      storage.connection.db,
    );
  } catch (error) {
    // The command's change is made; servers see it once their cached answers expire (seconds).
    ctx.err(
      `warning: could not tell running servers to drop their cached token answers (${oneLine(error)}); they see the change within 5 seconds`,
    );
  } finally {
    await storage.close().catch(() => {});
  }
}
