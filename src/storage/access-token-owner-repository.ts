// An OAuth 2.0 access token read together with whom it speaks for, in one statement: the path
// introspection takes when its cache cannot answer, which is most of what a homeserver with its
// own answer cache (Synapse keeps each answer 2 minutes) sends. Three lookups (token, session,
// user) were three statements; on PostgreSQL each one a round trip.

import type { OAuth2Session } from '../model/oauth2-session.ts';
import type { AccessToken } from '../model/oauth2-token.ts';
import type { User } from '../model/user.ts';

export interface AccessTokenWithOwner {
  readonly token: AccessToken;
  readonly session: OAuth2Session;
  /** Null for a session of no user (client credentials). */
  readonly user: User | null;
}

export interface AccessTokenOwnerRepository {
  /**
   * The access token with this hash, its session and the session's user, whatever their states
   * (the caller judges them); null when no token has this hash.
   */
  findByHash(tokenHash: string): Promise<AccessTokenWithOwner | null>;
}
