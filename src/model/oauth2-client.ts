// An OAuth 2.0 client: static (from `clients[]` in the config, synced at start) or registered
// dynamically (RFC 7591). The client id is a ULID.

import type { OAuth2ClientId } from './ids.ts';

export type ClientAuthMethod =
  'none' | 'client_secret_basic' | 'client_secret_post' | 'client_secret_jwt' | 'private_key_jwt';

export type GrantType =
  | 'authorization_code'
  | 'refresh_token'
  | 'client_credentials'
  | 'urn:ietf:params:oauth:grant-type:device_code';

export type ApplicationType = 'web' | 'native';

export interface OAuth2Client {
  readonly id: OAuth2ClientId;
  /** From the config file: updated by sync, never by registration. */
  readonly isStatic: boolean;
  /** The client secret, encrypted with `secrets.encryption`; null for clients without one. */
  readonly encryptedClientSecret: string | null;
  readonly tokenEndpointAuthMethod: ClientAuthMethod;
  readonly tokenEndpointAuthSigningAlg: string | null;
  readonly grantTypes: readonly GrantType[];
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris: readonly string[];
  readonly applicationType: ApplicationType | null;
  readonly clientName: string | null;
  /** Localized names (`client_name#fr` → `{fr: …}`), MSC2966. */
  readonly clientNameLocalized: Readonly<Record<string, string>>;
  readonly clientUri: string | null;
  readonly logoUri: string | null;
  readonly policyUri: string | null;
  readonly tosUri: string | null;
  readonly contacts: readonly string[];
  /** A JWK Set document, for `private_key_jwt`. */
  readonly jwks: Readonly<Record<string, unknown>> | null;
  readonly jwksUri: string | null;
  readonly idTokenSignedResponseAlg: string | null;
  readonly userinfoSignedResponseAlg: string | null;
  readonly initiateLoginUri: string | null;
  /** SHA-256 of the normalised metadata of a public client, so identical registrations dedupe. */
  readonly metadataDigest: string | null;
  readonly createdAt: Date;
}

export function isPublicClient(client: OAuth2Client): boolean {
  return client.tokenEndpointAuthMethod === 'none';
}

export function allowsGrant(client: OAuth2Client, grant: GrantType): boolean {
  return client.grantTypes.includes(grant);
}
