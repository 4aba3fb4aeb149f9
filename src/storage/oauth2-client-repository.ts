// OAuth 2.0 clients: static ones (synced from `clients[]`) and dynamically registered ones.

import type { Clock } from '../clock.ts';
import type { OAuth2ClientId } from '../model/ids.ts';
import type { OAuth2Client } from '../model/oauth2-client.ts';
import type { Page, Pagination } from './user-repository.ts';

/** Everything about a client except what storage assigns. */
export type OAuth2ClientFields = Omit<OAuth2Client, 'id' | 'isStatic' | 'createdAt'>;

/** Narrows a listing of clients (the Admin API's `filter[…]`); every field given must match. */
export interface OAuth2ClientFilter {
  /** `static`: from the configuration; `dynamic`: registered (RFC 7591). */
  readonly kind?: 'static' | 'dynamic';
  /** Case-insensitive substring of `client_name`. */
  readonly nameContains?: string;
  /** Case-insensitive substring of `client_uri`. */
  readonly uriContains?: string;
  /** Clients whose grant types include this one. */
  readonly grantType?: string;
  /** Clients with (true) or without (false) an unfinished OAuth 2.0 session. */
  readonly hasActiveSessions?: boolean;
}

export interface OAuth2ClientRepository {
  lookup(id: OAuth2ClientId): Promise<OAuth2Client | null>;
  /** The public client registered with exactly this metadata, for deduplication. */
  findByMetadataDigest(digest: string): Promise<OAuth2Client | null>;
  /**
   * Registers a dynamic client with the given (fresh ULID) id. When a client with the same
   * `metadataDigest` already exists (an identical registration committed concurrently), nothing is
   * added and that client is returned: check the returned id.
   */
  addDynamic(clock: Clock, id: OAuth2ClientId, fields: OAuth2ClientFields): Promise<OAuth2Client>;
  /**
   * Creates a static client, or replaces every field of the existing static client with this id
   * (keeping its `createdAt`). Throws `StateConflictError` (./state-conflict-error.ts) when the id
   * belongs to a dynamically registered client: a config file cannot take over such a client.
   */
  upsertStatic(clock: Clock, id: OAuth2ClientId, fields: OAuth2ClientFields): Promise<OAuth2Client>;
  /** Every static client, ordered by id. */
  listStatic(): Promise<OAuth2Client[]>;
  /** One page of the clients matching `filter`, in id order. */
  list(
    filter: OAuth2ClientFilter,
    pagination: Pagination<OAuth2ClientId>,
  ): Promise<Page<OAuth2Client>>;
  count(filter: OAuth2ClientFilter): Promise<number>;
  /** Deletes a client and everything that belongs to it (sessions, tokens, grants, consents). */
  delete(id: OAuth2ClientId): Promise<boolean>;
}
