// `config generate`: a commented starting configuration with fresh secrets — the encryption key, an
// RSA 2048 and an EC P-256 signing key, and the homeserver shared secret — in MAS's file format.
// Sections left out take their defaults (docs/configuration.md lists them).

import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { randomString, type Rng } from '../rng.ts';
import { rootSchema } from './root.ts';

const generateKeyPairAsync = promisify(generateKeyPair);

export interface GenerateConfigOptions {
  /** Randomness for the encryption key and the homeserver secret (keys come from node:crypto). */
  rng: Rng;
  /** `database.uri`. Default: `sqlite:data/gatehouse.db`. */
  database?: string | undefined;
  /** `http.public_base`. Default: `http://localhost:8080/`. */
  publicBase?: string | undefined;
  /** `HOST:PORT` of the public listener. Default: `0.0.0.0:8080`. */
  listenAddress?: string | undefined;
}

export const DEFAULT_DATABASE_URI = 'sqlite:data/gatehouse.db';
export const DEFAULT_PUBLIC_BASE = 'http://localhost:8080/';
export const DEFAULT_LISTEN_ADDRESS = '0.0.0.0:8080';

/** The generated file did not validate: an option the caller gave is wrong. */
export class GenerateConfigError extends Error {
  override readonly name = 'GenerateConfigError';
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export async function generateConfig(options: GenerateConfigOptions): Promise<string> {
  const database = options.database ?? DEFAULT_DATABASE_URI;
  const publicBase = options.publicBase ?? DEFAULT_PUBLIC_BASE;
  const listenAddress = options.listenAddress ?? DEFAULT_LISTEN_ADDRESS;
  const encryption = Buffer.from(options.rng.bytes(32)).toString('hex');
  const matrixSecret = randomString(options.rng, ALPHANUMERIC, 32);
  const [rsa, ec] = await Promise.all([
    generateKeyPairAsync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    }),
    generateKeyPairAsync('ec', {
      namedCurve: 'prime256v1',
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'sec1', format: 'pem' },
    }),
  ]);

  const text = `# Gatehouse configuration, written by \`gatehouse config generate\`.
#
# The format is the one of the Matrix Authentication Service (MAS): a MAS config.yaml works here, and
# this file works with MAS (except for a SQLite database). Sections not written here take their
# defaults; docs/configuration.md describes every key. Validate with \`gatehouse config check\`.
#
# It holds secrets: keep it private (mode 0600) and back it up.

http:
  # Public URL where users and clients reach Gatehouse; absolute URLs are built from it.
  public_base: ${scalar(publicBase)}
  # The OIDC issuer advertised in discovery. Default: public_base.
  #issuer: https://example.com/
  listeners:
    # Public listener: discovery, login pages, OAuth 2.0 endpoints, Matrix login compatibility,
    # the API of the account pages, and static assets.
    - name: web
      resources:
        - name: discovery
        - name: human
        - name: oauth
        - name: compat
        - name: graphql
        - name: assets
      binds:
        - address: ${scalar(listenAddress)}
    # Internal listener: health checks. Keep it off the internet (add \`- name: prometheus\` or
    # \`- name: adminapi\` here if you use them).
    - name: internal
      resources:
        - name: health
      binds:
        - host: 127.0.0.1
          port: 8081

database:
  # \`sqlite:PATH\` (relative to the working directory) runs with no database server; for several
  # nodes use PostgreSQL: postgresql://user:password@host:5432/database
  uri: ${scalar(database)}

secrets:
  # Encrypts cookies and the secrets stored in the database (32 random bytes, hex).
  # Changing it signs everybody out and makes stored secrets unreadable.
  encryption: ${encryption}
  # Keys that sign ID tokens and other JWTs. An RSA key is required (RS256); the \`kid\` of each key
  # defaults to its JWK thumbprint.
  keys:
    - key: |
${indent(rsa.privateKey, 8)}
    - key: |
${indent(ec.privateKey, 8)}

passwords:
  # Local password accounts. Set to false to sign in through upstream providers only.
  enabled: true
  # Hashing schemes; the highest version hashes new passwords.
  schemes:
    - version: 1
      algorithm: argon2id
  # Lowest zxcvbn strength score (0-4) of a new password.
  minimum_complexity: 3

# The Matrix homeserver. Remove this section to run Gatehouse as a standalone OpenID provider.
matrix:
  kind: synapse
  # The homeserver's server_name.
  homeserver: localhost:8008
  # Shared with Synapse (its \`matrix_authentication_service.secret\`). Grants admin rights on it.
  secret: ${matrixSecret}
  # Where Gatehouse reaches the homeserver's client API.
  endpoint: http://localhost:8008/

email:
  from: '"Authentication Service" <root@localhost>'
  reply_to: '"Authentication Service" <root@localhost>'
  # blackhole drops every email; use smtp or sendmail to deliver them.
  transport: blackhole
`;

  const parsed = rootSchema.safeParse(parse(text));
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first === undefined ? '' : `${first.path.join('.')}: `;
    throw new GenerateConfigError(
      `the generated configuration is invalid: ${where}${first?.message ?? 'unknown error'}`,
    );
  }
  return text;
}

/** A YAML scalar for a value inserted in the template (quoted when YAML needs it). */
function scalar(value: string): string {
  return stringify(value, { lineWidth: 0 }).trimEnd();
}

function indent(pem: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return pem
    .trimEnd()
    .split('\n')
    .map((line) => pad + line)
    .join('\n');
}
