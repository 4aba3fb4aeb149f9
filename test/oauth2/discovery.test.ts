import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { discoveryDocument } from '../../src/oauth2/discovery.ts';
import { UrlBuilder } from '../../src/http/url-builder.ts';

const urls = new UrlBuilder('https://auth.example.com/base/', 'https://example.com/');
const doc = (device: boolean, registration: boolean) =>
  discoveryDocument({
    issuer: urls.issuer,
    absolute: (p) => urls.absolute(p),
    oauth: { device_code_grant_enabled: device },
    account: { password_registration_enabled: registration },
    signingAlgorithms: ['RS256', 'ES256'],
  });

describe('discovery document', () => {
  it('has the MAS endpoints under the public base and the issuer', () => {
    const d = doc(true, false);
    assert.equal(d.issuer, 'https://example.com/');
    assert.equal(d.authorization_endpoint, 'https://auth.example.com/base/authorize');
    assert.equal(d.token_endpoint, 'https://auth.example.com/base/oauth2/token');
    assert.equal(d.introspection_endpoint, 'https://auth.example.com/base/oauth2/introspect');
    assert.equal(d.revocation_endpoint, 'https://auth.example.com/base/oauth2/revoke');
    assert.equal(d.userinfo_endpoint, 'https://auth.example.com/base/oauth2/userinfo');
    assert.equal(d.registration_endpoint, 'https://auth.example.com/base/oauth2/registration');
    assert.equal(d.jwks_uri, 'https://auth.example.com/base/oauth2/keys.json');
    assert.equal(d.device_authorization_endpoint, 'https://auth.example.com/base/oauth2/device');
    assert.equal(d.end_session_endpoint, 'https://auth.example.com/base/oauth2/logout');
    assert.equal(d.account_management_uri, 'https://auth.example.com/base/account/');
  });

  it('advertises the supported values', () => {
    const d = doc(true, false);
    assert.deepEqual(d.scopes_supported, ['openid', 'email', 'profile']);
    assert.deepEqual(d.response_types_supported, ['code']);
    assert.deepEqual(d.response_modes_supported, ['form_post', 'query', 'fragment']);
    assert.deepEqual(d.code_challenge_methods_supported, ['plain', 'S256']);
    assert.deepEqual(d.token_endpoint_auth_methods_supported, [
      'client_secret_basic',
      'client_secret_post',
      'client_secret_jwt',
      'private_key_jwt',
      'none',
    ]);
    assert.ok((d.token_endpoint_auth_signing_alg_values_supported as string[]).includes('HS256'));
    assert.ok(
      (d.introspection_endpoint_auth_signing_alg_values_supported as string[]).includes('ES256K'),
    );
    assert.deepEqual(d.id_token_signing_alg_values_supported, ['RS256', 'ES256']);
    assert.deepEqual(d.userinfo_signing_alg_values_supported, ['RS256', 'ES256']);
    assert.deepEqual(d.subject_types_supported, ['public']);
    for (const claim of [
      'email',
      'email_verified',
      'name',
      'preferred_username',
      'at_hash',
      'c_hash',
    ])
      assert.ok((d.claims_supported as string[]).includes(claim), claim);
    assert.equal(d.request_parameter_supported, false);
    assert.ok(
      (d.account_management_actions_supported as string[]).includes('org.matrix.session_end'),
    );
  });

  it('follows the device grant and registration switches', () => {
    const on = doc(true, true);
    const off = doc(false, false);
    assert.deepEqual(on.prompt_values_supported, ['login', 'none', 'consent', 'create']);
    assert.deepEqual(off.prompt_values_supported, ['login', 'none', 'consent']);
    assert.ok(
      (on.grant_types_supported as string[]).includes(
        'urn:ietf:params:oauth:grant-type:device_code',
      ),
    );
    assert.deepEqual(off.grant_types_supported, [
      'authorization_code',
      'refresh_token',
      'client_credentials',
    ]);
    assert.equal('device_authorization_endpoint' in off, false);
  });
});
