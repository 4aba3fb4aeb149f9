// GET /register/steps/{id}/finish: the orchestrator (MAS: views/register/steps/finish.rs). It
// sends the browser to the next missing step; once everything is in it re-checks that the username
// and the address are still free and the token still valid, then, in ONE transaction, creates the
// user, their password, their verified address and accepted terms, uses the token, queues the
// homeserver provisioning, completes the registration and starts a browser session — and
// redirects to where the registration began (`next`, e.g. back to /authorize for `prompt=create`).
// Any refusal after a change throws, which rolls the whole transaction back.

import type { FastifyInstance } from 'fastify';
import { enqueueProvisionUser } from '../../../storage/matrix-jobs.ts';
import { startBrowserSession } from '../../browser-session.ts';
import { pageError, type HumanDeps } from './page.ts';
import { pageMessage, type MessageKey, type PageMessage } from './page-message.ts';
import { policyViolationMessage } from './policy-messages.ts';
import {
  accountPolicy,
  loadRegistration,
  nextRegistrationStep,
  rememberRegistration,
  stepPath,
} from './registration-flow.ts';

export function registerRegisterFinish(app: FastifyInstance, deps: HumanDeps): void {
  const restart = `${deps.urls.basePath}register`;
  const refuse = (title: MessageKey, message: PageMessage, back = restart) =>
    pageError(409, title, message, { back });

  app.get('/register/steps/:id/finish', async (request, reply) => {
    const outcome = await deps.storage.transaction(async (repos) => {
      // load
      const registration = await loadRegistration(request, deps, repos);
      const step = await nextRegistrationStep(repos, deps.config, registration);
      if (step !== 'create') {
        return { kind: 'step' as const, to: stepPath(deps, registration, step) };
      }

      // check again: time passed since the form
      if (registration.hashedPassword === null || registration.passwordVersion === null) {
        throw refuse(
          'register.finish.incomplete_title',
          pageMessage('register.finish.no_password'),
        );
      }
      if (await repos.users.exists(registration.username)) {
        throw refuse(
          'register.finish.username_taken_title',
          pageMessage('register.finish.username_taken', { username: registration.username }),
        );
      }
      let email: string | null = null;
      if (registration.emailAuthenticationId !== null) {
        const authentication = await repos.emailAuthentications.lookup(
          registration.emailAuthenticationId,
        );
        email = authentication?.email ?? null;
        if (email === null) {
          throw refuse(
            'register.finish.incomplete_title',
            pageMessage('register.finish.start_again'),
          );
        }
        const violation = accountPolicy(deps.config).emailViolations(email)[0];
        if (violation !== undefined) {
          throw refuse('register.finish.email_refused_title', policyViolationMessage(violation));
        }
        if ((await repos.userEmails.listByEmail(email)).length > 0) {
          throw refuse(
            'register.finish.email_taken_title',
            pageMessage('register.finish.email_taken'),
          );
        }
      }
      if (registration.registrationTokenId !== null) {
        const token = await repos.registrationTokens.lookup(registration.registrationTokenId);
        if (token === null || (await repos.registrationTokens.use(deps.clock, token)) === null) {
          throw refuse(
            'register.finish.token_invalid_title',
            pageMessage('register.finish.token_invalid'),
            stepPath(deps, registration, 'token'),
          );
        }
      }

      // mutate
      const user = await repos.users.add(deps.rng, deps.clock, registration.username);
      if (user === null) {
        throw refuse(
          'register.finish.username_taken_title',
          pageMessage('register.finish.username_just_taken'),
        );
      }
      const password = await repos.userPasswords.add(
        deps.rng,
        deps.clock,
        user,
        registration.passwordVersion,
        registration.hashedPassword,
      );
      if (email !== null) await repos.userEmails.add(deps.rng, deps.clock, user, email);
      if (registration.termsUrl !== null) {
        await repos.userTerms.accept(deps.rng, deps.clock, user, registration.termsUrl);
      }
      if ((await repos.userRegistrations.complete(deps.clock, registration)) === null) {
        throw refuse(
          'register.already_finished.title',
          pageMessage('register.already_finished.just_now'),
        );
      }

      // schedule
      await enqueueProvisionUser(
        repos.queue,
        deps.rng,
        deps.clock,
        user.id,
        registration.displayName ?? undefined,
      );

      // save: the new user is signed in in this browser
      const session = await repos.browserSessions.add(
        deps.rng,
        deps.clock,
        user,
        request.headers['user-agent'] ?? null,
      );
      await repos.browserSessions.authenticate(deps.rng, deps.clock, session, 'password', password);
      return { kind: 'created' as const, registration, session };
    });

    // respond
    if (outcome.kind === 'step') {
      return reply.header('cache-control', 'no-store').redirect(outcome.to, 303);
    }
    rememberRegistration(request, reply, deps, outcome.registration, true);
    startBrowserSession(reply, deps, outcome.session);
    return reply
      .header('cache-control', 'no-store')
      .redirect(outcome.registration.postAuthAction ?? deps.urls.basePath, 303);
  });
}
