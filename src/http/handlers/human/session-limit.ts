// The soft session limit page (`experimental.session_limit.soft_limit`; MAS shows the same kind of
// page when an interactive sign-in meets the limit). Instead of refusing an authorization, the
// browser is sent here with `next` = the step to go back to (the pending authorization, device
// approval or compat SSO completion). The user sees their application sessions, ends enough of
// them, and continues the same authorization.
//
// GET  /session-limit?next=…           the count, the limit, the sessions with an "end" button each
// POST /session-limit/end              `kind`, `id`, `next` (CSRF): ends one session (tokens,
//                                       cached introspections, Matrix device through sync-devices)
//                                       → back to this page
// POST /session-limit/continue         `next` (CSRF): still over the limit → this page again with
//                                       an error (409); else → `next`, which checks the limit again
//
// `next` must be a path on this site (`safeNext`); without it the page continues to the account.
// Whoever meets the limit throws `sessionLimitRedirect(deps, next)`: an error the human resource's
// error handler turns into a 303 (its `Location` header), inside a transaction that rolls back.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { User } from '../../../model/user.ts';
import { checkSessionLimit } from '../../../services/session-limit.ts';
import { listAppSessions } from '../../../services/user-sessions.ts';
import type { Repositories } from '../../../storage/storage.ts';
import type { CurrentBrowserSession } from '../../browser-session.ts';
import { csrfToken, CSRF_FIELD } from '../../csrf.ts';
import { NotSignedIn, signedIn, type AccountDeps } from './account-access.ts';
import {
  appSessionViews,
  endAppSessions,
  findAppSession,
  sessionNotFound,
} from './account-sessions.ts';
import { loginRedirect, requireCsrf } from './link.ts';
import {
  pageError,
  param,
  safeNext,
  sendPage,
  type HumanDeps,
  type HumanPageError,
} from './page.ts';
import { pageMessage, type PageMessage } from './page-message.ts';

export const SESSION_LIMIT_PATH = 'session-limit';

/** `/session-limit?next=<next>`. */
export function sessionLimitUrl(deps: Pick<HumanDeps, 'urls'>, next: string): string {
  return `${deps.urls.basePath}${SESSION_LIMIT_PATH}?${new URLSearchParams({ next }).toString()}`;
}

/**
 * Thrown where an interactive sign-in meets the soft limit: the error handler answers 303 to the
 * session-limit page (the error page body is only a fallback for clients that do not follow it).
 */
export function sessionLimitRedirect(deps: Pick<HumanDeps, 'urls'>, next: string): HumanPageError {
  const location = sessionLimitUrl(deps, next);
  return pageError(303, 'session_limit.title', pageMessage('session_limit.redirect'), {
    back: location,
    headers: { location },
  });
}

export function registerSessionLimit(app: FastifyInstance, deps: AccountDeps): void {
  const here = (next: string) => sessionLimitUrl(deps, next);
  const fallbackNext = `${deps.urls.basePath}account`;
  const nextOf = (source: unknown) => safeNext(param(source, 'next')) ?? fallbackNext;
  const interactiveLimit = (repos: Repositories, user: User) =>
    checkSessionLimit(repos, user, deps.config, 'interactive', deps);

  async function withSignIn(
    reply: FastifyReply,
    next: string,
    body: () => Promise<FastifyReply>,
  ): Promise<FastifyReply> {
    try {
      return await body();
    } catch (error) {
      if (error instanceof NotSignedIn) return loginRedirect(reply, deps, here(next));
      throw error;
    }
  }

  async function sendLimitPage(
    request: FastifyRequest,
    reply: FastifyReply,
    current: CurrentBrowserSession,
    next: string,
    error: PageMessage | null,
  ): Promise<FastifyReply> {
    const limit = deps.config.experimental.session_limit;
    const { sessions, outcome } = await deps.storage.transaction(async (repos) => {
      const apps = await listAppSessions(repos, current.user.id);
      const outcome = await interactiveLimit(repos, current.user);
      return { sessions: await appSessionViews(repos, deps, apps), outcome };
    });
    return sendPage(
      reply,
      deps,
      'pages/session-limit.html',
      {
        csrf_token: csrfToken(request, reply, deps),
        username: current.user.username,
        next,
        active: sessions.length,
        limit: limit?.soft_limit ?? null,
        need_to_remove: outcome.allowed ? 0 : outcome.needToRemove,
        sessions,
        error,
      },
      error === null ? 200 : 409,
    );
  }

  app.get('/session-limit', async (request, reply) => {
    const next = nextOf(request.query);
    return withSignIn(reply, next, async () => {
      const current = await deps.storage.transaction((repos) => signedIn(request, deps, repos));
      return sendLimitPage(request, reply, current, next, null);
    });
  });

  app.post('/session-limit/end', async (request, reply) => {
    const next = nextOf(request.body);
    requireCsrf(request, deps, here(next), param(request.body, CSRF_FIELD));
    const kind = param(request.body, 'kind');
    const id = param(request.body, 'id') ?? '';
    return withSignIn(reply, next, async () => {
      await deps.storage.transaction(async (repos) => {
        const current = await signedIn(request, deps, repos);
        const entry = await findAppSession(repos, current.user.id, kind, id);
        if (entry === null) throw sessionNotFound(deps);
        await endAppSessions(repos, deps, current.user.id, [entry]);
      });
      return reply.header('cache-control', 'no-store').redirect(here(next), 303);
    });
  });

  app.post('/session-limit/continue', async (request, reply) => {
    const next = nextOf(request.body);
    requireCsrf(request, deps, here(next), param(request.body, CSRF_FIELD));
    return withSignIn(reply, next, async () => {
      const { current, outcome } = await deps.storage.transaction(async (repos) => {
        const current = await signedIn(request, deps, repos);
        return { current, outcome: await interactiveLimit(repos, current.user) };
      });
      if (!outcome.allowed) {
        return sendLimitPage(
          request,
          reply,
          current,
          next,
          pageMessage('account.session_limit.still_over', { count: outcome.needToRemove }),
        );
      }
      return reply.header('cache-control', 'no-store').redirect(next, 303);
    });
  });
}
