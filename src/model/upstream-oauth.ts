// Upstream OAuth 2.0 / OpenID Connect providers (MAS: `upstream_oauth_providers`), the links
// between an upstream identity and a local user (`upstream_oauth_links`), and the login attempts
// at a provider (`upstream_oauth_authorization_sessions`).
//
// A provider is the database copy of one `upstream_oauth2.providers[]` entry, written by the
// provider sync: everything the sign-in flow needs at runtime, with the client secret (and the Sign
// in with Apple key) encrypted with `secrets.encryption`. An authorization session goes
// pending → completed (the callback checked the provider's answer and found or made a link) →
// consumed (a browser session was signed in with it); deleting its link marks it unlinked.

import type { BrowserSessionId, Id, UserId } from './ids.ts';

export type UpstreamOAuthProviderId = Id<'UpstreamOAuthProviderId'>;
export type UpstreamOAuthLinkId = Id<'UpstreamOAuthLinkId'>;
export type UpstreamOAuthSessionId = Id<'UpstreamOAuthSessionId'>;

export const asUpstreamOAuthProviderId = (value: string): UpstreamOAuthProviderId =>
  value as UpstreamOAuthProviderId;
export const asUpstreamOAuthLinkId = (value: string): UpstreamOAuthLinkId =>
  value as UpstreamOAuthLinkId;
export const asUpstreamOAuthSessionId = (value: string): UpstreamOAuthSessionId =>
  value as UpstreamOAuthSessionId;

export type UpstreamTokenAuthMethod =
  | 'none'
  | 'client_secret_basic'
  | 'client_secret_post'
  | 'client_secret_jwt'
  | 'private_key_jwt'
  | 'sign_in_with_apple';
export type UpstreamDiscoveryMode = 'oidc' | 'insecure' | 'disabled';
export type UpstreamPkceMethod = 'auto' | 'always' | 'never';
export type UpstreamResponseMode = 'query' | 'form_post';
export type UpstreamBackchannelLogoutAction = 'do_nothing' | 'logout_browser_only' | 'logout_all';

export type ImportAction = 'ignore' | 'suggest' | 'force' | 'require';
export type LocalpartConflictAction = 'fail' | 'add' | 'replace' | 'set';
export type EmailVerificationAction = 'import' | 'always' | 'never';

/** How upstream claims become attributes of the local account (templates are Jinja2 source). */
export interface UpstreamClaimsImports {
  readonly subject: { readonly template: string | null };
  readonly skipConfirmation: boolean;
  readonly localpart: {
    readonly action: ImportAction;
    readonly template: string | null;
    readonly onConflict: LocalpartConflictAction;
  };
  readonly displayname: { readonly action: ImportAction; readonly template: string | null };
  readonly email: {
    readonly action: ImportAction;
    readonly template: string | null;
    readonly setEmailVerification: EmailVerificationAction;
  };
  readonly accountName: { readonly template: string | null };
}

/**
 * A test on one claim (Gatehouse-only): `claim` is a dotted path into the claims (`realm_access.roles`);
 * `contains` matches a list holding the value (a single string counts as a one-item list);
 * `equals` matches a scalar claim equal to the value. Exactly one of the two is set.
 */
export interface ClaimMatcher {
  readonly claim: string;
  readonly contains: string | null;
  readonly equals: string | null;
}

export interface ClaimRequirement extends ClaimMatcher {
  /** Shown to the user who fails the requirement; null: a generic message. */
  readonly message: string | null;
}

export interface AdminClaim extends ClaimMatcher {
  /** Also take admin rights away from a user whose claims no longer match. */
  readonly revoke: boolean;
}

export interface SignInWithApple {
  readonly teamId: string;
  readonly keyId: string;
  /** The PEM private key, encrypted (see `upstreamSecretContext`). */
  readonly encryptedPrivateKey: string;
}

export interface UpstreamOAuthProvider {
  readonly id: UpstreamOAuthProviderId;
  /** Null only with `discoveryMode: 'disabled'`. */
  readonly issuer: string | null;
  readonly humanName: string | null;
  readonly brandName: string | null;
  readonly synapseIdpId: string | null;
  readonly clientId: string;
  /** Encrypted with `secrets.encryption` (see `upstreamSecretContext`); null without a secret. */
  readonly encryptedClientSecret: string | null;
  readonly tokenEndpointAuthMethod: UpstreamTokenAuthMethod;
  readonly tokenEndpointSigningAlg: string | null;
  readonly signInWithApple: SignInWithApple | null;
  readonly idTokenSignedResponseAlg: string;
  readonly userinfoSignedResponseAlg: string | null;
  readonly scope: string;
  readonly discoveryMode: UpstreamDiscoveryMode;
  readonly pkceMethod: UpstreamPkceMethod;
  readonly fetchUserinfo: boolean;
  readonly authorizationEndpointOverride: string | null;
  readonly tokenEndpointOverride: string | null;
  readonly userinfoEndpointOverride: string | null;
  readonly jwksUriOverride: string | null;
  readonly responseMode: UpstreamResponseMode | null;
  /** Parameter name → template over `params` and `logged_out`. */
  readonly additionalAuthorizationParameters: Readonly<Record<string, string>>;
  readonly forwardLoginHint: boolean;
  readonly onBackchannelLogout: UpstreamBackchannelLogoutAction;
  readonly registrationTokenRequired: boolean;
  readonly claimsImports: UpstreamClaimsImports;
  /** Gatehouse-only: never create an account, only sign in users already linked or matched. */
  readonly loginOnly: boolean;
  /** Gatehouse-only: every one must hold for the login to go on. */
  readonly claimsRequirements: readonly ClaimRequirement[];
  /** Gatehouse-only: claims that make the user an admin (`can_request_admin`). */
  readonly adminClaim: AdminClaim | null;
  /** Position on the sign-in page (the order in the configuration). */
  readonly uiOrder: number;
  readonly createdAt: Date;
  /** Set when the provider is disabled or no longer configured. */
  readonly disabledAt: Date | null;
}

export interface UpstreamOAuthLink {
  readonly id: UpstreamOAuthLinkId;
  readonly providerId: UpstreamOAuthProviderId;
  /** Null until the upstream identity is linked to an account (registration in progress). */
  readonly userId: UserId | null;
  /** The upstream subject (the rendered `claims_imports.subject.template`). */
  readonly subject: string;
  readonly humanAccountName: string | null;
  readonly createdAt: Date;
}

export interface UpstreamOAuthSession {
  readonly id: UpstreamOAuthSessionId;
  readonly providerId: UpstreamOAuthProviderId;
  /** The `state` sent to the provider; unique. */
  readonly state: string;
  /** PKCE verifier, when PKCE is used. */
  readonly codeVerifier: string | null;
  readonly nonce: string | null;
  /** Where to go after signing in: a local path such as `/authorize?...` or `/complete-compat-sso/...`. */
  readonly postAuthAction: string | null;
  readonly createdAt: Date;
  /** Set by the callback, with the fields below. */
  readonly completedAt: Date | null;
  readonly linkId: UpstreamOAuthLinkId | null;
  readonly idToken: string | null;
  readonly idTokenClaims: Readonly<Record<string, unknown>> | null;
  readonly userinfo: Readonly<Record<string, unknown>> | null;
  /** Other parameters the provider sent to the callback. */
  readonly extraCallbackParameters: Readonly<Record<string, unknown>> | null;
  /** The ID token's `sid`, for back-channel logout. */
  readonly idTokenSid: string | null;
  /** Set when a browser session was signed in with it (it cannot be used again). */
  readonly consumedAt: Date | null;
  readonly browserSessionId: BrowserSessionId | null;
  /** Set when its link was removed before it was consumed. */
  readonly unlinkedAt: Date | null;
}

export type UpstreamOAuthSessionState = 'pending' | 'completed' | 'consumed' | 'unlinked';

export function upstreamSessionState(session: UpstreamOAuthSession): UpstreamOAuthSessionState {
  if (session.unlinkedAt !== null) return 'unlinked';
  if (session.consumedAt !== null) return 'consumed';
  if (session.completedAt !== null) return 'completed';
  return 'pending';
}

/**
 * The encryption context of a provider's stored secrets: a value encrypted for one provider and
 * purpose cannot be moved to another row or column.
 */
export function upstreamSecretContext(
  providerId: UpstreamOAuthProviderId,
  what: 'client_secret' | 'apple_private_key',
): string {
  return `upstream_oauth_provider:${what}:${providerId}`;
}
