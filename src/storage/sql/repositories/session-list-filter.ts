// The conditions of `SessionListFilter` (../../session-list-filter.ts), shared by the tables of
// the three kinds of session (`user_sessions`, `oauth2_sessions`, `compat_sessions`), which all
// have `user_id`, `created_at`, `last_active_at` and `finished_at`.

import type { SelectQueryBuilder } from 'kysely';
import type { SessionListFilter } from '../../session-list-filter.ts';
import type { SqlDialect } from '../dialect.ts';

/** `query` (a select from one of the session tables) narrowed by `filter`. */
export function whereSessionListFilter<
  // The table is the caller's; only the columns above are used, which Kysely's types cannot
  // express for a table chosen by the caller.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  Q extends SelectQueryBuilder<any, any, any>,
>(query: Q, filter: SessionListFilter, dialect: SqlDialect): Q {
  const at = (date: Date) => dialect.toTimestamp(date);
  return query
    .$if(filter.userId !== undefined, (q) => q.where('user_id', '=', filter.userId!))
    .$if(filter.state === 'active', (q) => q.where('finished_at', 'is', null))
    .$if(filter.state === 'finished', (q) => q.where('finished_at', 'is not', null))
    .$if(filter.createdBefore !== undefined, (q) =>
      q.where('created_at', '<', at(filter.createdBefore!)),
    )
    .$if(filter.createdAfter !== undefined, (q) =>
      q.where('created_at', '>', at(filter.createdAfter!)),
    )
    .$if(filter.lastActiveBefore !== undefined, (q) =>
      q.where('last_active_at', '<', at(filter.lastActiveBefore!)),
    )
    .$if(filter.lastActiveAfter !== undefined, (q) =>
      q.where('last_active_at', '>', at(filter.lastActiveAfter!)),
    ) as Q;
}
