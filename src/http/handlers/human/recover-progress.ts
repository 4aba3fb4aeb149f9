// GET and POST /recover/progress/{id}: "check your email", with a button that mails the link again
// (MAS: views/recovery/progress.rs). It never says whether an account has the address.
//
// POST: parse → CSRF → (rate limits go here) → load → schedule another mail → the page again.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  asRecoverySessionId,
  isRecoverySessionConsumed,
  type RecoverySession,
} from '../../../model/recovery-session.ts';
import { enqueueAccountRecoveryEmail } from '../../../storage/account-jobs.ts';
import type { Repositories } from '../../../storage/storage.ts';
import { csrfToken } from '../../csrf.ts';
import { limitOrPage } from '../../../rate-limit/rate-limit-page.ts';
import { pageError, sendPage, type HumanDeps } from './page.ts';
import { pageMessage, type PageMessage } from './page-message.ts';
import { recoveryClosed, recoveryEnabled } from './recover.ts';
import { checkCsrf } from './registration-flow.ts';

async function loadSession(
  request: FastifyRequest,
  deps: HumanDeps,
  repos: Pick<Repositories, 'recovery'>,
): Promise<RecoverySession> {
  const id = (request.params as { id?: string }).id ?? '';
  const session = /^[0-9A-HJKMNP-TV-Z]{26}$/.test(id)
    ? await repos.recovery.lookupSession(asRecoverySessionId(id))
    : null;
  if (session === null) {
    throw pageError(404, 'recover.not_found.title', pageMessage('recover.not_found.message'), {
      back: `${deps.urls.basePath}recover`,
    });
  }
  return session;
}

export function registerRecoverProgress(app: FastifyInstance, deps: HumanDeps): void {
  function sendProgress(
    request: FastifyRequest,
    reply: FastifyReply,
    session: RecoverySession,
    notice: PageMessage | null,
  ): FastifyReply {
    return sendPage(reply, deps, 'pages/recover-progress.html', {
      csrf_token: csrfToken(request, reply, deps),
      action: `${deps.urls.basePath}recover/progress/${session.id}`,
      email: session.email,
      consumed: isRecoverySessionConsumed(session),
      notice,
    });
  }

  app.get('/recover/progress/:id', async (request, reply) => {
    if (!recoveryEnabled(deps)) throw recoveryClosed(deps);
    const session = await deps.storage.transaction((repos) => loadSession(request, deps, repos));
    return sendProgress(request, reply, session, null);
  });

  app.post('/recover/progress/:id', async (request, reply) => {
    if (!recoveryEnabled(deps)) throw recoveryClosed(deps);
    checkCsrf(request, deps, `${deps.urls.basePath}recover`);
    const session = await deps.storage.transaction(async (repos) => {
      const session = await loadSession(request, deps, repos);
      if (!isRecoverySessionConsumed(session)) {
        // rate limits, before another mail (the session names the address)
        await limitOrPage(
          () => deps.rateLimiter.checkAccountRecovery(request.ip, session.email),
          `${deps.urls.basePath}recover`,
        );
        await enqueueAccountRecoveryEmail(repos.queue, deps.rng, deps.clock, session);
      }
      return session;
    });
    return sendProgress(
      request,
      reply,
      session,
      isRecoverySessionConsumed(session)
        ? null
        : pageMessage('recover.sent_again', { email: session.email }),
    );
  });
}
