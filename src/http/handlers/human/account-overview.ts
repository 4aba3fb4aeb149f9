// GET /account: the account overview (username, email addresses, links to each section), and the
// MSC4191 deep links `/account?action=…[&device_id=…]` that Matrix clients open, each sent to its
// page:
//   org.matrix.profile                       → /account/profile
//   org.matrix.devices_list, sessions_list   → /account/sessions
//   org.matrix.device_view, session_view     → /account/devices/{device_id}
//   org.matrix.device_delete, session_end    → /account/devices/{device_id}?confirm=end
//   org.matrix.cross_signing_reset           → /account/cross-signing-reset
//   org.matrix.account_deactivate            → /account/deactivate
// (the unstable `session_*` actions carry `device_id` like the stable device ones). A device
// action without `device_id` goes to the list; an unknown action shows the overview.
// `/account/` (the advertised `account_management_uri`) redirects to `/account`, query kept.

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
  'org.matrix.profile': 'profile',
  'org.matrix.sessions_list': 'sessions',
  'org.matrix.devices_list': 'sessions',
  'org.matrix.cross_signing_reset': 'crossSigningReset',
  'org.matrix.account_deactivate': 'deactivate',
};

/** MSC4191 actions about one device; true when they end it. */
const DEVICE_ACTIONS: Readonly<Record<string, boolean>> = {
  'org.matrix.device_view': false,
  'org.matrix.session_view': false,
  'org.matrix.device_delete': true,
  'org.matrix.session_end': true,
};

/** Where an action goes, or null for the overview itself. */
function actionTarget(deps: AccountDeps, action: string, deviceId: string | undefined) {
  const ends = DEVICE_ACTIONS[action];
  if (ends !== undefined) {
    if (deviceId === undefined || deviceId === '') return accountUrl(deps, 'sessions');
    const path = `${accountUrl(deps, 'overview')}/devices/${encodeURIComponent(deviceId)}`;
    return ends ? `${path}?confirm=end` : path;
  }
  const section = ACTIONS[action];
  return section === undefined ? null : accountUrl(deps, section);
}

export function registerAccountOverview(app: FastifyInstance, deps: AccountDeps): void {
  // Discovery advertises `account_management_uri` as `/account/`: both spellings serve the page.
  app.get('/account/', async (request, reply) => {
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    return reply
      .header('cache-control', 'no-store')
      .redirect(`${accountUrl(deps, 'overview')}${query}`, 303);
  });
  app.get('/account', async (request, reply) => {
    const action = param(request.query, 'action');
    const target =
      action === undefined ? null : actionTarget(deps, action, param(request.query, 'device_id'));
    if (target !== null) {
      return reply.header('cache-control', 'no-store').redirect(target, 303);
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
