// The CSRF check of the human forms, through the real app: a form sent without its token, without
// the cookie, with another token, or after the token expired is refused with a 400 page that says
// which (each refusal has its own code, worded by human/page-message.ts); the right token passes.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { CsrfError, type CsrfErrorCode } from '../../src/http/csrf.ts';
import { csrfMessage, englishText } from '../../src/http/handlers/human/page-message.ts';
import { hiddenField } from '../helpers/app.ts';
import { CookieJar, get, startRegistrationApp, type TestApp } from './human/register-kit.ts';

/** The English sentence the page shows for `code`. */
function refusal(code: CsrfErrorCode): string {
  return englishText(csrfMessage(new CsrfError(code)));
}

describe('CSRF check of the human forms', () => {
  let h: TestApp | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  async function send(jar: CookieJar | null, csrf: string | null) {
    return h!.app.inject({
      method: 'POST',
      url: '/recover',
      headers: {
        ...(jar === null ? {} : jar.header()),
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: new URLSearchParams({
        ...(csrf === null ? {} : { csrf }),
        email: 'alice@example.com',
      }).toString(),
    });
  }

  it('says why a form was refused, for each reason', async () => {
    h = await startRegistrationApp();
    const jar = new CookieJar();
    const token = hiddenField((await get(h, jar, '/recover')).body, 'csrf')!;
    assert.ok(token);

    const cases: Array<[CsrfErrorCode, CookieJar | null, string | null]> = [
      ['missing', jar, null],
      ['no-cookie', null, token],
      ['mismatch', jar, `${token.slice(0, -2)}xx`],
    ];
    for (const [code, cookies, csrf] of cases) {
      const response = await send(cookies, csrf);
      assert.equal(response.statusCode, 400, code);
      assert.ok(response.body.includes(refusal(code)), `${code}: ${response.body.slice(0, 600)}`);
    }

    h.clock.advance(2 * 3600 * 1000);
    const expired = await send(jar, token);
    assert.equal(expired.statusCode, 400);
    assert.ok(expired.body.includes(refusal('expired')));

    const fresh = new CookieJar();
    const good = hiddenField((await get(h, fresh, '/recover')).body, 'csrf')!;
    assert.equal((await send(fresh, good)).statusCode, 303);
  });

  it('keeps each reason’s English text on the error, for logs', () => {
    assert.equal(new CsrfError('expired').message, 'The form has expired.');
    assert.equal(new CsrfError('missing').code, 'missing');
  });
});
