// An authorization request (`GET /authorize`) on its way to becoming a code: created when the
// request is valid, fulfilled when the user consents (a code is issued), exchanged once at the
// token endpoint, or cancelled when the user refuses. Codes are stored as SHA-256 only.

import type {
  AuthorizationGrantId,
  BrowserSessionId,
  OAuth2ClientId,
  OAuth2SessionId,
} from './ids.ts';

export type ResponseMode = 'query' | 'fragment' | 'form_post';

export interface AuthorizationGrant {
  readonly id: AuthorizationGrantId;
  readonly clientId: OAuth2ClientId;
  readonly redirectUri: string;
  /** Space-separated, as requested. */
  readonly scope: string;
  readonly state: string | null;
  readonly nonce: string | null;
  readonly responseMode: ResponseMode;
  readonly codeChallenge: string | null;
  readonly codeChallengeMethod: 'S256' | 'plain' | null;
  /** `prompt`, space-separated, as requested. */
  readonly prompt: string | null;
  readonly maxAge: number | null;
  readonly loginHint: string | null;
  readonly uiLocales: string | null;
  readonly createdAt: Date;
  /** Set when the user consented and a code was issued. */
  readonly fulfilledAt: Date | null;
  readonly browserSessionId: BrowserSessionId | null;
  readonly codeHash: string | null;
  readonly exchangedAt: Date | null;
  /** The OAuth 2.0 session the exchange created. */
  readonly oauth2SessionId: OAuth2SessionId | null;
  readonly cancelledAt: Date | null;
}

export type AuthorizationGrantStage = 'pending' | 'fulfilled' | 'exchanged' | 'cancelled';

export function grantStage(grant: AuthorizationGrant): AuthorizationGrantStage {
  if (grant.cancelledAt !== null) return 'cancelled';
  if (grant.exchangedAt !== null) return 'exchanged';
  if (grant.fulfilledAt !== null) return 'fulfilled';
  return 'pending';
}
