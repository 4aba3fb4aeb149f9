// Activity of OAuth 2.0 sessions seen by the introspection hot path (Synapse introspects on every
// request it has not cached): the session's last activity time and IP, and the first use of each
// access token. Writing these on every call would turn each introspection into a write, so they
// are collected in memory and written every few seconds and on shutdown
// (`repos.oauth2Sessions.recordActivity`, `repos.accessTokens.markFirstUsed`), as MAS's activity
// tracker does, in transactions of at most FLUSH_CHUNK entries each.
//
// The refresh grant's "lost response" rule needs to know whether an access token was ever used,
// and a use may still be waiting here. It asks `accessTokenUsed(id)` synchronously, inside its own
// transaction: flushing from there would need a second transaction, which on SQLite (one
// connection) would wait for the first. Marks stay visible here until their flush has committed.
// Known limit: with several nodes, a use seen by another node becomes visible only after that
// node's next flush (a few seconds).

import type { Clock } from '../clock.ts';
import type { AccessTokenId, OAuth2SessionId } from '../model/ids.ts';
import type { CompatSessionId } from '../model/compat-session.ts';
import type { PersonalSessionId } from '../model/personal-session.ts';
import type { Repositories, Storage } from '../storage/storage.ts';
import type { Logger } from '../telemetry/logger.ts';

export const DEFAULT_FLUSH_INTERVAL_MS = 5000;
/** More pending sessions than this flush at once, so memory stays bounded under load. */
const MAX_PENDING = 10_000;

interface SessionActivity {
  at: Date;
  ip: string | null;
}

export interface ActivityTrackerOptions {
  readonly storage: Storage;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly flushIntervalMs?: number;
}

export class ActivityTracker {
  readonly #storage: Storage;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  #sessions = new Map<OAuth2SessionId, SessionActivity>();
  /** Personal sessions (`mpt_` tokens), written the same way. */
  #personalSessions = new Map<PersonalSessionId, SessionActivity>();
  /** Compat sessions (`mct_`/`mcr_` tokens, legacy Matrix login), written the same way. */
  #compatSessions = new Map<CompatSessionId, SessionActivity>();
  #firstUses = new Map<AccessTokenId, Date>();
  /** Marks taken by a flush that has not committed yet (still "used" for the refresh grant). */
  #flushingFirstUses = new Map<AccessTokenId, Date>();
  #timer: ReturnType<typeof setInterval> | null = null;
  #flushing: Promise<void> | null = null;

  constructor(options: ActivityTrackerOptions) {
    this.#storage = options.storage;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#intervalMs = options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
  }

  /** Starts the periodic flush (the timer does not keep the process alive). */
  start(): void {
    if (this.#timer !== null) return;
    this.#timer = setInterval(() => void this.flush(), this.#intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and writes what is pending. */
  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.flush();
  }

  /** A request used `sessionId`'s access token `tokenId` from `ip`. */
  recordAccessTokenUse(
    sessionId: OAuth2SessionId,
    tokenId: AccessTokenId,
    ip: string | null,
  ): void {
    this.recordSessionActivity(sessionId, ip);
    if (!this.#firstUses.has(tokenId)) this.#firstUses.set(tokenId, this.#clock.now());
  }

  /** A request was made on behalf of `sessionId` from `ip`. */
  recordSessionActivity(sessionId: OAuth2SessionId, ip: string | null): void {
    this.#record(this.#sessions, sessionId, ip);
  }

  /** A request was made with a personal access token of `sessionId` from `ip`. */
  recordPersonalSessionActivity(sessionId: PersonalSessionId, ip: string | null): void {
    this.#record(this.#personalSessions, sessionId, ip);
  }

  /** A request was made with a compat token of `sessionId` from `ip`. */
  recordCompatSessionActivity(sessionId: CompatSessionId, ip: string | null): void {
    this.#record(this.#compatSessions, sessionId, ip);
  }

  /**
   * The newest activity of a session, its last known IP kept when this use has none. A session
   * already pending is updated in place: a busy session is recorded thousands of times between
   * two flushes, and an entry per use was garbage the collector had to sweep.
   */
  #record<K>(pending: Map<K, SessionActivity>, id: K, ip: string | null): void {
    const known = pending.get(id);
    if (known !== undefined) {
      known.at = this.#clock.now();
      if (ip !== null) known.ip = ip;
      return;
    }
    pending.set(id, { at: this.#clock.now(), ip });
    if (pending.size >= MAX_PENDING) void this.flush();
  }

  /** True when a use of the access token is waiting to be written (or being written). */
  accessTokenUsed(tokenId: AccessTokenId): boolean {
    return this.#firstUses.has(tokenId) || this.#flushingFirstUses.has(tokenId);
  }

  /** Writes everything pending (in chunks, see FLUSH_CHUNK); concurrent calls share one flush. */
  flush(): Promise<void> {
    if (this.#flushing !== null) {
      // A flush is running: chain another one for what arrived meanwhile.
      return this.#flushing.then(() => (this.#pending() ? this.flush() : undefined));
    }
    if (!this.#pending()) return Promise.resolve();
    this.#flushing = this.#write().finally(() => {
      this.#flushing = null;
    });
    return this.#flushing;
  }

  #pending(): boolean {
    return (
      this.#sessions.size > 0 ||
      this.#firstUses.size > 0 ||
      this.#personalSessions.size > 0 ||
      this.#compatSessions.size > 0
    );
  }

  async #write(): Promise<void> {
    const sessions = this.#sessions;
    const firstUses = this.#firstUses;
    const personalSessions = this.#personalSessions;
    const compatSessions = this.#compatSessions;
    this.#sessions = new Map();
    this.#personalSessions = new Map();
    this.#compatSessions = new Map();
    this.#firstUses = new Map();
    this.#flushingFirstUses = firstUses;
    const chunks: PendingChunk[] = [
      ...inChunks(sessions).map((entries) => ({ kind: 'session' as const, entries })),
      ...inChunks(firstUses).map((entries) => ({ kind: 'firstUse' as const, entries })),
      ...inChunks(personalSessions).map((entries) => ({ kind: 'personal' as const, entries })),
      ...inChunks(compatSessions).map((entries) => ({ kind: 'compat' as const, entries })),
    ];
    let written = 0;
    try {
      for (const chunk of chunks) {
        // Between chunks, whatever else is waiting runs (see FLUSH_CHUNK).
        if (written > 0) await new Promise((resolve) => setImmediate(resolve));
        await this.#storage.transaction((repos) => writeChunk(repos, chunk));
        written++;
      }
    } catch (error) {
      // Put back what was not written (newer entries win) so the next flush tries again.
      this.#logger.warn({ err: error }, 'could not record session activity; will retry');
      for (const chunk of chunks.slice(written)) this.#restore(chunk);
    } finally {
      this.#flushingFirstUses = new Map();
    }
  }

  #restore(chunk: PendingChunk): void {
    const putBack = <K, V>(into: Map<K, V>, entries: readonly (readonly [K, V])[]) => {
      for (const [id, value] of entries) if (!into.has(id)) into.set(id, value);
    };
    if (chunk.kind === 'session') putBack(this.#sessions, chunk.entries);
    else if (chunk.kind === 'firstUse') putBack(this.#firstUses, chunk.entries);
    else if (chunk.kind === 'personal') putBack(this.#personalSessions, chunk.entries);
    else putBack(this.#compatSessions, chunk.entries);
  }
}

/**
 * Entries written per transaction. A flush under load holds thousands of sessions; on SQLite the
 * driver is synchronous, so one transaction for all of them held the event loop (and every
 * introspection answered from the cache) for tens of milliseconds every flush. Chunks, with the
 * event loop given back between them, bound that to a few milliseconds.
 */
export const FLUSH_CHUNK = 256;

type PendingChunk =
  | { kind: 'session'; entries: [OAuth2SessionId, SessionActivity][] }
  | { kind: 'firstUse'; entries: [AccessTokenId, Date][] }
  | { kind: 'personal'; entries: [PersonalSessionId, SessionActivity][] }
  | { kind: 'compat'; entries: [CompatSessionId, SessionActivity][] };

function inChunks<K, V>(map: Map<K, V>): [K, V][][] {
  const entries = [...map];
  const chunks: [K, V][][] = [];
  for (let i = 0; i < entries.length; i += FLUSH_CHUNK)
    chunks.push(entries.slice(i, i + FLUSH_CHUNK));
  return chunks;
}

function writeChunk(repos: Repositories, chunk: PendingChunk): Promise<void> {
  const activity = <K>(entries: [K, SessionActivity][]) =>
    entries.map(([id, entry]) => ({ id, at: entry.at, ip: entry.ip }));
  switch (chunk.kind) {
    case 'session':
      return repos.oauth2Sessions.recordActivity(activity(chunk.entries));
    case 'firstUse':
      return repos.accessTokens.markFirstUsed(chunk.entries.map(([id, at]) => ({ id, at })));
    case 'personal':
      return repos.personalSessions.recordActivity(activity(chunk.entries));
    case 'compat':
      return repos.compatSessions.recordActivities(activity(chunk.entries));
  }
}
