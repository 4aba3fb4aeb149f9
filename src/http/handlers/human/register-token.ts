// GET and POST /register/steps/{id}/token: the registration token, asked when
// `account.password_registration_token_required` (or the deprecated `registration_token_required`)
// is set (MAS: views/register/steps/registration_token.rs). The token is only checked here; the
// finish step uses it up, in the transaction that creates the account.
//
// POST: parse → CSRF → (rate limits go here) → load → check the token → save → 303 to finish.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  registrationTokenState,
  type RegistrationTokenState,
} from '../../../model/registration-token.ts';
import type { UserRegistration } from '../../../model/user-registration.ts';
import { csrfToken } from '../../csrf.ts';
import { param, sendPage, type HumanDeps } from './page.ts';
import { pageMessage, type PageMessage } from './page-message.ts';
import {
  checkCsrf,
  loadRegistration,
  registrationTokenRequired,
  stepPath,
} from './registration-flow.ts';

const REFUSALS: Record<'unknown' | Exclude<RegistrationTokenState, 'valid'>, PageMessage> = {
  unknown: pageMessage('register.token_errors.unknown'),
  revoked: pageMessage('register.token_errors.revoked'),
  expired: pageMessage('register.token_errors.expired'),
  used_up: pageMessage('register.token_errors.used_up'),
};

export function registerRegisterToken(app: FastifyInstance, deps: HumanDeps): void {
  function sendForm(
    request: FastifyRequest,
    reply: FastifyReply,
    registration: UserRegistration,
    token: string,
    error: PageMessage | null,
  ): FastifyReply {
    return sendPage(
      reply,
      deps,
      'pages/register-token.html',
      {
        csrf_token: csrfToken(request, reply, deps),
        action: stepPath(deps, registration, 'token'),
        token,
        error,
      },
      error === null ? 200 : 400,
    );
  }

  app.get('/register/steps/:id/token', async (request, reply) => {
    const registration = await deps.storage.transaction((repos) =>
      loadRegistration(request, deps, repos),
    );
    if (!registrationTokenRequired(deps.config)) {
      return reply.redirect(stepPath(deps, registration, 'finish'), 303);
    }
    return sendForm(request, reply, registration, '', null);
  });

  app.post('/register/steps/:id/token', async (request, reply) => {
    // parse
    const typed = (param(request.body, 'token') ?? '').trim();
    checkCsrf(request, deps, `${deps.urls.basePath}register`);
    // (rate limits go here)

    const outcome = await deps.storage.transaction(async (repos) => {
      // load
      const registration = await loadRegistration(request, deps, repos);
      const token = typed === '' ? null : await repos.registrationTokens.findByToken(typed);
      // check
      if (token === null) return { registration, error: REFUSALS.unknown };
      const state = registrationTokenState(token, deps.clock.now());
      if (state !== 'valid') return { registration, error: REFUSALS[state] };
      // save
      await repos.userRegistrations.setRegistrationToken(registration, token);
      return { registration, error: null };
    });

    // respond
    if (outcome.error !== null) {
      return sendForm(request, reply, outcome.registration, typed, outcome.error);
    }
    return reply
      .header('cache-control', 'no-store')
      .redirect(stepPath(deps, outcome.registration, 'finish'), 303);
  });
}
