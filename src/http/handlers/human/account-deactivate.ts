// GET and POST /account/deactivate: the user deletes their own account, when
// `account.account_deactivation_allowed` (else 404). MAS: the account UI's "Delete account" with
// its `hsErase` checkbox, GraphQL `deactivateUser`. Also the target of the MSC4191
// `org.matrix.account_deactivate` deep link.
//
// The user confirms by typing their username and, when the account has a password, that password
// (./account-reauth.ts); "erase my data" asks the homeserver to erase what it holds too (GDPR).
//
// POST: parse → feature → CSRF → signed in → username, password → one transaction: the account is
// marked deactivated (so it cannot sign in again while the job waits), every browser and
// application session ends (their cached introspections are forgotten), and the `deactivate-user`
// job is queued (it locks the account, forgets its emails and deactivates it on the homeserver,
// with `erase`) → the session cookie is cleared and the "account deleted" page is shown.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { endAllSessions } from '../../../services/user-sessions.ts';
import { enqueueDeactivateUser } from '../../../storage/matrix-jobs.ts';
import { endBrowserSession, type CurrentBrowserSession } from '../../browser-session.ts';
import {
  accountContext,
  accountUrl,
  checkAccountCsrf,
  orLogin,
  signedIn,
  type AccountDeps,
} from './account-access.ts';
import { activePassword, passwordConfirmed } from './account-reauth.ts';
import { pageError, param, sendPage } from './page.ts';
import { pageMessage, type PageMessage } from './page-message.ts';

type FieldErrors = Partial<Record<'confirm_username' | 'password', PageMessage>>;

export function registerAccountDeactivate(app: FastifyInstance, deps: AccountDeps): void {
  const formPath = accountUrl(deps, 'deactivate');
  const allowed = () => deps.config.account.account_deactivation_allowed;
  const unavailable = () =>
    pageError(
      404,
      'account.deactivate.unavailable_title',
      pageMessage('account.deactivate.unavailable'),
      { back: accountUrl(deps, 'overview') },
    );

  async function sendForm(
    request: FastifyRequest,
    reply: FastifyReply,
    current: CurrentBrowserSession,
    state: { errors: FieldErrors; erase: boolean },
    status = 200,
  ): Promise<FastifyReply> {
    const hasPassword = (await activePassword(deps, current.user)) !== null;
    return sendPage(
      reply,
      deps,
      'pages/account-deactivate.html',
      {
        ...accountContext(request, reply, deps, current),
        needs_password: hasPassword,
        has_homeserver: deps.config.matrix !== undefined,
        errors: state.errors,
        erase: state.erase,
      },
      status,
    );
  }

  app.get('/account/deactivate', async (request, reply) => {
    if (!allowed()) throw unavailable();
    return orLogin(reply, deps, 'deactivate', async () => {
      const current = await deps.storage.transaction((repos) => signedIn(request, deps, repos));
      return sendForm(request, reply, current, { errors: {}, erase: false });
    });
  });

  app.post('/account/deactivate', async (request, reply) => {
    // parse
    const typed = (param(request.body, 'confirm_username') ?? '').trim();
    const password = param(request.body, 'password') ?? '';
    const erase = param(request.body, 'erase') === 'on';
    if (!allowed()) throw unavailable();
    checkAccountCsrf(request, deps, 'deactivate');

    return orLogin(reply, deps, 'deactivate', async () => {
      // authenticate → check
      const current = await deps.storage.transaction((repos) => signedIn(request, deps, repos));
      const again = (errors: FieldErrors) =>
        sendForm(request, reply, current, { errors, erase }, 400);
      if (typed !== current.user.username) {
        return again({ confirm_username: pageMessage('account.deactivate.confirm_username') });
      }
      if (!(await passwordConfirmed(request, deps, current.user, password, formPath))) {
        return again({ password: pageMessage('account.wrong_password') });
      }

      // mutate → schedule → save
      await deps.storage.transaction(async (repos) => {
        const now = await signedIn(request, deps, repos);
        const user = await repos.users.deactivate(deps.clock, now.user);
        await endAllSessions(repos, deps.clock, user);
        await deps.introspectionCache?.invalidate({ user: user.id });
        await enqueueDeactivateUser(repos.queue, deps.rng, deps.clock, user.id, erase);
        deps.logger.info({ userId: user.id, erase }, 'account deactivated by its owner');
      });

      // respond: this browser is signed out with everything else
      endBrowserSession(reply, deps);
      return sendPage(reply, deps, 'pages/account-deactivated.html', {
        username: current.user.username,
      });
    });
  });
}
