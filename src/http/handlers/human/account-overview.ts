// GET /account: the account overview (username, email addresses, links to each section), and the
// MSC4191 deep links `/account?action=…` that Matrix clients open, each sent to its section.
// Actions this server has no page for yet show the overview.

import type { FastifyInstance } from 'fastify';
import {
  accountContext,
  accountUrl,
  orLogin,
  signedIn,
  type AccountDeps,
  type ACCOUNT_PATHS,
} from './account-access.ts';
import { param, sendPage } from './page.ts';

/** MSC4191 action → the section that serves it. */
const ACTIONS: Readonly<Record<string, keyof typeof ACCOUNT_PATHS>> = {
  'org.matrix.profile': 'overview',
  'org.matrix.sessions_list': 'sessions',
  'org.matrix.devices_list': 'sessions',
};

export function registerAccountOverview(app: FastifyInstance, deps: AccountDeps): void {
  app.get('/account', async (request, reply) => {
    const action = param(request.query, 'action');
    const section = action === undefined ? undefined : ACTIONS[action];
    if (section !== undefined) {
      return reply.header('cache-control', 'no-store').redirect(accountUrl(deps, section), 303);
    }
    return orLogin(reply, deps, 'overview', async () => {
      const { current, emails } = await deps.storage.transaction(async (repos) => {
        const current = await signedIn(request, deps, repos);
        const emails = await repos.userEmails.listForUser(current.user);
        return { current, emails };
      });
      return sendPage(reply, deps, 'pages/account.html', {
        ...accountContext(request, reply, deps, current),
        emails: emails.map((row) => row.email),
      });
    });
  });
}
