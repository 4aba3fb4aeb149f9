// `gatehouse manage issue-personal-token USER --name NAME [--scope SCOPE] [--expires-in SECONDS]`
// (Gatehouse only; MAS issues personal tokens through its Admin API alone): creates a personal
// session owned by and acting as the user, and prints its `mpt_` token. Like the other `manage`
// commands it bypasses the grant policy: the operator decides the scopes. A device scope gets its
// device on the homeserver through the worker's sync-devices job.
//
// The token goes to standard output alone on its line; details go to standard error.

import type { Command } from 'commander';
import { isUserActive } from '../model/user.ts';
import { isScopeToken } from '../oauth2/scope.ts';
import { issuePersonalSession } from '../services/personal-sessions.ts';
import { CliError, type CliContext } from './context.ts';
import { assertMigrated, openStorage, requireUser } from './lifecycle.ts';
import { loadConfigForCommand } from './load-config.ts';

interface Options {
  name: string;
  scope: string;
  expiresIn?: string;
}

export function registerPersonalManageCommands(manage: Command, ctx: CliContext): void {
  manage
    .command('issue-personal-token')
    .description('issue a personal access token (mpt_…) that acts as the user')
    .argument('<username>', 'the localpart of the user')
    .requiredOption('--name <name>', 'what the token is for')
    .option('--scope <scope>', 'space-separated scopes', 'urn:matrix:client:api:*')
    .option('--expires-in <seconds>', 'lifetime in seconds (default: never expires)')
    .action(async (username: string, options: Options, command: Command) => {
      const { config } = loadConfigForCommand(ctx, command);
      const name = options.name.trim();
      if (name === '') throw new CliError('the name is empty');
      if (options.scope === '' || !options.scope.split(' ').every(isScopeToken)) {
        throw new CliError(`invalid scope "${options.scope}"`);
      }
      let expiresIn: number | null = null;
      if (options.expiresIn !== undefined) {
        if (!/^[1-9][0-9]{0,9}$/.test(options.expiresIn)) {
          throw new CliError('--expires-in must be a positive number of seconds');
        }
        expiresIn = Number(options.expiresIn);
      }
      const { storage, where } = openStorage(config.database, ctx.cwd);
      try {
        await assertMigrated(storage, where);
        const issued = await storage.transaction(async (repos) => {
          const user = await requireUser(repos, username);
          if (!isUserActive(user)) {
            throw new CliError(`user "${username}" is locked or deactivated`);
          }
          return issuePersonalSession(repos, ctx, {
            owner: { userId: user.id },
            actor: user,
            humanName: name,
            scope: options.scope,
            expiresIn,
          });
        });
        ctx.out(issued.accessToken);
        ctx.err(
          `personal access token issued for ${username} (personal session ${issued.session.id}, ` +
            `scope ${issued.session.scope}, ` +
            `${issued.token.expiresAt === null ? 'never expires' : `expires ${issued.token.expiresAt.toISOString()}`})`,
        );
      } finally {
        await storage.close().catch(() => {});
      }
    });
}
