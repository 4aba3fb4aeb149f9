// One application session (OAuth 2.0 or compatibility) of the signed-in user (MAS: the account
// UI's `/sessions/{id}` and `/devices/{device_id}`):
//
// GET  /account/sessions/{kind}/{id}        its details, a rename form and an "end" button;
//                                            `?confirm=end` puts the end confirmation first (the
//                                            MSC4191 `device_delete` / `session_end` deep links)
// POST /account/sessions/{kind}/{id}/rename `name` (CSRF): sets the session's `human_name` (empty
//                                            clears it), then tells the homeserver the device's
//                                            new display name (after the commit; a homeserver
//                                            that fails is logged, the name stays renamed here)
// GET  /account/devices/{device_id}         the active session holding that Matrix device, by its
//                                            device id (MSC4191 links name devices), or 404
//
// Ending uses POST /account/sessions/end (./account-sessions.ts) with `back` = the list.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HomeserverError } from '../../../matrix/homeserver-error.ts';
import { listAppSessions } from '../../../services/user-sessions.ts';
import type { CurrentBrowserSession } from '../../browser-session.ts';
import {
  accountContext,
  accountUrl,
  checkAccountCsrf,
  orLogin,
  signedIn,
  type AccountDeps,
} from './account-access.ts';
import {
  appSessionViews,
  findAppSession,
  isAppSessionActive,
  sessionDetailPath,
  sessionNotFound,
  type AppSessionView,
} from './account-sessions.ts';
import { pageError, param, sendPage } from './page.ts';
import { pageMessage, type PageMessage } from './page-message.ts';

/** Longest session name kept (MAS does not limit it; Synapse keeps device names short too). */
export const MAX_SESSION_NAME_LENGTH = 100;

type Params = { kind: string; id: string };

export function registerAccountSessionDetail(app: FastifyInstance, deps: AccountDeps): void {
  function sendDetail(
    request: FastifyRequest,
    reply: FastifyReply,
    state: {
      current: CurrentBrowserSession;
      session: AppSessionView;
      active: boolean;
      confirmEnd: boolean;
      renamed: boolean;
      error: PageMessage | null;
    },
    status = 200,
  ): FastifyReply {
    return sendPage(
      reply,
      deps,
      'pages/account-session.html',
      {
        ...accountContext(request, reply, deps, state.current),
        session: state.session,
        active: state.active,
        confirm_end: state.confirmEnd,
        renamed: state.renamed,
        error: state.error,
        max_name_length: MAX_SESSION_NAME_LENGTH,
      },
      status,
    );
  }

  app.get<{ Params: Params }>('/account/sessions/:kind/:id', async (request, reply) =>
    orLogin(reply, deps, 'sessions', async () => {
      const { kind, id } = request.params;
      const loaded = await deps.storage.transaction(async (repos) => {
        const current = await signedIn(request, deps, repos);
        const entry = await findAppSession(repos, current.user.id, kind, id);
        if (entry === null) throw sessionNotFound(deps);
        const [view] = await appSessionViews(repos, deps, [entry]);
        return { current, session: view!, active: isAppSessionActive(entry) };
      });
      return sendDetail(request, reply, {
        ...loaded,
        confirmEnd: param(request.query, 'confirm') === 'end',
        renamed: param(request.query, 'renamed') === '1',
        error: null,
      });
    }),
  );

  app.post<{ Params: Params }>('/account/sessions/:kind/:id/rename', async (request, reply) => {
    // parse
    checkAccountCsrf(request, deps, 'sessions');
    const { kind, id } = request.params;
    const name = (param(request.body, 'name') ?? '').trim();
    return orLogin(reply, deps, 'sessions', async () => {
      // load → check → mutate → save
      const outcome = await deps.storage.transaction(async (repos) => {
        const current = await signedIn(request, deps, repos);
        const entry = await findAppSession(repos, current.user.id, kind, id);
        if (entry === null) throw sessionNotFound(deps);
        if (name.length > MAX_SESSION_NAME_LENGTH) {
          const [view] = await appSessionViews(repos, deps, [entry]);
          return {
            kind: 'invalid' as const,
            current,
            session: view!,
            active: isAppSessionActive(entry),
          };
        }
        if (!isAppSessionActive(entry)) {
          throw pageError(
            400,
            'account.sessions.ended_title',
            pageMessage('account.sessions.ended_no_rename'),
            { back: accountUrl(deps, 'sessions') },
          );
        }
        const humanName = name === '' ? null : name;
        if (entry.kind === 'oauth2')
          await repos.oauth2Sessions.setHumanName(entry.session, humanName);
        else await repos.compatSessions.setHumanName(entry.session, humanName);
        return {
          kind: 'renamed' as const,
          user: current.user,
          deviceId: entry.deviceId,
          humanName,
        };
      });
      if (outcome.kind === 'invalid') {
        return sendDetail(
          request,
          reply,
          {
            current: outcome.current,
            session: outcome.session,
            active: outcome.active,
            confirmEnd: false,
            renamed: false,
            error: pageMessage('account.sessions.name_too_long', { max: MAX_SESSION_NAME_LENGTH }),
          },
          400,
        );
      }

      // schedule: the homeserver shows the name to the user's other devices
      const homeserver = deps.homeserver ?? null;
      if (homeserver !== null && outcome.deviceId !== null && outcome.humanName !== null) {
        try {
          await homeserver.updateDeviceDisplayName(
            outcome.user.username,
            outcome.deviceId,
            outcome.humanName,
          );
        } catch (error) {
          if (!(error instanceof HomeserverError)) throw error;
          deps.logger.warn(
            { err: error, deviceId: outcome.deviceId },
            'cannot rename the device on the homeserver',
          );
        }
      }
      return reply
        .header('cache-control', 'no-store')
        .redirect(
          `${sessionDetailPath(deps, kind === 'compat' ? 'compat' : 'oauth2', id)}?renamed=1`,
          303,
        );
    });
  });

  app.get<{ Params: { deviceId: string } }>('/account/devices/:deviceId', async (request, reply) =>
    orLogin(reply, deps, 'sessions', async () => {
      const deviceId = request.params.deviceId;
      const found = await deps.storage.transaction(async (repos) => {
        const current = await signedIn(request, deps, repos);
        const sessions = await listAppSessions(repos, current.user.id);
        return sessions.find((entry) => entry.deviceId === deviceId) ?? null;
      });
      if (found === null) {
        throw pageError(
          404,
          'account.sessions.device_not_found_title',
          pageMessage('account.sessions.device_not_found'),
          { back: accountUrl(deps, 'sessions') },
        );
      }
      const confirm = param(request.query, 'confirm') === 'end' ? '?confirm=end' : '';
      return reply
        .header('cache-control', 'no-store')
        .redirect(`${sessionDetailPath(deps, found.kind, found.session.id)}${confirm}`, 303);
    }),
  );
}
