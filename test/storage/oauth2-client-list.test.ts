// Conformance tests for listing OAuth 2.0 clients (`OAuth2ClientRepository.list`/`count`, behind
// the Admin API's /oauth2-clients), on SQLite and PostgreSQL: every filter alone and combined,
// LIKE metacharacters taken literally, and cursor pagination.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../src/clock.ts';
import type { OAuth2ClientId } from '../../src/model/ids.ts';
import type { OAuth2Client } from '../../src/model/oauth2-client.ts';
import { SeededRng } from '../../src/rng.ts';
import type { OAuth2ClientFilter } from '../../src/storage/oauth2-client-repository.ts';
import { dialects, openTestStorage, type TestStorage } from '../helpers/storage.ts';
import { clientFields, newClientId } from './conformance/oauth2-fixtures.ts';

for (const dialect of dialects) {
  describe(`${dialect}: OAuth2ClientRepository list`, () => {
    let t: TestStorage;
    let clock: MockClock;
    let rng: SeededRng;
    let web: OAuth2Client;
    let service: OAuth2Client;
    let device: OAuth2Client;

    const names = async (filter: OAuth2ClientFilter): Promise<string[]> => {
      const page = await t.storage.transaction((repos) =>
        repos.oauth2Clients.list(filter, { first: 100 }),
      );
      const count = await t.storage.transaction((repos) => repos.oauth2Clients.count(filter));
      assert.equal(count, page.items.length, 'count agrees with the list');
      return page.items.map((c) => c.clientName ?? '(none)');
    };

    beforeEach(async () => {
      t = await openTestStorage(dialect);
      clock = new MockClock('2026-03-01T10:00:00.000Z');
      rng = new SeededRng('client-list');
      const add = (fields: Parameters<typeof clientFields>[0], isStatic: boolean) => {
        clock.advance(1000);
        const id: OAuth2ClientId = newClientId(clock, rng);
        return t.storage.transaction((repos) =>
          isStatic
            ? repos.oauth2Clients.upsertStatic(clock, id, clientFields(fields))
            : repos.oauth2Clients.addDynamic(clock, id, clientFields(fields)),
        );
      };
      web = await add({ clientName: 'Web App', clientUri: 'https://web.example.com/' }, false);
      service = await add(
        { clientName: 'Backup_Service 100%', clientUri: null, grantTypes: ['client_credentials'] },
        true,
      );
      device = await add(
        {
          clientName: 'TV',
          clientUri: 'https://TV.example.org/',
          grantTypes: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
        },
        false,
      );
      await t.storage.transaction(async (repos) => {
        await repos.oauth2Clients.upsertStatic(clock, newClientId(clock, rng), {
          ...clientFields({ clientName: null, clientUri: null }),
        });
        // The web client has an active session; the device client only a finished one.
        const session = (clientId: OAuth2ClientId) =>
          repos.oauth2Sessions.add(rng, clock, {
            clientId,
            userId: null,
            browserSessionId: null,
            scope: 'openid',
            userAgent: null,
          });
        await session(web.id);
        await repos.oauth2Sessions.finish(clock, await session(device.id));
      });
    });
    afterEach(() => t.cleanup());

    it('lists every client without a filter, in id order', async () => {
      assert.deepEqual(await names({}), ['Web App', 'Backup_Service 100%', 'TV', '(none)']);
    });

    it('filters by kind', async () => {
      assert.deepEqual(await names({ kind: 'static' }), ['Backup_Service 100%', '(none)']);
      assert.deepEqual(await names({ kind: 'dynamic' }), ['Web App', 'TV']);
    });

    it('matches names and URIs as case-insensitive substrings, metacharacters literally', async () => {
      assert.deepEqual(await names({ nameContains: 'app' }), ['Web App']);
      // Unescaped, `_` and `%` would match "Web App" here.
      assert.deepEqual(await names({ nameContains: 'b_a' }), []);
      assert.deepEqual(await names({ nameContains: 'W%p' }), []);
      assert.deepEqual(await names({ nameContains: 'backup_service' }), ['Backup_Service 100%']);
      assert.deepEqual(await names({ nameContains: '0%' }), ['Backup_Service 100%']);
      assert.deepEqual(await names({ nameContains: '%' }), ['Backup_Service 100%']);
      assert.deepEqual(await names({ uriContains: 'tv.EXAMPLE' }), ['TV']);
      assert.deepEqual(await names({ uriContains: 'example' }), ['Web App', 'TV']);
    });

    it('filters by grant type, exactly', async () => {
      assert.deepEqual(await names({ grantType: 'refresh_token' }), ['Web App', 'TV', '(none)']);
      assert.deepEqual(await names({ grantType: 'client_credentials' }), ['Backup_Service 100%']);
      assert.deepEqual(await names({ grantType: 'urn:ietf:params:oauth:grant-type:device_code' }), [
        'TV',
      ]);
      assert.deepEqual(await names({ grantType: 'refresh' }), []);
      assert.deepEqual(await names({ grantType: 'authorization%code' }), []);
    });

    it('filters by active sessions, and combines filters', async () => {
      assert.deepEqual(await names({ hasActiveSessions: true }), ['Web App']);
      assert.deepEqual(await names({ hasActiveSessions: false }), [
        'Backup_Service 100%',
        'TV',
        '(none)',
      ]);
      assert.deepEqual(await names({ hasActiveSessions: false, kind: 'dynamic' }), ['TV']);
      assert.deepEqual(await names({ kind: 'static', grantType: 'refresh_token' }), ['(none)']);
    });

    it('pages through the clients with cursors', async () => {
      const first = await t.storage.transaction((repos) =>
        repos.oauth2Clients.list({}, { first: 2 }),
      );
      assert.deepEqual(
        first.items.map((c) => c.id),
        [web.id, service.id],
      );
      assert.equal(first.hasNextPage, true);
      assert.equal(first.hasPreviousPage, false);
      const next = await t.storage.transaction((repos) =>
        repos.oauth2Clients.list({}, { first: 2, after: service.id }),
      );
      assert.equal(next.items[0]!.id, device.id);
      assert.equal(next.items.length, 2);
      assert.equal(next.hasNextPage, false);
      assert.equal(next.hasPreviousPage, true);
    });
  });
}
