// Provider fields for tests that need an upstream provider without going through the provider
// sync (storage conformance, Admin API, CLI, sign-in flows, UpstreamClients): one base set of
// fields, which each test overrides with what it cares about.

import type { Encrypter } from '../../src/crypto/encrypter.ts';
import {
  upstreamSecretContext,
  type UpstreamClaimsImports,
  type UpstreamOAuthProviderId,
} from '../../src/model/upstream-oauth.ts';
import type { Rng } from '../../src/rng.ts';
import type { UpstreamOAuthProviderFields } from '../../src/storage/upstream-oauth-repository.ts';

/** Claims imports: nothing imported (each attribute `ignore`) and confirmation asked, except `overrides`. */
export function claimsImports(
  overrides: Partial<UpstreamClaimsImports> = {},
): UpstreamClaimsImports {
  return {
    subject: { template: null },
    skipConfirmation: false,
    localpart: { action: 'ignore', template: null, onConflict: 'fail' },
    displayname: { action: 'ignore', template: null },
    email: { action: 'ignore', template: null, setEmailVerification: 'import' },
    accountName: { template: null },
    ...overrides,
  };
}

/** Claims imports that suggest the localpart, display name and email from the provider's claims. */
export const SUGGESTED_CLAIMS: UpstreamClaimsImports = claimsImports({
  localpart: { action: 'suggest', template: null, onConflict: 'fail' },
  displayname: { action: 'suggest', template: null },
  email: { action: 'suggest', template: null, setEmailVerification: 'import' },
});

/**
 * Claims imports that make the account at once (`skip_confirmation`) with the required localpart
 * and nothing else imported: the sign-in tests that are not about the registration page.
 */
export const SKIP_CONFIRMATION: UpstreamClaimsImports = claimsImports({
  skipConfirmation: true,
  localpart: { action: 'require', template: null, onConflict: 'fail' },
});

export function providerFields(
  overrides: Partial<UpstreamOAuthProviderFields> = {},
): UpstreamOAuthProviderFields {
  return {
    issuer: 'https://idp.example.com/',
    humanName: 'Example IdP',
    brandName: null,
    synapseIdpId: null,
    clientId: 'gatehouse',
    encryptedClientSecret: null,
    tokenEndpointAuthMethod: 'none',
    tokenEndpointSigningAlg: null,
    signInWithApple: null,
    idTokenSignedResponseAlg: 'RS256',
    userinfoSignedResponseAlg: null,
    scope: 'openid',
    discoveryMode: 'oidc',
    pkceMethod: 'auto',
    fetchUserinfo: false,
    authorizationEndpointOverride: null,
    tokenEndpointOverride: null,
    userinfoEndpointOverride: null,
    jwksUriOverride: null,
    responseMode: null,
    additionalAuthorizationParameters: {},
    forwardLoginHint: false,
    onBackchannelLogout: 'do_nothing',
    registrationTokenRequired: false,
    claimsImports: claimsImports(),
    loginOnly: false,
    claimsRequirements: [],
    adminClaim: null,
    uiOrder: 0,
    ...overrides,
  };
}

/** The provider's client secret encrypted as the provider sync stores it; null stays null. */
export function encryptedClientSecret(
  encrypter: Encrypter,
  rng: Rng,
  id: UpstreamOAuthProviderId,
  secret: string | null,
): string | null {
  return secret === null
    ? null
    : encrypter.encrypt(secret, rng, upstreamSecretContext(id, 'client_secret'));
}
