// GET / (MAS: views/index.rs): who is signed in, with a sign-out button, or a link to sign in.

import type { FastifyInstance } from 'fastify';
import { currentBrowserSession } from '../../browser-session.ts';
import { csrfToken } from '../../csrf.ts';
import { sendPage, type HumanDeps } from './page.ts';

export function registerIndexPage(app: FastifyInstance, deps: HumanDeps): void {
  app.get('/', async (request, reply) => {
    const current = await deps.storage.transaction((repos) =>
      currentBrowserSession(request, { ...deps, repos }),
    );
    return sendPage(reply, deps, 'pages/index.html', {
      user: current === null ? null : { username: current.user.username },
      csrf_token: current === null ? null : csrfToken(request, reply, deps),
    });
  });
}
