// The one error repositories throw for a refused state change: the row is not in the state the
// change starts from. Usually a concurrent request got there first (two token requests with the
// same code, two refreshes with the same token), so the check is made by the UPDATE itself
// (`... WHERE <still in the expected state>`) and not only on the copy the caller loaded.
//
// The transaction stays usable (nothing failed in the database); letting the error propagate rolls
// the unit of work back. Handlers map it to their protocol error (`invalid_grant` at the token
// endpoint). "Not found" is never this error: lookups return null.

export type StateConflictSubject =
  | 'authorization_grant'
  | 'device_code_grant'
  | 'refresh_token'
  | 'oauth2_client'
  | 'compat_sso_login'
  | 'compat_refresh_token';

export class StateConflictError extends Error {
  override readonly name = 'StateConflictError';
  readonly subject: StateConflictSubject;
  readonly id: string;
  /** What was attempted: `fulfill`, `exchange`, `consume`, `upsertStatic`, ... */
  readonly action: string;

  constructor(subject: StateConflictSubject, id: string, action: string, reason: string) {
    super(`cannot ${action} ${subject.replace(/_/g, ' ')} ${id}: ${reason}`);
    this.subject = subject;
    this.id = id;
    this.action = action;
  }
}
