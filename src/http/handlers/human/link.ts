// GET and POST /link: where a person types the code their device shows (RFC 8628 §3.3, MAS:
// oauth2/device/link.rs). The code is matched without regard to case, spaces or dashes. A known,
// still pending code leads to its consent page (/device/{id}); anything else shows the form again
// with an error.
//
// `?code=` (the device's `verification_uri_complete`) fills the field only when the operator
// turned on `oauth.device_code_user_code_auto_fill_enabled`: otherwise someone could send a person
// a link that silently carries the attacker's code, and the person would authorise the attacker's
// device. Even when filled, the person still presses Continue and then sees the consent page.
//
// Signed-in only: without a browser session the browser goes to /login and comes back here.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { deviceGrantStage } from '../../../model/device-code-grant.ts';
import { currentBrowserSession } from '../../browser-session.ts';
import { csrfToken, CSRF_FIELD, verifyCsrf } from '../../csrf.ts';
import { normaliseUserCode } from '../oauth2/device-authorization.ts';
import { csrfPageError, param, sendPage, type HumanDeps } from './page.ts';
import { pageMessage, type PageMessage } from './page-message.ts';

const UNKNOWN_CODE = pageMessage('link.unknown_code');

/** Where the browser goes when it must sign in first: /login, then back to `next`. */
export function loginRedirect(reply: FastifyReply, deps: HumanDeps, next: string): FastifyReply {
  const target = `${deps.urls.basePath}login?next=${encodeURIComponent(next)}`;
  return reply.header('cache-control', 'no-store').redirect(target, 303);
}

/** Throws the error page unless the form carries the right CSRF token. */
export function requireCsrf(
  request: FastifyRequest,
  deps: HumanDeps,
  back: string,
  submitted: string | undefined,
): void {
  try {
    verifyCsrf(request, deps, submitted);
  } catch (error) {
    throw csrfPageError(error, back);
  }
}

function sendForm(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: HumanDeps,
  code: string,
  error: PageMessage | null,
  status = 200,
): FastifyReply {
  return sendPage(
    reply,
    deps,
    'pages/link.html',
    { csrf_token: csrfToken(request, reply, deps), code, error },
    status,
  );
}

export function registerLink(app: FastifyInstance, deps: HumanDeps): void {
  const linkPath = `${deps.urls.basePath}link`;
  const autoFill = deps.config.oauth.device_code_user_code_auto_fill_enabled;

  app.get('/link', async (request, reply) => {
    // parse
    const queryCode = param(request.query, 'code');
    const prefill = autoFill && queryCode !== undefined ? queryCode.slice(0, 32) : '';
    // authenticate
    const current = await deps.storage.transaction((repos) =>
      currentBrowserSession(request, { ...deps, repos }),
    );
    if (current === null) {
      const back =
        queryCode === undefined ? linkPath : `${linkPath}?code=${encodeURIComponent(queryCode)}`;
      return loginRedirect(reply, deps, back);
    }
    // respond
    return sendForm(request, reply, deps, prefill, null);
  });

  app.post('/link', async (request, reply) => {
    // parse
    const typed = (param(request.body, 'code') ?? '').slice(0, 64);
    requireCsrf(request, deps, linkPath, param(request.body, CSRF_FIELD));
    const userCode = normaliseUserCode(typed);

    // authenticate → load → check (read only)
    const outcome = await deps.storage.transaction(async (repos) => {
      const current = await currentBrowserSession(request, { ...deps, repos });
      if (current === null) return { signedIn: false as const };
      if (userCode === null) return { signedIn: true as const, grantId: null };
      const grant = await repos.deviceCodeGrants.findByUserCode(userCode);
      const pending = grant !== null && deviceGrantStage(grant, deps.clock.now()) === 'pending';
      return { signedIn: true as const, grantId: pending ? grant.id : null };
    });

    // respond
    if (!outcome.signedIn) return loginRedirect(reply, deps, linkPath);
    if (outcome.grantId === null) {
      return sendForm(request, reply, deps, typed.trim(), UNKNOWN_CODE, 400);
    }
    return reply
      .header('cache-control', 'no-store')
      .redirect(`${deps.urls.basePath}device/${outcome.grantId}`, 303);
  });
}
