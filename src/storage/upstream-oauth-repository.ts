// Upstream OAuth 2.0 / OIDC providers, links and authorization sessions (see
// model/upstream-oauth.ts). Three repositories, one per aggregate:
//   - providers: written by the provider sync, read by the sign-in flow and the Admin API;
//   - links: (provider, subject) → user, made by the callback / link page, the Admin API and the CLI;
//   - authorization sessions: one per login attempt at a provider.

import type { Clock } from '../clock.ts';
import type { BrowserSessionId, UserId } from '../model/ids.ts';
import type {
  UpstreamOAuthLink,
  UpstreamOAuthLinkId,
  UpstreamOAuthProvider,
  UpstreamOAuthProviderId,
  UpstreamOAuthSession,
  UpstreamOAuthSessionId,
} from '../model/upstream-oauth.ts';
import type { Rng } from '../rng.ts';
import type { Page, Pagination } from './user-repository.ts';

/** Everything about a provider except what storage keeps itself. */
export type UpstreamOAuthProviderFields = Omit<
  UpstreamOAuthProvider,
  'id' | 'createdAt' | 'disabledAt'
>;

export interface UpstreamOAuthProviderFilter {
  /** Enabled (true) or disabled (false) providers. */
  readonly enabled?: boolean;
}

export interface UpstreamOAuthProviderRepository {
  lookup(id: UpstreamOAuthProviderId): Promise<UpstreamOAuthProvider | null>;
  /** Every provider, in `uiOrder` (then id) order; with `enabledOnly`, only the enabled ones. */
  all(options?: { enabledOnly?: boolean }): Promise<UpstreamOAuthProvider[]>;
  /**
   * Creates the provider, or replaces every field of the existing one (keeping `createdAt`).
   * `enabled: false` disables it (keeping the first time it was disabled); true enables it.
   */
  upsert(
    clock: Clock,
    id: UpstreamOAuthProviderId,
    fields: UpstreamOAuthProviderFields,
    enabled: boolean,
  ): Promise<UpstreamOAuthProvider>;
  /** Marks it disabled (no-op when it already is). */
  disable(clock: Clock, id: UpstreamOAuthProviderId): Promise<void>;
  /** Deletes it with its links and authorization sessions; false when it did not exist. */
  delete(id: UpstreamOAuthProviderId): Promise<boolean>;
  /** The providers matching `filter`, by id (see `Pagination`). */
  listPage(
    filter: UpstreamOAuthProviderFilter,
    pagination: Pagination<UpstreamOAuthProviderId>,
  ): Promise<Page<UpstreamOAuthProvider>>;
  count(filter: UpstreamOAuthProviderFilter): Promise<number>;
}

export interface NewUpstreamOAuthLink {
  readonly providerId: UpstreamOAuthProviderId;
  readonly subject: string;
  /** Null: not linked to a user yet. */
  readonly userId?: UserId | null;
  readonly humanAccountName?: string | null;
}

/** What the Admin API's link list can be narrowed to (MAS's `filter[…]`). */
export interface UpstreamOAuthLinkFilter {
  readonly userId?: UserId;
  readonly providerId?: UpstreamOAuthProviderId;
  /** Exact match. */
  readonly subject?: string;
  /** Exact match. */
  readonly humanAccountName?: string;
}

export interface UpstreamOAuthLinkRepository {
  lookup(id: UpstreamOAuthLinkId): Promise<UpstreamOAuthLink | null>;
  findBySubject(
    providerId: UpstreamOAuthProviderId,
    subject: string,
  ): Promise<UpstreamOAuthLink | null>;
  /** A user's links, oldest first. */
  listForUser(userId: UserId): Promise<UpstreamOAuthLink[]>;
  /** The user's link to this provider, if any (the oldest one when there are several). */
  findForUserAndProvider(
    userId: UserId,
    providerId: UpstreamOAuthProviderId,
  ): Promise<UpstreamOAuthLink | null>;
  /**
   * Adds a link. Null when this provider already has a link with this subject; the transaction
   * stays usable.
   */
  add(rng: Rng, clock: Clock, link: NewUpstreamOAuthLink): Promise<UpstreamOAuthLink | null>;
  /** Links it to `userId` (replacing any user it had). */
  associate(link: UpstreamOAuthLink, userId: UserId): Promise<UpstreamOAuthLink>;
  /** Sets the `human_account_name` (refreshed at each login). */
  setHumanAccountName(
    link: UpstreamOAuthLink,
    humanAccountName: string | null,
  ): Promise<UpstreamOAuthLink>;
  /**
   * Deletes it; its authorization sessions not yet consumed are marked unlinked (at `clock.now()`)
   * so they cannot sign anyone in. False when it did not exist.
   */
  remove(clock: Clock, id: UpstreamOAuthLinkId): Promise<boolean>;
  listPage(
    filter: UpstreamOAuthLinkFilter,
    pagination: Pagination<UpstreamOAuthLinkId>,
  ): Promise<Page<UpstreamOAuthLink>>;
  count(filter: UpstreamOAuthLinkFilter): Promise<number>;
}

export interface NewUpstreamOAuthSession {
  readonly providerId: UpstreamOAuthProviderId;
  readonly state: string;
  readonly codeVerifier?: string | null;
  readonly nonce?: string | null;
  readonly postAuthAction?: string | null;
}

/** What the callback learnt from the provider. */
export interface UpstreamOAuthSessionCompletion {
  readonly linkId: UpstreamOAuthLinkId;
  readonly idToken?: string | null;
  readonly idTokenClaims?: Record<string, unknown> | null;
  readonly userinfo?: Record<string, unknown> | null;
  readonly extraCallbackParameters?: Record<string, unknown> | null;
  /** The ID token's `sid` claim, if any. */
  readonly idTokenSid?: string | null;
}

export interface UpstreamOAuthSessionRepository {
  lookup(id: UpstreamOAuthSessionId): Promise<UpstreamOAuthSession | null>;
  /** The session started with this `state` (unique across providers). */
  findByState(state: string): Promise<UpstreamOAuthSession | null>;
  add(rng: Rng, clock: Clock, session: NewUpstreamOAuthSession): Promise<UpstreamOAuthSession>;
  /**
   * Records the provider's answer. Only a pending session can be completed: null when it already
   * was (a replayed callback) or was unlinked.
   */
  complete(
    clock: Clock,
    session: UpstreamOAuthSession,
    completion: UpstreamOAuthSessionCompletion,
  ): Promise<UpstreamOAuthSession | null>;
  /**
   * Marks it consumed by `browserSessionId`, in one UPDATE that only matches a completed session
   * not yet consumed nor unlinked: null otherwise (two tabs racing get one winner).
   */
  consume(
    clock: Clock,
    session: UpstreamOAuthSession,
    browserSessionId: BrowserSessionId,
  ): Promise<UpstreamOAuthSession | null>;
  /**
   * Consumed sessions of this provider that back-channel logout targets: those whose ID token
   * carried `sid`, or (when `sid` is null) every one whose link has `subject`. Newest first.
   */
  listConsumedForLogout(
    providerId: UpstreamOAuthProviderId,
    target: { readonly subject: string | null; readonly sid: string | null },
  ): Promise<UpstreamOAuthSession[]>;
  /** The session that signed in this browser session, if any (the newest). */
  findByBrowserSession(browserSessionId: BrowserSessionId): Promise<UpstreamOAuthSession | null>;
  /** Deletes sessions created before `cutoff` that were never consumed; returns how many. */
  deleteAbandoned(cutoff: Date): Promise<number>;
}
