// GET /account/upstream: the upstream accounts (Sign in with …) linked to the account, a button
// per enabled provider to link one more (through /upstream/authorize/{id}?action=link, which
// comes back here), and POST /account/upstream/{link_id}/unlink to remove a link (CSRF). A link
// is never removed when it is the last way to sign in: no usable password (none set, or passwords
// off) and no other link.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { asUpstreamOAuthLinkId } from '../../../model/upstream-oauth.ts';
import type { Repositories } from '../../../storage/storage.ts';
import type { CurrentBrowserSession } from '../../browser-session.ts';
import {
  accountContext,
  ACCOUNT_PATHS,
  accountUrl,
  checkAccountCsrf,
  orLogin,
  showDate,
  signedIn,
  type AccountDeps,
} from './account-access.ts';
import { HumanPageError, param, sendPage } from './page.ts';
import { providerBrand, providerDisplayName } from '../upstream/provider-buttons.ts';

const PAGE = ACCOUNT_PATHS.upstream;

/** Whether the user can still sign in without the link `exceptLinkId`. */
async function hasOtherWayIn(
  deps: AccountDeps,
  repos: Repositories,
  current: CurrentBrowserSession,
  exceptLinkId: string,
): Promise<boolean> {
  if (deps.passwords.enabled && (await repos.userPasswords.active(current.user)) !== null) {
    return true;
  }
  const links = await repos.upstreamOAuthLinks.listForUser(current.user.id);
  return links.some((link) => link.id !== exceptLinkId);
}

export function registerAccountUpstream(app: FastifyInstance, deps: AccountDeps): void {
  const pageUrl = accountUrl(deps, 'upstream');

  app.get(`/${PAGE}`, async (request: FastifyRequest, reply) =>
    orLogin(reply, deps, 'upstream', async () => {
      const view = await deps.storage.transaction(async (repos) => {
        const current = await signedIn(request, deps, repos);
        const providers = await repos.upstreamOAuthProviders.all();
        const byId = new Map(providers.map((provider) => [provider.id, provider]));
        const links = await repos.upstreamOAuthLinks.listForUser(current.user.id);
        const rows = [];
        for (const link of links) {
          const provider = byId.get(link.providerId);
          rows.push({
            id: link.id,
            provider_name: provider === undefined ? link.providerId : providerDisplayName(provider),
            brand: provider === undefined ? null : providerBrand(provider),
            account_name: link.humanAccountName,
            linked: showDate(link.createdAt),
            can_unlink: await hasOtherWayIn(deps, repos, current, link.id),
            unlink_action: `${pageUrl}/${link.id}/unlink`,
          });
        }
        const linkable = providers
          .filter((provider) => provider.disabledAt === null)
          .map((provider) => ({
            name: providerDisplayName(provider),
            brand: providerBrand(provider),
            href: `${deps.urls.basePath}upstream/authorize/${provider.id}?action=link`,
          }));
        return { current, rows, linkable };
      });
      const notice = param(request.query, 'unlinked') === '1' ? 'unlinked' : null;
      return sendPage(reply, deps, 'pages/account-upstream.html', {
        ...accountContext(request, reply, deps, view.current),
        upstream_links: view.rows,
        providers: view.linkable,
        notice,
      });
    }),
  );

  app.post(`/${PAGE}/:linkId/unlink`, async (request, reply) => {
    checkAccountCsrf(request, deps, 'upstream');
    return orLogin(reply, deps, 'upstream', async () => {
      await deps.storage.transaction(async (repos) => {
        const current = await signedIn(request, deps, repos);
        const id = (request.params as { linkId: string }).linkId;
        const link = /^[0-9A-HJKMNP-TV-Z]{26}$/.test(id)
          ? await repos.upstreamOAuthLinks.lookup(asUpstreamOAuthLinkId(id))
          : null;
        if (link === null || link.userId !== current.user.id) {
          throw new HumanPageError(404, 'Link not found', 'This linked account does not exist.', {
            back: pageUrl,
          });
        }
        if (!(await hasOtherWayIn(deps, repos, current, link.id))) {
          throw new HumanPageError(
            409,
            'Cannot unlink',
            'This is the only way to sign in to your account. Set a password or link another account first.',
            { back: pageUrl },
          );
        }
        await repos.upstreamOAuthLinks.remove(deps.clock, link.id);
      });
      return reply.header('cache-control', 'no-store').redirect(`${pageUrl}?unlinked=1`, 303);
    });
  });
}
