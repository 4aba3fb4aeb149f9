// GET and POST /recover: start password recovery by email (MAS: views/recovery/start.rs), when
// `account.password_recovery_enabled` (and passwords are on). The answer is the same whether or not
// an account has the address: the worker job mails a link to every account holding it, or nothing.
//
// POST: parse → CSRF → (rate limits go here: `account_recovery.per_ip` / `per_address`) → check the
// address's shape → one transaction: the recovery session and its mail job → 303 to its progress
// page.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { enqueueAccountRecoveryEmail } from '../../../storage/account-jobs.ts';
import { csrfToken } from '../../csrf.ts';
import { limitOrPage } from '../../../rate-limit/rate-limit-page.ts';
import { pageError, param, sendPage, type HumanDeps, type HumanPageError } from './page.ts';
import { pageMessage, type PageMessage } from './page-message.ts';
import { checkCsrf, requesterOf } from './registration-flow.ts';
import { requestLocale } from './mail-locale.ts';

/** One `@`, something on both sides, no spaces (the policy is for new addresses, not this). */
const EMAIL = /^[^\s@]+@[^\s@]+$/;

export function recoveryEnabled(deps: Pick<HumanDeps, 'config' | 'passwords'>): boolean {
  return deps.passwords.enabled && deps.config.account.password_recovery_enabled;
}

export function recoveryClosed(deps: Pick<HumanDeps, 'urls'>): HumanPageError {
  return pageError(404, 'recover.closed.title', pageMessage('recover.closed.message'), {
    back: `${deps.urls.basePath}login`,
  });
}

export function registerRecover(app: FastifyInstance, deps: HumanDeps): void {
  function sendForm(
    request: FastifyRequest,
    reply: FastifyReply,
    email: string,
    error: PageMessage | null,
  ): FastifyReply {
    return sendPage(
      reply,
      deps,
      'pages/recover.html',
      { csrf_token: csrfToken(request, reply, deps), email, error },
      error === null ? 200 : 400,
    );
  }

  app.get('/recover', async (request, reply) => {
    if (!recoveryEnabled(deps)) throw recoveryClosed(deps);
    return sendForm(request, reply, '', null);
  });

  app.post('/recover', async (request, reply) => {
    // parse
    const email = (param(request.body, 'email') ?? '').trim();
    if (!recoveryEnabled(deps)) throw recoveryClosed(deps);
    checkCsrf(request, deps, `${deps.urls.basePath}recover`);
    // check
    if (email.length > 254 || !EMAIL.test(email)) {
      return sendForm(request, reply, email, pageMessage('policy.email_invalid'));
    }

    // rate limits, before any work
    await limitOrPage(
      () => deps.rateLimiter.checkAccountRecovery(request.ip, email),
      `${deps.urls.basePath}recover`,
    );

    // save and schedule
    const requester = requesterOf(request);
    const session = await deps.storage.transaction(async (repos) => {
      const session = await repos.recovery.addSession(deps.rng, deps.clock, {
        email,
        ipAddress: requester.ipAddress,
        userAgent: requester.userAgent,
        locale: requestLocale(request, deps),
      });
      await enqueueAccountRecoveryEmail(repos.queue, deps.rng, deps.clock, session);
      return session;
    });

    // respond
    return reply
      .header('cache-control', 'no-store')
      .redirect(`${deps.urls.basePath}recover/progress/${session.id}`, 303);
  });
}
