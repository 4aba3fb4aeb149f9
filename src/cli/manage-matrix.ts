// `gatehouse manage …` commands about users and their homeserver (MAS `mas-cli manage`):
//
//   manage provision-all-users                  queue provision-user for every user
//   manage kill-sessions USER [--dry-run]       end all of the user's sessions
//   manage lock-user USER [--deactivate]        lock (and deactivate) the user
//   manage unlock-user USER [--reactivate]      unlock (and reactivate) the user
//
// They work on the database and queue jobs; a running worker (in `gatehouse server` or
// `gatehouse worker`) makes the homeserver calls, retrying until the homeserver answers.
// Deactivation and reactivation are jobs even without a homeserver (the local part is theirs).

import type { Command } from 'commander';
import type { UserId } from '../model/ids.ts';
import { endAllSessions, listAppSessions } from '../services/user-sessions.ts';
import {
  enqueueDeactivateUser,
  enqueueProvisionUser,
  enqueueReactivateUser,
  enqueueSyncDevices,
} from '../storage/matrix-jobs.ts';
import { CliError, type CliContext } from './context.ts';
import { requireUser, withMigratedStorage } from './lifecycle.ts';
import { loadConfigForCommand } from './load-config.ts';
import { progress } from './progress.ts';

/** Users read per transaction by provision-all-users. */
const PAGE_SIZE = 500;

export function registerMatrixManageCommands(manage: Command, ctx: CliContext): void {
  manage
    .command('provision-all-users')
    .description('queue a provision-user job for every user (pushes them to the homeserver)')
    .action(async (_options: unknown, command: Command) => {
      const { config } = loadConfigForCommand(ctx, command);
      if (config.matrix === undefined) {
        throw new CliError('no matrix section: there is no homeserver to provision users on');
      }
      await withMigratedStorage(config.database, ctx.cwd, async (storage) => {
        const total = await storage.transaction((repos) => repos.users.count({}));
        // A bar on a terminal's stderr, else one line per page (./progress.ts).
        const shown = progress({ verb: 'queued', noun: 'users', total, line: ctx.err });
        let queued = 0;
        let after: UserId | undefined;
        for (;;) {
          const page = await storage.transaction(async (repos) => {
            const page = await repos.users.list(
              {},
              after === undefined ? { first: PAGE_SIZE } : { first: PAGE_SIZE, after },
            );
            for (const user of page.items) {
              await enqueueProvisionUser(repos.queue, ctx.rng, ctx.clock, user.id);
            }
            return page;
          });
          queued += page.items.length;
          if (page.items.length > 0) shown.update(queued);
          if (!page.hasNextPage || page.items.length === 0) break;
          after = page.items.at(-1)!.id;
        }
        shown.finish();
        ctx.out(`queued provision-user for ${queued} users`);
      });
    });

  manage
    .command('kill-sessions')
    .description("end all of a user's browser, OAuth 2.0 and compatibility sessions")
    .argument('<username>', 'the localpart of the user')
    .option('--dry-run', 'only list what would be ended')
    .action(async (username: string, options: { dryRun?: boolean }, command: Command) => {
      const { config } = loadConfigForCommand(ctx, command);
      await withMigratedStorage(config.database, ctx.cwd, (storage) =>
        storage.transaction(async (repos) => {
          const user = await requireUser(repos, username);
          if (options.dryRun === true) {
            const browser = await repos.browserSessions.listActiveForUser(user);
            for (const session of browser) ctx.out(`browser session ${session.id}`);
            for (const session of await listAppSessions(repos, user.id)) {
              const device = session.deviceId === null ? '' : ` (device ${session.deviceId})`;
              const kind = session.kind === 'oauth2' ? 'OAuth 2.0 session' : 'compat session';
              ctx.out(`${kind} ${session.session.id}${device}`);
            }
            ctx.err('dry run: nothing was ended');
            return;
          }
          const ended = await endAllSessions(repos, ctx.clock, user);
          if (config.matrix !== undefined && ended.oauth2 + ended.compat > 0) {
            await enqueueSyncDevices(repos.queue, ctx.rng, ctx.clock, user.id);
          }
          ctx.out(
            `ended ${ended.browser} browser, ${ended.oauth2} OAuth 2.0 and ${ended.compat} ` +
              `compatibility sessions of ${user.username}`,
          );
        }),
      );
    });

  manage
    .command('lock-user')
    .description('lock a user: they can no longer sign in or use their sessions')
    .argument('<username>', 'the localpart of the user')
    .option(
      '--deactivate',
      'also deactivate the user (ends their sessions, here and on the homeserver)',
    )
    .action(async (username: string, options: { deactivate?: boolean }, command: Command) => {
      const { config } = loadConfigForCommand(ctx, command);
      await withMigratedStorage(config.database, ctx.cwd, (storage) =>
        storage.transaction(async (repos) => {
          const user = await repos.users.lock(ctx.clock, await requireUser(repos, username));
          if (config.matrix !== undefined) {
            await enqueueProvisionUser(repos.queue, ctx.rng, ctx.clock, user.id);
          }
          if (options.deactivate === true) {
            await enqueueDeactivateUser(repos.queue, ctx.rng, ctx.clock, user.id, false);
          }
          ctx.out(
            `locked ${user.username}${options.deactivate === true ? '; deactivation queued' : ''}`,
          );
        }),
      );
    });

  manage
    .command('unlock-user')
    .description('unlock a user')
    .argument('<username>', 'the localpart of the user')
    .option('--reactivate', 'also reactivate the user if deactivated')
    .action(async (username: string, options: { reactivate?: boolean }, command: Command) => {
      const { config } = loadConfigForCommand(ctx, command);
      await withMigratedStorage(config.database, ctx.cwd, (storage) =>
        storage.transaction(async (repos) => {
          const user = await repos.users.unlock(await requireUser(repos, username));
          if (options.reactivate === true) {
            // The job reactivates here and on the homeserver, then provisions the user.
            await enqueueReactivateUser(repos.queue, ctx.rng, ctx.clock, user.id);
          } else if (config.matrix !== undefined) {
            await enqueueProvisionUser(repos.queue, ctx.rng, ctx.clock, user.id);
          }
          ctx.out(
            `unlocked ${user.username}${options.reactivate === true ? '; reactivation queued' : ''}`,
          );
        }),
      );
    });
}
