import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { invalidClient, OAuthError, sendOAuthError } from '../../src/oauth2/errors.ts';

async function respond(error: unknown) {
  const app = Fastify();
  app.get('/', async (_request, reply) => sendOAuthError(reply, error));
  try {
    return await app.inject({ method: 'GET', url: '/' });
  } finally {
    await app.close();
  }
}

describe('OAuth errors', () => {
  it('sends the RFC 6749 JSON body with no-store', async () => {
    const response = await respond(new OAuthError('invalid_grant', 'the code has expired'));
    assert.equal(response.statusCode, 400);
    assert.deepEqual(response.json(), {
      error: 'invalid_grant',
      error_description: 'the code has expired',
    });
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.match(String(response.headers['content-type']), /^application\/json/);
    assert.equal(response.headers['www-authenticate'], undefined);
  });

  it('answers invalid_client with 401 and a Basic challenge', async () => {
    const response = await respond(invalidClient('client authentication failed'));
    assert.equal(response.statusCode, 401);
    assert.equal(response.headers['www-authenticate'], 'Basic realm="gatehouse"');
    assert.equal(response.json().error, 'invalid_client');
  });

  it('uses the status given by the thrower and the default statuses', async () => {
    assert.equal(new OAuthError('authorization_pending').status, 403);
    assert.equal(new OAuthError('invalid_client_metadata').status, 400);
    const response = await respond(new OAuthError('invalid_request', 'x', { status: 405 }));
    assert.equal(response.statusCode, 405);
  });

  it('turns anything else into a bare server_error without leaking its message', async () => {
    const response = await respond(new Error('database password is hunter2'));
    assert.equal(response.statusCode, 500);
    assert.deepEqual(response.json(), { error: 'server_error' });
    assert.doesNotMatch(response.body, /hunter2/);
  });
});
