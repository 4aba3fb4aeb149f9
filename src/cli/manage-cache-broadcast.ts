// After every `manage` command on PostgreSQL, running servers are told to drop their cached
// introspection answers (src/services/introspection-cache.ts): a command may lock a user, end
// sessions or revoke tokens, and the CLI keeps no cache of its own to name what became stale, so
// it sends "forget everything" on the servers' revocation channel (pg_notify). Commands are rare
// next to introspections; a server refills its cache from the database within seconds.
// On SQLite the servers notice the CLI's commits themselves (SQLite's `data_version`).
//
// The commands in COMMANDS_KEEPING_CACHES only read, or only add what no cached answer depends on,
// and send nothing: a monitoring job listing admins every minute must not empty every node's cache
// each time. A new command broadcasts until it is added there; when in doubt, leave it out: an
// extra broadcast costs seconds of database reads, a missing one leaves a revoked token working
// until the TTL.

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

/** `manage` commands after which nothing is sent (see the header), and why each is safe. */
export const COMMANDS_KEEPING_CACHES: ReadonlySet<string> = new Set([
  'list-admin-users', // reads
  'list-upstream-links', // reads
  'register-user', // a new user has no tokens yet
  'set-password', // adds a password; sessions and tokens are untouched
  'add-email', // emails are not part of an introspection answer
  'verify-email',
  'issue-user-registration-token', // a registration token is not an access token
  'issue-personal-token', // a new session and token; nothing is revoked
  'add-upstream-link', // a link is not part of an introspection answer
  'provision-all-users', // queues homeserver updates
]);

export async function broadcastForgetIntrospections(
  ctx: CliContext,
  command: Command,
): Promise<void> {
  if (COMMANDS_KEEPING_CACHES.has(command.name())) return;
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
