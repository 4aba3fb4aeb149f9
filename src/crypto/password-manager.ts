// Password hashing with the versioned schemes of `passwords.schemes` (MAS: handlers/passwords.rs).
// The scheme with the highest version hashes new passwords; every configured scheme verifies the
// hashes stored with its version, and a successful check under an older version asks the caller
// to re-hash (`needsUpgrade`).
//
// Compatibility with hashes made by MAS and Synapse:
// - argon2id: m=19456 KiB, t=2, p=1, v=0x13, PHC string; the pepper is the Argon2 `secret`;
// - bcrypt: `$2b$`, cost 12 unless set; the pepper is APPENDED to the password bytes (Synapse's
//   `password_config.pepper`, and what MAS does);
// - pbkdf2: PHC `$pbkdf2-sha256$i=600000,l=32$<salt>$<hash>` (RustCrypto's defaults, as MAS);
//   the pepper is appended. `$pbkdf2-sha512$` and `$pbkdf2$` (SHA-1) hashes also verify.
// `unicode_normalization` applies NFKC to the password before anything else, as Synapse does.
//
// Hashing is slow on purpose, so it never runs on the event loop (the @node-rs functions and
// node:crypto's pbkdf2 run on worker threads) and at most `concurrency` run at once. A few more
// wait their turn briefly; beyond that the caller gets PasswordManagerBusyError (HTTP 503).
// A caller may pass an AbortSignal (the client went away): while it still waits for a slot it
// leaves the line with PasswordCheckAbortedError, so an abandoned request never holds up the
// ones behind it nor spends a verification (a hash already running cannot be stopped).

import { availableParallelism } from 'node:os';
import { pbkdf2 as pbkdf2Callback, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import * as argon2 from '@node-rs/argon2';
import * as bcrypt from '@node-rs/bcrypt';
import type { PasswordsConfig } from '../config/sections/passwords.ts';
import type { Rng } from '../rng.ts';

const pbkdf2 = promisify(pbkdf2Callback);

export type PasswordAlgorithm = 'argon2id' | 'bcrypt' | 'pbkdf2';

export interface PasswordScheme {
  readonly version: number;
  readonly algorithm: PasswordAlgorithm;
  /** bcrypt cost; 12 when absent. */
  readonly cost?: number;
  /** The pepper, as bytes; null when none. */
  readonly pepper: Uint8Array | null;
  readonly unicodeNormalization: boolean;
}

export interface HashedPassword {
  readonly version: number;
  readonly hash: string;
}

export interface VerifyResult {
  readonly ok: boolean;
  /** True when `ok` and the hash was made with another scheme than the newest one. */
  readonly needsUpgrade: boolean;
}

/** Password sign-in is disabled (`passwords.enabled: false`). */
export class PasswordsDisabledError extends Error {
  override readonly name = 'PasswordsDisabledError';
  constructor() {
    super('password authentication is disabled');
  }
}

/** Too many hashes are being computed or waited for; try again shortly (HTTP 503). */
export class PasswordManagerBusyError extends Error {
  override readonly name = 'PasswordManagerBusyError';
  constructor() {
    super('too many password checks at once; try again in a moment');
  }
}

/** The caller's signal aborted while it waited for a hashing slot; nothing was hashed. */
export class PasswordCheckAbortedError extends Error {
  override readonly name = 'PasswordCheckAbortedError';
  constructor() {
    super('the password check was abandoned before it started');
  }
}

/** A stored hash names a scheme version that is not configured. */
export class UnknownPasswordSchemeError extends Error {
  override readonly name = 'UnknownPasswordSchemeError';
  readonly version: number;
  constructor(version: number) {
    super(`no password scheme with version ${version} is configured`);
    this.version = version;
  }
}

export interface PasswordManagerOptions {
  /** Salts come from here. */
  readonly rng: Rng;
  /** Hashes computed at once; default: the number of cores. */
  readonly concurrency?: number;
  /** Callers allowed to wait for a slot; default: 4 per slot. Beyond that: busy. */
  readonly maxWaiting?: number;
  /** How long a caller waits for a slot before giving up with busy; default 5 s. */
  readonly maxWaitMs?: number;
}

const ARGON2_PARAMS = { memoryCost: 19456, timeCost: 2, parallelism: 1, outputLen: 32 } as const;
// `Algorithm.Argon2id` and `Version.V0x13` are const enums in the package's types and not
// exported at run time, so their values are spelled out here.
const ARGON2ID = 2 as argon2.Algorithm;
const ARGON2_V0X13 = 1 as argon2.Version;
const BCRYPT_DEFAULT_COST = 12;
const PBKDF2_ROUNDS = 600_000;
const PBKDF2_LENGTH = 32;
const SALT_BYTES = 16;

/** A counting semaphore with a bounded, time-limited waiting line. */
class HashSlots {
  readonly #capacity: number;
  readonly #maxWaiting: number;
  readonly #maxWaitMs: number;
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(capacity: number, maxWaiting: number, maxWaitMs: number) {
    this.#capacity = Math.max(1, capacity);
    this.#maxWaiting = Math.max(0, maxWaiting);
    this.#maxWaitMs = maxWaitMs;
  }

  async run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.#acquire(signal);
    try {
      return await work();
    } finally {
      this.#release();
    }
  }

  async #acquire(signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted === true) throw new PasswordCheckAbortedError();
    if (this.#running < this.#capacity) {
      this.#running++;
      return;
    }
    if (this.#waiting.length >= this.#maxWaiting) throw new PasswordManagerBusyError();
    await new Promise<void>((resolve, reject) => {
      const leave = (error: Error): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const index = this.#waiting.indexOf(wake);
        if (index >= 0) this.#waiting.splice(index, 1);
        reject(error);
      };
      const onAbort = (): void => leave(new PasswordCheckAbortedError());
      const wake = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const timer = setTimeout(() => leave(new PasswordManagerBusyError()), this.#maxWaitMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(wake);
    });
    // The releasing caller handed its slot over: #running was not decremented.
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next();
    else this.#running--;
  }
}

function passwordBytes(scheme: PasswordScheme, password: string, appendPepper: boolean): Buffer {
  const text = scheme.unicodeNormalization ? password.normalize('NFKC') : password;
  const bytes = Buffer.from(text, 'utf8');
  return appendPepper && scheme.pepper !== null ? Buffer.concat([bytes, scheme.pepper]) : bytes;
}

// PHC strings use standard base64 without padding.
const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64').replace(/=+$/, '');
const unb64 = (text: string): Buffer | null =>
  /^[A-Za-z0-9+/]*$/.test(text) ? Buffer.from(text, 'base64') : null;

const PBKDF2_DIGESTS: Record<string, string> = {
  pbkdf2: 'sha1',
  'pbkdf2-sha256': 'sha256',
  'pbkdf2-sha512': 'sha512',
};

async function pbkdf2Verify(hash: string, password: Buffer): Promise<boolean> {
  // $<id>$i=<rounds>,l=<length>$<salt>$<hash>  (parameters in any order, `l` optional)
  const parts = hash.split('$');
  if (parts.length !== 5 || parts[0] !== '') return false;
  const [, id, params, saltText, hashText] = parts as [string, string, string, string, string];
  const digest = PBKDF2_DIGESTS[id];
  if (digest === undefined) return false;
  let rounds: number | null = null;
  for (const param of params.split(',')) {
    const [key, value] = param.split('=');
    if (key === 'i' && /^[1-9][0-9]{0,9}$/.test(value ?? '')) rounds = Number(value);
    else if (key !== 'l') return false;
  }
  const salt = unb64(saltText);
  const expected = unb64(hashText);
  if (rounds === null || salt === null || expected === null || expected.length === 0) return false;
  const actual = await pbkdf2(password, salt, rounds, expected.length, digest);
  return timingSafeEqual(actual, expected);
}

export class PasswordManager {
  /** False when `passwords.enabled` is false: hash and verify then throw PasswordsDisabledError. */
  readonly enabled: boolean;
  readonly #schemes: Map<number, PasswordScheme>;
  readonly #current: PasswordScheme | null;
  readonly #rng: Rng;
  readonly #slots: HashSlots;
  #dummy: Promise<HashedPassword> | null = null;

  constructor(
    enabled: boolean,
    schemes: readonly PasswordScheme[],
    options: PasswordManagerOptions,
  ) {
    this.enabled = enabled && schemes.length > 0;
    this.#schemes = new Map(schemes.map((s) => [s.version, s]));
    this.#current = schemes.reduce<PasswordScheme | null>(
      (best, s) => (best === null || s.version > best.version ? s : best),
      null,
    );
    this.#rng = options.rng;
    const capacity = options.concurrency ?? availableParallelism();
    this.#slots = new HashSlots(
      capacity,
      options.maxWaiting ?? capacity * 4,
      options.maxWaitMs ?? 5000,
    );
  }

  /** The version new hashes are made with. */
  get currentVersion(): number {
    return this.#currentScheme().version;
  }

  /** Hashes `password` with the newest scheme. */
  async hash(password: string): Promise<HashedPassword> {
    const scheme = this.#currentScheme();
    const salt = this.#rng.bytes(SALT_BYTES);
    const hash = await this.#slots.run(() => this.#hashWith(scheme, password, salt));
    return { version: scheme.version, hash };
  }

  /**
   * Checks `password` against a hash stored with scheme `version`. A malformed hash is a mismatch;
   * a version that is not configured throws UnknownPasswordSchemeError; `signal` aborting before
   * the check got a slot throws PasswordCheckAbortedError.
   */
  async verify(
    version: number,
    hash: string,
    password: string,
    signal?: AbortSignal,
  ): Promise<VerifyResult> {
    const current = this.#currentScheme();
    const scheme = this.#schemes.get(version);
    if (scheme === undefined) throw new UnknownPasswordSchemeError(version);
    const ok = await this.#slots.run(() => this.#verifyWith(scheme, hash, password), signal);
    return { ok, needsUpgrade: ok && version !== current.version };
  }

  /**
   * Spends the time a real verification would (against a hash made once per process with the
   * newest scheme) and answers nothing: for an unknown user or a user without a password, so the
   * answer takes as long as for a wrong password and does not tell which usernames exist.
   */
  async verifyNothing(password: string, signal?: AbortSignal): Promise<void> {
    this.#dummy ??= this.hash('gatehouse timing equaliser');
    const dummy = await this.#dummy;
    await this.verify(dummy.version, dummy.hash, password, signal);
  }

  #currentScheme(): PasswordScheme {
    if (!this.enabled || this.#current === null) throw new PasswordsDisabledError();
    return this.#current;
  }

  async #hashWith(scheme: PasswordScheme, password: string, salt: Uint8Array): Promise<string> {
    switch (scheme.algorithm) {
      case 'argon2id':
        return argon2.hash(passwordBytes(scheme, password, false), {
          ...ARGON2_PARAMS,
          algorithm: ARGON2ID,
          version: ARGON2_V0X13,
          salt,
          ...(scheme.pepper !== null ? { secret: scheme.pepper } : {}),
        });
      case 'bcrypt':
        // @node-rs/bcrypt 1.x labels its hashes `$2y$`; `$2y$` and `$2b$` are the same algorithm, and
        // MAS and Synapse write `$2b$`, so that is what we store. Its salt is 16 bytes.
        return (
          await bcrypt.hash(
            passwordBytes(scheme, password, true),
            scheme.cost ?? BCRYPT_DEFAULT_COST,
            salt.subarray(0, 16),
          )
        ).replace(/^\$2y\$/, '$2b$');
      case 'pbkdf2': {
        const derived = await pbkdf2(
          passwordBytes(scheme, password, true),
          salt,
          PBKDF2_ROUNDS,
          PBKDF2_LENGTH,
          'sha256',
        );
        return `$pbkdf2-sha256$i=${PBKDF2_ROUNDS},l=${PBKDF2_LENGTH}$${b64(salt)}$${b64(derived)}`;
      }
    }
  }

  async #verifyWith(scheme: PasswordScheme, hash: string, password: string): Promise<boolean> {
    try {
      switch (scheme.algorithm) {
        case 'argon2id':
          if (!hash.startsWith('$argon2')) return false;
          return await argon2.verify(
            hash,
            passwordBytes(scheme, password, false),
            scheme.pepper !== null ? { secret: scheme.pepper } : undefined,
          );
        case 'bcrypt':
          return await bcrypt.verify(passwordBytes(scheme, password, true), hash);
        case 'pbkdf2':
          return await pbkdf2Verify(hash, passwordBytes(scheme, password, true));
      }
    } catch {
      // A hash the library cannot parse is a mismatch, not a server error.
      return false;
    }
  }
}

/**
 * The PasswordManager for `passwords`, reading each `secret_file`. The file's bytes are the
 * pepper as they are (MAS does not trim them either), so write it without a final newline.
 */
export async function loadPasswordManager(
  config: PasswordsConfig,
  options: PasswordManagerOptions,
): Promise<PasswordManager> {
  const schemes = await Promise.all(
    config.schemes.map(async (s): Promise<PasswordScheme> => {
      let pepper: Uint8Array | null = null;
      if (s.secret !== undefined) pepper = Buffer.from(s.secret, 'utf8');
      else if (s.secret_file !== undefined) pepper = await readFile(s.secret_file);
      return {
        version: s.version,
        algorithm: s.algorithm,
        ...(s.cost !== undefined ? { cost: s.cost } : {}),
        pepper,
        unicodeNormalization: s.unicode_normalization,
      };
    }),
  );
  return new PasswordManager(config.enabled, schemes, options);
}
