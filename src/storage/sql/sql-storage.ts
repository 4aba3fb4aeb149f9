// `Storage` over Kysely: one transaction per unit of work, repositories bound to it.
//
// Repositories are made on first use within a transaction: the hot paths (introspection) touch one
// or two of them, and need not build the rest. To add one: a private field and a getter below.

import type { Kysely, Transaction } from 'kysely';
import type { DatabaseConfig } from '../../config/sections/database.ts';
import type { Repositories, Storage } from '../storage.ts';
import { connectDatabase, pingDatabase, type SqlConnection, type SqlDialect } from './dialect.ts';
import { migrateToLatest, migrationStatus } from './migrator.ts';
import { sqliteGroupCommit } from './node-sqlite.ts';
import { SqlAuthorizationGrantRepository } from './repositories/authorization-grant-repository.ts';
import { SqlAccessTokenOwnerRepository } from './repositories/access-token-owner-repository.ts';
import { SqlBrowserSessionRepository } from './repositories/browser-session-repository.ts';
import { SqlClientAssertionRepository } from './repositories/client-assertion-repository.ts';
import {
  SqlCompatAccessTokenRepository,
  SqlCompatRefreshTokenRepository,
  SqlCompatSessionRepository,
  SqlCompatSsoLoginRepository,
} from './repositories/compat-repository.ts';
import { SqlConsentRepository } from './repositories/consent-repository.ts';
import { SqlDeviceCodeGrantRepository } from './repositories/device-code-grant-repository.ts';
import { SqlOAuth2ClientRepository } from './repositories/oauth2-client-repository.ts';
import { SqlOAuth2SessionRepository } from './repositories/oauth2-session-repository.ts';
import {
  SqlAccessTokenRepository,
  SqlRefreshTokenRepository,
} from './repositories/oauth2-token-repository.ts';
import { SqlQueueRepository } from './repositories/queue-repository.ts';
import { SqlPersonalSessionRepository } from './repositories/personal-session-repository.ts';
import { SqlUserPasswordRepository } from './repositories/user-password-repository.ts';
import { SqlUserLockRepository } from './repositories/user-lock-repository.ts';
import { SqlUserRepository } from './repositories/user-repository.ts';
import { SqlEmailAuthenticationRepository } from './repositories/email-authentication-repository.ts';
import { SqlRecoveryRepository } from './repositories/recovery-repository.ts';
import { SqlUserRegistrationTokenRepository } from './repositories/registration-token-repository.ts';
import { SqlUserEmailRepository } from './repositories/user-email-repository.ts';
import { SqlUserRegistrationRepository } from './repositories/user-registration-repository.ts';
import { SqlUserTermsRepository } from './repositories/user-terms-repository.ts';
import { SqlPolicyDataRepository } from './repositories/policy-data-repository.ts';
import { SqlUpstreamOAuthLinkRepository } from './repositories/upstream-oauth-link-repository.ts';
import { SqlUpstreamOAuthProviderRepository } from './repositories/upstream-oauth-provider-repository.ts';
import { SqlUpstreamOAuthSessionRepository } from './repositories/upstream-oauth-session-repository.ts';
import type { Schema } from './schema.ts';

type Db = Transaction<Schema> | Kysely<Schema>;

/** The repositories of one transaction, each made when first asked for. */
class SqlRepositories implements Repositories {
  readonly #db: Db;
  readonly #dialect: SqlDialect;
  #users?: SqlUserRepository;
  #userPasswords?: SqlUserPasswordRepository;
  #browserSessions?: SqlBrowserSessionRepository;
  #queue?: SqlQueueRepository;
  #oauth2Clients?: SqlOAuth2ClientRepository;
  #authorizationGrants?: SqlAuthorizationGrantRepository;
  #deviceCodeGrants?: SqlDeviceCodeGrantRepository;
  #oauth2Sessions?: SqlOAuth2SessionRepository;
  #accessTokens?: SqlAccessTokenRepository;
  #accessTokenOwners?: SqlAccessTokenOwnerRepository;
  #refreshTokens?: SqlRefreshTokenRepository;
  #consents?: SqlConsentRepository;
  #clientAssertions?: SqlClientAssertionRepository;
  #userLocks?: SqlUserLockRepository;
  #compatSessions?: SqlCompatSessionRepository;
  #compatAccessTokens?: SqlCompatAccessTokenRepository;
  #compatRefreshTokens?: SqlCompatRefreshTokenRepository;
  #compatSsoLogins?: SqlCompatSsoLoginRepository;

  #userEmails?: SqlUserEmailRepository;
  #emailAuthentications?: SqlEmailAuthenticationRepository;
  #userRegistrations?: SqlUserRegistrationRepository;
  #registrationTokens?: SqlUserRegistrationTokenRepository;
  #recovery?: SqlRecoveryRepository;
  #userTerms?: SqlUserTermsRepository;
  #policyData?: SqlPolicyDataRepository;
  #personalSessions?: SqlPersonalSessionRepository;
  #upstreamOAuthProviders?: SqlUpstreamOAuthProviderRepository;
  #upstreamOAuthLinks?: SqlUpstreamOAuthLinkRepository;
  #upstreamOAuthSessions?: SqlUpstreamOAuthSessionRepository;

  constructor(db: Db, dialect: SqlDialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  get users(): SqlUserRepository {
    return (this.#users ??= new SqlUserRepository(this.#db, this.#dialect));
  }
  get userPasswords(): SqlUserPasswordRepository {
    return (this.#userPasswords ??= new SqlUserPasswordRepository(this.#db, this.#dialect));
  }
  get browserSessions(): SqlBrowserSessionRepository {
    return (this.#browserSessions ??= new SqlBrowserSessionRepository(this.#db, this.#dialect));
  }
  get queue(): SqlQueueRepository {
    return (this.#queue ??= new SqlQueueRepository(this.#db, this.#dialect));
  }
  get oauth2Clients(): SqlOAuth2ClientRepository {
    return (this.#oauth2Clients ??= new SqlOAuth2ClientRepository(this.#db, this.#dialect));
  }
  get authorizationGrants(): SqlAuthorizationGrantRepository {
    return (this.#authorizationGrants ??= new SqlAuthorizationGrantRepository(
      this.#db,
      this.#dialect,
    ));
  }
  get deviceCodeGrants(): SqlDeviceCodeGrantRepository {
    return (this.#deviceCodeGrants ??= new SqlDeviceCodeGrantRepository(this.#db, this.#dialect));
  }
  get oauth2Sessions(): SqlOAuth2SessionRepository {
    return (this.#oauth2Sessions ??= new SqlOAuth2SessionRepository(this.#db, this.#dialect));
  }
  get accessTokens(): SqlAccessTokenRepository {
    return (this.#accessTokens ??= new SqlAccessTokenRepository(this.#db, this.#dialect));
  }
  get accessTokenOwners(): SqlAccessTokenOwnerRepository {
    return (this.#accessTokenOwners ??= new SqlAccessTokenOwnerRepository(this.#db, this.#dialect));
  }
  get refreshTokens(): SqlRefreshTokenRepository {
    return (this.#refreshTokens ??= new SqlRefreshTokenRepository(this.#db, this.#dialect));
  }
  get consents(): SqlConsentRepository {
    return (this.#consents ??= new SqlConsentRepository(this.#db, this.#dialect));
  }
  get clientAssertions(): SqlClientAssertionRepository {
    return (this.#clientAssertions ??= new SqlClientAssertionRepository(this.#db, this.#dialect));
  }
  get userLocks(): SqlUserLockRepository {
    return (this.#userLocks ??= new SqlUserLockRepository(this.#db, this.#dialect));
  }
  get compatSessions(): SqlCompatSessionRepository {
    return (this.#compatSessions ??= new SqlCompatSessionRepository(this.#db, this.#dialect));
  }
  get compatAccessTokens(): SqlCompatAccessTokenRepository {
    return (this.#compatAccessTokens ??= new SqlCompatAccessTokenRepository(
      this.#db,
      this.#dialect,
    ));
  }
  get compatRefreshTokens(): SqlCompatRefreshTokenRepository {
    return (this.#compatRefreshTokens ??= new SqlCompatRefreshTokenRepository(
      this.#db,
      this.#dialect,
    ));
  }
  get compatSsoLogins(): SqlCompatSsoLoginRepository {
    return (this.#compatSsoLogins ??= new SqlCompatSsoLoginRepository(this.#db, this.#dialect));
  }
  get userEmails(): SqlUserEmailRepository {
    return (this.#userEmails ??= new SqlUserEmailRepository(this.#db, this.#dialect));
  }
  get emailAuthentications(): SqlEmailAuthenticationRepository {
    return (this.#emailAuthentications ??= new SqlEmailAuthenticationRepository(
      this.#db,
      this.#dialect,
    ));
  }
  get userRegistrations(): SqlUserRegistrationRepository {
    return (this.#userRegistrations ??= new SqlUserRegistrationRepository(this.#db, this.#dialect));
  }
  get registrationTokens(): SqlUserRegistrationTokenRepository {
    return (this.#registrationTokens ??= new SqlUserRegistrationTokenRepository(
      this.#db,
      this.#dialect,
    ));
  }
  get recovery(): SqlRecoveryRepository {
    return (this.#recovery ??= new SqlRecoveryRepository(this.#db, this.#dialect));
  }
  get userTerms(): SqlUserTermsRepository {
    return (this.#userTerms ??= new SqlUserTermsRepository(this.#db, this.#dialect));
  }
  get policyData(): SqlPolicyDataRepository {
    return (this.#policyData ??= new SqlPolicyDataRepository(this.#db, this.#dialect));
  }
  get personalSessions(): SqlPersonalSessionRepository {
    return (this.#personalSessions ??= new SqlPersonalSessionRepository(this.#db, this.#dialect));
  }
  get upstreamOAuthProviders(): SqlUpstreamOAuthProviderRepository {
    return (this.#upstreamOAuthProviders ??= new SqlUpstreamOAuthProviderRepository(
      this.#db,
      this.#dialect,
    ));
  }
  get upstreamOAuthLinks(): SqlUpstreamOAuthLinkRepository {
    return (this.#upstreamOAuthLinks ??= new SqlUpstreamOAuthLinkRepository(
      this.#db,
      this.#dialect,
    ));
  }
  get upstreamOAuthSessions(): SqlUpstreamOAuthSessionRepository {
    return (this.#upstreamOAuthSessions ??= new SqlUpstreamOAuthSessionRepository(
      this.#db,
      this.#dialect,
    ));
  }
}

export class SqlStorage implements Storage {
  readonly connection: SqlConnection;

  constructor(connection: SqlConnection) {
    this.connection = connection;
  }

  static open(config: DatabaseConfig): SqlStorage {
    return new SqlStorage(connectDatabase(config));
  }

  get dialect(): 'sqlite' | 'postgres' {
    return this.connection.dialect.name;
  }

  transaction<T>(work: (repos: Repositories) => Promise<T>): Promise<T> {
    const { db, dialect } = this.connection;
    // SQLite: concurrent transactions share one COMMIT; each still resolves only once committed.
    const group = sqliteGroupCommit(db as Kysely<unknown>);
    if (group !== null)
      return group.transaction(db, (tx) => work(new SqlRepositories(tx, dialect)));
    return db.transaction().execute((tx) => work(new SqlRepositories(tx, dialect)));
  }

  ping(): Promise<void> {
    return pingDatabase(this.connection.db);
  }

  async pendingMigrations(): Promise<string[]> {
    return (await migrationStatus(this.connection.db)).pending;
  }

  /** Applies pending migrations; returns the names applied. */
  migrate(): Promise<string[]> {
    return migrateToLatest(this.connection.db, this.connection.dialect);
  }

  close(): Promise<void> {
    return this.connection.db.destroy();
  }
}
