// Terms of service a user accepted (MAS: `user_terms`): one row per (user, URL), recorded when a
// registration with a `branding.tos_uri` completes.

import type { Id, UserId } from './ids.ts';

export type UserTermsId = Id<'UserTermsId'>;
export const asUserTermsId = (value: string): UserTermsId => value as UserTermsId;

export interface UserTerms {
  readonly id: UserTermsId;
  readonly userId: UserId;
  readonly termsUrl: string;
  readonly createdAt: Date;
}
