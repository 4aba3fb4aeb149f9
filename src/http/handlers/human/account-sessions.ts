// GET /account/sessions: the signed-in user's browser sessions and OAuth 2.0 sessions (client,
// created, last active, IP, readable user agent), each with an "end" button, and "sign out
// everywhere else".
//
// POST /account/sessions/end (`kind` = browser | oauth2, `id`) and POST
// /account/sessions/end-others, both with CSRF, in one transaction each:
//   - a browser session is finished (ending this browser's own session signs it out here too);
//   - an OAuth 2.0 session is finished with its tokens, its Matrix device is removed by a
//     sync-devices job (when a homeserver is configured), and the introspection cache forgets it
//     so the token stops working at once;
//   - "everywhere else" ends every other browser session and every OAuth 2.0 session of the user:
//     only this browser stays signed in.
// A session of another user, or no session at all, is "not found"; one already ended is not an
// error (two tabs may end it twice). Every POST goes back to the list.

import type { FastifyInstance } from 'fastify';
import { asBrowserSessionId, asOAuth2SessionId } from '../../../model/ids.ts';
import { isSessionActive, type OAuth2Session } from '../../../model/oauth2-session.ts';
import { enqueueSyncDevices } from '../../../storage/matrix-jobs.ts';
import type { Repositories } from '../../../storage/storage.ts';
import { endBrowserSession, type CurrentBrowserSession } from '../../browser-session.ts';
import {
  accountContext,
  accountUrl,
  checkAccountCsrf,
  orLogin,
  showDate,
  signedIn,
  type AccountDeps,
} from './account-access.ts';
import { readableUserAgent } from './account-user-agent.ts';
import { clientDisplayName } from './device-consent.ts';
import { HumanPageError, param, sendPage } from './page.ts';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

const notFound = (deps: AccountDeps) =>
  new HumanPageError(404, 'Session not found', 'This session does not exist or is not yours.', {
    back: accountUrl(deps, 'sessions'),
  });

function activity(row: {
  createdAt: Date;
  lastActiveAt: Date | null;
  lastActiveIp: string | null;
  userAgent: string | null;
}) {
  return {
    created: showDate(row.createdAt),
    last_active: showDate(row.lastActiveAt),
    ip: row.lastActiveIp,
    user_agent: readableUserAgent(row.userAgent),
  };
}

/** Ends an OAuth 2.0 session: its tokens, its cached introspections, and (later) its device. */
async function endOAuth2Sessions(
  repos: Repositories,
  deps: AccountDeps,
  current: CurrentBrowserSession,
  sessions: readonly OAuth2Session[],
): Promise<void> {
  const active = sessions.filter(isSessionActive);
  for (const session of active) {
    await repos.oauth2Sessions.finish(deps.clock, session);
    await deps.introspectionCache?.invalidate({ session: session.id });
  }
  if (active.length > 0 && deps.config.matrix !== undefined) {
    await enqueueSyncDevices(repos.queue, deps.rng, deps.clock, current.user.id);
  }
}

export function registerAccountSessions(app: FastifyInstance, deps: AccountDeps): void {
  const listPath = accountUrl(deps, 'sessions');

  app.get('/account/sessions', async (request, reply) =>
    orLogin(reply, deps, 'sessions', async () => {
      const page = await deps.storage.transaction(async (repos) => {
        const current = await signedIn(request, deps, repos);
        const browsers = await repos.browserSessions.listActiveForUser(current.user);
        const oauth2 = await repos.oauth2Sessions.listActiveForUser(current.user.id);
        const clientNames = new Map<string, string>();
        for (const session of oauth2) {
          if (clientNames.has(session.clientId)) continue;
          const client = await repos.oauth2Clients.lookup(session.clientId);
          clientNames.set(
            session.clientId,
            client === null ? session.clientId : clientDisplayName(client),
          );
        }
        return {
          current,
          browser_sessions: browsers.map((session) => ({
            id: session.id,
            current: session.id === current.session.id,
            ...activity(session),
          })),
          oauth2_sessions: oauth2.map((session) => ({
            id: session.id,
            client_name: clientNames.get(session.clientId)!,
            name: session.humanName,
            ...activity(session),
          })),
        };
      });
      return sendPage(reply, deps, 'pages/account-sessions.html', {
        ...accountContext(request, reply, deps, page.current),
        browser_sessions: page.browser_sessions,
        oauth2_sessions: page.oauth2_sessions,
      });
    }),
  );

  app.post('/account/sessions/end', async (request, reply) => {
    checkAccountCsrf(request, deps, 'sessions');
    const kind = param(request.body, 'kind');
    const id = param(request.body, 'id') ?? '';
    if ((kind !== 'browser' && kind !== 'oauth2') || !ULID.test(id)) throw notFound(deps);
    return orLogin(reply, deps, 'sessions', async () => {
      const signedOut = await deps.storage.transaction(async (repos) => {
        const current = await signedIn(request, deps, repos);
        if (kind === 'oauth2') {
          const session = await repos.oauth2Sessions.lookup(asOAuth2SessionId(id));
          if (session === null || session.userId !== current.user.id) throw notFound(deps);
          await endOAuth2Sessions(repos, deps, current, [session]);
          return false;
        }
        const session = await repos.browserSessions.lookup(asBrowserSessionId(id));
        if (session === null || session.userId !== current.user.id) throw notFound(deps);
        await repos.browserSessions.finish(deps.clock, session);
        await deps.introspectionCache?.invalidate({ browserSession: session.id });
        return session.id === current.session.id;
      });
      if (signedOut) {
        endBrowserSession(reply, deps);
        return reply
          .header('cache-control', 'no-store')
          .redirect(`${deps.urls.basePath}login`, 303);
      }
      return reply.header('cache-control', 'no-store').redirect(listPath, 303);
    });
  });

  app.post('/account/sessions/end-others', async (request, reply) => {
    checkAccountCsrf(request, deps, 'sessions');
    return orLogin(reply, deps, 'sessions', async () => {
      await deps.storage.transaction(async (repos) => {
        const current = await signedIn(request, deps, repos);
        for (const session of await repos.browserSessions.listActiveForUser(current.user)) {
          if (session.id === current.session.id) continue;
          await repos.browserSessions.finish(deps.clock, session);
          await deps.introspectionCache?.invalidate({ browserSession: session.id });
        }
        const oauth2 = await repos.oauth2Sessions.listActiveForUser(current.user.id);
        await endOAuth2Sessions(repos, deps, current, oauth2);
      });
      return reply.header('cache-control', 'no-store').redirect(listPath, 303);
    });
  });
}
