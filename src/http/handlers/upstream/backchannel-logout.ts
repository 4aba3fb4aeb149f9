// POST /upstream/backchannel-logout/{id}: OpenID Connect Back-Channel Logout from an upstream
// provider (MAS: upstream_oauth2/backchannel_logout.rs). The provider POSTs `logout_token`; we
// validate it (src/upstream/backchannel-logout-token.ts), find the browser sessions signed in
// through the provider session it names (its `sid`, else every sign-in of its subject), and apply
// the provider's `on_backchannel_logout`:
//   do_nothing           acknowledge only;
//   logout_browser_only  end those browser sessions;
//   logout_all           end them and the OAuth 2.0 and compatibility sessions started from them
//                        (their tokens stop working; their Matrix devices go, via sync-devices).
// Answers (§2.8): 200 when done, 400 `{error, error_description}` for a bad request or token
// (and for an unknown or disabled provider), 502 when the provider's keys cannot be fetched.

import type { FastifyInstance, FastifyReply } from 'fastify';
import {
  asUpstreamOAuthProviderId,
  type UpstreamOAuthProvider,
} from '../../../model/upstream-oauth.ts';
import type { BrowserSessionId, UserId } from '../../../model/ids.ts';
import { enqueueSyncDevices } from '../../../storage/matrix-jobs.ts';
import { LogoutTokenError } from '../../../upstream/backchannel-logout-token.ts';
import { UpstreamClientError } from '../../../upstream/upstream-client.ts';
import { param } from '../human/page.ts';
import type { UpstreamDeps } from './upstream-flow.ts';

function refuse(reply: FastifyReply, description: string): FastifyReply {
  return reply
    .code(400)
    .header('cache-control', 'no-store')
    .type('application/json')
    .send({ error: 'invalid_request', error_description: description });
}

export function registerUpstreamBackchannelLogout(app: FastifyInstance, deps: UpstreamDeps): void {
  app.post('/upstream/backchannel-logout/:id', async (request, reply) => {
    // parse
    const id = (request.params as { id: string }).id;
    const token = param(request.body, 'logout_token');
    if (token === undefined || token === '') return refuse(reply, 'logout_token is missing');

    // load
    const provider: UpstreamOAuthProvider | null = /^[0-9A-HJKMNP-TV-Z]{26}$/.test(id)
      ? await deps.storage.transaction((repos) =>
          repos.upstreamOAuthProviders.lookup(asUpstreamOAuthProviderId(id)),
        )
      : null;
    if (provider === null || provider.disabledAt !== null) {
      return refuse(reply, 'unknown provider');
    }

    // check the token (network: the provider's keys), outside any transaction
    let claims;
    try {
      claims = await deps.logoutVerifier.verify(provider, token);
    } catch (error) {
      if (error instanceof LogoutTokenError) {
        request.log.info({ provider: provider.id, reason: error.message }, 'logout token refused');
        return refuse(reply, error.message);
      }
      if (error instanceof UpstreamClientError) {
        request.log.warn({ provider: provider.id, err: error }, 'logout token not checked');
        return reply.code(502).header('cache-control', 'no-store').send();
      }
      throw error;
    }

    // mutate and save
    const ended = await deps.storage.transaction(async (repos) => {
      const sessions = await repos.upstreamOAuthSessions.listConsumedForLogout(provider.id, {
        subject: claims.sub,
        sid: claims.sid,
      });
      const action = provider.onBackchannelLogout;
      if (action === 'do_nothing') return { browser: 0, apps: 0 };
      const browserIds = new Set<BrowserSessionId>();
      for (const session of sessions) {
        if (session.browserSessionId !== null) browserIds.add(session.browserSessionId);
      }
      let browser = 0;
      let apps = 0;
      const users = new Set<UserId>();
      for (const browserId of browserIds) {
        const session = await repos.browserSessions.lookup(browserId);
        if (session === null) continue;
        if (action === 'logout_all') {
          const oauth2 = await repos.oauth2Sessions.finishAllForBrowserSession(
            deps.clock,
            browserId,
          );
          let compat = 0;
          for (const candidate of await repos.compatSessions.listActiveForUser(session.userId)) {
            if (candidate.browserSessionId === browserId) {
              await repos.compatSessions.finish(deps.clock, candidate);
              compat += 1;
            }
          }
          if (oauth2 + compat > 0) users.add(session.userId);
          apps += oauth2 + compat;
        }
        if (session.finishedAt === null) {
          await repos.browserSessions.finish(deps.clock, session);
          browser += 1;
        }
        await deps.introspectionCache?.invalidate({ browserSession: browserId });
      }
      if (deps.config.matrix !== undefined) {
        for (const userId of users)
          await enqueueSyncDevices(repos.queue, deps.rng, deps.clock, userId);
      }
      return { browser, apps };
    });
    request.log.info(
      { provider: provider.id, action: provider.onBackchannelLogout, ...ended },
      'back-channel logout',
    );
    return reply.code(200).header('cache-control', 'no-store').send();
  });
}
