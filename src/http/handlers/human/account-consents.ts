// GET /account/consents: the applications the signed-in user has allowed (client, scopes, when),
// each with a "revoke" button. POST /account/consents/revoke (`id`, CSRF) forgets one consent, so
// the next authorization from that client asks again. Sessions already granted keep running:
// ending them is the sessions page's job.

import type { FastifyInstance } from 'fastify';
import { asConsentId } from '../../../model/ids.ts';
import {
  accountContext,
  accountUrl,
  checkAccountCsrf,
  orLogin,
  showDate,
  signedIn,
  type AccountDeps,
} from './account-access.ts';
import { clientDisplayName } from './device-consent.ts';
import { pageError, param, sendPage } from './page.ts';
import { pageMessage } from './page-message.ts';

export function registerAccountConsents(app: FastifyInstance, deps: AccountDeps): void {
  const listPath = accountUrl(deps, 'consents');

  app.get('/account/consents', async (request, reply) =>
    orLogin(reply, deps, 'consents', async () => {
      const page = await deps.storage.transaction(async (repos) => {
        const current = await signedIn(request, deps, repos);
        const consents = [];
        for (const consent of await repos.consents.listForUser(current.user.id)) {
          const client = await repos.oauth2Clients.lookup(consent.clientId);
          consents.push({
            id: consent.id,
            client_name: client === null ? consent.clientId : clientDisplayName(client),
            scopes: consent.scopes,
            granted: showDate(consent.createdAt),
            updated: showDate(consent.updatedAt),
          });
        }
        return { current, consents };
      });
      return sendPage(reply, deps, 'pages/account-consents.html', {
        ...accountContext(request, reply, deps, page.current),
        consents: page.consents,
      });
    }),
  );

  app.post('/account/consents/revoke', async (request, reply) => {
    checkAccountCsrf(request, deps, 'consents');
    const id = param(request.body, 'id') ?? '';
    return orLogin(reply, deps, 'consents', async () => {
      await deps.storage.transaction(async (repos) => {
        const current = await signedIn(request, deps, repos);
        const mine = (await repos.consents.listForUser(current.user.id)).find((c) => c.id === id);
        if (mine === undefined) {
          throw pageError(
            404,
            'account.consents.not_found_title',
            pageMessage('account.consents.not_found'),
            { back: listPath },
          );
        }
        await repos.consents.revoke(asConsentId(mine.id));
      });
      return reply.header('cache-control', 'no-store').redirect(listPath, 303);
    });
  });
}
