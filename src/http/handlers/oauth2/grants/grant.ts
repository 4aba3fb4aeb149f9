// The contract between the token endpoint (../token.ts) and one grant type. The endpoint does the
// shared steps in one place — parse the form (duplicates refused), authenticate the client, check
// the client may use the grant, open ONE storage transaction, answer with `no-store` — and calls
// the grant's handler inside that transaction with the authenticated client.
//
// A handler either
// - returns a `TokenResponse` (committed, sent as 200),
// - returns an `OAuthError` (the transaction is COMMITTED, then the error is sent: for errors that
//   must leave a trace, e.g. a reused code ending its session, a device-code poll recording
//   `slow_down`), or
// - throws an `OAuthError` (rolled back, then sent). A `StateConflictError` thrown by storage (a
//   concurrent request won the race) becomes `invalid_grant`.
//
// To add a grant type: write ./<grant>.ts exporting `<grant>Grant: GrantHandler` and add it to the
// dispatch table in ../token.ts.

import type { Clock } from '../../../../clock.ts';
import type { RootConfig } from '../../../../config/root.ts';
import type { Keystore } from '../../../../crypto/keystore.ts';
import type { OAuth2Client } from '../../../../model/oauth2-client.ts';
import type { OAuthError } from '../../../../oauth2/errors.ts';
import type { FormParams } from '../../../../oauth2/form-params.ts';
import type { TokenResponse } from '../../../../oauth2/token-issuer.ts';
import type { Rng } from '../../../../rng.ts';
import type { ActivityTracker } from '../../../../services/activity-tracker.ts';
import type { PendingDevice } from '../../../../services/grant-device.ts';
import type { IntrospectionCache } from '../../../../services/introspection-cache.ts';
import type { Repositories } from '../../../../storage/storage.ts';

export type { TokenResponse };

/** What the request carried, once the client is authenticated. */
export interface GrantRequest {
  /** The whole form, client credentials included. */
  readonly params: FormParams;
  readonly client: OAuth2Client;
  readonly userAgent: string | null;
  readonly ip: string | null;
}

/** What every grant may use besides the repositories. */
export interface GrantDeps {
  readonly config: RootConfig;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly keystore: Keystore;
  /** The OIDC issuer, for id_tokens. */
  readonly issuer: string;
  /** Batched token first-use marks (the refresh grant flushes a session's before deciding). */
  readonly activity: ActivityTracker;
  /** Invalidated whenever a grant ends a session or revokes an access token. */
  readonly introspectionCache?: IntrospectionCache | undefined;
}

/**
 * For grants that create a Matrix device (code, device code): the device the exchange WOULD
 * create if it succeeds, found with reads only; null when it would create none or would fail
 * (the handler then runs and reports why). The token endpoint creates that device on the
 * homeserver before running the handler (src/services/grant-device.ts).
 */
export type DevicePreparer = (
  repos: Repositories,
  request: GrantRequest,
  deps: GrantDeps,
) => Promise<PendingDevice | null>;

export type GrantHandler = (
  repos: Repositories,
  request: GrantRequest,
  deps: GrantDeps,
) => Promise<TokenResponse | OAuthError>;
