// `POST /oauth2/registration`: dynamic client registration (RFC 7591, OIDC Registration, MSC2966).
// parse the JSON metadata → validate it (src/oauth2/client-metadata.ts) → apply MAS's registration
// policy (src/oauth2/registration-policy.ts) → store → answer 201 with the client id, the secret
// (once, for confidential clients) and the registered metadata.
//
// Public clients (`token_endpoint_auth_method: none`) registered twice with the same metadata get
// the same client back (a digest of the metadata is stored), so apps that register on every start
// do not pile up clients. Confidential clients always get a new client and a new secret.

import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../../clock.ts';
import type { RootConfig } from '../../../config/root.ts';
import type { Encrypter } from '../../../crypto/encrypter.ts';
import type { Keystore } from '../../../crypto/keystore.ts';
import { asOAuth2ClientId } from '../../../model/ids.ts';
import type { OAuth2Client } from '../../../model/oauth2-client.ts';
import {
  clientMetadataToJson,
  metadataDigest,
  parseClientMetadata,
  SECRET_METHODS,
  type ClientMetadata,
} from '../../../oauth2/client-metadata.ts';
import { encryptClientSecret, generateClientSecret } from '../../../oauth2/client-secret.ts';
import { OAuthError, invalidRequest, sendOAuthError } from '../../../oauth2/errors.ts';
import {
  enforceClientRegistration,
  registrationPolicyFrom,
} from '../../../oauth2/registration-policy.ts';
import { newUlid, type Rng } from '../../../rng.ts';
import type { OAuth2ClientFields } from '../../../storage/oauth2-client-repository.ts';
import type { Storage } from '../../../storage/storage.ts';

export const REGISTRATION_PATH = '/oauth2/registration';

export interface RegistrationDeps {
  readonly config: Pick<RootConfig, 'oauth' | 'policy'>;
  readonly storage: Storage;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly encrypter: Encrypter;
  readonly keystore: Pick<Keystore, 'algorithms'>;
}

export function registerRegistration(app: FastifyInstance, deps: RegistrationDeps): void {
  app.post(REGISTRATION_PATH, async (request, reply) => {
    try {
      // Read per request: policy data set at run time changes `policy.data`.
      const policy = registrationPolicyFrom(deps.config.policy.data);
      // parse
      const metadata = parseClientMetadata(jsonBody(request.headers['content-type'], request.body));
      // check
      checkServerSupport(metadata, deps);
      enforceClientRegistration(metadata, policy);

      // mutate: everything random is made before the transaction
      const id = asOAuth2ClientId(newUlid(deps.clock, deps.rng));
      const confidential = SECRET_METHODS.includes(metadata.token_endpoint_auth_method);
      const secret = confidential ? generateClientSecret(deps.rng) : null;
      const digest =
        metadata.token_endpoint_auth_method === 'none' ? metadataDigest(metadata) : null;
      const fields = clientFields(
        metadata,
        secret === null ? null : encryptClientSecret(deps.encrypter, deps.rng, id, secret),
        digest,
      );

      // save
      const client = await saveClient(deps, id, fields, digest);

      // respond
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .header('pragma', 'no-cache')
        .type('application/json; charset=utf-8')
        .send(registrationResponse(client, metadata, secret));
    } catch (error) {
      return sendOAuthError(reply, error);
    }
  });
}

/** The body as a JSON value; the oauth resource hands it over unparsed. */
function jsonBody(contentType: string | undefined, body: unknown): unknown {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType !== 'application/json')
    throw invalidRequest('the request body must be application/json');
  if (typeof body !== 'string') return body;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw invalidRequest('the request body is not valid JSON');
  }
}

function checkServerSupport(metadata: ClientMetadata, deps: RegistrationDeps): void {
  if (
    !deps.config.oauth.device_code_grant_enabled &&
    metadata.grant_types.includes('urn:ietf:params:oauth:grant-type:device_code')
  ) {
    throw new OAuthError(
      'invalid_client_metadata',
      'grant_types: the device code grant is disabled',
    );
  }
  const algorithms: readonly string[] = deps.keystore.algorithms();
  for (const field of ['id_token_signed_response_alg', 'userinfo_signed_response_alg'] as const) {
    const alg = metadata[field];
    if (alg !== undefined && !algorithms.includes(alg))
      throw new OAuthError('invalid_client_metadata', `${field}: this server has no ${alg} key`);
  }
}

function clientFields(
  m: ClientMetadata,
  encryptedClientSecret: string | null,
  digest: string | null,
): OAuth2ClientFields {
  return {
    encryptedClientSecret,
    tokenEndpointAuthMethod: m.token_endpoint_auth_method,
    tokenEndpointAuthSigningAlg: m.token_endpoint_auth_signing_alg ?? null,
    grantTypes: m.grant_types,
    redirectUris: m.redirect_uris,
    postLogoutRedirectUris: m.post_logout_redirect_uris,
    applicationType: m.application_type,
    clientName: m.client_name ?? null,
    clientNameLocalized: m.localized.client_name ?? {},
    clientUri: m.client_uri ?? null,
    logoUri: m.logo_uri ?? null,
    policyUri: m.policy_uri ?? null,
    tosUri: m.tos_uri ?? null,
    contacts: m.contacts,
    jwks: m.jwks ?? null,
    jwksUri: m.jwks_uri ?? null,
    idTokenSignedResponseAlg: m.id_token_signed_response_alg ?? null,
    userinfoSignedResponseAlg: m.userinfo_signed_response_alg ?? null,
    initiateLoginUri: m.initiate_login_uri ?? null,
    metadataDigest: digest,
  };
}

async function saveClient(
  deps: RegistrationDeps,
  id: ReturnType<typeof asOAuth2ClientId>,
  fields: OAuth2ClientFields,
  digest: string | null,
): Promise<OAuth2Client> {
  const register = () =>
    deps.storage.transaction(async (repos) => {
      if (digest !== null) {
        const existing = await repos.oauth2Clients.findByMetadataDigest(digest);
        if (existing !== null) return existing;
      }
      return repos.oauth2Clients.addDynamic(deps.clock, id, fields);
    });
  try {
    return await register();
  } catch (error) {
    // Two identical public registrations at once: the loser's insert breaks the digest's
    // uniqueness, and the winner's client is the answer.
    if (digest === null) throw error;
    const existing = await deps.storage.transaction((repos) =>
      repos.oauth2Clients.findByMetadataDigest(digest),
    );
    if (existing === null) throw error;
    return existing;
  }
}

function registrationResponse(
  client: OAuth2Client,
  metadata: ClientMetadata,
  secret: string | null,
): Record<string, unknown> {
  return {
    client_id: client.id,
    client_id_issued_at: Math.floor(client.createdAt.getTime() / 1000),
    ...(secret === null ? {} : { client_secret: secret, client_secret_expires_at: 0 }),
    ...clientMetadataToJson(metadata),
  };
}
