// Brings the static clients in the database in line with `clients[]` of the configuration (MAS's
// `config sync`): adds new ones, updates changed ones (secrets stored encrypted), and with `prune`
// deletes static clients no longer configured. `dryRun` reports without writing. Runs in one
// transaction, at `gatehouse server` start (unless --no-sync) and by `gatehouse config sync`.
//
// Every static client gets all four grant types, as in MAS.

import type { Clock } from '../clock.ts';
import { readInlineOrFile } from '../config/secret-file.ts';
import type { ClientConfig } from '../config/sections/clients.ts';
import type { Encrypter } from '../crypto/encrypter.ts';
import { asOAuth2ClientId, type OAuth2ClientId } from '../model/ids.ts';
import type { GrantType, OAuth2Client } from '../model/oauth2-client.ts';
import { decryptClientSecret, encryptClientSecret } from '../oauth2/client-secret.ts';
import type { Rng } from '../rng.ts';
import type { OAuth2ClientFields } from '../storage/oauth2-client-repository.ts';
import type { Storage } from '../storage/storage.ts';

const STATIC_GRANT_TYPES: readonly GrantType[] = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'urn:ietf:params:oauth:grant-type:device_code',
];

export interface ClientSyncOptions {
  readonly clients: readonly ClientConfig[];
  readonly storage: Storage;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly encrypter: Encrypter;
  /** Delete static clients that are no longer in the configuration. */
  readonly prune?: boolean;
  /** Only report what would change. */
  readonly dryRun?: boolean;
}

/** Client ids by what happened (or, in a dry run, would happen) to them. */
export interface ClientSyncReport {
  readonly added: OAuth2ClientId[];
  readonly updated: OAuth2ClientId[];
  readonly unchanged: OAuth2ClientId[];
  /** Static clients no longer configured, deleted by `prune` (empty without it). */
  readonly removed: OAuth2ClientId[];
}

/** Reading a `client_secret_file` failed. */
export class ClientSyncError extends Error {
  override readonly name = 'ClientSyncError';
}

export async function syncClients(options: ClientSyncOptions): Promise<ClientSyncReport> {
  // Files are read before the transaction, so a missing one changes nothing.
  const wanted = options.clients.map((config) => ({
    id: asOAuth2ClientId(config.client_id.toUpperCase()),
    config,
    secret: secretOf(config),
  }));
  const report: ClientSyncReport = { added: [], updated: [], unchanged: [], removed: [] };

  await options.storage.transaction(async (repos) => {
    for (const { id, config, secret } of wanted) {
      const existing = await repos.oauth2Clients.lookup(id);
      if (existing !== null && !existing.isStatic) {
        // Checked here (storage would refuse too) so dry runs report it and the message names it.
        throw new ClientSyncError(
          `client ${id}: this id belongs to a dynamically registered client; give the static client another id`,
        );
      }
      if (existing !== null && isUnchanged(existing, config, secret, options)) {
        report.unchanged.push(id);
        continue;
      }
      (existing === null ? report.added : report.updated).push(id);
      if (options.dryRun) continue;
      const encrypted =
        secret === undefined
          ? null
          : encryptClientSecret(options.encrypter, options.rng, id, secret);
      await repos.oauth2Clients.upsertStatic(options.clock, id, fieldsOf(config, encrypted));
    }

    if (!options.prune) return;
    const configured = new Set<string>(wanted.map((w) => w.id));
    for (const client of await repos.oauth2Clients.listStatic()) {
      if (configured.has(client.id)) continue;
      report.removed.push(client.id);
      if (!options.dryRun) await repos.oauth2Clients.delete(client.id);
    }
  });
  return report;
}

function secretOf(config: ClientConfig): string | undefined {
  try {
    const value = readInlineOrFile(config.client_secret, config.client_secret_file);
    return config.client_secret === undefined ? value?.trim() : value;
  } catch (error) {
    throw new ClientSyncError(
      `client ${config.client_id}: cannot read client_secret_file ${config.client_secret_file}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

function fieldsOf(config: ClientConfig, encryptedClientSecret: string | null): OAuth2ClientFields {
  return {
    encryptedClientSecret,
    tokenEndpointAuthMethod: config.client_auth_method,
    tokenEndpointAuthSigningAlg: null,
    grantTypes: STATIC_GRANT_TYPES,
    redirectUris: config.redirect_uris,
    postLogoutRedirectUris: [],
    applicationType: null,
    clientName: config.client_name ?? null,
    clientNameLocalized: {},
    clientUri: config.client_uri ?? null,
    logoUri: null,
    policyUri: null,
    tosUri: null,
    contacts: [],
    jwks: config.jwks ?? null,
    jwksUri: config.jwks_uri ?? null,
    idTokenSignedResponseAlg: null,
    userinfoSignedResponseAlg: null,
    initiateLoginUri: null,
    metadataDigest: null,
  };
}

function isUnchanged(
  existing: OAuth2Client,
  config: ClientConfig,
  secret: string | undefined,
  options: ClientSyncOptions,
): boolean {
  const { encryptedClientSecret: _stored, ...want } = fieldsOf(config, null);
  for (const [key, value] of Object.entries(want)) {
    if (canonical(existing[key as keyof OAuth2Client]) !== canonical(value)) return false;
  }
  if (existing.encryptedClientSecret === null || secret === undefined)
    return existing.encryptedClientSecret === null && secret === undefined;
  try {
    return (
      decryptClientSecret(options.encrypter, existing.id, existing.encryptedClientSecret) === secret
    );
  } catch {
    // Stored with another key or for another id: store it again.
    return false;
  }
}

/** JSON with object keys sorted, so values read back from jsonb compare equal. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
