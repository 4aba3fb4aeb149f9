// GET and POST /account/cross-signing-reset: approving a reset of the user's cross-signing keys
// (the MSC4191 `org.matrix.cross_signing_reset` deep link; MAS: the account UI's
// `/reset-cross-signing`, GraphQL `allowUserCrossSigningReset`). A Matrix client that wants to
// replace the keys gets a UIA challenge from Synapse pointing here; the page explains what a reset
// means, and approving it calls the homeserver's `allow_cross_signing_reset` directly, which lets
// the keys be replaced without interactive auth for 10 minutes. Then the user goes back to the app.
//
// Without a homeserver there are no cross-signing keys: 404. A homeserver that fails shows a clear
// page; nothing is stored here.

import type { FastifyInstance } from 'fastify';
import { HomeserverError } from '../../../matrix/homeserver-error.ts';
import {
  accountContext,
  accountUrl,
  checkAccountCsrf,
  orLogin,
  signedIn,
  type AccountDeps,
} from './account-access.ts';
import { pageError, sendPage } from './page.ts';
import { pageMessage } from './page-message.ts';

export function registerAccountCrossSigning(app: FastifyInstance, deps: AccountDeps): void {
  const formPath = accountUrl(deps, 'crossSigningReset');
  const homeserver = () => deps.homeserver ?? null;
  const unavailable = () =>
    pageError(
      404,
      'account.cross_signing.no_homeserver_title',
      pageMessage('account.cross_signing.no_homeserver'),
      { back: accountUrl(deps, 'overview') },
    );

  app.get('/account/cross-signing-reset', async (request, reply) => {
    if (homeserver() === null) throw unavailable();
    return orLogin(reply, deps, 'crossSigningReset', async () => {
      const current = await deps.storage.transaction((repos) => signedIn(request, deps, repos));
      return sendPage(reply, deps, 'pages/account-cross-signing.html', {
        ...accountContext(request, reply, deps, current),
        allowed: false,
      });
    });
  });

  app.post('/account/cross-signing-reset', async (request, reply) => {
    const hs = homeserver();
    if (hs === null) throw unavailable();
    checkAccountCsrf(request, deps, 'crossSigningReset');
    return orLogin(reply, deps, 'crossSigningReset', async () => {
      const current = await deps.storage.transaction((repos) => signedIn(request, deps, repos));
      try {
        await hs.allowCrossSigningReset(current.user.username);
      } catch (error) {
        if (!(error instanceof HomeserverError)) throw error;
        deps.logger.warn({ err: error }, 'cannot allow a cross-signing reset on the homeserver');
        throw pageError(
          502,
          'account.homeserver_down_title',
          pageMessage('account.cross_signing.homeserver_down'),
          { back: formPath },
        );
      }
      deps.logger.info({ userId: current.user.id }, 'cross-signing reset allowed');
      return sendPage(reply, deps, 'pages/account-cross-signing.html', {
        ...accountContext(request, reply, deps, current),
        allowed: true,
      });
    });
  });
}
