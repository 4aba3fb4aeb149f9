// `GET /.well-known/webfinger` (RFC 7033, OIDC Discovery §2): a JRD for `resource` that links to
// the issuer when `rel=http://openid.net/specs/connect/1.0/issuer` is asked for (any of several
// `rel`), and has no links otherwise. Like MAS, the resource itself is not checked.

import type { FastifyInstance } from 'fastify';
import { OAuthError, sendOAuthError } from '../../../oauth2/errors.ts';

export const ISSUER_REL = 'http://openid.net/specs/connect/1.0/issuer';

export function registerWebfinger(app: FastifyInstance, deps: { readonly issuer: string }): void {
  app.get('/.well-known/webfinger', async (request, reply) => {
    // Several `rel` are allowed here, so the query is read without the duplicate check.
    const search = new URLSearchParams(request.url.split('?')[1] ?? '');
    const resources = search.getAll('resource');
    if (resources.length !== 1 || resources[0] === '') {
      return sendOAuthError(
        reply,
        new OAuthError('invalid_request', 'exactly one resource parameter is required'),
      );
    }
    const wantsIssuer = search.getAll('rel').includes(ISSUER_REL);
    return reply.type('application/jrd+json').send({
      subject: resources[0],
      links: wantsIssuer ? [{ rel: ISSUER_REL, href: deps.issuer }] : [],
    });
  });
}
