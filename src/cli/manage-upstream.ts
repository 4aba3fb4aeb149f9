// Upstream-link commands of `gatehouse manage` (MAS has only `register-user
// --upstream-provider-mapping`; the others are Gatehouse's, for what MAS leaves to the Admin API):
//
//   manage list-upstream-links USERNAME                  the user's links, one per line
//   manage add-upstream-link USERNAME PROVIDER_ID SUBJECT links an upstream account to the user
//   manage remove-upstream-link LINK_ID                  deletes a link
//
// and the helpers `register-user --upstream-provider-mapping PROVIDER_ID:SUBJECT` uses. Providers
// are the ones in the database: `gatehouse config sync` (or a server start) puts them there.

import type { Command } from 'commander';
import { isUlid } from '../admin/ids.ts';
import type { User } from '../model/user.ts';
import {
  asUpstreamOAuthLinkId,
  asUpstreamOAuthProviderId,
  type UpstreamOAuthLink,
  type UpstreamOAuthProviderId,
} from '../model/upstream-oauth.ts';
import type { Repositories } from '../storage/storage.ts';
import { CliError, type CliContext } from './context.ts';
import { requireUser, withMigratedStorage } from './lifecycle.ts';
import { loadConfigForCommand } from './load-config.ts';

export interface UpstreamMapping {
  readonly providerId: UpstreamOAuthProviderId;
  readonly subject: string;
}

/** `PROVIDER_ID:SUBJECT` (the subject may contain colons), or a one-line error. */
export function parseUpstreamMapping(value: string, option: string): UpstreamMapping {
  const colon = value.indexOf(':');
  const id = colon < 0 ? value : value.slice(0, colon);
  const subject = colon < 0 ? '' : value.slice(colon + 1);
  if (colon < 0 || subject === '') {
    throw new CliError(`${option} must be PROVIDER_ID:SUBJECT, not "${value}"`);
  }
  if (!isUlid(id)) throw new CliError(`${option}: the provider ID "${id}" is not a ULID`);
  return { providerId: asUpstreamOAuthProviderId(id.toUpperCase()), subject };
}

/**
 * Links `mapping` to `user` in this transaction: a new link, or the existing link of that subject
 * when it belongs to nobody yet. A one-line CliError when the provider is unknown or the subject is
 * another user's.
 */
export async function linkUpstreamAccount(
  repos: Repositories,
  ctx: CliContext,
  user: User,
  mapping: UpstreamMapping,
): Promise<UpstreamOAuthLink> {
  const provider = await repos.upstreamOAuthProviders.lookup(mapping.providerId);
  if (provider === null) {
    throw new CliError(
      `unknown upstream provider ${mapping.providerId} (is it in upstream_oauth2 and synced with \`gatehouse config sync\`?)`,
    );
  }
  const existing = await repos.upstreamOAuthLinks.findBySubject(provider.id, mapping.subject);
  if (existing !== null) {
    if (existing.userId === user.id) return existing;
    if (existing.userId !== null) {
      const owner = await repos.users.lookup(existing.userId);
      throw new CliError(
        `subject "${mapping.subject}" of upstream provider ${provider.id} is already linked to ${owner?.username ?? existing.userId}`,
      );
    }
    return repos.upstreamOAuthLinks.associate(existing, user.id);
  }
  const link = await repos.upstreamOAuthLinks.add(ctx.rng, ctx.clock, {
    providerId: provider.id,
    subject: mapping.subject,
    userId: user.id,
  });
  // Looked up just above in this transaction; only a concurrent insert gets here.
  if (link === null) {
    throw new CliError(
      `subject "${mapping.subject}" of upstream provider ${provider.id} was just linked`,
    );
  }
  return link;
}

export function registerUpstreamManageCommands(manage: Command, ctx: CliContext): void {
  manage
    .command('list-upstream-links')
    .description("list a user's links to upstream OAuth 2.0 / OIDC providers")
    .argument('<username>', 'the localpart of the user')
    .action(async (username: string, _options: unknown, command: Command) => {
      const { config } = loadConfigForCommand(ctx, command);
      const lines = await withMigratedStorage(config.database, ctx.cwd, (storage) =>
        storage.transaction(async (repos) => {
          const user = await requireUser(repos, username);
          const out: string[] = [];
          for (const link of await repos.upstreamOAuthLinks.listForUser(user.id)) {
            const provider = await repos.upstreamOAuthProviders.lookup(link.providerId);
            const name = provider?.humanName ?? provider?.issuer ?? 'unnamed provider';
            out.push(
              `${link.id}  provider ${link.providerId} (${name})  subject ${JSON.stringify(link.subject)}` +
                (link.humanAccountName === null ? '' : `  account ${link.humanAccountName}`),
            );
          }
          return out;
        }),
      );
      for (const line of lines) ctx.out(line);
      if (lines.length === 0) ctx.err(`${username} has no upstream links`);
    });

  manage
    .command('add-upstream-link')
    .description('link an account at an upstream provider to a user')
    .argument('<username>', 'the localpart of the user')
    .argument('<provider-id>', 'the ID of the provider (`id` in upstream_oauth2.providers)')
    .argument('<subject>', 'the subject of the account at the provider (usually its `sub` claim)')
    .action(
      async (
        username: string,
        providerId: string,
        subject: string,
        _options: unknown,
        command: Command,
      ) => {
        const { config } = loadConfigForCommand(ctx, command);
        const mapping = parseUpstreamMapping(`${providerId}:${subject}`, 'the link');
        const link = await withMigratedStorage(config.database, ctx.cwd, (storage) =>
          storage.transaction(async (repos) =>
            linkUpstreamAccount(repos, ctx, await requireUser(repos, username), mapping),
          ),
        );
        ctx.out(
          `linked ${username} to subject ${JSON.stringify(subject)} of ${link.providerId} (${link.id})`,
        );
      },
    );

  manage
    .command('remove-upstream-link')
    .description('delete a link between a user and an upstream account')
    .argument('<link-id>', 'the ID of the link (see list-upstream-links)')
    .action(async (linkId: string, _options: unknown, command: Command) => {
      const { config } = loadConfigForCommand(ctx, command);
      if (!isUlid(linkId)) throw new CliError(`the link ID "${linkId}" is not a ULID`);
      const id = asUpstreamOAuthLinkId(linkId.toUpperCase());
      const removed = await withMigratedStorage(config.database, ctx.cwd, (storage) =>
        storage.transaction((repos) => repos.upstreamOAuthLinks.remove(ctx.clock, id)),
      );
      if (!removed) throw new CliError(`unknown upstream link ${id}`);
      ctx.out(`removed upstream link ${id}`);
    });
}
