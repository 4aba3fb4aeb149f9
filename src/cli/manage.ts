// `gatehouse manage …`: account administration from the command line, straight on the database
// (MAS: `mas-cli manage`). Like MAS's, these commands bypass the registration policy: the operator
// decides.
//
//   manage register-user [USERNAME] [--password P] [--email E ...] [--admin | --no-admin]
//                        [--display-name NAME] [--yes]
//                        [--upstream-provider-mapping PROVIDER_ID:SUBJECT ...]
//                        (in a terminal, asks for what the flags left out: register-user-prompts.ts)
//   manage set-password USERNAME [PASSWORD]        (the password is read from stdin when absent)
//
// and, from manage-<topic>.ts files, the accounts, compat and Matrix commands. Passwords are
// hashed with the newest scheme of `passwords.schemes` before the transaction opens.
//
// To add a command: write it in the manage-<topic>.ts file of its topic (or a new one registered
// in `registerManageCommands` below); throw CliError for anything the operator got wrong, so it
// prints as one line with exit code 1.

import type { UserId } from '../model/ids.ts';
import { usernameProblem } from '../model/user.ts';
import type { Command } from 'commander';
import { loadPasswordManager, type PasswordManager } from '../crypto/password-manager.ts';
import type { RootConfig } from '../config/root.ts';
import { checkPasswordComplexity, complexityMessage } from '../policy/password-complexity.ts';
import { enqueueProvisionUser } from '../storage/matrix-jobs.ts';
import type { SqlStorage } from '../storage/sql/sql-storage.ts';
import { CliError, type CliContext } from './context.ts';
import { assertMigrated, openStorage } from './lifecycle.ts';
import { loadConfigForCommand } from './load-config.ts';
import { registerAccountsManageCommands } from './manage-accounts.ts';
import { registerCompatManageCommands } from './manage-compat.ts';
import { broadcastForgetIntrospections } from './manage-cache-broadcast.ts';
import { registerMatrixManageCommands } from './manage-matrix.ts';
import { registerPersonalManageCommands } from './manage-personal.ts';
import {
  linkUpstreamAccount,
  parseUpstreamMapping,
  registerUpstreamManageCommands,
} from './manage-upstream.ts';
import {
  completeRegisterUser,
  processTerminal,
  registerUserChecks,
  type Terminal,
} from './register-user-prompts.ts';

export interface ManageIo {
  /** Where `set-password` reads the password when it is not an argument; process.stdin by default. */
  readonly stdin?: AsyncIterable<string | Buffer>;
  /** Where `register-user` asks for what its flags left out; the process's terminal, if any, by default. */
  readonly terminal?: Terminal | null;
}

async function openMigrated(config: RootConfig, ctx: CliContext): Promise<SqlStorage> {
  const { storage, where } = openStorage(config.database, ctx.cwd);
  try {
    await assertMigrated(storage, where);
  } catch (error) {
    await storage.close().catch(() => {});
    throw error;
  }
  return storage;
}

async function passwordManager(config: RootConfig, ctx: CliContext): Promise<PasswordManager> {
  if (!config.passwords.enabled) {
    throw new CliError('password authentication is disabled (passwords.enabled is false)');
  }
  try {
    return await loadPasswordManager(config.passwords, { rng: ctx.rng });
  } catch (error) {
    throw new CliError(`cannot load the password schemes: ${(error as Error).message}`);
  }
}

/** Refuses a password below `passwords.minimum_complexity`, naming zxcvbn's reason and the flag. */
async function refuseWeakPassword(
  config: RootConfig,
  password: string,
  userInputs: string[],
  flag: string,
): Promise<void> {
  // With passwords off the command refuses anyway, with that reason.
  if (!config.passwords.enabled) return;
  const result = await checkPasswordComplexity(
    password,
    config.passwords.minimum_complexity,
    userInputs,
  );
  if (!result.ok) throw new CliError(`${complexityMessage(result)} (use ${flag} to set it anyway)`);
}

async function readPassword(stdin: AsyncIterable<string | Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  // One final line ending is the terminator of what was typed or echoed, not part of the password.
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export function registerManageCommands(program: Command, ctx: CliContext, io: ManageIo = {}): void {
  const manage = program.command('manage').description('manage users from the command line');
  // Whatever a command changed, running servers on PostgreSQL drop their cached token answers.
  manage.hook('postAction', (_manage, action) => broadcastForgetIntrospections(ctx, action));
  registerCompatManageCommands(manage, ctx);
  registerAccountsManageCommands(manage, ctx);
  registerMatrixManageCommands(manage, ctx);
  registerPersonalManageCommands(manage, ctx);
  registerUpstreamManageCommands(manage, ctx);

  manage
    .command('register-user')
    .description('create a user, bypassing the registration policy')
    .argument('[username]', 'the localpart of the new user (asked for in a terminal when absent)')
    .option('-p, --password <password>', 'set this password')
    .option(
      '-e, --email <email>',
      'add this (verified) email address (repeatable)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('-a, --admin', 'allow the user to request admin scopes')
    .option('-A, --no-admin', 'do not allow admin scopes (and do not ask)')
    .option('-y, --yes', 'do not ask for confirmation in a terminal')
    .option('-d, --display-name <name>', 'the display name, pushed to the homeserver')
    .option('--ignore-password-complexity', 'accept a password below passwords.minimum_complexity')
    .option(
      '--upstream-provider-mapping <provider-id:subject>',
      'link the account at this upstream provider to the user (repeatable)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .action(
      async (
        username: string | undefined,
        options: {
          password?: string;
          email?: string[];
          yes?: boolean;
          admin?: boolean;
          displayName?: string;
          ignorePasswordComplexity?: boolean;
          upstreamProviderMapping?: string[];
        },
        command: Command,
      ) => {
        const { config } = loadConfigForCommand(ctx, command);
        // In a terminal, what the flags left out is asked for (./register-user-prompts.ts).
        ({ username, options } = await completeRegisterUser(
          io.terminal === undefined ? processTerminal() : io.terminal,
          username,
          options,
          registerUserChecks(config),
        ));
        const problem = usernameProblem(username, config.matrix?.homeserver ?? null);
        if (problem !== null) throw new CliError(problem);
        if (options.password === '') throw new CliError('the password is empty');
        if (options.displayName !== undefined && options.displayName.trim() === '') {
          throw new CliError('the display name is empty');
        }
        const mappings = (options.upstreamProviderMapping ?? []).map((value) =>
          parseUpstreamMapping(value, '--upstream-provider-mapping'),
        );
        if (options.password !== undefined && options.ignorePasswordComplexity !== true) {
          await refuseWeakPassword(
            config,
            options.password,
            [username],
            '--ignore-password-complexity',
          );
        }
        const hashed =
          options.password === undefined
            ? null
            : await (await passwordManager(config, ctx)).hash(options.password);
        const storage = await openMigrated(config, ctx);
        try {
          const user = await storage.transaction(async (repos) => {
            let user = await repos.users.add(ctx.rng, ctx.clock, username);
            if (user === null) return null;
            if (options.admin === true) user = await repos.users.setCanRequestAdmin(user, true);
            if (hashed !== null) {
              await repos.userPasswords.add(ctx.rng, ctx.clock, user, hashed.version, hashed.hash);
            }
            for (const email of options.email ?? []) {
              await repos.userEmails.add(ctx.rng, ctx.clock, user, email);
            }
            // A mapping that fails rolls the whole registration back.
            for (const mapping of mappings) await linkUpstreamAccount(repos, ctx, user, mapping);
            // Creates the user on the homeserver (Synapse needs them before their first token).
            if (config.matrix !== undefined) {
              await enqueueProvisionUser(
                repos.queue,
                ctx.rng,
                ctx.clock,
                user.id,
                options.displayName?.trim(),
              );
            }
            return user;
          });
          if (user === null) throw new CliError(`username "${username}" is already taken`);
          ctx.out(
            `registered user ${user.username} (${user.id})${user.canRequestAdmin ? ' with admin rights' : ''}` +
              `${hashed !== null ? ', with a password' : ''}` +
              `${(options.email ?? []).length > 0 ? `, with ${(options.email ?? []).join(', ')}` : ''}` +
              `${mappings.length > 0 ? `, linked to ${mappings.length} upstream account${mappings.length === 1 ? '' : 's'}` : ''}`,
          );
        } finally {
          await storage.close().catch(() => {});
        }
      },
    );

  manage
    .command('set-password')
    .description("set a user's password (read from stdin when not given)")
    .argument('<username>', 'the localpart of the user')
    .argument('[password]', 'the new password; read from stdin when absent')
    .option('--ignore-complexity', 'accept a password below passwords.minimum_complexity')
    .action(
      async (
        username: string,
        given: string | undefined,
        options: { ignoreComplexity?: boolean },
        command: Command,
      ) => {
        const { config } = loadConfigForCommand(ctx, command);
        const password = given ?? (await readPassword(io.stdin ?? process.stdin));
        if (password === '') throw new CliError('the password is empty');
        if (options.ignoreComplexity !== true) {
          await refuseWeakPassword(config, password, [username], '--ignore-complexity');
        }
        const passwords = await passwordManager(config, ctx);
        const storage = await openMigrated(config, ctx);
        try {
          const hashed = await passwords.hash(password);
          const user = await storage.transaction(async (repos) => {
            const user = await repos.users.findByUsername(username);
            if (user === null) return null;
            await repos.userPasswords.add(ctx.rng, ctx.clock, user, hashed.version, hashed.hash);
            return user;
          });
          if (user === null) throw new CliError(`unknown user "${username}"`);
          ctx.out(`password set for ${user.username}`);
        } finally {
          await storage.close().catch(() => {});
        }
      },
    );

  for (const [name, admin, description] of [
    [
      'promote-admin',
      true,
      'allow a user to request admin scopes (urn:synapse:admin:*, urn:mas:admin)',
    ],
    ['demote-admin', false, 'stop a user from requesting admin scopes'],
  ] as const) {
    manage
      .command(name)
      .description(description)
      .argument('<username>', 'the localpart of the user')
      .action(async (username: string, _options: unknown, command: Command) => {
        const { config } = loadConfigForCommand(ctx, command);
        const storage = await openMigrated(config, ctx);
        try {
          const user = await storage.transaction(async (repos) => {
            const user = await repos.users.findByUsername(username);
            return user === null ? null : repos.users.setCanRequestAdmin(user, admin);
          });
          if (user === null) throw new CliError(`unknown user "${username}"`);
          ctx.out(
            `${user.username} ${admin ? 'can now request' : 'can no longer request'} admin scopes`,
          );
        } finally {
          await storage.close().catch(() => {});
        }
      });
  }

  manage
    .command('list-admin-users')
    .description('list the users allowed to request admin scopes')
    .action(async (_options: unknown, command: Command) => {
      const { config } = loadConfigForCommand(ctx, command);
      const storage = await openMigrated(config, ctx);
      try {
        let after: UserId | undefined;
        let total = 0;
        for (;;) {
          const page = await storage.transaction((repos) =>
            repos.users.list(
              { canRequestAdmin: true },
              after === undefined ? { first: 100 } : { first: 100, after },
            ),
          );
          for (const user of page.items) ctx.out(user.username);
          total += page.items.length;
          if (!page.hasNextPage || page.items.length === 0) break;
          after = page.items.at(-1)!.id;
        }
        if (total === 0) ctx.err('no user is allowed to request admin scopes');
      } finally {
        await storage.close().catch(() => {});
      }
    });
}
