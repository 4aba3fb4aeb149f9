import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  grantPolicyViolations,
  policyError,
  type GrantPolicyConfig,
  type GrantPolicyInput,
} from '../../src/oauth2/grant-policy.ts';
import { deviceIdOfScope, normaliseMatrixScope } from '../../src/oauth2/matrix-scopes.ts';

const CONFIG: GrantPolicyConfig = {
  matrix: true,
  adminUsers: ['listed'],
  adminClients: ['ADMINCLIENT'],
  sessionLimit: null,
};
const API = 'urn:matrix:client:api:*';
const UAPI = 'urn:matrix:org.matrix.msc2967.client:api:*';
const DEV = 'urn:matrix:client:device:ABCDEFGHIJ';
const UDEV = 'urn:matrix:org.matrix.msc2967.client:device:ABCDEFGHIJ';
const alice = { username: 'alice', canRequestAdmin: false };

function codes(input: Partial<GrantPolicyInput>, config: Partial<GrantPolicyConfig> = {}) {
  return grantPolicyViolations(
    { grant: 'authorization_code', scopes: [], clientId: 'C', user: alice, ...input },
    { ...CONFIG, ...config },
  ).map((v) => v.code);
}

describe('grant policy: Matrix scopes', () => {
  it('allows the API scope with one device, in either form', () => {
    assert.deepEqual(codes({ scopes: ['openid', API, DEV] }), []);
    assert.deepEqual(codes({ scopes: [UAPI, UDEV] }), []);
    assert.deepEqual(codes({ scopes: [API] }), []);
  });

  it('checks the device id charset and length', () => {
    assert.deepEqual(codes({ scopes: [API, 'urn:matrix:client:device:SHORT'] }), [
      'invalid-device-id',
    ]);
    assert.deepEqual(codes({ scopes: [API, 'urn:matrix:client:device:ABCDEFGHI#J'] }), [
      'invalid-device-id',
    ]);
    assert.deepEqual(
      codes({ scopes: [API, "urn:matrix:client:device:a.b_c~d!$&'()*+,;=:@/-"] }),
      [],
    );
  });

  it('allows at most one device per request', () => {
    assert.deepEqual(codes({ scopes: [API, DEV, 'urn:matrix:client:device:KLMNOPQRST'] }), [
      'too-many-devices',
    ]);
  });

  it('needs the API scope with a device', () => {
    assert.deepEqual(codes({ scopes: ['openid', DEV] }), ['device-without-api']);
  });

  it('refuses stable and unstable forms together', () => {
    assert.deepEqual(codes({ scopes: [API, UDEV] }), ['mixed-scope-forms']);
    assert.deepEqual(codes({ scopes: [API, UAPI] }), ['mixed-scope-forms']);
  });

  it('refuses unknown scopes in the Matrix and MAS namespaces, allows others', () => {
    assert.deepEqual(codes({ scopes: ['urn:matrix:client:foo'] }), ['scope-not-allowed']);
    assert.deepEqual(codes({ scopes: ['urn:mas:whatever'] }), ['scope-not-allowed']);
    assert.deepEqual(
      codes({ scopes: ['profile', 'https://example.com/x', 'urn:mas:graphql:*'] }),
      [],
    );
  });

  it('refuses every Matrix scope without a homeserver', () => {
    assert.deepEqual(codes({ scopes: [API, DEV] }, { matrix: false }), [
      'scope-not-allowed',
      'scope-not-allowed',
    ]);
    assert.deepEqual(codes({ scopes: ['openid', 'email'] }, { matrix: false }), []);
  });

  it('keeps Matrix scopes to grants with a user', () => {
    assert.deepEqual(codes({ grant: 'client_credentials', user: null, scopes: [API] }), [
      'scope-not-allowed',
    ]);
    assert.deepEqual(
      codes({ grant: 'client_credentials', user: null, scopes: ['urn:synapse:admin:*'] }),
      ['scope-not-allowed'],
    );
    assert.deepEqual(codes({ grant: 'device_code', scopes: [API, DEV] }), []);
  });
});

describe('grant policy: admin scopes', () => {
  for (const scope of ['urn:synapse:admin:*', 'urn:mas:admin']) {
    it(`${scope}: only admins and listed users; unknown user skips the check`, () => {
      assert.deepEqual(codes({ scopes: [scope] }), ['scope-not-allowed']);
      assert.deepEqual(
        codes({ scopes: [scope], user: { username: 'alice', canRequestAdmin: true } }),
        [],
      );
      assert.deepEqual(
        codes({ scopes: [scope], user: { username: 'listed', canRequestAdmin: false } }),
        [],
      );
      assert.deepEqual(codes({ scopes: [scope], user: undefined }), []);
    });
  }

  it('urn:mas:admin with client_credentials only for admin clients', () => {
    const cc = { grant: 'client_credentials' as const, user: null, scopes: ['urn:mas:admin'] };
    assert.deepEqual(codes({ ...cc, clientId: 'OTHER' }), ['scope-not-allowed']);
    assert.deepEqual(codes({ ...cc, clientId: 'ADMINCLIENT' }), []);
  });
});

describe('grant policy: soft session limit', () => {
  const limit = { soft_limit: 3, hard_limit: 5, dangerous_hard_limit_eviction: false };

  it('refuses interactive grants at the soft limit, saying how many to end', () => {
    const violations = grantPolicyViolations(
      { grant: 'authorization_code', scopes: [API], clientId: 'C', user: alice, activeSessions: 4 },
      { ...CONFIG, sessionLimit: limit },
    );
    assert.equal(violations[0]!.code, 'too-many-sessions');
    assert.equal(violations[0]!.needToRemove, 2);
    assert.equal(policyError(violations).error, 'access_denied');
    assert.deepEqual(codes({ activeSessions: 2 }, { sessionLimit: limit }), []);
    assert.deepEqual(codes({ activeSessions: 3 }, { sessionLimit: limit }), ['too-many-sessions']);
  });

  it('spares accounts above max_session_threshold, and skips when not counted', () => {
    assert.deepEqual(
      codes({ activeSessions: 50 }, { sessionLimit: { ...limit, max_session_threshold: 10 } }),
      [],
    );
    assert.deepEqual(codes({}, { sessionLimit: limit }), []);
  });

  it('scope errors become invalid_scope', () => {
    const violations = grantPolicyViolations(
      { grant: 'authorization_code', scopes: [DEV], clientId: 'C', user: alice },
      CONFIG,
    );
    assert.equal(policyError(violations).error, 'invalid_scope');
  });
});

describe('Matrix scope helpers', () => {
  it('finds the device in either form', () => {
    assert.equal(deviceIdOfScope(`openid ${API} ${DEV}`), 'ABCDEFGHIJ');
    assert.equal(deviceIdOfScope([UAPI, UDEV]), 'ABCDEFGHIJ');
    assert.equal(deviceIdOfScope('openid'), null);
  });

  it('normalises to both forms, optionally without the device', () => {
    assert.equal(
      normaliseMatrixScope(`openid ${API} ${DEV}`),
      [API, DEV, UAPI, UDEV, 'openid'].sort().join(' '),
    );
    assert.equal(normaliseMatrixScope(`${UAPI} ${UDEV}`, true), [API, UAPI].sort().join(' '));
  });

  it('normalises a granted scope as stored, without judging it again', () => {
    // Unsorted and repeated, as a scope read from another system may be: sorted and unique out.
    assert.equal(
      normaliseMatrixScope(`openid ${DEV} openid ${API}`),
      normaliseMatrixScope(`${API} ${DEV} openid`),
    );
    // A token a request's `scope` parameter may not carry (a double quote) is passed through: an
    // introspection answers for what was granted; it does not fail with invalid_scope.
    assert.equal(normaliseMatrixScope('openid legacy"scope'), 'legacy"scope openid');
  });
});
