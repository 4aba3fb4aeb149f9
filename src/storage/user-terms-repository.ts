// Terms of service accepted by users (see model/user-terms.ts).

import type { Clock } from '../clock.ts';
import type { User } from '../model/user.ts';
import type { UserTerms } from '../model/user-terms.ts';
import type { Rng } from '../rng.ts';

export interface UserTermsRepository {
  /** Records that the user accepted `termsUrl`; accepting the same URL again changes nothing. */
  accept(rng: Rng, clock: Clock, user: User, termsUrl: string): Promise<UserTerms>;
  /** Oldest first. */
  listForUser(user: User): Promise<UserTerms[]>;
}
