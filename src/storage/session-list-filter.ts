// What every kind of session's listing (browser, OAuth 2.0, compatibility; the Admin API's
// `/…-sessions`) can be narrowed to. Each kind's filter extends this with its own fields.

import type { UserId } from '../model/ids.ts';

export interface SessionListFilter {
  readonly userId?: UserId;
  /** `active`: not finished; `finished`: ended. */
  readonly state?: 'active' | 'finished';
  /** Created strictly before / after. */
  readonly createdBefore?: Date;
  readonly createdAfter?: Date;
  /** Last active strictly before / after (never-used sessions match neither). */
  readonly lastActiveBefore?: Date;
  readonly lastActiveAfter?: Date;
}
