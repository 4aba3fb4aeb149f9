// Account commands of `gatehouse manage` (MAS: `mas-cli manage add-email`, `verify-email`,
// `issue-user-registration-token`):
//
//   manage add-email USER EMAIL          adds a verified address to the user
//   manage verify-email USER EMAIL       deprecated (addresses are verified when added); kept so
//                                        MAS scripts work: makes sure the address is there
//   manage issue-user-registration-token [--token T] [--usage-limit N | --unlimited]
//                                        [--expires-in SECONDS]
//                                        prints the token (generated unless --token)
//
// Adding an address queues the user's provisioning on the homeserver when a `matrix` section is
// configured, so Synapse learns the new threepid (as MAS does).

import type { Command } from 'commander';
import type { RootConfig } from '../config/root.ts';
import { isUserDeactivated } from '../model/user.ts';
import { randomString } from '../rng.ts';
import { enqueueProvisionUser } from '../storage/matrix-jobs.ts';
import { CliError, type CliContext } from './context.ts';
import { requireUser, withMigratedStorage } from './lifecycle.ts';
import { loadConfigForCommand } from './load-config.ts';

/** One address, no display name: `local@domain`, no spaces or angle brackets, ≤ 254 characters. */
const EMAIL = /^[^\s@<>"]+@[^\s@<>"]+$/;
/** What a registration token may contain (it is typed into a form and put in URLs). */
const TOKEN = /^[A-Za-z0-9._~-]{1,64}$/;
const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const GENERATED_TOKEN_LENGTH = 20;

function checkEmail(email: string): string {
  const trimmed = email.trim();
  if (!EMAIL.test(trimmed) || trimmed.length > 254) {
    throw new CliError(`invalid email address "${email}"`);
  }
  return trimmed;
}

/** A whole number in [min, max], or a one-line error naming the option. */
function positiveInteger(value: string, option: string, min: number): number {
  if (!/^[0-9]+$/.test(value))
    throw new CliError(`${option} must be a whole number, not "${value}"`);
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) {
    throw new CliError(`${option} must be at least ${min}`);
  }
  return n;
}

/** Adds `email` to `username`; returns whether it was new. */
async function addEmail(
  config: RootConfig,
  ctx: CliContext,
  username: string,
  email: string,
): Promise<boolean> {
  return withMigratedStorage(config.database, ctx.cwd, (storage) =>
    storage.transaction(async (repos) => {
      const user = await requireUser(repos, username);
      if (isUserDeactivated(user)) throw new CliError(`user "${username}" is deactivated`);
      if ((await repos.userEmails.findForUser(user, email)) !== null) return false;
      await repos.userEmails.add(ctx.rng, ctx.clock, user, email);
      if (config.matrix !== undefined) {
        await enqueueProvisionUser(repos.queue, ctx.rng, ctx.clock, user.id);
      }
      return true;
    }),
  );
}

interface TokenOptions {
  token?: string;
  usageLimit?: string;
  unlimited?: boolean;
  expiresIn?: string;
}

export function registerAccountsManageCommands(manage: Command, ctx: CliContext): void {
  manage
    .command('add-email')
    .description('add a (verified) email address to a user')
    .argument('<username>', 'the localpart of the user')
    .argument('<email>', 'the address')
    .action(async (username: string, given: string, _options: unknown, command: Command) => {
      const { config } = loadConfigForCommand(ctx, command);
      const email = checkEmail(given);
      const added = await addEmail(config, ctx, username, email);
      ctx.err(
        added ? `added ${email} to "${username}"` : `"${username}" already has ${email}: unchanged`,
      );
    });

  manage
    .command('verify-email')
    .description('deprecated: addresses are verified when added (same as add-email)')
    .argument('<username>', 'the localpart of the user')
    .argument('<email>', 'the address')
    .action(async (username: string, given: string, _options: unknown, command: Command) => {
      const { config } = loadConfigForCommand(ctx, command);
      const email = checkEmail(given);
      ctx.err('verify-email is deprecated: addresses added with add-email are already verified');
      const added = await addEmail(config, ctx, username, email);
      ctx.err(
        added ? `added ${email} to "${username}" as verified` : `${email} is already verified`,
      );
    });

  manage
    .command('issue-user-registration-token')
    .description('create a registration token and print it')
    .option('--token <token>', 'the token text (default: 20 random letters and digits)')
    .option('--usage-limit <n>', 'how many registrations may use it (default: 1)')
    .option('--unlimited', 'no usage limit')
    .option('--expires-in <seconds>', 'expire this many seconds from now (default: never)')
    .action(async (options: TokenOptions, command: Command) => {
      const { config } = loadConfigForCommand(ctx, command);
      if (options.unlimited === true && options.usageLimit !== undefined) {
        throw new CliError('use either --usage-limit or --unlimited, not both');
      }
      const usageLimit =
        options.unlimited === true
          ? null
          : options.usageLimit === undefined
            ? 1
            : positiveInteger(options.usageLimit, '--usage-limit', 1);
      const expiresIn =
        options.expiresIn === undefined
          ? null
          : positiveInteger(options.expiresIn, '--expires-in', 1);
      if (options.token !== undefined && !TOKEN.test(options.token)) {
        throw new CliError('invalid --token: use 1 to 64 letters, digits and . _ ~ - (no spaces)');
      }
      const text = options.token ?? randomString(ctx.rng, TOKEN_ALPHABET, GENERATED_TOKEN_LENGTH);
      const expiresAt =
        expiresIn === null ? null : new Date(ctx.clock.now().getTime() + expiresIn * 1000);
      const token = await withMigratedStorage(config.database, ctx.cwd, (storage) =>
        storage.transaction((repos) =>
          repos.registrationTokens.add(ctx.rng, ctx.clock, { token: text, usageLimit, expiresAt }),
        ),
      );
      if (token === null) throw new CliError(`the token "${text}" already exists`);
      ctx.out(token.token);
      ctx.err(
        `usage limit: ${usageLimit ?? 'unlimited'}; expires: ${expiresAt?.toISOString() ?? 'never'}`,
      );
    });
}
