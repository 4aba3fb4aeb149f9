// `human` resource: the pages people see in a browser (MAS: the human routes). Around its
// handlers it sets up form bodies, cookies, a strict Content-Security-Policy and
// `X-Frame-Options: DENY`, and an error handler that always answers with the HTML error page
// (never JSON, never a stack trace).
//
// To add a page: write src/http/handlers/human/<page>.ts exporting `register<Page>(app, deps)`
// and call it below; its template goes in templates/pages/ (see src/templates/templates.ts).

import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import type { FastifyError, FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../app-context.ts';
import { registerIndexPage } from '../handlers/human/index-page.ts';
import { registerAuthorize } from '../handlers/oauth2/authorize.ts';
import { registerConsent } from '../handlers/oauth2/consent.ts';
import { registerLogin } from '../handlers/human/login.ts';
import { registerDeviceConsent } from '../handlers/human/device-consent.ts';
import { registerEndSession } from '../handlers/human/end-session.ts';
import { registerLink } from '../handlers/human/link.ts';
import { registerLogout } from '../handlers/human/logout.ts';
import { registerRecover } from '../handlers/human/recover.ts';
import { registerRecoverProgress } from '../handlers/human/recover-progress.ts';
import { registerRecoverTicket } from '../handlers/human/recover-ticket.ts';
import { registerRegisterChooser } from '../handlers/human/register.ts';
import { registerRegisterDisplayName } from '../handlers/human/register-display-name.ts';
import { registerRegisterFinish } from '../handlers/human/register-finish.ts';
import { registerRegisterPassword } from '../handlers/human/register-password.ts';
import { registerRegisterToken } from '../handlers/human/register-token.ts';
import { registerRegisterVerifyEmail } from '../handlers/human/register-verify-email.ts';
import { registerLoginSsoComplete } from '../handlers/compat/login-sso-complete.ts';
import { HumanPageError, sendErrorPage, type HumanDeps } from '../handlers/human/page.ts';
import { registerAccountConsents } from '../handlers/human/account-consents.ts';
import { registerAccountOverview } from '../handlers/human/account-overview.ts';
import { registerAccountPassword } from '../handlers/human/account-password.ts';
import { registerAccountSessions } from '../handlers/human/account-sessions.ts';
import { registerAccountSessionDetail } from '../handlers/human/account-session-detail.ts';
import { registerAccountProfile } from '../handlers/human/account-profile.ts';
import { registerAccountEmails } from '../handlers/human/account-emails.ts';
import { registerAccountDeactivate } from '../handlers/human/account-deactivate.ts';
import { registerAccountCrossSigning } from '../handlers/human/account-cross-signing.ts';
import { registerAccountTokens } from '../handlers/human/account-tokens.ts';
import { registerSessionLimit } from '../handlers/human/session-limit.ts';
import { registerUpstream } from '../handlers/upstream/index.ts';

// No inline scripts or styles; images may come from clients' https logo URIs. `form-action` is
// left out on purpose: browsers apply it to the redirect that follows a form post, which would
// block the consent form's redirect back to the client.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: https:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function humanResource(
  deps: HumanDeps & Pick<AppContext, 'keystore' | 'introspectionCache' | 'homeserver'>,
): FastifyPluginAsync {
  return async (app) => {
    await app.register(fastifyCookie);
    await app.register(fastifyFormbody);

    app.addHook('onRequest', async (_request, reply) => {
      reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
      reply.header('x-frame-options', 'DENY');
    });

    app.setErrorHandler((error: FastifyError | HumanPageError, request, reply) => {
      if (error instanceof HumanPageError) {
        request.log.info({ status: error.status, reason: error.message }, 'page error');
        for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
        return sendErrorPage(reply, deps, error);
      }
      const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
      if (status >= 400 && status < 500) {
        request.log.info(
          { error: { code: error.code, message: error.message } },
          'request rejected',
        );
        return sendErrorPage(reply, deps, {
          status,
          title: 'Bad request',
          message: 'The request could not be understood. Go back and try again.',
          text: { title: 'error.bad_request.title', message: 'error.bad_request.message' },
        });
      }
      request.log.error({ err: error }, 'request failed');
      return sendErrorPage(reply, deps, {
        status: 500,
        title: 'Something went wrong',
        message: 'Please try again later.',
        details: `Request id: ${request.id}`,
        requestId: request.id,
        text: { title: 'error.internal.title', message: 'error.internal.message' },
      });
    });

    registerIndexPage(app, deps);
    registerLogin(app, deps);
    registerLogout(app, deps);
    registerAuthorize(app, deps);
    registerConsent(app, deps);
    registerLink(app, deps);
    registerDeviceConsent(app, deps);
    registerEndSession(app, deps);
    registerRegisterChooser(app, deps);
    registerRegisterPassword(app, deps);
    registerRegisterVerifyEmail(app, deps);
    registerRegisterToken(app, deps);
    registerRegisterDisplayName(app, deps);
    registerRegisterFinish(app, deps);
    registerRecover(app, deps);
    registerRecoverProgress(app, deps);
    registerRecoverTicket(app, deps);
    registerLoginSsoComplete(app, deps);
    registerAccountOverview(app, deps);
    registerAccountSessions(app, deps);
    registerAccountConsents(app, deps);
    registerAccountPassword(app, deps);
    registerAccountSessionDetail(app, deps);
    registerAccountProfile(app, deps);
    registerAccountEmails(app, deps);
    registerAccountDeactivate(app, deps);
    registerAccountCrossSigning(app, deps);
    registerAccountTokens(app, deps);
    registerSessionLimit(app, deps);
    registerUpstream(app, deps);
  };
}
