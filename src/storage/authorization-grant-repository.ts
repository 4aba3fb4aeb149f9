// Authorization requests on their way to a code (see model/authorization-grant.ts).
//
// Stage changes are checked by the database row, not by the caller's copy: `fulfill` only from
// pending, `exchange` only from fulfilled, `cancel` only from pending or fulfilled; anything else
// throws `StateConflictError` (./state-conflict-error.ts), so of two concurrent token
// requests with the same code exactly one exchanges it.

import type { Clock } from '../clock.ts';
import type { AuthorizationGrant } from '../model/authorization-grant.ts';
import type { AuthorizationGrantId, BrowserSessionId, OAuth2SessionId } from '../model/ids.ts';
import type { Rng } from '../rng.ts';

export type NewAuthorizationGrant = Omit<
  AuthorizationGrant,
  | 'id'
  | 'createdAt'
  | 'fulfilledAt'
  | 'browserSessionId'
  | 'codeHash'
  | 'exchangedAt'
  | 'oauth2SessionId'
  | 'cancelledAt'
>;

export interface AuthorizationGrantRepository {
  add(rng: Rng, clock: Clock, grant: NewAuthorizationGrant): Promise<AuthorizationGrant>;
  lookup(id: AuthorizationGrantId): Promise<AuthorizationGrant | null>;
  findByCodeHash(codeHash: string): Promise<AuthorizationGrant | null>;
  /** The user consented in `browserSessionId`; the code (its hash) is issued. Only from pending. */
  fulfill(
    clock: Clock,
    grant: AuthorizationGrant,
    browserSessionId: BrowserSessionId,
    codeHash: string,
  ): Promise<AuthorizationGrant>;
  /** The code was exchanged and created `oauth2SessionId`. Only from fulfilled. */
  exchange(
    clock: Clock,
    grant: AuthorizationGrant,
    oauth2SessionId: OAuth2SessionId,
  ): Promise<AuthorizationGrant>;
  /** The user refused, or the request was abandoned. Only from pending or fulfilled. */
  cancel(clock: Clock, grant: AuthorizationGrant): Promise<AuthorizationGrant>;
  /** Retention: deletes grants created before `before`; returns how many. */
  deleteCreatedBefore(before: Date): Promise<number>;
}
