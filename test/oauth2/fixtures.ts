// Shared by the oauth2 and oauth2-handler tests: a keystore with one key of every type, an
// encrypter, a parsed configuration, an AppContext on a real storage, and a real HTTP listener
// serving the discovery and oauth resources.

import { generateKeyPairSync } from 'node:crypto';
import { MockClock } from '../../src/clock.ts';
import { rootSchema, type RootConfig } from '../../src/config/root.ts';
import { Encrypter } from '../../src/crypto/encrypter.ts';
import { createSigningKey, Keystore } from '../../src/crypto/keystore.ts';
import type { AppContext } from '../../src/http/app-context.ts';
import { startHttpServers, type HttpServers } from '../../src/http/http-servers.ts';
import { UrlBuilder } from '../../src/http/url-builder.ts';
import { SeededRng } from '../../src/rng.ts';
import type { Storage } from '../../src/storage/storage.ts';
import { createLogger } from '../../src/telemetry/logger.ts';

export const PUBLIC_BASE = 'https://auth.example.com/';

let keystore: Keystore | null = null;

/** One key of each type, kids `rsa`, `p256`, `p384`, `k256`, `ed25519` (made once per process). */
export function testKeystore(): Keystore {
  keystore ??= new Keystore([
    createSigningKey(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, 'rsa'),
    createSigningKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'p256'),
    createSigningKey(generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey, 'p384'),
    createSigningKey(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey, 'k256'),
    createSigningKey(generateKeyPairSync('ed25519').privateKey, 'ed25519'),
  ]);
  return keystore;
}

export function testEncrypter(): Encrypter {
  return new Encrypter(new Uint8Array(32).fill(7));
}

/** A configuration as a file would give it (defaults applied), with `extra` sections merged in. */
export function testConfig(extra: Record<string, unknown> = {}): RootConfig {
  return rootSchema.parse({
    secrets: { encryption: '07'.repeat(32) },
    ...extra,
    http: {
      public_base: PUBLIC_BASE,
      listeners: [
        {
          name: 'web',
          resources: [{ name: 'discovery' }, { name: 'oauth' }],
          binds: [{ host: '127.0.0.1', port: 0 }],
        },
      ],
      ...((extra.http as object | undefined) ?? {}),
    },
  });
}

export function testAppContext(storage: Storage, config: RootConfig = testConfig()): AppContext {
  const clock = new MockClock();
  // passwords and templates belong to the login pages; these endpoints never touch them.
  return {
    config,
    storage,
    clock,
    rng: new SeededRng('oauth2-tests'),
    keystore: testKeystore(),
    encrypter: testEncrypter(),
    urls: new UrlBuilder(config.http.public_base, config.http.issuer ?? config.http.public_base),
    logger: createLogger({ level: 'silent' }),
  } as unknown as AppContext;
}

export interface RunningApp {
  /** `http://127.0.0.1:port` */
  readonly base: string;
  close(): Promise<void>;
}

/** The listeners of `app.config.http`, on real sockets. */
export async function startApp(app: AppContext): Promise<RunningApp> {
  const servers: HttpServers = await startHttpServers({
    http: app.config.http,
    telemetry: app.config.telemetry,
    health: { ping: async () => {}, pendingMigrations: async () => [] },
    app,
    logger: app.logger,
    rng: new SeededRng('oauth2-http'),
    clock: app.clock,
  });
  const address = servers.addresses()[0]!.address;
  return { base: `http://${address}`, close: () => servers.close(1_000) };
}
