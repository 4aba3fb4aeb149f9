// Shared setup for the OAuth 2.0 conformance tests: client metadata and a user signed in to a
// browser session with one registered client, so each test file starts from the same world.

import { createHash } from 'node:crypto';
import type { MockClock } from '../../../src/clock.ts';
import type { BrowserSession } from '../../../src/model/browser-session.ts';
import { asOAuth2ClientId, type OAuth2ClientId } from '../../../src/model/ids.ts';
import type { OAuth2Client } from '../../../src/model/oauth2-client.ts';
import type { User } from '../../../src/model/user.ts';
import { newUlid, type Rng } from '../../../src/rng.ts';
import type { OAuth2ClientFields } from '../../../src/storage/oauth2-client-repository.ts';
import type { Storage } from '../../../src/storage/storage.ts';

/** A confidential web client's metadata, with every optional field filled. */
export function clientFields(overrides: Partial<OAuth2ClientFields> = {}): OAuth2ClientFields {
  return {
    encryptedClientSecret: 'v1.sealed-secret',
    tokenEndpointAuthMethod: 'client_secret_basic',
    tokenEndpointAuthSigningAlg: null,
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: ['https://app.example.com/callback', 'https://app.example.com/other'],
    postLogoutRedirectUris: ['https://app.example.com/bye'],
    applicationType: 'web',
    clientName: 'Example App',
    clientNameLocalized: { fr: 'Appli exemple', 'de-CH': 'Beispiel' },
    clientUri: 'https://app.example.com/',
    logoUri: 'https://app.example.com/logo.png',
    policyUri: 'https://app.example.com/policy',
    tosUri: 'https://app.example.com/tos',
    contacts: ['admin@example.com'],
    jwks: {
      keys: [{ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' }],
    },
    jwksUri: null,
    idTokenSignedResponseAlg: 'ES256',
    userinfoSignedResponseAlg: null,
    initiateLoginUri: 'https://app.example.com/login',
    metadataDigest: null,
    ...overrides,
  };
}

/** The hex SHA-256 storage keeps of a token. */
export function hashOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function newClientId(clock: MockClock, rng: Rng): OAuth2ClientId {
  return asOAuth2ClientId(newUlid(clock, rng));
}

export interface OAuth2World {
  user: User;
  browserSession: BrowserSession;
  client: OAuth2Client;
}

/** A user `alice` with a browser session, and a dynamic confidential client. */
export async function seedOAuth2World(
  storage: Storage,
  clock: MockClock,
  rng: Rng,
): Promise<OAuth2World> {
  return storage.transaction(async (repos) => {
    const user = (await repos.users.add(rng, clock, 'alice'))!;
    const browserSession = await repos.browserSessions.add(rng, clock, user, 'Firefox');
    const client = await repos.oauth2Clients.addDynamic(
      clock,
      newClientId(clock, rng),
      clientFields(),
    );
    return { user, browserSession, client };
  });
}
