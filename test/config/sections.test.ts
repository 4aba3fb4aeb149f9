// Each section schema against the MAS documentation's examples and MAS's rules and defaults.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { rootSchema } from '../../src/config/root.ts';
import { clientSchema } from '../../src/config/sections/clients.ts';
import { emailSchema } from '../../src/config/sections/email.ts';
import { experimentalSchema } from '../../src/config/sections/experimental.ts';
import { oauthSchema } from '../../src/config/sections/oauth.ts';
import { matrixSchema } from '../../src/config/sections/matrix.ts';
import { passwordsSchema } from '../../src/config/sections/passwords.ts';
import { rateLimitingSchema } from '../../src/config/sections/rate_limiting.ts';
import { upstreamProviderSchema } from '../../src/config/sections/upstream_oauth2.ts';
import { seedExamples } from './seed-examples.ts';

const SECRETS = { encryption: '0'.repeat(64), keys: [{ key_file: '/dev/null' }] };

/** Paths and messages of the issues, for readable assertion failures. */
function issues(result: {
  success: boolean;
  error?: { issues: { path: PropertyKey[]; message: string }[] };
}): string[] {
  return (result.error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('MAS documentation examples', () => {
  for (const [name, text] of Object.entries(seedExamples)) {
    it(`parses the ${name} example`, () => {
      const document = parse(text) as Record<string, unknown>;
      const result = rootSchema.safeParse({ secrets: SECRETS, ...document });
      assert.deepEqual(issues(result), []);
    });
  }

  it('keeps what the examples say', () => {
    const config = rootSchema.parse({
      secrets: SECRETS,
      ...parse(seedExamples['upstream_oauth2 (Facebook)']!),
    });
    const provider = config.upstream_oauth2.providers[0]!;
    assert.equal(provider.discovery_mode, 'disabled');
    assert.equal(provider.pkce_method, 'always');
    assert.equal(provider.claims_imports.displayname.template, '{{ user.name }}');
    assert.equal(provider.id_token_signed_response_alg, 'RS256');
    const policy = rootSchema.parse({ secrets: SECRETS, ...parse(seedExamples.policy!) }).policy;
    assert.deepEqual(policy.data.admin_users, ['person1', 'person2']);
    assert.equal(policy.register_entrypoint, 'register/violation');
  });

  it('rejects the documentation client ID that is not a ULID (I is not a Crockford character)', () => {
    const result = clientSchema.safeParse({
      client_id: '000000000000000000000FIRST',
      client_auth_method: 'none',
    });
    assert.deepEqual(issues(result), [
      'client_id: must be a ULID (26 characters of 0-9 and A-Z without I, L, O, U)',
    ]);
  });
});

describe('defaults', () => {
  const config = rootSchema.parse({ secrets: SECRETS });

  it('fills every section but matrix, which is optional', () => {
    assert.equal(config.matrix, undefined);
    assert.deepEqual(config.clients, []);
    assert.deepEqual(config.upstream_oauth2.providers, []);
    assert.deepEqual(config.passwords, {
      enabled: true,
      schemes: [{ version: 1, algorithm: 'argon2id', unicode_normalization: false }],
      minimum_complexity: 3,
    });
    assert.deepEqual(config.email, {
      from: '"Authentication Service" <root@localhost>',
      reply_to: '"Authentication Service" <root@localhost>',
      transport: 'blackhole',
    });
    assert.deepEqual(config.oauth, {
      device_code_grant_enabled: true,
      device_code_user_code_auto_fill_enabled: false,
      introspection_cache_ttl: 5,
    });
    assert.deepEqual(config.experimental, { access_token_ttl: 300, compat_token_ttl: 300 });
    assert.equal(config.account.password_registration_enabled, false);
    assert.equal(config.account.password_recovery_enabled, false);
    assert.equal(config.account.email_change_allowed, true);
    assert.deepEqual(config.captcha, {});
  });

  it('has MAS rate limits (burst, refill per second)', () => {
    const limits = config.rate_limiting;
    assert.deepEqual(limits.login.per_ip, { burst: 3, per_second: 3 / 60 });
    assert.deepEqual(limits.login.per_account, { burst: 1800, per_second: 0.5 });
    assert.deepEqual(limits.registration, { burst: 3, per_second: 3 / 3600 });
    assert.deepEqual(limits.account_recovery.per_ip, { burst: 3, per_second: 3 / 3600 });
    assert.deepEqual(limits.account_recovery.per_address, { burst: 3, per_second: 1 / 3600 });
    assert.deepEqual(limits.email_authentication.per_ip, { burst: 5, per_second: 1 / 60 });
    assert.deepEqual(limits.email_authentication.per_address, { burst: 3, per_second: 1 / 3600 });
    assert.deepEqual(limits.email_authentication.emails_per_session, {
      burst: 2,
      per_second: 1 / 300,
    });
    assert.deepEqual(limits.email_authentication.attempt_per_session, {
      burst: 10,
      per_second: 1 / 60,
    });
  });

  it('gives each parse its own default objects', () => {
    const a = rootSchema.parse({ secrets: SECRETS });
    a.rate_limiting.login.per_ip.burst = 99;
    a.policy.data.x = 1;
    const b = rootSchema.parse({ secrets: SECRETS });
    assert.equal(b.rate_limiting.login.per_ip.burst, 3);
    assert.deepEqual(b.policy.data, {});
  });

  it('overrides one limiter and keeps the others', () => {
    const limits = rateLimitingSchema.parse({ login: { per_ip: { burst: 10, per_second: 1 } } });
    assert.deepEqual(limits.login.per_ip, { burst: 10, per_second: 1 });
    assert.deepEqual(limits.login.per_account, { burst: 1800, per_second: 0.5 });
    assert.deepEqual(issues(rateLimitingSchema.safeParse({ registration: { burst: 3 } })), [
      'registration.per_second: Invalid input: expected number, received undefined',
    ]);
    assert.equal(
      rateLimitingSchema.safeParse({ registration: { burst: 0, per_second: 1 } }).success,
      false,
    );
    assert.equal(
      rateLimitingSchema.safeParse({ registration: { burst: 1, per_second: 0 } }).success,
      false,
    );
  });
});

describe('rules', () => {
  it('checks client authentication against secrets and keys', () => {
    const id = '01GFWR28C4KNE04WG3HKXB7C9R';
    assert.deepEqual(
      issues(clientSchema.safeParse({ client_id: id, client_auth_method: 'client_secret_basic' })),
      [
        'client_auth_method: `client_secret` or `client_secret_file` is required for client_secret_basic',
      ],
    );
    assert.deepEqual(
      issues(
        clientSchema.safeParse({ client_id: id, client_auth_method: 'none', client_secret: 's' }),
      ),
      ['client_secret: not allowed for a public client (`none`)'],
    );
    assert.deepEqual(
      issues(clientSchema.safeParse({ client_id: id, client_auth_method: 'private_key_jwt' })),
      ['client_auth_method: `jwks` or `jwks_uri` is required for private_key_jwt'],
    );
    const jwks = { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'secret' }] };
    assert.deepEqual(
      issues(
        clientSchema.safeParse({ client_id: id, client_auth_method: 'private_key_jwt', jwks }),
      ),
      ['jwks.keys.0.d: private key material is not allowed in a client JWKS'],
    );
    assert.deepEqual(
      issues(
        clientSchema.safeParse({
          client_id: id,
          client_auth_method: 'client_secret_post',
          client_secret: 'a',
          client_secret_file: 'b',
        }),
      ),
      ['client_secret_file: set `client_secret` or `client_secret_file`, not both'],
    );
    assert.equal(
      clientSchema.safeParse({ client_id: id.toLowerCase(), client_auth_method: 'none' }).success,
      true,
    );
  });

  it('refuses duplicate client IDs', () => {
    const client = { client_id: '01GFWR28C4KNE04WG3HKXB7C9R', client_auth_method: 'none' };
    const result = rootSchema.safeParse({ secrets: SECRETS, clients: [client, client] });
    assert.deepEqual(issues(result), ['clients.1.client_id: duplicate of clients[0].client_id']);
  });

  it('checks upstream providers as MAS does', () => {
    const base = { id: '01HFVBY12TMNTYTBV8W921M5FA', client_id: 'c' };
    assert.deepEqual(
      issues(
        upstreamProviderSchema.safeParse({
          ...base,
          token_endpoint_auth_method: 'client_secret_post',
        }),
      ),
      [
        'issuer: required unless `discovery_mode` is `disabled`',
        'client_secret: required with `client_secret_post`',
      ],
    );
    assert.deepEqual(
      issues(
        upstreamProviderSchema.safeParse({
          ...base,
          issuer: 'https://x',
          token_endpoint_auth_method: 'private_key_jwt',
        }),
      ),
      ['token_endpoint_auth_signing_alg: required with `private_key_jwt`'],
    );
    assert.deepEqual(
      issues(
        upstreamProviderSchema.safeParse({
          ...base,
          issuer: 'https://x',
          token_endpoint_auth_method: 'sign_in_with_apple',
        }),
      ),
      ['sign_in_with_apple: required with `sign_in_with_apple`'],
    );
    const skip = {
      ...base,
      issuer: 'https://x',
      token_endpoint_auth_method: 'none',
      claims_imports: { skip_confirmation: true, email: { action: 'suggest' } },
    };
    assert.deepEqual(issues(upstreamProviderSchema.safeParse(skip)), [
      'claims_imports.localpart.action: must be `require` when `skip_confirmation` is true',
      'claims_imports.email.action: must not be `suggest` when `skip_confirmation` is true',
    ]);
    const conflict = {
      ...base,
      issuer: 'https://x',
      token_endpoint_auth_method: 'none',
      claims_imports: { localpart: { on_conflict: 'add' } },
    };
    assert.deepEqual(issues(upstreamProviderSchema.safeParse(conflict)), [
      'claims_imports.localpart.action: must be `force` or `require` when `on_conflict` is `add`',
    ]);
    const ok = upstreamProviderSchema.parse({
      ...base,
      issuer: 'https://x',
      token_endpoint_auth_method: 'none',
    });
    assert.equal(ok.scope, 'openid');
    assert.equal(ok.claims_imports.localpart.action, 'ignore');
    assert.equal(ok.on_backchannel_logout, 'do_nothing');
  });

  it('needs the matrix secret inline or in a file, not both', () => {
    assert.deepEqual(issues(matrixSchema.safeParse({})), [
      'secret: missing: set `secret` or `secret_file`',
    ]);
    assert.deepEqual(issues(matrixSchema.safeParse({ secret: 'a', secret_file: 'b' })), [
      'secret_file: set `secret` or `secret_file`, not both',
    ]);
    const matrix = matrixSchema.parse({ secret_file: '/run/secret' });
    assert.equal(matrix.kind, 'synapse');
    assert.equal(matrix.homeserver, 'localhost:8008');
    assert.equal(matrix.endpoint, 'http://localhost:8008/');
  });

  it('checks email transports', () => {
    assert.deepEqual(issues(emailSchema.safeParse({ transport: 'smtp', username: 'u' })), [
      'password: required with `username`',
      'mode: required with the smtp transport',
      'hostname: required with the smtp transport',
    ]);
    assert.deepEqual(
      issues(
        emailSchema.safeParse({ transport: 'sendmail', from: 'not a mailbox', hostname: 'x' }),
      ),
      [
        'from: must be an email address, optionally with a name: `"Name" <user@example.com>`',
        'hostname: only used by the smtp transport',
      ],
    );
    assert.equal(
      emailSchema.safeParse({
        transport: 'smtp',
        mode: 'starttls',
        hostname: 'mail',
        port: 587,
        username: 'u',
        password_file: '/p',
      }).success,
      true,
    );
  });

  it('checks password schemes', () => {
    assert.deepEqual(issues(passwordsSchema.safeParse({ schemes: [] })), [
      'schemes: at least one scheme is required when passwords are enabled',
    ]);
    assert.equal(passwordsSchema.safeParse({ enabled: false, schemes: [] }).success, true);
    const twice = {
      schemes: [
        { version: 1, algorithm: 'bcrypt' },
        { version: 1, algorithm: 'argon2id' },
      ],
    };
    assert.deepEqual(issues(passwordsSchema.safeParse(twice)), [
      'schemes.1.version: version 1 is used twice',
    ]);
    const synapse = passwordsSchema.parse({
      schemes: [
        { version: 1, algorithm: 'bcrypt', unicode_normalization: true, secret: 'pepper' },
        { version: 2, algorithm: 'argon2id' },
      ],
    });
    assert.equal(synapse.schemes[0]!.unicode_normalization, true);
  });

  it('checks experimental session limits and lifetimes', () => {
    assert.deepEqual(
      issues(experimentalSchema.safeParse({ session_limit: { soft_limit: 5, hard_limit: 3 } })),
      ['session_limit.hard_limit: must be at least `soft_limit`'],
    );
    assert.equal(experimentalSchema.safeParse({ access_token_ttl: 59 }).success, false);
    assert.equal(
      experimentalSchema.safeParse({ inactive_session_expiration: { ttl: 599 } }).success,
      false,
    );
    const parsed = experimentalSchema.parse({ inactive_session_expiration: { ttl: 86400 } });
    assert.deepEqual(parsed.inactive_session_expiration, {
      ttl: 86400,
      expire_compat_sessions: true,
      expire_oauth_sessions: true,
      expire_user_sessions: true,
    });
  });

  it('bounds the introspection cache lifetime: 0 (off) to 300 seconds', () => {
    assert.equal(oauthSchema.parse({ introspection_cache_ttl: 0 }).introspection_cache_ttl, 0);
    assert.equal(oauthSchema.parse({ introspection_cache_ttl: 0.5 }).introspection_cache_ttl, 0.5);
    assert.equal(oauthSchema.safeParse({ introspection_cache_ttl: -1 }).success, false);
    assert.equal(oauthSchema.safeParse({ introspection_cache_ttl: 301 }).success, false);
  });

  it('refuses unknown keys in every section', () => {
    for (const section of Object.keys(rootSchema.shape)) {
      if (section === 'clients' || section === 'secrets') continue;
      const result = rootSchema.safeParse({ secrets: SECRETS, [section]: { no_such_key: true } });
      assert.ok(
        result.error?.issues.some(
          (i) => i.code === 'unrecognized_keys' && i.keys.includes('no_such_key'),
        ),
        `${section} accepted an unknown key`,
      );
    }
  });
});
