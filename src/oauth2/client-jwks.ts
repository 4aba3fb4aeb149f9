// The public keys a `private_key_jwt` client signs its assertions with: its registered `jwks`, or
// the document at its `jwks_uri`, fetched with a timeout and a size limit and kept for a few
// minutes. A key id the cached document lacks triggers one refetch (the client rotated its keys).

import type { Clock } from '../clock.ts';

export interface JwkSet {
  readonly keys: readonly Readonly<Record<string, unknown>>[];
}

/** The client's key set could not be fetched or is not a JWK Set. */
export class JwksFetchError extends Error {
  override readonly name = 'JwksFetchError';
}

export interface ClientJwksCacheOptions {
  readonly clock: Clock;
  /** How long a fetch may take. Default 5 s. */
  readonly timeoutMs?: number;
  /** How long a fetched set is used. Default 5 min. */
  readonly ttlMs?: number;
  /** Largest document accepted. Default 256 KiB. */
  readonly maxBytes?: number;
  /** Most URIs remembered; the oldest entry goes first. Default 1000. */
  readonly maxEntries?: number;
  /** For tests; default the global fetch. */
  readonly fetch?: typeof fetch;
}

interface Entry {
  readonly set: JwkSet;
  readonly fetchedAt: number;
}

export class ClientJwksCache {
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #ttlMs: number;
  readonly #maxBytes: number;
  readonly #maxEntries: number;
  readonly #fetch: typeof fetch;
  readonly #entries = new Map<string, Entry>();

  constructor(options: ClientJwksCacheOptions) {
    this.#clock = options.clock;
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#ttlMs = options.ttlMs ?? 5 * 60_000;
    this.#maxBytes = options.maxBytes ?? 256 * 1024;
    this.#maxEntries = options.maxEntries ?? 1000;
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  /**
   * The key set at `uri`, from the cache when fresh. `refresh` forces a new fetch. Returns whether it
   * was just fetched, so a caller missing a kid knows if a refetch could help. Throws JwksFetchError.
   */
  async get(uri: string, refresh = false): Promise<{ set: JwkSet; fresh: boolean }> {
    const now = this.#clock.now().getTime();
    const cached = this.#entries.get(uri);
    if (!refresh && cached !== undefined && now - cached.fetchedAt < this.#ttlMs) {
      return { set: cached.set, fresh: false };
    }
    const set = await this.#download(uri);
    this.#entries.delete(uri);
    this.#entries.set(uri, { set, fetchedAt: now });
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
    return { set, fresh: true };
  }

  async #download(uri: string): Promise<JwkSet> {
    let text: string;
    try {
      const response = await this.#fetch(uri, {
        signal: AbortSignal.timeout(this.#timeoutMs),
        redirect: 'error',
        headers: { accept: 'application/jwk-set+json, application/json' },
      });
      if (!response.ok) throw new JwksFetchError(`${uri} answered HTTP ${response.status}`);
      const length = Number(response.headers.get('content-length') ?? '0');
      if (length > this.#maxBytes) throw new JwksFetchError(`${uri} is too large`);
      text = await response.text();
    } catch (error) {
      if (error instanceof JwksFetchError) throw error;
      throw new JwksFetchError(`cannot fetch ${uri}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (Buffer.byteLength(text) > this.#maxBytes) throw new JwksFetchError(`${uri} is too large`);
    return parseJwkSet(text, uri);
  }
}

function parseJwkSet(text: string, uri: string): JwkSet {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new JwksFetchError(`${uri} is not JSON`);
  }
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'object' && k !== null)) {
    throw new JwksFetchError(`${uri} is not a JWK Set`);
  }
  return { keys: keys as Record<string, unknown>[] };
}
