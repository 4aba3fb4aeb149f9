// A compat password login whose client closes the connection while the login still waits for a
// hashing slot leaves the line: it checks no password, starts no session and creates no device,
// and the clients still waiting get its turn (src/http/handlers/compat/login.ts).

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { PasswordManager } from '../../../src/crypto/password-manager.ts';
import { SeededRng } from '../../../src/rng.ts';
import { passwordLogin, startCompatApp, type CompatApp } from './compat-kit.ts';

const PASSWORD = 'correct horse';
// A well-formed PBKDF2 hash with 3 million rounds: checking anything against it keeps the only
// hashing slot busy for a second or more (it never matches; only the time matters here).
const SLOW_HASH = `$pbkdf2-sha256$i=3000000,l=32$c2FsdA$${'A'.repeat(43)}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('compat login abandoned by its client', () => {
  let h: CompatApp;
  let passwords: PasswordManager;
  let server: Server;
  let port: number;

  beforeEach(async () => {
    passwords = new PasswordManager(
      true,
      [
        { version: 1, algorithm: 'argon2id', pepper: null, unicodeNormalization: false },
        { version: 0, algorithm: 'pbkdf2', pepper: null, unicodeNormalization: false },
      ],
      { rng: new SeededRng('abandoned'), concurrency: 1 },
    );
    h = await startCompatApp({}, { passwords });
    const hashed = await passwords.hash(PASSWORD);
    await h.ctx.storage.transaction(async (repos) => {
      const user = (await repos.users.add(h.ctx.rng, h.base.clock, 'alice'))!;
      await repos.userPasswords.add(h.ctx.rng, h.base.clock, user, hashed.version, hashed.hash);
    });
    // The listener app only hands out its request handler; a real server on loopback serves it.
    server = createServer((request, response) => h.app.routing(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await h.close();
  });

  /** Sends a login on its own connection and closes the connection without reading the answer. */
  async function loginAndLeave(): Promise<void> {
    const body = JSON.stringify({ type: 'm.login.password', user: 'alice', password: PASSWORD });
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      'POST /_matrix/client/v3/login HTTP/1.1\r\nhost: localhost\r\n' +
        `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    // The login reaches the hasher's waiting line in a few milliseconds (the slot is busy for
    // a second or more); then the client gives up.
    await sleep(200);
    socket.destroy();
  }

  it('checks nothing, starts no session and creates no device for it', async () => {
    const blocker = passwords.verify(0, SLOW_HASH, 'anything');
    await loginAndLeave();
    assert.equal((await blocker).ok, false);

    // A client that stayed gets its answer; the abandoned login never runs after the slot frees.
    const answer = await passwordLogin(h, 'alice', PASSWORD);
    await sleep(300);
    const sessions = await h.ctx.storage.transaction(async (repos) => {
      const user = (await repos.users.findByUsername('alice'))!;
      return repos.compatSessions.listActiveForUser(user.id);
    });
    assert.deepEqual(
      sessions.map((s) => s.deviceId),
      [answer.device_id],
    );
    assert.deepEqual(
      h.homeserver.callsTo('upsert_device').map((call) => call.body?.device_id),
      [answer.device_id],
    );
  });
});
