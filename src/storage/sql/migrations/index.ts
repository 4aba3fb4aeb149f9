// Every schema change, in order. One set for every dialect: a migration is a function of the
// `SqlDialect`, so column types come from `dialect.types` and nothing here branches on the dialect.
//
// To add one: create `NNNN_what_it_does.ts` exporting `up(db, dialect)`, append it below, add or
// change the row types in ../schema.ts. Never edit or reorder a migration that has shipped: a
// database records the names it has applied, and Gatehouse refuses a database that has applied a
// name this list does not know (it was migrated by a newer version).

import type { Kysely } from 'kysely';
import type { SqlDialect } from '../dialect.ts';
import * as usersAndSessions from './0001_users_and_sessions.ts';
import * as queue from './0002_queue.ts';
import * as oauth2 from './0003_oauth2.ts';
import * as compat from './0004_compat.ts';
import * as accounts from './0005_accounts.ts';
import * as matrix from './0006_matrix.ts';
import * as rateLimits from './0007_rate_limits.ts';
import * as personalAccessTokens from './0008_personal_access_tokens.ts';
import * as upstreamOauth from './0009_upstream_oauth.ts';
import * as policyData from './0010_policy_data.ts';
import * as oauth2SessionDevice from './0011_oauth2_session_device.ts';

export interface SchemaMigration {
  readonly name: string;
  up(db: Kysely<unknown>, dialect: SqlDialect): Promise<void>;
}

export const migrations: readonly SchemaMigration[] = [
  { name: '0001_users_and_sessions', up: usersAndSessions.up },
  { name: '0002_queue', up: queue.up },
  { name: '0003_oauth2', up: oauth2.up },
  { name: '0004_compat', up: compat.up },
  { name: '0005_accounts', up: accounts.up },
  { name: '0006_matrix', up: matrix.up },
  { name: '0007_rate_limits', up: rateLimits.up },
  { name: '0008_personal_access_tokens', up: personalAccessTokens.up },
  { name: '0009_upstream_oauth', up: upstreamOauth.up },
  { name: '0010_policy_data', up: policyData.up },
  { name: '0011_oauth2_session_device', up: oauth2SessionDevice.up },
];
