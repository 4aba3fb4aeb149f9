// `gatehouse manage issue-compatibility-token USER [--device-id ID]
//  [--yes-i-want-to-grant-synapse-admin-privileges]` (MAS: `mas-cli manage
// issue-compatibility-token`): starts a compat session for the user, as a legacy login would, and
// prints its access token, which never expires. The device is created on the homeserver when a
// `matrix` section is configured (before the token is printed; if that fails the session is ended
// and nothing is printed). A session holding the same device is replaced. `urn:synapse:admin:*`
// comes with the token only with the long flag: this is the one way to make such a session.
//
// The token goes to standard output alone on its line; details go to standard error.

import type { Command } from 'commander';
import { homeserverConnection } from '../matrix/connection-factory.ts';
import { isUserActive } from '../model/user.ts';
import {
  generateDeviceId,
  isValidDeviceId,
  startCompatSession,
} from '../services/compat-sessions.ts';
import { CliError, type CliContext } from './context.ts';
import { assertMigrated, oneLine, openStorage, requireUser } from './lifecycle.ts';
import { loadConfigForCommand } from './load-config.ts';

interface Options {
  deviceId?: string;
  yesIWantToGrantSynapseAdminPrivileges?: boolean;
}

export function registerCompatManageCommands(manage: Command, ctx: CliContext): void {
  manage
    .command('issue-compatibility-token')
    .description('issue a legacy Matrix access token (mct_…) that never expires')
    .argument('<username>', 'the localpart of the user')
    .option('--device-id <id>', 'the device the token is for (default: a new one)')
    .option(
      '--yes-i-want-to-grant-synapse-admin-privileges',
      'also grant urn:synapse:admin:* (Synapse admin API access)',
    )
    .action(async (username: string, options: Options, command: Command) => {
      const { config } = loadConfigForCommand(ctx, command);
      const deviceId = options.deviceId ?? generateDeviceId(ctx.rng);
      if (!isValidDeviceId(deviceId)) {
        throw new CliError(`invalid device id "${deviceId}"`);
      }
      const admin = options.yesIWantToGrantSynapseAdminPrivileges === true;
      let homeserver;
      try {
        homeserver = homeserverConnection(config.matrix, {
          logSkippedWrite: (message) => ctx.err(String(message)),
        });
      } catch (error) {
        throw new CliError(oneLine(error));
      }

      const { storage, where } = openStorage(config.database, ctx.cwd);
      try {
        await assertMigrated(storage, where);
        const started = await storage.transaction(async (repos) => {
          const user = await requireUser(repos, username);
          if (!isUserActive(user)) {
            throw new CliError(`user "${username}" is locked or deactivated`);
          }
          const started = await startCompatSession(repos, ctx, {
            user,
            deviceId,
            humanName: null,
            userAgent: null,
            browserSessionId: null,
            isSynapseAdmin: admin,
            refreshableTtlSeconds: null,
          });
          return { ...started, user };
        });

        if (homeserver !== null) {
          try {
            await homeserver.upsertDevice(started.user.username, deviceId, null);
          } catch (error) {
            await storage.transaction(async (repos) => {
              await repos.compatSessions.finish(ctx.clock, started.session);
            });
            throw new CliError(`${oneLine(error)}; no token was issued`);
          }
        }

        ctx.out(started.accessToken);
        ctx.err(
          `compatibility token issued for ${started.user.username} on device ${deviceId}` +
            ` (compat session ${started.session.id})` +
            `${admin ? ', with Synapse admin privileges' : ''}` +
            `${started.replaced > 0 ? `; replaced ${started.replaced} session(s) on that device` : ''}`,
        );
      } finally {
        await storage.close().catch(() => {});
      }
    });
}
