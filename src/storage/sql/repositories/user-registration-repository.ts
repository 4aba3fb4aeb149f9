// `UserRegistrationRepository` over Kysely. Every change is an UPDATE that only matches an
// uncompleted registration, so nothing is written to one that was already turned into a user.

import type { Kysely, Selectable, Transaction, Updateable } from 'kysely';
import type { Clock } from '../../../clock.ts';
import {
  asEmailAuthenticationId,
  type EmailAuthentication,
} from '../../../model/email-authentication.ts';
import {
  asUserRegistrationTokenId,
  type UserRegistrationToken,
} from '../../../model/registration-token.ts';
import {
  asUserRegistrationId,
  type UserRegistration,
  type UserRegistrationId,
} from '../../../model/user-registration.ts';
import { newUlid, type Rng } from '../../../rng.ts';
import type {
  NewUserRegistration,
  UserRegistrationRepository,
} from '../../user-registration-repository.ts';
import type { SqlDialect } from '../dialect.ts';
import type { Schema, UserRegistrationsTable } from '../schema.ts';

function toRegistration(row: Selectable<UserRegistrationsTable>, d: SqlDialect): UserRegistration {
  return {
    id: asUserRegistrationId(row.id),
    username: row.username,
    displayName: row.display_name,
    termsUrl: row.terms_url,
    hashedPassword: row.hashed_password,
    passwordVersion:
      row.hashed_password_version === null ? null : Number(row.hashed_password_version),
    emailAuthenticationId:
      row.user_email_authentication_id === null
        ? null
        : asEmailAuthenticationId(row.user_email_authentication_id),
    registrationTokenId:
      row.user_registration_token_id === null
        ? null
        : asUserRegistrationTokenId(row.user_registration_token_id),
    postAuthAction: row.post_auth_action,
    ipAddress: row.ip_address,
    userAgent: row.user_agent,
    createdAt: d.fromTimestamp(row.created_at),
    completedAt: d.fromNullableTimestamp(row.completed_at),
  };
}

export class SqlUserRegistrationRepository implements UserRegistrationRepository {
  readonly #db: Kysely<Schema> | Transaction<Schema>;
  readonly #dialect: SqlDialect;

  constructor(db: Kysely<Schema> | Transaction<Schema>, dialect: SqlDialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async lookup(id: UserRegistrationId): Promise<UserRegistration | null> {
    const row = await this.#db
      .selectFrom('user_registrations')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? null : toRegistration(row, this.#dialect);
  }

  async add(rng: Rng, clock: Clock, registration: NewUserRegistration): Promise<UserRegistration> {
    const row = await this.#db
      .insertInto('user_registrations')
      .values({
        id: newUlid(clock, rng),
        username: registration.username,
        display_name: null,
        terms_url: null,
        hashed_password: null,
        hashed_password_version: null,
        user_email_authentication_id: null,
        user_registration_token_id: null,
        post_auth_action: registration.postAuthAction ?? null,
        ip_address: registration.ipAddress ?? null,
        user_agent: registration.userAgent ?? null,
        created_at: this.#dialect.toTimestamp(clock.now()),
        completed_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRegistration(row, this.#dialect);
  }

  setDisplayName(
    registration: UserRegistration,
    displayName: string | null,
  ): Promise<UserRegistration | null> {
    return this.#update(registration, { display_name: displayName });
  }

  setTermsUrl(
    registration: UserRegistration,
    termsUrl: string | null,
  ): Promise<UserRegistration | null> {
    return this.#update(registration, { terms_url: termsUrl });
  }

  setPassword(
    registration: UserRegistration,
    hashedPassword: string,
    version: number,
  ): Promise<UserRegistration | null> {
    return this.#update(registration, {
      hashed_password: hashedPassword,
      hashed_password_version: version,
    });
  }

  async setEmailAuthentication(
    registration: UserRegistration,
    authentication: EmailAuthentication,
  ): Promise<UserRegistration | null> {
    if (authentication.registrationId !== registration.id) {
      throw new Error(
        `email authentication ${authentication.id} was not made for registration ${registration.id}`,
      );
    }
    return this.#update(registration, { user_email_authentication_id: authentication.id });
  }

  setRegistrationToken(
    registration: UserRegistration,
    token: UserRegistrationToken,
  ): Promise<UserRegistration | null> {
    return this.#update(registration, { user_registration_token_id: token.id });
  }

  complete(clock: Clock, registration: UserRegistration): Promise<UserRegistration | null> {
    return this.#update(registration, { completed_at: this.#dialect.toTimestamp(clock.now()) });
  }

  async deleteCreatedBefore(before: Date): Promise<number> {
    const result = await this.#db
      .deleteFrom('user_registrations')
      .where('created_at', '<', this.#dialect.toTimestamp(before))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async #update(
    registration: UserRegistration,
    changes: Updateable<UserRegistrationsTable>,
  ): Promise<UserRegistration | null> {
    const row = await this.#db
      .updateTable('user_registrations')
      .set(changes)
      .where('id', '=', registration.id)
      .where('completed_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    return row === undefined ? null : toRegistration(row, this.#dialect);
  }
}
