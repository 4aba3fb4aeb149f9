// Policy data set through the Admin API (../model/policy-data.ts): added, never changed; the
// newest is in force. Older versions stay readable by id until pruned.

import type { Clock } from '../clock.ts';
import type { PolicyData, PolicyDataId } from '../model/policy-data.ts';
import type { Rng } from '../rng.ts';

/**
 * The PostgreSQL notification channel on which the database announces each new version (its id
 * is the payload), from a trigger of migration 0010.
 */
export const POLICY_DATA_CHANNEL = 'policy_data_added';

export interface PolicyDataRepository {
  /** Stores `data` as the newest version. */
  add(rng: Rng, clock: Clock, data: unknown): Promise<PolicyData>;
  /** The version in force: the one added last. */
  latest(): Promise<PolicyData | null>;
  lookup(id: PolicyDataId): Promise<PolicyData | null>;
  /** Deletes all but the `keep` newest versions; returns how many it deleted. */
  prune(keep: number): Promise<number>;
}
