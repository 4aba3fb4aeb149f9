// The storage contract the rest of Gatehouse sees. One unit of work per request or job:
//
//   const user = await storage.transaction(async (repos) => {
//     const user = await repos.users.findByUsername('alice');
//     ...
//     return user;   // returning commits; throwing rolls everything back
//   });
//
// Repositories are interfaces, one per aggregate, each in its own `<aggregate>-repository.ts`
// beside this file. Lookups return null, never throw for "not found". Mutating methods take the
// `Clock` and `Rng` they need as parameters.
//
// To add a repository: write its interface here in storage/, its Kysely implementation in
// storage/sql/repositories/, add it to `Repositories` below and to `SqlStorage`, and add its
// conformance tests to test/storage/ (they run on SQLite and PostgreSQL).

import type { AccessTokenOwnerRepository } from './access-token-owner-repository.ts';
import type { AuthorizationGrantRepository } from './authorization-grant-repository.ts';
import type { BrowserSessionRepository } from './browser-session-repository.ts';
import type { ClientAssertionRepository } from './client-assertion-repository.ts';
import type {
  CompatAccessTokenRepository,
  CompatRefreshTokenRepository,
  CompatSessionRepository,
  CompatSsoLoginRepository,
} from './compat-repository.ts';
import type { ConsentRepository } from './consent-repository.ts';
import type { DeviceCodeGrantRepository } from './device-code-grant-repository.ts';
import type { EmailAuthenticationRepository } from './email-authentication-repository.ts';
import type { OAuth2ClientRepository } from './oauth2-client-repository.ts';
import type { OAuth2SessionRepository } from './oauth2-session-repository.ts';
import type { PersonalSessionRepository } from './personal-session-repository.ts';
import type { AccessTokenRepository, RefreshTokenRepository } from './oauth2-token-repository.ts';
import type { QueueRepository } from './queue-repository.ts';
import type { RecoveryRepository } from './recovery-repository.ts';
import type { UserRegistrationTokenRepository } from './registration-token-repository.ts';
import type { UserEmailRepository } from './user-email-repository.ts';
import type { UserPasswordRepository } from './user-password-repository.ts';
import type { UserRegistrationRepository } from './user-registration-repository.ts';
import type { UserLockRepository } from './user-lock-repository.ts';
import type { UserRepository } from './user-repository.ts';
import type { UserTermsRepository } from './user-terms-repository.ts';
import type { PolicyDataRepository } from './policy-data-repository.ts';
import type {
  UpstreamOAuthLinkRepository,
  UpstreamOAuthProviderRepository,
  UpstreamOAuthSessionRepository,
} from './upstream-oauth-repository.ts';

export interface Repositories {
  readonly users: UserRepository;
  readonly userPasswords: UserPasswordRepository;
  readonly browserSessions: BrowserSessionRepository;
  readonly queue: QueueRepository;
  readonly oauth2Clients: OAuth2ClientRepository;
  readonly authorizationGrants: AuthorizationGrantRepository;
  readonly deviceCodeGrants: DeviceCodeGrantRepository;
  readonly oauth2Sessions: OAuth2SessionRepository;
  readonly accessTokens: AccessTokenRepository;
  readonly accessTokenOwners: AccessTokenOwnerRepository;
  readonly refreshTokens: RefreshTokenRepository;
  readonly consents: ConsentRepository;
  readonly clientAssertions: ClientAssertionRepository;
  readonly userLocks: UserLockRepository;
  readonly compatSessions: CompatSessionRepository;
  readonly compatAccessTokens: CompatAccessTokenRepository;
  readonly compatRefreshTokens: CompatRefreshTokenRepository;
  readonly compatSsoLogins: CompatSsoLoginRepository;
  readonly userEmails: UserEmailRepository;
  readonly emailAuthentications: EmailAuthenticationRepository;
  readonly userRegistrations: UserRegistrationRepository;
  readonly registrationTokens: UserRegistrationTokenRepository;
  readonly recovery: RecoveryRepository;
  readonly userTerms: UserTermsRepository;
  readonly policyData: PolicyDataRepository;
  readonly personalSessions: PersonalSessionRepository;
  readonly upstreamOAuthProviders: UpstreamOAuthProviderRepository;
  readonly upstreamOAuthLinks: UpstreamOAuthLinkRepository;
  readonly upstreamOAuthSessions: UpstreamOAuthSessionRepository;
}

export interface Storage {
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs `work` in one transaction: committed when it returns, rolled back when it throws. */
  transaction<T>(work: (repos: Repositories) => Promise<T>): Promise<T>;
  /** `SELECT 1`; throws when the database cannot be reached. */
  ping(): Promise<void>;
  /** Names of migrations this version has that the database has not applied. */
  pendingMigrations(): Promise<string[]>;
  close(): Promise<void>;
}
