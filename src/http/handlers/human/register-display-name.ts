// GET and POST /register/steps/{id}/display-name: the name others see (MAS:
// views/register/steps/display_name.rs). Optional: "Skip" uses the username, as the homeserver
// would show it anyway.
//
// POST: parse → CSRF → load → check → save → 303 to finish.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { UserRegistration } from '../../../model/user-registration.ts';
import { csrfToken } from '../../csrf.ts';
import { param, sendPage, type HumanDeps } from './page.ts';
import { pageMessage, type PageMessage } from './page-message.ts';
import { checkCsrf, loadRegistration, stepPath } from './registration-flow.ts';

/** Matrix display names are free text; this keeps them within what homeservers store. */
const MAX_DISPLAY_NAME_LENGTH = 256;

export function registerRegisterDisplayName(app: FastifyInstance, deps: HumanDeps): void {
  function sendForm(
    request: FastifyRequest,
    reply: FastifyReply,
    registration: UserRegistration,
    displayName: string,
    error: PageMessage | null,
  ): FastifyReply {
    return sendPage(
      reply,
      deps,
      'pages/register-display-name.html',
      {
        csrf_token: csrfToken(request, reply, deps),
        action: stepPath(deps, registration, 'display-name'),
        username: registration.username,
        display_name: displayName,
        error,
      },
      error === null ? 200 : 400,
    );
  }

  app.get('/register/steps/:id/display-name', async (request, reply) => {
    const registration = await deps.storage.transaction((repos) =>
      loadRegistration(request, deps, repos),
    );
    return sendForm(request, reply, registration, registration.displayName ?? '', null);
  });

  app.post('/register/steps/:id/display-name', async (request, reply) => {
    // parse
    const skip = param(request.body, 'action') === 'skip';
    const typed = (param(request.body, 'display_name') ?? '').trim();
    checkCsrf(request, deps, `${deps.urls.basePath}register`);

    const outcome = await deps.storage.transaction(async (repos) => {
      const registration = await loadRegistration(request, deps, repos);
      const displayName = skip ? registration.username : typed;
      // eslint-disable-next-line no-control-regex -- control characters are what is refused
      if (displayName === '' || /[\u0000-\u001f\u007f]/.test(displayName)) {
        return { registration, error: pageMessage('register.display_name_errors.required') };
      }
      if (displayName.length > MAX_DISPLAY_NAME_LENGTH) {
        return {
          registration,
          error: pageMessage('register.display_name_errors.too_long', {
            max: MAX_DISPLAY_NAME_LENGTH,
          }),
        };
      }
      await repos.userRegistrations.setDisplayName(registration, displayName);
      return { registration, error: null };
    });

    if (outcome.error !== null) {
      return sendForm(request, reply, outcome.registration, typed, outcome.error);
    }
    return reply
      .header('cache-control', 'no-store')
      .redirect(stepPath(deps, outcome.registration, 'finish'), 303);
  });
}
