// GET and POST /account/profile: the user's Matrix profile — username, Matrix ID and display name
// — and, when `account.displayname_change_allowed` and a homeserver is configured, changing or
// clearing the display name (MAS: the account UI's profile, GraphQL `setDisplayName`).
//
// Gatehouse keeps no display names: the homeserver holds them. The page reads the name with
// `query_user` and a change is written with `set_displayname` / `unset_displayname`, directly and
// outside any transaction, as MAS does — the provision-user job cannot clear a name, and the page
// must show the new name at once. A homeserver that cannot be reached shows a clear message;
// nothing is half done (no local state changes).
//
// POST: parse → feature check → CSRF → signed in (one read-only transaction) → check the name →
// the homeserver call → 303 back with a notice.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HomeserverConnection } from '../../../matrix/homeserver-connection.ts';
import { HomeserverError } from '../../../matrix/homeserver-error.ts';
import type { CurrentBrowserSession } from '../../browser-session.ts';
import {
  accountContext,
  accountUrl,
  checkAccountCsrf,
  orLogin,
  signedIn,
  type AccountDeps,
} from './account-access.ts';
import { pageError, param, sendPage } from './page.ts';
import { pageMessage, type PageMessage } from './page-message.ts';

/** Synapse refuses display names longer than this (`MAX_DISPLAYNAME_LEN`). */
export const MAX_DISPLAY_NAME_LENGTH = 256;

export function registerAccountProfile(app: FastifyInstance, deps: AccountDeps): void {
  const formPath = accountUrl(deps, 'profile');
  const homeserver = (): HomeserverConnection | null => deps.homeserver ?? null;
  const changeAllowed = () =>
    deps.config.account.displayname_change_allowed && homeserver() !== null;

  const unavailable = () =>
    pageError(
      404,
      'account.profile.unavailable_title',
      pageMessage('account.profile.unavailable'),
      { back: formPath },
    );
  const homeserverDown = () =>
    pageError(
      502,
      'account.homeserver_down_title',
      pageMessage('account.profile.homeserver_down'),
      { back: formPath },
    );

  async function sendProfile(
    request: FastifyRequest,
    reply: FastifyReply,
    current: CurrentBrowserSession,
    state: { changed: boolean; error: PageMessage | null; value: string | null },
    status = 200,
  ): Promise<FastifyReply> {
    const hs = homeserver();
    let displayName: string | null = null;
    let unavailableProfile = false;
    if (hs !== null) {
      try {
        displayName = (await hs.queryUser(current.user.username))?.displayName ?? null;
      } catch (error) {
        if (!(error instanceof HomeserverError)) throw error;
        deps.logger.warn({ err: error }, 'cannot read the profile from the homeserver');
        unavailableProfile = true;
      }
    }
    return sendPage(
      reply,
      deps,
      'pages/account-profile.html',
      {
        ...accountContext(request, reply, deps, current),
        mxid: hs === null ? null : hs.mxid(current.user.username),
        has_homeserver: hs !== null,
        display_name: displayName,
        profile_unavailable: unavailableProfile,
        change_allowed: changeAllowed(),
        changed: state.changed,
        error: state.error,
        value: state.value ?? displayName ?? '',
        max_length: MAX_DISPLAY_NAME_LENGTH,
      },
      status,
    );
  }

  app.get('/account/profile', async (request, reply) =>
    orLogin(reply, deps, 'profile', async () => {
      const current = await deps.storage.transaction((repos) => signedIn(request, deps, repos));
      return sendProfile(request, reply, current, {
        changed: param(request.query, 'changed') === '1',
        error: null,
        value: null,
      });
    }),
  );

  app.post('/account/profile', async (request, reply) => {
    // parse
    const clear = param(request.body, 'action') === 'clear';
    const displayName = (param(request.body, 'displayname') ?? '').trim();
    if (!changeAllowed()) throw unavailable();
    checkAccountCsrf(request, deps, 'profile');

    return orLogin(reply, deps, 'profile', async () => {
      // authenticate
      const current = await deps.storage.transaction((repos) => signedIn(request, deps, repos));
      // check
      if (!clear && displayName === '') {
        return sendProfile(
          request,
          reply,
          current,
          { changed: false, error: pageMessage('account.profile.name_required'), value: '' },
          400,
        );
      }
      if (displayName.length > MAX_DISPLAY_NAME_LENGTH) {
        return sendProfile(
          request,
          reply,
          current,
          {
            changed: false,
            error: pageMessage('account.profile.name_too_long', { max: MAX_DISPLAY_NAME_LENGTH }),
            value: displayName,
          },
          400,
        );
      }
      // mutate: on the homeserver, which holds the name
      const hs = homeserver()!;
      try {
        if (clear) await hs.unsetDisplayName(current.user.username);
        else await hs.setDisplayName(current.user.username, displayName);
      } catch (error) {
        if (!(error instanceof HomeserverError)) throw error;
        deps.logger.warn({ err: error }, 'cannot change the display name on the homeserver');
        throw homeserverDown();
      }
      return reply.header('cache-control', 'no-store').redirect(`${formPath}?changed=1`, 303);
    });
  });
}
