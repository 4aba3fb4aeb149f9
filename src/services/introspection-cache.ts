// A short-lived, bounded in-memory cache of ACTIVE access-token introspection results (OAuth 2.0,
// personal and compat access tokens), so the homeserver's introspection calls (one per new token
// it sees, and again when its own cache expires) do not each cost a database transaction. Only
// positive answers are cached: an unknown or invalid token always goes to the database (it is
// cheap: one indexed lookup that finds nothing), and a token that becomes invalid must never be
// answered from here.
//
// Correctness rules:
// - An entry lives at most `ttlMs` (a few seconds, well below the access token lifetime; each key
//   between half of it and all of it, so entries made together do not expire together) and never
//   past the token's own expiry.
// - Whatever ends a session or revokes a token calls `invalidate…` from inside its transaction.
//   That drops the matching entries and leaves a tombstone for `ttlMs`, so an introspection that
//   read the database before the change committed (or while another pooled connection still saw
//   the old row) cannot put the stale answer back. Invalidations name a whole session, user or
//   browser session (rare next to introspection), or one access token (the refresh grant revokes
//   the previous one on every refresh, and must not stop the new one from being cached).
// - With PostgreSQL, invalidations are also published on a `RevocationChannel` (LISTEN/NOTIFY,
//   ./revocation-channel.ts) and applied by every other node the same way. On SQLite, a change
//   made by another process (the `manage` CLI locking a user, say) is noticed through
//   `externalChangeVersion` (SQLite's `PRAGMA data_version`), read at most every
//   EXTERNAL_CHANGE_CHECK_MS at a lookup: when another connection has committed since, every entry
//   is dropped. On PostgreSQL the `manage` CLI broadcasts `forgetEverythingMessage` after each
//   command, and every node drops everything (and caches nothing for the TTL).

import type { Clock } from '../clock.ts';

export const DEFAULT_TTL_MS = 5_000;

/**
 * How long the entry under `key` lives: between half the TTL and all of it, fixed for each key (an
 * FNV-1a hash of it). Tokens first introspected together (a homeserver starting, a burst of new
 * sessions) would otherwise all expire in the same millisecond, and their simultaneous trips to
 * the database stalled every other answer for tens of milliseconds, every TTL.
 */
export function lifetime(key: string, ttlMs: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return Math.round(ttlMs * (0.5 + (hash >>> 0) / 2 ** 33));
}
export const DEFAULT_MAX_ENTRIES = 10_000;

/**
 * The share of a full cache evicted at once, oldest first, in one walk over the entries. Evicting
 * one entry per insertion looked the oldest up with `entries().next()`, which in V8 steps over
 * every slot deleted since the Map was last compacted: once the cache was full (any deployment
 * that has introspected 10 000 tokens within their lifetimes, and every new token after that),
 * each insertion cost 7–15 µs instead of well under one.
 */
const EVICTED_SHARE = 0.1;

/**
 * How often a lookup reads `externalChangeVersion`, at most. SQLite's `data_version` takes the
 * WAL index's locks: read on every lookup it was a tenth of an introspection's CPU time. So a
 * change another process commits is seen within this long.
 */
export const EXTERNAL_CHANGE_CHECK_MS = 100;

/** What an invalidation names: one access token, or every token of a session, user or browser session. */
export type InvalidationTarget =
  | { readonly accessToken: string }
  | { readonly session: string }
  | { readonly user: string }
  | { readonly browserSession: string };

/** A cross-node broadcast of invalidations (PostgreSQL NOTIFY); see ./revocation-channel.ts. */
export interface RevocationChannel {
  /** Starts delivering messages published by other nodes. */
  subscribe(onMessage: (message: string) => void): Promise<void>;
  publish(message: string): Promise<void>;
  stop(): Promise<void>;
}

/** The owner of a cached answer: what invalidations can name it by. */
export interface CachedOwner {
  readonly tokenId: string;
  readonly sessionId: string;
  readonly userId: string | null;
  readonly browserSessionId: string | null;
}

/** Which kind of session a cached answer is about: its use is recorded differently for each. */
export type CachedSessionKind = 'oauth2' | 'personal' | 'compat';

/**
 * One cached answer: the response body as built for an active token (its `expires_in` is
 * recomputed on each hit from `exp`), and what the activity tracker needs to record the use.
 */
export interface CachedIntrospection {
  readonly kind: CachedSessionKind;
  readonly body: Readonly<Record<string, unknown>>;
  readonly sessionId: string;
  readonly tokenId: string;
  /** The token's expiry in epoch seconds, or null when it does not expire. */
  readonly exp: number | null;
}

interface Entry {
  readonly value: CachedIntrospection;
  readonly owner: CachedOwner;
  /** Epoch milliseconds after which the entry is ignored. */
  readonly until: number;
}

export interface IntrospectionCacheOptions {
  readonly clock: Clock;
  readonly ttlMs?: number;
  readonly maxEntries?: number;
  readonly channel?: RevocationChannel | null;
  /** Tags this node's own broadcasts so it does not apply them twice. */
  readonly nodeId?: string;
  /**
   * A number that changes when another process commits to the database (SQLite's
   * `data_version`); when it has changed since it was last read (at most every
   * EXTERNAL_CHANGE_CHECK_MS), every entry is dropped.
   */
  readonly externalChangeVersion?: (() => number) | null;
}

/** The key of a broadcast that drops every entry on every node (see `forgetEverythingMessage`). */
const EVERYTHING = '*';

/**
 * A broadcast for the revocation channel telling every node to drop all its cached answers: what
 * a process that changes the database without a cache of its own (the `manage` CLI) sends, as it
 * cannot name what its change made stale. `sender` tags it (nodes ignore their own broadcasts).
 */
export function forgetEverythingMessage(sender: string): string {
  return JSON.stringify({ n: sender, k: [EVERYTHING] });
}

const keyOf = (target: InvalidationTarget): string =>
  'accessToken' in target
    ? `t:${target.accessToken}`
    : 'session' in target
      ? `s:${target.session}`
      : 'user' in target
        ? `u:${target.user}`
        : `b:${target.browserSession}`;

export class IntrospectionCache {
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #channel: RevocationChannel | null;
  readonly #nodeId: string;
  readonly #externalChangeVersion: (() => number) | null;
  #seenVersion: number | null = null;
  #nextVersionCheck = 0;
  /** Epoch ms until which nothing is cached (after a "forget everything" broadcast). */
  #cacheNothingUntil = 0;
  /** Token hash → entry; Map order is insertion order, so the first key is the oldest. */
  readonly #entries = new Map<string, Entry>();
  /** `t:`/`s:`/`u:`/`b:` key → token hashes cached under it (to invalidate without a scan). */
  readonly #byOwner = new Map<string, Set<string>>();
  /** `t:`/`s:`/`u:`/`b:` key → epoch ms until which nothing is cached for it. */
  readonly #tombstones = new Map<string, number>();

  constructor(options: IntrospectionCacheOptions) {
    this.#clock = options.clock;
    this.#ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    this.#maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.#channel = options.channel ?? null;
    this.#nodeId = options.nodeId ?? '';
    this.#externalChangeVersion = options.externalChangeVersion ?? null;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Subscribes to other nodes' invalidations (no-op without a channel). */
  async start(): Promise<void> {
    await this.#channel?.subscribe((message) => this.#receive(message));
  }

  async stop(): Promise<void> {
    await this.#channel?.stop();
  }

  /** The cached answer for `key` (a token hash), or undefined. */
  get(key: string): CachedIntrospection | undefined {
    const now = this.#now();
    this.#forgetIfChangedElsewhere(now);
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.until <= now) {
      this.#delete(key, entry);
      return undefined;
    }
    return entry.value;
  }

  /**
   * Caches an active answer until `expiresAt` (the token's expiry) or the TTL, whichever is first.
   * Refused while one of the owner's keys is tombstoned.
   */
  set(key: string, value: CachedIntrospection, owner: CachedOwner, expiresAt: Date | null): void {
    if (this.#ttlMs <= 0 || this.#maxEntries <= 0) return;
    const now = this.#now();
    if (now < this.#cacheNothingUntil) return;
    for (const ownerKey of ownerKeys(owner)) {
      const until = this.#tombstones.get(ownerKey);
      if (until === undefined) continue;
      if (until > now) return;
      this.#tombstones.delete(ownerKey);
    }
    const until = Math.min(now + lifetime(key, this.#ttlMs), expiresAt?.getTime() ?? Infinity);
    if (until <= now) return;
    const previous = this.#entries.get(key);
    if (previous !== undefined) this.#delete(key, previous);
    if (this.#entries.size >= this.#maxEntries) this.#evictOldest();
    this.#entries.set(key, { value, owner, until });
    for (const ownerKey of ownerKeys(owner)) {
      let keys = this.#byOwner.get(ownerKey);
      if (keys === undefined) this.#byOwner.set(ownerKey, (keys = new Set()));
      keys.add(key);
    }
  }

  /**
   * Forgets every answer about the targets, here and (with a channel) on every other node. Call it
   * inside the transaction that makes the change, and await it before committing.
   */
  async invalidate(...targets: InvalidationTarget[]): Promise<void> {
    if (targets.length === 0) return;
    const keys = targets.map(keyOf);
    this.#apply(keys);
    if (this.#channel !== null) {
      await this.#channel.publish(JSON.stringify({ n: this.#nodeId, k: keys }));
    }
  }

  /**
   * Drops every entry, and caches nothing for the TTL: an answer read before the change that
   * caused this may still be on its way to `set`.
   */
  #forgetEverything(): void {
    this.#entries.clear();
    this.#byOwner.clear();
    this.#cacheNothingUntil = this.#now() + this.#ttlMs;
  }

  /**
   * Drops every entry when another process has committed to the database since the last look
   * (looked at most every EXTERNAL_CHANGE_CHECK_MS).
   * Whatever it changed (a user locked, a session ended) is not named, so nothing cached can be
   * trusted; entries made afterwards are checked again at their first lookup.
   */
  #forgetIfChangedElsewhere(now: number): void {
    if (this.#externalChangeVersion === null) return;
    if (now < this.#nextVersionCheck) return;
    this.#nextVersionCheck = now + EXTERNAL_CHANGE_CHECK_MS;
    const version = this.#externalChangeVersion();
    if (version === this.#seenVersion) return;
    this.#seenVersion = version;
    this.#entries.clear();
    this.#byOwner.clear();
  }

  #receive(message: string): void {
    try {
      const parsed = JSON.parse(message) as { n?: unknown; k?: unknown };
      if (parsed.n === this.#nodeId || !Array.isArray(parsed.k)) return;
      if (parsed.k.includes(EVERYTHING)) {
        this.#forgetEverything();
        return;
      }
      this.#apply(parsed.k.filter((k): k is string => typeof k === 'string'));
    } catch {
      // Not one of ours: ignore it rather than let a stray NOTIFY break the listener.
    }
  }

  #apply(keys: readonly string[]): void {
    const until = this.#now() + this.#ttlMs;
    for (const ownerKey of keys) {
      this.#tombstones.set(ownerKey, until);
      for (const key of this.#byOwner.get(ownerKey) ?? []) {
        const entry = this.#entries.get(key);
        if (entry !== undefined) this.#delete(key, entry);
      }
    }
    this.#pruneTombstones();
  }

  /** Tombstones are few (one per recent revocation); expired ones go once they outnumber entries. */
  #pruneTombstones(): void {
    if (this.#tombstones.size <= this.#maxEntries) return;
    const now = this.#now();
    for (const [key, until] of this.#tombstones) if (until <= now) this.#tombstones.delete(key);
  }

  /** Makes room: removes the oldest EVICTED_SHARE of the entries (at least one). */
  #evictOldest(): void {
    let toEvict =
      this.#entries.size -
      this.#maxEntries +
      Math.max(1, Math.floor(this.#maxEntries * EVICTED_SHARE));
    for (const [key, entry] of this.#entries) {
      if (toEvict-- <= 0) break;
      this.#delete(key, entry);
    }
  }

  #delete(key: string, entry: Entry): void {
    this.#entries.delete(key);
    for (const ownerKey of ownerKeys(entry.owner)) {
      const keys = this.#byOwner.get(ownerKey);
      if (keys === undefined) continue;
      keys.delete(key);
      if (keys.size === 0) this.#byOwner.delete(ownerKey);
    }
  }

  #now(): number {
    return this.#clock.now().getTime();
  }
}

function ownerKeys(owner: CachedOwner): string[] {
  const keys = [`t:${owner.tokenId}`, `s:${owner.sessionId}`];
  if (owner.userId !== null) keys.push(`u:${owner.userId}`);
  if (owner.browserSessionId !== null) keys.push(`b:${owner.browserSessionId}`);
  return keys;
}
