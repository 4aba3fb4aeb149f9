import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redirectUriMatches, resolveRedirectUri } from '../../src/oauth2/redirect-uri.ts';

describe('redirect URI matching', () => {
  it('matches exactly', () => {
    assert.equal(
      redirectUriMatches('https://app.example.com/cb', 'https://app.example.com/cb'),
      true,
    );
    assert.equal(
      redirectUriMatches('https://app.example.com/cb', 'https://app.example.com/cb/'),
      false,
    );
    assert.equal(
      redirectUriMatches('https://app.example.com/cb', 'https://app.example.com:8443/cb'),
      false,
    );
    assert.equal(
      redirectUriMatches('https://app.example.com/cb', 'https://APP.example.com/cb'),
      false,
    );
    assert.equal(
      redirectUriMatches('https://app.example.com/cb', 'https://app.example.com/cb?x=1'),
      false,
    );
  });

  it('lets loopback hosts use any port, but nothing else differ', () => {
    for (const host of ['127.0.0.1', '[::1]', 'localhost']) {
      assert.equal(redirectUriMatches(`http://${host}/cb`, `http://${host}:51234/cb`), true, host);
      assert.equal(redirectUriMatches(`http://${host}:8080/cb`, `http://${host}:9/cb`), true, host);
      assert.equal(
        redirectUriMatches(`http://${host}/cb`, `http://${host}:51234/other`),
        false,
        host,
      );
      assert.equal(
        redirectUriMatches(`http://${host}/cb`, `http://${host}:1/cb#frag`),
        false,
        host,
      );
    }
    assert.equal(redirectUriMatches('http://127.0.0.1/cb', 'http://localhost:5/cb'), false);
    assert.equal(redirectUriMatches('http://127.0.0.1/cb', 'https://127.0.0.1:5/cb'), false);
  });

  it('resolves an omitted redirect_uri only for a single registered URI', () => {
    assert.equal(resolveRedirectUri(['https://a.example/cb'], undefined), 'https://a.example/cb');
    assert.equal(
      resolveRedirectUri(['https://a.example/cb', 'https://a.example/2'], undefined),
      null,
    );
    assert.equal(resolveRedirectUri([], undefined), null);
    assert.equal(resolveRedirectUri(['https://a.example/cb'], 'https://evil.example/cb'), null);
    assert.equal(
      resolveRedirectUri(['http://127.0.0.1/cb'], 'http://127.0.0.1:3000/cb'),
      'http://127.0.0.1:3000/cb',
    );
  });
});
