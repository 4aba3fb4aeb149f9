// End-to-end harness: a real `gatehouse server` process on 127.0.0.1 with a config made by
// `config generate` and extended for the OAuth suites — one signing key of every type (PKCS#8,
// generated per run), a static client for every client authentication method, and users
// registered with `gatehouse manage register-user` before the server starts. Client URIs are
// https on example.com, so the default (strict) registration policy applies unchanged.
//
// Start it once per test file (`before`) and stop it in `after`: `stop()` sends SIGTERM and
// returns the exit code so the test can assert a clean shutdown.

import { generateKeyPairSync, webcrypto, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import {
  runGatehouse,
  waitForStatus,
  writeTestConfig,
  type RunningProcess,
  type TestConfig,
} from '../helpers/server-process.ts';

/** Where test clients send the browser back; never actually served. */
export const APP_ORIGIN = 'https://app.example.com';
export const REDIRECT_URI = `${APP_ORIGIN}/callback`;
export const POST_LOGOUT_REDIRECT_URI = `${APP_ORIGIN}/logged-out`;

export const ALICE = { username: 'alice', password: 'Correct-Horse-Battery-Staple-93' } as const;

/** Static client ids (ULIDs), one per client authentication method. */
export const STATIC_CLIENTS = {
  none: '00000000000000000000000001',
  client_secret_basic: '00000000000000000000000002',
  client_secret_post: '00000000000000000000000003',
  client_secret_jwt: '00000000000000000000000004',
  private_key_jwt: '00000000000000000000000005',
} as const;
export type AuthMethod = keyof typeof STATIC_CLIENTS;

/** The secret of every static secret-based client (long enough for HS256..HS512). */
export const STATIC_CLIENT_SECRET =
  'e2e-static-client-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

/** The server's signing keys, by the `kid` given in the config. */
export const SERVER_KEY_KIDS = {
  rsa: 'e2e-rsa',
  p256: 'e2e-p256',
  p384: 'e2e-p384',
  secp256k1: 'e2e-secp256k1',
  ed25519: 'e2e-ed25519',
} as const;

/** Every JWS algorithm the keystore can sign with, given one key of each type. */
export const ALL_SIGNING_ALGS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES256K',
  'EdDSA',
] as const;

function pkcs8(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** One private key of every type the keystore supports, PKCS#8 PEM, with a fixed kid. */
function serverSigningKeys(): { kid: string; key: string }[] {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
  const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey;
  const ed = generateKeyPairSync('ed25519').privateKey;
  return [
    { kid: SERVER_KEY_KIDS.rsa, key: pkcs8(rsa) },
    { kid: SERVER_KEY_KIDS.p256, key: pkcs8(p256) },
    { kid: SERVER_KEY_KIDS.p384, key: pkcs8(p384) },
    { kid: SERVER_KEY_KIDS.secp256k1, key: pkcs8(k1) },
    { kid: SERVER_KEY_KIDS.ed25519, key: pkcs8(ed) },
  ];
}

/** The key the `private_key_jwt` static client signs its assertions with (ES256). */
export interface ClientKey {
  readonly kid: string;
  readonly privateKey: webcrypto.CryptoKey;
  readonly publicJwk: webcrypto.JsonWebKey & { kid: string; alg: string; use: string };
}

export async function generateClientKey(kid = 'e2e-client-key'): Promise<ClientKey> {
  const pair = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const jwk = await webcrypto.subtle.exportKey('jwk', pair.publicKey);
  return {
    kid,
    privateKey: pair.privateKey,
    publicJwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, kid, alg: 'ES256', use: 'sig' },
  };
}

function staticClients(clientKey: ClientKey): Record<string, unknown>[] {
  const common = {
    client_uri: `${APP_ORIGIN}/`,
    redirect_uris: [REDIRECT_URI],
  };
  return [
    {
      ...common,
      client_id: STATIC_CLIENTS.none,
      client_name: 'E2E public app',
      client_auth_method: 'none',
    },
    {
      ...common,
      client_id: STATIC_CLIENTS.client_secret_basic,
      client_name: 'E2E basic app',
      client_auth_method: 'client_secret_basic',
      client_secret: STATIC_CLIENT_SECRET,
    },
    {
      ...common,
      client_id: STATIC_CLIENTS.client_secret_post,
      client_name: 'E2E post app',
      client_auth_method: 'client_secret_post',
      client_secret: STATIC_CLIENT_SECRET,
    },
    {
      ...common,
      client_id: STATIC_CLIENTS.client_secret_jwt,
      client_name: 'E2E client_secret_jwt app',
      client_auth_method: 'client_secret_jwt',
      client_secret: STATIC_CLIENT_SECRET,
    },
    {
      ...common,
      client_id: STATIC_CLIENTS.private_key_jwt,
      client_name: 'E2E private_key_jwt app',
      client_auth_method: 'private_key_jwt',
      jwks: { keys: [clientKey.publicJwk] },
    },
  ];
}

export interface Gatehouse {
  /** `http://127.0.0.1:PORT/`, the issuer. */
  readonly issuer: string;
  readonly issuerUrl: URL;
  /** An absolute URL on the web listener. */
  url(path: string): string;
  readonly clientKey: ClientKey;
  readonly config: TestConfig;
  readonly process: RunningProcess;
  /** SIGTERM; resolves with the exit code (or signal name) and removes the temp dir. */
  stop(): Promise<number | string>;
}

async function runToCompletion(args: string[]): Promise<void> {
  const run = runGatehouse(args);
  const code = await run.exited;
  if (code !== 0) throw new Error(`gatehouse ${args.join(' ')} exited ${code}:\n${run.output()}`);
}

export async function startGatehouse(
  options: {
    users?: readonly { username: string; password: string }[];
    /** Database URL; SQLite in the temp dir by default. */
    database?: string;
    /** Deep-merged over the generated config, section by section. */
    extraConfig?: Record<string, unknown>;
  } = {},
): Promise<Gatehouse> {
  const config = await writeTestConfig({ database: options.database });
  const clientKey = await generateClientKey();
  try {
    const doc = parse(readFileSync(config.path, 'utf8')) as Record<string, Record<string, unknown>>;
    doc.secrets = { ...doc.secrets, keys: serverSigningKeys() };
    doc.clients = staticClients(clientKey) as never;
    doc.oauth = { device_code_grant_enabled: true };
    for (const [section, value] of Object.entries(options.extraConfig ?? {})) {
      doc[section] = { ...doc[section], ...(value as Record<string, unknown>) };
    }
    writeFileSync(config.path, stringify(doc));

    await runToCompletion(['-c', config.path, 'database', 'migrate']);
    for (const user of options.users ?? [ALICE]) {
      await runToCompletion([
        '-c',
        config.path,
        'manage',
        'register-user',
        user.username,
        '--password',
        user.password,
      ]);
    }
  } catch (error) {
    config.cleanup();
    throw error;
  }

  const server = runGatehouse(['-c', config.path, 'server']);
  const issuer = `http://127.0.0.1:${config.webPort}/`;
  try {
    await waitForStatus(`${issuer}.well-known/openid-configuration`, 200, 30_000);
  } catch (error) {
    server.child.kill('SIGKILL');
    await server.exited;
    config.cleanup();
    throw new Error(`${(error as Error).message}\n${server.output()}`, { cause: error });
  }
  return {
    issuer,
    issuerUrl: new URL(issuer),
    url: (path) => new URL(path.replace(/^\//, ''), issuer).href,
    clientKey,
    config,
    process: server,
    async stop() {
      server.child.kill('SIGTERM');
      const timer = setTimeout(() => server.child.kill('SIGKILL'), 15_000);
      const code = await server.exited;
      clearTimeout(timer);
      config.cleanup();
      return code;
    },
  };
}
