import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseClientMetadata } from '../../src/oauth2/client-metadata.ts';
import { OAuthError } from '../../src/oauth2/errors.ts';
import {
  checkClientRegistration,
  enforceClientRegistration,
  isPublicSuffixUrl,
  registrationPolicyFrom,
  type ClientRegistrationPolicy,
} from '../../src/oauth2/registration-policy.ts';

const strict: ClientRegistrationPolicy = {
  allowInsecureUris: false,
  allowHostMismatch: false,
  allowMissingClientUri: false,
};
const web = {
  client_uri: 'https://example.com/',
  redirect_uris: ['https://app.example.com/cb'],
  token_endpoint_auth_method: 'none',
};

function violations(
  body: Record<string, unknown>,
  policy: Partial<ClientRegistrationPolicy> = {},
): string[] {
  return checkClientRegistration(parseClientMetadata(body), { ...strict, ...policy }).map(
    (v) => v.message,
  );
}

describe('client registration policy', () => {
  it('accepts a well-formed web client', () => {
    assert.deepEqual(
      violations({
        ...web,
        tos_uri: 'https://example.com/tos',
        policy_uri: 'https://www.example.com/p',
        logo_uri: 'https://cdn.example.com/l.png',
      }),
      [],
    );
  });

  it('reads the switches from policy.data, anything but true being off', () => {
    assert.deepEqual(
      registrationPolicyFrom({
        client_registration: { allow_insecure_uris: true, allow_host_mismatch: 'yes' },
      }),
      { allowInsecureUris: true, allowHostMismatch: false, allowMissingClientUri: false },
    );
    assert.deepEqual(registrationPolicyFrom({}), strict);
  });

  it('requires client_uri unless allow_missing_client_uri', () => {
    const body = {
      redirect_uris: ['https://app.example.com/cb'],
      token_endpoint_auth_method: 'none',
    };
    assert.deepEqual(violations(body), [
      'missing client_uri',
      'invalid redirect_uri https://app.example.com/cb',
    ]);
    assert.deepEqual(violations(body, { allowMissingClientUri: true }), []);
  });

  it('requires https, the default port and no loopback host unless allow_insecure_uris', () => {
    for (const field of ['client_uri', 'tos_uri', 'policy_uri', 'logo_uri']) {
      for (const uri of [
        'http://example.com/x',
        'https://example.com:8443/x',
        'https://localhost/x',
        'https://127.0.0.1/x',
      ]) {
        const found = violations({ ...web, [field]: uri });
        assert.ok(
          found.includes(`invalid ${field}: it must be an https URL`),
          `${field} ${uri}: ${found.join()}`,
        );
        assert.ok(
          !violations(
            { ...web, [field]: uri },
            { allowInsecureUris: true, allowHostMismatch: true },
          ).some((m) => m.startsWith('invalid ')),
          `${field} ${uri} allowed`,
        );
      }
    }
    assert.deepEqual(violations({ ...web, redirect_uris: ['http://app.example.com/cb'] }), [
      'invalid redirect_uri http://app.example.com/cb',
    ]);
    assert.deepEqual(
      violations(
        { ...web, redirect_uris: ['http://app.example.com/cb'] },
        { allowInsecureUris: true },
      ),
      [],
    );
    assert.deepEqual(violations({ ...web, 'logo_uri#fr': 'http://example.com/fr.png' }), [
      'invalid logo_uri#fr: it must be an https URL',
    ]);
  });

  it('requires URIs on the client_uri host or a subdomain unless allow_host_mismatch', () => {
    for (const field of ['tos_uri', 'policy_uri', 'logo_uri']) {
      assert.deepEqual(violations({ ...web, [field]: 'https://other.org/x' }), [
        `${field} not on the same host as the client_uri`,
      ]);
      assert.deepEqual(violations({ ...web, [field]: 'https://notexample.com/x' }), [
        `${field} not on the same host as the client_uri`,
      ]);
      assert.deepEqual(
        violations({ ...web, [field]: 'https://other.org/x' }, { allowHostMismatch: true }),
        [],
      );
    }
    assert.deepEqual(violations({ ...web, redirect_uris: ['https://other.org/cb'] }), [
      'invalid redirect_uri https://other.org/cb',
    ]);
    assert.deepEqual(
      violations({ ...web, redirect_uris: ['https://other.org/cb'] }, { allowHostMismatch: true }),
      [],
    );
  });

  it('refuses client_credentials for public clients', () => {
    assert.deepEqual(
      violations({
        client_uri: 'https://example.com/',
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'none',
      }),
      ['client_credentials grant_type requires some form of client authentication'],
    );
    assert.deepEqual(
      violations({
        client_uri: 'https://example.com/',
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'client_secret_basic',
      }),
      [],
    );
  });

  it('lets native apps use loopback http and their reverse-DNS scheme', () => {
    const native = { ...web, application_type: 'native' };
    for (const uri of [
      'http://localhost/cb',
      'http://127.0.0.1:1234/cb',
      'http://[::1]/cb',
      'com.example:/cb',
      'com.example.app:/cb',
    ]) {
      assert.deepEqual(violations({ ...native, redirect_uris: [uri] }), [], uri);
      // A web app may not.
      assert.equal(violations({ ...web, redirect_uris: [uri] }).length, 1, `web ${uri}`);
    }
    for (const uri of [
      'org.example.app:/cb',
      'com.example.app://app.example.com/cb',
      'com:/cb',
      'https://localhost/cb',
      'http://example.com/cb',
    ]) {
      assert.deepEqual(
        violations({ ...native, redirect_uris: [uri] }),
        [`invalid redirect_uri ${uri}`],
        uri,
      );
    }
  });

  it('refuses URIs on a public suffix, whatever the switches', () => {
    assert.equal(isPublicSuffixUrl('https://co.uk/'), true);
    assert.equal(isPublicSuffixUrl('https://github.io/'), true);
    assert.equal(isPublicSuffixUrl('https://example.co.uk/'), false);
    assert.equal(isPublicSuffixUrl('http://localhost/'), false);
    assert.equal(isPublicSuffixUrl('http://127.0.0.1/'), false);
    const all = { allowInsecureUris: true, allowHostMismatch: true, allowMissingClientUri: true };
    assert.deepEqual(violations({ ...web, client_uri: 'https://github.io/' }, all), [
      'client_uri is on a public suffix',
    ]);
    assert.deepEqual(violations({ ...web, redirect_uris: ['https://com/cb'] }, all), [
      'redirect_uri https://com/cb is on a public suffix',
    ]);
  });

  it('maps violations to the RFC 7591 error codes', () => {
    const policy = strict;
    assert.throws(
      () =>
        enforceClientRegistration(
          parseClientMetadata({ ...web, redirect_uris: ['https://other.org/cb'] }),
          policy,
        ),
      (e: unknown) =>
        e instanceof OAuthError &&
        e.error === 'invalid_redirect_uri' &&
        /other\.org/.test(e.description ?? ''),
    );
    assert.throws(
      () =>
        enforceClientRegistration(
          parseClientMetadata({ ...web, client_uri: 'http://example.com/' }),
          policy,
        ),
      (e: unknown) => e instanceof OAuthError && e.error === 'invalid_client_metadata',
    );
    enforceClientRegistration(parseClientMetadata(web), policy);
  });
});
