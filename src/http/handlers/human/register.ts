// GET /register: the registration chooser (MAS: views/register/mod.rs). With password registration
// on and no upstream provider it goes straight to /register/password, keeping `next`; with
// providers it lists them next to the password form's link; with neither it says registration is
// closed.

import type { FastifyInstance } from 'fastify';
import { providerButtons } from '../upstream/provider-buttons.ts';
import { pageError, param, safeNext, sendPage, type HumanDeps } from './page.ts';
import { pageMessage } from './page-message.ts';
import { passwordRegistrationEnabled } from './registration-flow.ts';

export function registerRegisterChooser(app: FastifyInstance, deps: HumanDeps): void {
  app.get('/register', async (request, reply) => {
    const next = safeNext(param(request.query, 'next'));
    const query = next === null ? '' : `?${new URLSearchParams({ next }).toString()}`;
    const passwordEnabled = passwordRegistrationEnabled(deps);
    const providers = await deps.storage.transaction((repos) => providerButtons(deps, repos, next));
    if (passwordEnabled && providers.length === 0) {
      return reply
        .header('cache-control', 'no-store')
        .redirect(`${deps.urls.basePath}register/password${query}`, 303);
    }
    if (!passwordEnabled && providers.length === 0) {
      throw pageError(404, 'register.closed.title', pageMessage('register.closed.message'), {
        back: `${deps.urls.basePath}login${query}`,
      });
    }
    return sendPage(reply, deps, 'pages/register.html', {
      password_href: passwordEnabled ? `${deps.urls.basePath}register/password${query}` : null,
      login_href: `${deps.urls.basePath}login${query}`,
      providers,
    });
  });
}
