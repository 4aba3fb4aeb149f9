// Brings the upstream providers in the database in line with `upstream_oauth2.providers[]` (MAS's
// provider sync): adds new ones, updates changed ones (client secret and Apple key stored
// encrypted), sets their position to their place in the list (the order of the sign-in buttons),
// and enables or disables them by `enabled`. Providers no longer configured are disabled, or with
// `prune` deleted together with their links and authorization sessions. `dryRun` reports without
// writing. Runs in one transaction, at `gatehouse server` start (without prune) and by
// `gatehouse config sync`.

import type { Clock } from '../clock.ts';
import { readInlineOrFile } from '../config/secret-file.ts';
import type {
  ClaimsImportsConfig,
  UpstreamProviderConfig,
} from '../config/sections/upstream_oauth2.ts';
import type { Encrypter } from '../crypto/encrypter.ts';
import {
  asUpstreamOAuthProviderId,
  upstreamSecretContext,
  type UpstreamClaimsImports,
  type UpstreamOAuthProvider,
  type UpstreamOAuthProviderId,
} from '../model/upstream-oauth.ts';
import type { Rng } from '../rng.ts';
import type { Storage } from '../storage/storage.ts';
import type { UpstreamOAuthProviderFields } from '../storage/upstream-oauth-repository.ts';

export interface ProviderSyncOptions {
  readonly providers: readonly UpstreamProviderConfig[];
  readonly storage: Storage;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly encrypter: Encrypter;
  /** Delete providers that are no longer configured (with their links) instead of disabling them. */
  readonly prune?: boolean;
  /** Only report what would change. */
  readonly dryRun?: boolean;
}

/** Provider ids by what happened (or, in a dry run, would happen) to them. */
export interface ProviderSyncReport {
  readonly added: UpstreamOAuthProviderId[];
  readonly updated: UpstreamOAuthProviderId[];
  readonly unchanged: UpstreamOAuthProviderId[];
  /** No longer configured and now disabled (without `prune`). */
  readonly disabled: UpstreamOAuthProviderId[];
  /** No longer configured and deleted (with `prune`). */
  readonly removed: UpstreamOAuthProviderId[];
}

/** Reading a `client_secret_file` or Apple `private_key_file` failed. */
export class ProviderSyncError extends Error {
  override readonly name = 'ProviderSyncError';
}

interface Secrets {
  readonly clientSecret: string | undefined;
  readonly applePrivateKey: string | undefined;
}

export async function syncProviders(options: ProviderSyncOptions): Promise<ProviderSyncReport> {
  // Files are read before the transaction, so a missing one changes nothing.
  const wanted = options.providers.map((config, index) => ({
    id: asUpstreamOAuthProviderId(config.id.toUpperCase()),
    config,
    index,
    secrets: secretsOf(config),
  }));
  const report: ProviderSyncReport = {
    added: [],
    updated: [],
    unchanged: [],
    disabled: [],
    removed: [],
  };

  await options.storage.transaction(async (repos) => {
    const providers = repos.upstreamOAuthProviders;
    for (const { id, config, index, secrets } of wanted) {
      const existing = await providers.lookup(id);
      if (existing !== null && isUnchanged(existing, config, index, secrets, options.encrypter)) {
        report.unchanged.push(id);
        continue;
      }
      (existing === null ? report.added : report.updated).push(id);
      if (options.dryRun) continue;
      const fields = fieldsOf(config, index, encryptSecrets(id, secrets, options));
      await providers.upsert(options.clock, id, fields, config.enabled);
    }

    const configured = new Set<string>(wanted.map((w) => w.id));
    for (const provider of await providers.all()) {
      if (configured.has(provider.id)) continue;
      if (options.prune) {
        report.removed.push(provider.id);
        if (!options.dryRun) await providers.delete(provider.id);
      } else if (provider.disabledAt === null) {
        report.disabled.push(provider.id);
        if (!options.dryRun) await providers.disable(options.clock, provider.id);
      }
    }
  });
  return report;
}

function secretsOf(config: UpstreamProviderConfig): Secrets {
  const read = (inline: string | undefined, file: string | undefined, what: string) => {
    try {
      const value = readInlineOrFile(inline, file);
      return inline === undefined ? value?.trim() : value;
    } catch (error) {
      throw new ProviderSyncError(
        `upstream provider ${config.id}: cannot read ${what} ${file}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  };
  return {
    clientSecret: read(config.client_secret, config.client_secret_file, 'client_secret_file'),
    applePrivateKey:
      config.sign_in_with_apple === undefined
        ? undefined
        : read(
            config.sign_in_with_apple.private_key,
            config.sign_in_with_apple.private_key_file,
            'sign_in_with_apple.private_key_file',
          ),
  };
}

interface EncryptedSecrets {
  readonly clientSecret: string | null;
  readonly applePrivateKey: string | null;
}

function encryptSecrets(
  id: UpstreamOAuthProviderId,
  secrets: Secrets,
  options: ProviderSyncOptions,
): EncryptedSecrets {
  const encrypt = (value: string | undefined, what: 'client_secret' | 'apple_private_key') =>
    value === undefined
      ? null
      : options.encrypter.encrypt(value, options.rng, upstreamSecretContext(id, what));
  return {
    clientSecret: encrypt(secrets.clientSecret, 'client_secret'),
    applePrivateKey: encrypt(secrets.applePrivateKey, 'apple_private_key'),
  };
}

/** The claims imports as the model holds them (templates: null means the default). */
export function claimsImportsOf(config: ClaimsImportsConfig): UpstreamClaimsImports {
  return {
    subject: { template: config.subject.template ?? null },
    skipConfirmation: config.skip_confirmation,
    localpart: {
      action: config.localpart.action,
      template: config.localpart.template ?? null,
      onConflict: config.localpart.on_conflict,
    },
    displayname: {
      action: config.displayname.action,
      template: config.displayname.template ?? null,
    },
    email: {
      action: config.email.action,
      template: config.email.template ?? null,
      setEmailVerification: config.email.set_email_verification ?? 'import',
    },
    accountName: { template: config.account_name.template ?? null },
  };
}

function fieldsOf(
  config: UpstreamProviderConfig,
  index: number,
  encrypted: EncryptedSecrets,
): UpstreamOAuthProviderFields {
  const apple = config.sign_in_with_apple;
  return {
    issuer: config.issuer ?? null,
    humanName: config.human_name ?? null,
    brandName: config.brand_name ?? null,
    synapseIdpId: config.synapse_idp_id ?? null,
    clientId: config.client_id,
    encryptedClientSecret: encrypted.clientSecret,
    tokenEndpointAuthMethod: config.token_endpoint_auth_method,
    tokenEndpointSigningAlg: config.token_endpoint_auth_signing_alg ?? null,
    signInWithApple:
      apple === undefined || encrypted.applePrivateKey === null
        ? null
        : {
            teamId: apple.team_id,
            keyId: apple.key_id,
            encryptedPrivateKey: encrypted.applePrivateKey,
          },
    idTokenSignedResponseAlg: config.id_token_signed_response_alg,
    userinfoSignedResponseAlg: config.userinfo_signed_response_alg ?? null,
    scope: config.scope,
    discoveryMode: config.discovery_mode,
    pkceMethod: config.pkce_method,
    fetchUserinfo: config.fetch_userinfo,
    authorizationEndpointOverride: config.authorization_endpoint ?? null,
    tokenEndpointOverride: config.token_endpoint ?? null,
    userinfoEndpointOverride: config.userinfo_endpoint ?? null,
    jwksUriOverride: config.jwks_uri ?? null,
    responseMode: config.response_mode ?? null,
    additionalAuthorizationParameters: config.additional_authorization_parameters,
    forwardLoginHint: config.forward_login_hint,
    onBackchannelLogout: config.on_backchannel_logout,
    registrationTokenRequired: config.registration_token_required,
    claimsImports: claimsImportsOf(config.claims_imports),
    loginOnly: config.login_only,
    claimsRequirements: config.claims_requirements.map((r) => ({
      claim: r.claim,
      contains: r.contains ?? null,
      equals: r.equals ?? null,
      message: r.message ?? null,
    })),
    adminClaim:
      config.admin_claim === undefined
        ? null
        : {
            claim: config.admin_claim.claim,
            contains: config.admin_claim.contains ?? null,
            equals: config.admin_claim.equals ?? null,
            revoke: config.admin_claim.revoke,
          },
    uiOrder: index,
  };
}

function isUnchanged(
  existing: UpstreamOAuthProvider,
  config: UpstreamProviderConfig,
  index: number,
  secrets: Secrets,
  encrypter: Encrypter,
): boolean {
  if ((existing.disabledAt === null) !== config.enabled) return false;
  const want = fieldsOf(config, index, { clientSecret: null, applePrivateKey: 'compared below' });
  const { encryptedClientSecret: _secret, signInWithApple: wantApple, ...wantRest } = want;
  for (const [key, value] of Object.entries(wantRest)) {
    if (canonical(existing[key as keyof UpstreamOAuthProvider]) !== canonical(value)) return false;
  }
  if (
    !sameSecret(
      existing.encryptedClientSecret,
      secrets.clientSecret,
      encrypter,
      existing.id,
      'client_secret',
    )
  )
    return false;
  const haveApple = existing.signInWithApple;
  if ((wantApple === null) !== (haveApple === null)) return false;
  if (wantApple === null || haveApple === null) return true;
  return (
    wantApple.teamId === haveApple.teamId &&
    wantApple.keyId === haveApple.keyId &&
    sameSecret(
      haveApple.encryptedPrivateKey,
      secrets.applePrivateKey,
      encrypter,
      existing.id,
      'apple_private_key',
    )
  );
}

function sameSecret(
  stored: string | null,
  wanted: string | undefined,
  encrypter: Encrypter,
  id: UpstreamOAuthProviderId,
  what: 'client_secret' | 'apple_private_key',
): boolean {
  if (stored === null || wanted === undefined) return stored === null && wanted === undefined;
  try {
    return encrypter.decryptString(stored, upstreamSecretContext(id, what)) === wanted;
  } catch {
    // Stored with another key: store it again.
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
