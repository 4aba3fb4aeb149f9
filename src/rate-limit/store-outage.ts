// What a shared rate-limit store (PostgreSQL, Redis) does while its server is unreachable: each
// limiter answers from an in-memory "insurance" limiter with the same spec (limits hold per node;
// never wide open, never a 500), and the store logs the outage once — a warning at the first
// fallback, an info line once the server answers again — instead of once per request or never.

import {
  RateLimiterMemory,
  type IRateLimiterOptions,
  type RateLimiterRes,
} from 'rate-limiter-flexible';

/** What a store logs through (a pino `Logger` is one). */
export interface StoreLogger {
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}

/** Tells the store when a limiter had to answer from memory. */
export type OnFallback = (reason: string) => void;

/** The in-memory limiter that answers while the store cannot, reporting each time it is used. */
export class FallbackLimiter extends RateLimiterMemory {
  readonly #onFallback: OnFallback;

  constructor(options: IRateLimiterOptions, onFallback: OnFallback) {
    super(options);
    this.#onFallback = onFallback;
  }

  override consume(
    key: string | number,
    points?: number,
    options?: Record<string, unknown>,
  ): Promise<RateLimiterRes> {
    this.#onFallback('consume');
    return super.consume(key, points, options);
  }

  override reward(
    key: string | number,
    points?: number,
    options?: Record<string, unknown>,
  ): Promise<RateLimiterRes> {
    this.#onFallback('reward');
    return super.reward(key, points, options);
  }

  override delete(key: string | number, options?: Record<string, unknown>): Promise<boolean> {
    this.#onFallback('delete');
    return super.delete(key, options);
  }
}

/**
 * One store's outage state: `fellBack` at each fallback (the first of an outage logs `down`),
 * `answered` when the server answered (the first after an outage logs `up`).
 */
export class StoreOutage {
  readonly #logger: StoreLogger | null;
  readonly #details: object;
  readonly #messages: { readonly down: string; readonly up: string };
  #degraded = false;
  #fallbacks = 0;

  constructor(
    logger: StoreLogger | null,
    details: object,
    messages: { readonly down: string; readonly up: string },
  ) {
    this.#logger = logger;
    this.#details = details;
    this.#messages = messages;
  }

  /** Whether the store is answering from memory now. */
  get degraded(): boolean {
    return this.#degraded;
  }

  /** How many fallbacks there have been (a call that saw none was answered by the server). */
  get fallbacks(): number {
    return this.#fallbacks;
  }

  fellBack(reason: string): void {
    this.#fallbacks++;
    if (this.#degraded) return;
    this.#degraded = true;
    this.#logger?.warn({ ...this.#details, reason }, this.#messages.down);
  }

  answered(): void {
    if (!this.#degraded) return;
    this.#degraded = false;
    this.#logger?.info(this.#details, this.#messages.up);
  }
}
