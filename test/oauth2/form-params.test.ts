import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OAuthError } from '../../src/oauth2/errors.ts';
import { parseFormBody, parseQueryParams } from '../../src/oauth2/form-params.ts';

const FORM = 'application/x-www-form-urlencoded';
const invalidRequest = (e: unknown) => e instanceof OAuthError && e.error === 'invalid_request';

describe('form parameters', () => {
  it('decodes form bodies (+ is a space, percent escapes) and drops empty values', () => {
    const params = parseFormBody(
      `${FORM}; charset=UTF-8`,
      'grant_type=authorization_code&code=a%2Bb+c&state=&x',
    );
    assert.deepEqual(
      [...params],
      [
        ['grant_type', 'authorization_code'],
        ['code', 'a+b c'],
      ],
    );
  });

  it('rejects duplicate parameters, even with an empty value', () => {
    assert.throws(() => parseFormBody(FORM, 'code=a&code=b'), invalidRequest);
    assert.throws(() => parseFormBody(FORM, 'code=&code=b'), invalidRequest);
    assert.throws(() => parseFormBody(FORM, 'c%6Fde=a&code=b'), invalidRequest);
    assert.throws(() => parseQueryParams('/authorize?client_id=a&client_id=b'), invalidRequest);
    assert.throws(() => parseFormBody(FORM, { code: ['a', 'b'] }), invalidRequest);
  });

  it('rejects a wrong content type and malformed escapes', () => {
    assert.throws(() => parseFormBody('application/json', '{}'), invalidRequest);
    assert.throws(() => parseFormBody(undefined, 'a=b'), invalidRequest);
    assert.throws(() => parseFormBody(FORM, 'a=%zz'), invalidRequest);
  });

  it('reads query strings from a URL', () => {
    const params = parseQueryParams('/authorize?response_type=code&scope=openid%20email#ignored');
    assert.equal(params.get('scope'), 'openid email');
    assert.equal(params.get('response_type'), 'code');
    assert.equal(parseFormBody(FORM, undefined).size, 0);
  });
});
