// What the token, introspection and revocation endpoints share: reading the form body (duplicate
// parameters refused), authenticating the client inside the request's transaction, and the JSON
// answer with `Cache-Control: no-store` (RFC 6749 §5.1).

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../../clock.ts';
import type { Encrypter } from '../../../crypto/encrypter.ts';
import type { OAuth2Client } from '../../../model/oauth2-client.ts';
import {
  authenticateClient,
  extractClientCredentials,
  type ClientCredentials,
} from '../../../oauth2/client-auth.ts';
import type { ClientJwksCache } from '../../../oauth2/client-jwks.ts';
import { parseFormBody, type FormParams } from '../../../oauth2/form-params.ts';
import type { Repositories } from '../../../storage/storage.ts';
import type { UrlBuilder } from '../../url-builder.ts';

export interface ClientRequestDeps {
  readonly clock: Clock;
  readonly encrypter: Encrypter;
  readonly jwks: ClientJwksCache;
  readonly urls: UrlBuilder;
}

export interface ClientRequest {
  readonly params: FormParams;
  readonly credentials: ClientCredentials;
}

/** The form and the client credentials it carries. Throws `invalid_request` / `invalid_client`. */
export function readClientRequest(request: FastifyRequest): ClientRequest {
  const params = parseFormBody(request.headers['content-type'], request.body);
  const credentials = extractClientCredentials(request.headers.authorization, params);
  return { params, credentials };
}

/** The authenticated client; assertions may name the issuer or this endpoint's URL as audience. */
export function authenticateEndpointClient(
  repos: Repositories,
  credentials: ClientCredentials,
  deps: ClientRequestDeps,
  path: string,
): Promise<OAuth2Client> {
  return authenticateClient(credentials, repos, {
    clock: deps.clock,
    encrypter: deps.encrypter,
    jwks: deps.jwks,
    acceptedAudiences: () => [deps.urls.issuer, deps.urls.absolute(path)],
  });
}

/** A 200 JSON answer that no cache may keep. */
export function sendNoStoreJson(reply: FastifyReply, body: unknown): FastifyReply {
  return reply
    .code(200)
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .type('application/json; charset=utf-8')
    .send(body);
}
