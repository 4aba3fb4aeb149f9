import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  clientMetadataToJson,
  metadataDigest,
  parseClientMetadata,
} from '../../src/oauth2/client-metadata.ts';
import { OAuthError } from '../../src/oauth2/errors.ts';

const base = {
  redirect_uris: ['https://app.example.com/cb'],
  client_uri: 'https://app.example.com/',
};
const fails = (code: string, pattern?: RegExp) => (e: unknown) =>
  e instanceof OAuthError &&
  e.error === code &&
  (pattern === undefined || pattern.test(e.description ?? ''));

describe('client metadata', () => {
  it('applies the RFC 7591 defaults', () => {
    const m = parseClientMetadata(base);
    assert.deepEqual(m.grant_types, ['authorization_code']);
    assert.deepEqual(m.response_types, ['code']);
    assert.equal(m.application_type, 'web');
    assert.equal(m.token_endpoint_auth_method, 'client_secret_basic');
    assert.deepEqual(m.contacts, []);
  });

  it('keeps localized variants and returns them as #tag keys', () => {
    const m = parseClientMetadata({
      ...base,
      client_name: 'My App',
      'client_name#fr': 'Mon appli',
      'client_name#pt-BR': 'Meu app',
      'tos_uri#de': 'https://app.example.com/agb',
      'unknown#fr': 'ignored',
    });
    assert.deepEqual(m.localized.client_name, { fr: 'Mon appli', 'pt-BR': 'Meu app' });
    const json = clientMetadataToJson(m);
    assert.equal(json['client_name#fr'], 'Mon appli');
    assert.equal(json['tos_uri#de'], 'https://app.example.com/agb');
    assert.equal(json.client_name, 'My App');
    assert.equal('unknown#fr' in json, false);
    assert.throws(
      () => parseClientMetadata({ ...base, 'client_name#': 'x' }),
      fails('invalid_client_metadata'),
    );
    assert.throws(
      () => parseClientMetadata({ ...base, 'logo_uri#fr': 'nope' }),
      fails('invalid_client_metadata'),
    );
  });

  it('reports redirect URI problems as invalid_redirect_uri', () => {
    assert.throws(() => parseClientMetadata({}), fails('invalid_redirect_uri'));
    assert.throws(() => parseClientMetadata({ redirect_uris: [] }), fails('invalid_redirect_uri'));
    assert.throws(
      () => parseClientMetadata({ redirect_uris: ['/relative'] }),
      fails('invalid_redirect_uri'),
    );
    assert.throws(
      () => parseClientMetadata({ redirect_uris: ['https://a.example/cb#frag'] }),
      fails('invalid_redirect_uri', /fragment/),
    );
    // Without the code grant no redirect URI is needed.
    const m = parseClientMetadata({ grant_types: ['client_credentials'] });
    assert.deepEqual(m.response_types, []);
  });

  it('checks grant and response types', () => {
    assert.throws(
      () => parseClientMetadata({ ...base, grant_types: ['implicit'] }),
      fails('invalid_client_metadata'),
    );
    assert.throws(
      () => parseClientMetadata({ ...base, response_types: ['token'] }),
      fails('invalid_client_metadata'),
    );
    assert.throws(
      () => parseClientMetadata({ grant_types: ['client_credentials'], response_types: ['code'] }),
      fails('invalid_client_metadata', /authorization_code/),
    );
  });

  it('checks the authentication method, keys and algorithms', () => {
    const jwks = { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] };
    assert.throws(
      () => parseClientMetadata({ ...base, token_endpoint_auth_method: 'tls_client_auth' }),
      fails('invalid_client_metadata'),
    );
    assert.throws(
      () =>
        parseClientMetadata({
          ...base,
          token_endpoint_auth_method: 'private_key_jwt',
          token_endpoint_auth_signing_alg: 'ES256',
        }),
      fails('invalid_client_metadata', /jwks/),
    );
    assert.throws(
      () => parseClientMetadata({ ...base, jwks, jwks_uri: 'https://app.example.com/jwks' }),
      fails('invalid_client_metadata', /mutually exclusive/),
    );
    assert.throws(
      () => parseClientMetadata({ ...base, token_endpoint_auth_method: 'private_key_jwt', jwks }),
      fails('invalid_client_metadata', /required/),
    );
    assert.throws(
      () =>
        parseClientMetadata({
          ...base,
          token_endpoint_auth_method: 'client_secret_jwt',
          token_endpoint_auth_signing_alg: 'RS256',
        }),
      fails('invalid_client_metadata', /HS256/),
    );
    assert.throws(
      () =>
        parseClientMetadata({
          ...base,
          token_endpoint_auth_method: 'private_key_jwt',
          jwks,
          token_endpoint_auth_signing_alg: 'HS256',
        }),
      fails('invalid_client_metadata'),
    );
    assert.throws(
      () => parseClientMetadata({ ...base, jwks: { keys: [{ kty: 'EC', d: 'secret' }] } }),
      fails('invalid_client_metadata', /private/),
    );
    assert.throws(
      () => parseClientMetadata({ ...base, id_token_signed_response_alg: 'none' }),
      fails('invalid_client_metadata'),
    );
    assert.throws(
      () => parseClientMetadata({ ...base, initiate_login_uri: 'http://app.example.com/login' }),
      fails('invalid_client_metadata'),
    );
    const ok = parseClientMetadata({
      ...base,
      token_endpoint_auth_method: 'private_key_jwt',
      jwks,
      token_endpoint_auth_signing_alg: 'ES256K',
    });
    assert.equal(ok.token_endpoint_auth_signing_alg, 'ES256K');
  });

  it('refuses what is not a JSON object', () => {
    assert.throws(() => parseClientMetadata([]), fails('invalid_client_metadata'));
    assert.throws(() => parseClientMetadata(null), fails('invalid_client_metadata'));
    assert.throws(
      () => parseClientMetadata({ ...base, contacts: 'a@b' }),
      fails('invalid_client_metadata', /contacts/),
    );
  });

  it('gives the same digest whatever the order, another for other metadata', () => {
    const a = parseClientMetadata({
      redirect_uris: ['https://a.example/1', 'https://a.example/2'],
      contacts: ['x', 'y'],
      token_endpoint_auth_method: 'none',
    });
    const b = parseClientMetadata({
      token_endpoint_auth_method: 'none',
      contacts: ['y', 'x'],
      redirect_uris: ['https://a.example/2', 'https://a.example/1'],
    });
    const c = parseClientMetadata({
      token_endpoint_auth_method: 'none',
      redirect_uris: ['https://a.example/2'],
    });
    assert.equal(metadataDigest(a), metadataDigest(b));
    assert.notEqual(metadataDigest(a), metadataDigest(c));
    assert.match(metadataDigest(a), /^[0-9a-f]{64}$/);
  });
});
