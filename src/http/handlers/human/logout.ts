// POST /logout (MAS: views/logout.rs): checks CSRF, finishes the browser session the cookie
// names, forgets the cookie and sends the browser to `next` (a path on this site) or /login.

import type { FastifyInstance } from 'fastify';
import { asBrowserSessionId } from '../../../model/ids.ts';
import { browserSessionIdFromCookie, endBrowserSession } from '../../browser-session.ts';
import { CSRF_FIELD, verifyCsrf } from '../../csrf.ts';
import { csrfPageError, param, safeNext, type HumanDeps } from './page.ts';

export function registerLogout(app: FastifyInstance, deps: HumanDeps): void {
  app.post('/logout', async (request, reply) => {
    // parse
    const next = safeNext(param(request.body, 'next'));
    try {
      verifyCsrf(request, deps, param(request.body, CSRF_FIELD));
    } catch (error) {
      throw csrfPageError(error, deps.urls.basePath);
    }
    // load → mutate → save: any session the cookie names ends, even one of a locked user.
    const id = browserSessionIdFromCookie(request, deps);
    if (id !== null) {
      await deps.storage.transaction(async (repos) => {
        const session = await repos.browserSessions.lookup(asBrowserSessionId(id));
        if (session !== null) await repos.browserSessions.finish(deps.clock, session);
      });
    }
    // respond
    endBrowserSession(reply, deps);
    return reply
      .header('cache-control', 'no-store')
      .redirect(next ?? `${deps.urls.basePath}login`, 303);
  });
}
