// The sign-in limits on the compat login (`POST /_matrix/client/v3/login`): over the limit a
// Matrix client gets `M_LIMIT_EXCEEDED` with `retry_after_ms` and a `Retry-After` header.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { addUser } from '../helpers/app.ts';
import { postJson, startCompatApp, type CompatApp } from '../http/compat/compat-kit.ts';

const LOGIN = '/_matrix/client/v3/login';

let h: CompatApp | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('compat login rate limits', () => {
  it('answers M_LIMIT_EXCEEDED with retry_after_ms once the address is over its budget', async () => {
    h = await startCompatApp({
      rate_limiting: { login: { per_ip: { burst: 2, per_second: 2 / 60 } } },
    });
    await addUser(h.base, 'alice', 'correct horse');
    const guess = (password: string) =>
      postJson(h!, LOGIN, {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: 'alice' },
        password,
      });
    assert.equal((await guess('wrong')).statusCode, 403);
    assert.equal((await guess('wrong')).statusCode, 403);
    const refused = await guess('correct horse');
    assert.equal(refused.statusCode, 429);
    assert.equal(refused.headers['retry-after'], '60');
    const body = refused.json<{ errcode: string; retry_after_ms: number }>();
    assert.equal(body.errcode, 'M_LIMIT_EXCEEDED');
    assert.ok(
      body.retry_after_ms > 59_000 && body.retry_after_ms <= 60_000,
      String(body.retry_after_ms),
    );
  });
});
