// GET /account/sessions: the signed-in user's browser sessions and application sessions — OAuth 2.0
// sessions and compatibility (legacy Matrix login) sessions — with client, device, created, last
// active, IP and readable user agent, each with an "end" button and a link to its detail page
// (./account-session-detail.ts), plus "sign out everywhere else".
//
// POST /account/sessions/end (`kind` = browser | oauth2 | compat, `id`) and POST
// /account/sessions/end-others, both with CSRF, in one transaction each:
//   - a browser session is finished (ending this browser's own session signs it out here too);
//   - an application session is finished with its tokens, its Matrix device is removed by a
//     sync-devices job (when a homeserver is configured), and the introspection cache forgets it
//     so the token stops working at once;
//   - "everywhere else" ends every other browser session and every application session of the
//     user: only this browser stays signed in.
// A session of another user, or no session at all, is "not found"; one already ended is not an
// error (two tabs may end it twice). Every POST goes back to the list (or to `back`, a local path).
//
// The helpers below (listing, finding and ending application sessions) are shared with the detail
// page and the session-limit page.

import type { FastifyInstance } from 'fastify';
import { asCompatSessionId } from '../../../model/compat-session.ts';
import { asBrowserSessionId, asOAuth2SessionId, type UserId } from '../../../model/ids.ts';
import { isCompatSessionActive } from '../../../model/compat-session.ts';
import { isSessionActive } from '../../../model/oauth2-session.ts';
import { deviceIdOfScope } from '../../../oauth2/matrix-scopes.ts';
import {
  endAppSession,
  listAppSessions,
  type AppSession,
} from '../../../services/user-sessions.ts';
import { enqueueSyncDevices } from '../../../storage/matrix-jobs.ts';
import type { Repositories } from '../../../storage/storage.ts';
import { endBrowserSession } from '../../browser-session.ts';
import {
  accountContext,
  accountUrl,
  checkAccountCsrf,
  orLogin,
  showDate,
  signedIn,
  type AccountDeps,
} from './account-access.ts';
import { userAgentMessage } from './account-user-agent.ts';
import { clientDisplayName } from './device-consent.ts';
import { pageError, param, safeNext, sendPage } from './page.ts';
import { pageMessage, type PageMessage } from './page-message.ts';

export const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export type AppSessionKind = AppSession['kind'];

export const sessionNotFound = (deps: AccountDeps) =>
  pageError(404, 'account.sessions.not_found_title', pageMessage('account.sessions.not_found'), {
    back: accountUrl(deps, 'sessions'),
  });

export function activity(row: {
  createdAt: Date;
  lastActiveAt: Date | null;
  lastActiveIp: string | null;
  userAgent: string | null;
}) {
  return {
    created: showDate(row.createdAt),
    last_active: showDate(row.lastActiveAt),
    ip: row.lastActiveIp,
    user_agent: userAgentMessage(row.userAgent),
  };
}

/** `/account/sessions/<kind>/<id>`: the detail page of an application session. */
export function sessionDetailPath(deps: AccountDeps, kind: AppSessionKind, id: string): string {
  return `${accountUrl(deps, 'sessions')}/${kind}/${id}`;
}

/** What the pages show of an application session. */
export interface AppSessionView {
  readonly kind: AppSessionKind;
  readonly id: string;
  /** The client's name; compatibility sessions have none ("legacy" Matrix client). */
  readonly client_name: string | null;
  readonly name: string | null;
  readonly device_id: string | null;
  readonly created: string | null;
  readonly last_active: string | null;
  readonly ip: string | null;
  /** The readable user agent (see components/messages.html). */
  readonly user_agent: PageMessage | null;
  readonly href: string;
}

/** Describes `sessions` for a page (client names looked up once each). */
export async function appSessionViews(
  repos: Repositories,
  deps: AccountDeps,
  sessions: readonly AppSession[],
): Promise<AppSessionView[]> {
  const clientNames = new Map<string, string>();
  const views: AppSessionView[] = [];
  for (const entry of sessions) {
    let clientName: string | null = null;
    if (entry.kind === 'oauth2') {
      const clientId = entry.session.clientId;
      if (!clientNames.has(clientId)) {
        const client = await repos.oauth2Clients.lookup(clientId);
        clientNames.set(clientId, client === null ? clientId : clientDisplayName(client));
      }
      clientName = clientNames.get(clientId)!;
    }
    views.push({
      kind: entry.kind,
      id: entry.session.id,
      client_name: clientName,
      name: entry.session.humanName,
      device_id: entry.deviceId,
      ...activity(entry.session),
      href: sessionDetailPath(deps, entry.kind, entry.session.id),
    });
  }
  return views;
}

/** The user's application session of `kind` with `id` (active or not), or null. */
export async function findAppSession(
  repos: Repositories,
  userId: UserId,
  kind: string | undefined,
  id: string,
): Promise<AppSession | null> {
  if (!ULID.test(id)) return null;
  if (kind === 'oauth2') {
    const session = await repos.oauth2Sessions.lookup(asOAuth2SessionId(id));
    if (session === null || session.userId !== userId) return null;
    return {
      kind,
      session,
      deviceId: deviceIdOfScope(session.scope),
      lastActiveAt: session.lastActiveAt ?? session.createdAt,
    };
  }
  if (kind === 'compat') {
    const session = await repos.compatSessions.lookup(asCompatSessionId(id));
    if (session === null || session.userId !== userId) return null;
    return {
      kind,
      session,
      deviceId: session.deviceId,
      lastActiveAt: session.lastActiveAt ?? session.createdAt,
    };
  }
  return null;
}

export function isAppSessionActive(entry: AppSession): boolean {
  return entry.kind === 'oauth2'
    ? isSessionActive(entry.session)
    : isCompatSessionActive(entry.session);
}

/**
 * Ends application sessions: their tokens, their cached introspections, and (through a
 * sync-devices job, when a homeserver is configured) their Matrix devices.
 */
export async function endAppSessions(
  repos: Repositories,
  deps: AccountDeps,
  userId: UserId,
  sessions: readonly AppSession[],
): Promise<number> {
  const active = sessions.filter(isAppSessionActive);
  for (const entry of active) {
    await endAppSession(repos, deps.clock, entry);
    await deps.introspectionCache?.invalidate({ session: entry.session.id });
  }
  if (active.length > 0 && deps.config.matrix !== undefined) {
    await enqueueSyncDevices(repos.queue, deps.rng, deps.clock, userId);
  }
  return active.length;
}

export function registerAccountSessions(app: FastifyInstance, deps: AccountDeps): void {
  const listPath = accountUrl(deps, 'sessions');

  app.get('/account/sessions', async (request, reply) =>
    orLogin(reply, deps, 'sessions', async () => {
      const page = await deps.storage.transaction(async (repos) => {
        const current = await signedIn(request, deps, repos);
        const browsers = await repos.browserSessions.listActiveForUser(current.user);
        const apps = await listAppSessions(repos, current.user.id);
        return {
          current,
          browser_sessions: browsers.map((session) => ({
            id: session.id,
            current: session.id === current.session.id,
            ...activity(session),
          })),
          app_sessions: await appSessionViews(repos, deps, apps),
        };
      });
      return sendPage(reply, deps, 'pages/account-sessions.html', {
        ...accountContext(request, reply, deps, page.current),
        browser_sessions: page.browser_sessions,
        app_sessions: page.app_sessions,
      });
    }),
  );

  app.post('/account/sessions/end', async (request, reply) => {
    checkAccountCsrf(request, deps, 'sessions');
    const kind = param(request.body, 'kind');
    const id = param(request.body, 'id') ?? '';
    const back = safeNext(param(request.body, 'back')) ?? listPath;
    if ((kind !== 'browser' && kind !== 'oauth2' && kind !== 'compat') || !ULID.test(id)) {
      throw sessionNotFound(deps);
    }
    return orLogin(reply, deps, 'sessions', async () => {
      const signedOut = await deps.storage.transaction(async (repos) => {
        const current = await signedIn(request, deps, repos);
        if (kind !== 'browser') {
          const entry = await findAppSession(repos, current.user.id, kind, id);
          if (entry === null) throw sessionNotFound(deps);
          await endAppSessions(repos, deps, current.user.id, [entry]);
          return false;
        }
        const session = await repos.browserSessions.lookup(asBrowserSessionId(id));
        if (session === null || session.userId !== current.user.id) throw sessionNotFound(deps);
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
      return reply.header('cache-control', 'no-store').redirect(back, 303);
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
        const apps = await listAppSessions(repos, current.user.id);
        await endAppSessions(repos, deps, current.user.id, apps);
      });
      return reply.header('cache-control', 'no-store').redirect(listPath, 303);
    });
  });
}
