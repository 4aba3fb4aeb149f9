// GET and POST /register/steps/{id}/verify-email: the 6-digit code mailed to the address given on
// the registration form (MAS: views/register/steps/verify_email.rs). A code works for 5 minutes;
// wrong codes are counted, and after EMAIL_CODE_MAX_ATTEMPTS the address must be verified again
// from scratch ("send a new code" then starts a new authentication). "Send a new code" asks the
// worker for another code for the same authentication.
//
// POST: parse → CSRF → (rate limits go here: `email_authentication.attempt_per_session` for a
// code, `emails_per_session` / `per_address` for a resend) → load → check the code → complete →
// 303 to the finish step, which sends the browser to the next missing step.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  hasExhaustedAttempts,
  isEmailCodeShaped,
  type EmailAuthentication,
} from '../../../model/email-authentication.ts';
import type { Repositories } from '../../../storage/storage.ts';
import { csrfToken } from '../../csrf.ts';
import { limitOrPage } from '../../../rate-limit/rate-limit-page.ts';
import { param, sendPage, type HumanDeps } from './page.ts';
import { pageMessage, type PageMessage } from './page-message.ts';
import { checkCsrf, loadRegistration, stepPath } from './registration-flow.ts';
import type { UserRegistration } from '../../../model/user-registration.ts';
import { enqueueCodeMail } from './mail-locale.ts';

const WRONG_CODE = pageMessage('register.verify_email_errors.wrong_code');
const EXHAUSTED = pageMessage('register.verify_email_errors.exhausted');

async function loadAuthentication(
  repos: Repositories,
  registration: UserRegistration,
): Promise<EmailAuthentication | null> {
  if (registration.emailAuthenticationId === null) return null;
  return repos.emailAuthentications.lookup(registration.emailAuthenticationId);
}

export function registerRegisterVerifyEmail(app: FastifyInstance, deps: HumanDeps): void {
  function sendForm(
    request: FastifyRequest,
    reply: FastifyReply,
    state: {
      registration: UserRegistration;
      authentication: EmailAuthentication;
      error: PageMessage | null;
      notice: PageMessage | null;
    },
    status = 200,
  ): FastifyReply {
    return sendPage(
      reply,
      deps,
      'pages/register-verify-email.html',
      {
        csrf_token: csrfToken(request, reply, deps),
        action: stepPath(deps, state.registration, 'verify-email'),
        email: state.authentication.email,
        exhausted: hasExhaustedAttempts(state.authentication),
        error: state.error,
        notice: state.notice,
      },
      status,
    );
  }

  app.get('/register/steps/:id/verify-email', async (request, reply) => {
    const loaded = await deps.storage.transaction(async (repos) => {
      const registration = await loadRegistration(request, deps, repos);
      return { registration, authentication: await loadAuthentication(repos, registration) };
    });
    const { registration, authentication } = loaded;
    if (authentication === null || authentication.completedAt !== null) {
      return reply.redirect(stepPath(deps, registration, 'finish'), 303);
    }
    return sendForm(request, reply, { registration, authentication, error: null, notice: null });
  });

  app.post('/register/steps/:id/verify-email', async (request, reply) => {
    // parse
    const body = request.body;
    const resend = param(body, 'action') === 'resend';
    const code = (param(body, 'code') ?? '').replace(/\s+/g, '');
    checkCsrf(request, deps, `${deps.urls.basePath}register`);
    // (rate limits: per-registration attempts for a code, emails per registration and per address
    // for a resend, are checked once the registration is loaded, before any work)

    const outcome = await deps.storage.transaction(async (repos) => {
      // load
      const registration = await loadRegistration(request, deps, repos);
      let authentication = await loadAuthentication(repos, registration);
      if (authentication === null || authentication.completedAt !== null) {
        return { kind: 'done' as const, registration };
      }

      const here = stepPath(deps, registration, 'verify-email');
      if (resend) {
        const address = authentication.email;
        await limitOrPage(() => deps.rateLimiter.checkEmailResend(registration.id, address), here);
        if (hasExhaustedAttempts(authentication)) {
          // The old authentication is spent: verify the same address afresh.
          authentication = await repos.emailAuthentications.addForRegistration(
            deps.rng,
            deps.clock,
            registration,
            authentication.email,
          );
          await repos.userRegistrations.setEmailAuthentication(registration, authentication);
        }
        await enqueueCodeMail(repos.queue, deps, request, authentication);
        return {
          kind: 'form' as const,
          registration,
          authentication,
          error: null,
          notice: pageMessage('register.verify_email_errors.code_resent', {
            email: authentication.email,
          }),
        };
      }

      await limitOrPage(() => deps.rateLimiter.checkEmailCodeAttempt(registration.id), here);

      // check
      const wrong = (error: PageMessage, a: EmailAuthentication) => ({
        kind: 'form' as const,
        registration,
        authentication: a,
        error,
        notice: null,
      });
      if (hasExhaustedAttempts(authentication)) return wrong(EXHAUSTED, authentication);
      if (!isEmailCodeShaped(code)) {
        return wrong(pageMessage('register.verify_email_errors.code_required'), authentication);
      }
      const found = await repos.emailAuthentications.findValidCode(
        deps.clock,
        authentication,
        code,
      );
      if (found === null) {
        const counted = await repos.emailAuthentications.recordFailedAttempt(authentication);
        return wrong(hasExhaustedAttempts(counted) ? EXHAUSTED : WRONG_CODE, counted);
      }

      // mutate and save
      await repos.emailAuthentications.complete(deps.clock, authentication, found);
      return { kind: 'done' as const, registration };
    });

    // respond
    if (outcome.kind === 'done') {
      return reply
        .header('cache-control', 'no-store')
        .redirect(stepPath(deps, outcome.registration, 'finish'), 303);
    }
    return sendForm(request, reply, outcome, outcome.error === null ? 200 : 400);
  });
}
