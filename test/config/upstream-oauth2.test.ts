// The `upstream_oauth2` section beyond MAS's own rules: templates are compiled when the
// configuration loads (a bad one is a problem naming its YAML path), and the Gatehouse-only keys
// `login_only`, `claims_requirements` and `admin_claim`.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { upstreamProviderSchema } from '../../src/config/sections/upstream_oauth2.ts';
import { tempDir } from './cli-harness.ts';

const SECRETS = `
secrets:
  encryption: ${'ab'.repeat(32)}
  keys:
    - key_file: /nonexistent/only-checked-by-config-check.pem
`;

const base = {
  id: '01HFVBY12TMNTYTBV8W921M5FA',
  client_id: 'c',
  issuer: 'https://idp.example.com/',
  token_endpoint_auth_method: 'none',
};

function issues(result: {
  success: boolean;
  error?: { issues: { path: PropertyKey[]; message: string }[] };
}): string[] {
  return (result.error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('upstream_oauth2 templates', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('reports every bad template with its file and YAML path', () => {
    const file = join(dir, 'config.yaml');
    writeFileSync(
      file,
      `${SECRETS}
upstream_oauth2:
  providers:
    - id: 01HFVBY12TMNTYTBV8W921M5FA
      issuer: https://idp.example.com/
      client_id: c
      token_endpoint_auth_method: none
      additional_authorization_parameters:
        login_hint: "{{ params.login_hint | nope }}"
      claims_imports:
        subject:
          template: "{{ user.sub"
        localpart:
          action: require
          template: "{{ (user.preferred_username | split('@'))[0] }}"
        displayname:
          template: "{% include 'x' %}"
`,
    );
    const result = loadConfig([file]);
    assert.equal(result.ok, false);
    const problems = result.ok ? [] : result.problems;
    assert.deepEqual(
      problems.map((p) => [p.file, p.path, p.message]),
      [
        [
          file,
          'upstream_oauth2.providers[0].claims_imports.subject.template',
          'invalid template: expected variable end',
        ],
        [
          file,
          'upstream_oauth2.providers[0].claims_imports.displayname.template',
          'invalid template: line 1, column 4: `include` is not available in this template',
        ],
        [
          file,
          'upstream_oauth2.providers[0].additional_authorization_parameters.login_hint',
          'invalid template: line 1, column 24: unknown filter `nope`',
        ],
      ],
    );
  });

  it('accepts the templates of the MAS documentation', () => {
    const ok = upstreamProviderSchema.safeParse({
      ...base,
      claims_imports: {
        localpart: {
          action: 'require',
          template: "{{ (user.preferred_username | split('@'))[0] }}",
        },
        email: {
          action: 'suggest',
          template: '{{ user.email }}',
          set_email_verification: 'always',
        },
      },
      additional_authorization_parameters: { login_hint: '{{ params.login_hint }}' },
    });
    assert.deepEqual(issues(ok), []);
  });
});

describe('upstream_oauth2 Gatehouse-only keys', () => {
  it('defaults: registration allowed, no requirements, no admin claim', () => {
    const provider = upstreamProviderSchema.parse(base);
    assert.equal(provider.login_only, false);
    assert.deepEqual(provider.claims_requirements, []);
    assert.equal(provider.admin_claim, undefined);
  });

  it('reads requirements and the admin claim', () => {
    const provider = upstreamProviderSchema.parse({
      ...base,
      login_only: true,
      claims_requirements: [
        { claim: 'groups', contains: 'matrix-users', message: 'Ask IT' },
        { claim: 'realm_access.roles', contains: 'chat' },
        { claim: 'org', equals: 'acme' },
      ],
      admin_claim: { claim: 'groups', contains: 'admins' },
    });
    assert.equal(provider.login_only, true);
    assert.equal(provider.claims_requirements.length, 3);
    assert.equal(provider.claims_requirements[0]!.message, 'Ask IT');
    assert.deepEqual(provider.admin_claim, { claim: 'groups', contains: 'admins', revoke: false });
  });

  it('needs exactly one of contains and equals, and no unknown keys', () => {
    assert.deepEqual(
      issues(
        upstreamProviderSchema.safeParse({
          ...base,
          claims_requirements: [{ claim: 'groups' }, { claim: 'g', contains: 'a', equals: 'b' }],
          admin_claim: { claim: 'groups', contains: 'a', value: 'x' },
        }),
      ),
      [
        'claims_requirements.0.contains: set `contains` or `equals`, exactly one',
        'claims_requirements.1.contains: set `contains` or `equals`, exactly one',
        'admin_claim: Unrecognized key: "value"',
      ],
    );
    assert.deepEqual(
      issues(
        upstreamProviderSchema.safeParse({ ...base, claims_requirements: [{ contains: 'a' }] }),
      ),
      ['claims_requirements.0.claim: Invalid input: expected string, received undefined'],
    );
  });
});
