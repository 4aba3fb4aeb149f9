// Conformance tests for `OAuth2ClientRepository`.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../../src/clock.ts';
import { asOAuth2ClientId } from '../../../src/model/ids.ts';
import { SeededRng } from '../../../src/rng.ts';
import { StateConflictError } from '../../../src/storage/state-conflict-error.ts';
import type { Storage } from '../../../src/storage/storage.ts';
import type { TestStorage } from '../../helpers/storage.ts';
import {
  clientFields,
  hashOf,
  newClientId,
  seedOAuth2World,
  type OAuth2World,
} from './oauth2-fixtures.ts';

export function oauth2ClientRepositoryConformance(open: () => Promise<TestStorage>): void {
  describe('OAuth2ClientRepository', () => {
    let t: TestStorage;
    let storage: Storage;
    let clock: MockClock;
    let rng: SeededRng;
    let world: OAuth2World;

    beforeEach(async () => {
      t = await open();
      storage = t.storage;
      clock = new MockClock('2026-03-01T10:00:00.000Z');
      rng = new SeededRng('clients');
      world = await seedOAuth2World(storage, clock, rng);
    });
    afterEach(() => t.cleanup());

    it('adds a dynamic client and reads every field back', async () => {
      clock.advance(1000);
      const id = newClientId(clock, rng);
      const fields = clientFields({ jwks: null, jwksUri: 'https://app.example.com/jwks.json' });
      const client = await storage.transaction((repos) =>
        repos.oauth2Clients.addDynamic(clock, id, fields),
      );
      assert.deepEqual(client, { ...fields, id, isStatic: false, createdAt: clock.now() });
      await storage.transaction(async (repos) => {
        assert.deepEqual(await repos.oauth2Clients.lookup(id), client);
        // The seeded client keeps its JSON object and arrays.
        const seeded = await repos.oauth2Clients.lookup(world.client.id);
        assert.deepEqual(seeded, world.client);
        assert.deepEqual(seeded?.jwks, clientFields().jwks);
        assert.deepEqual(seeded?.clientNameLocalized, { fr: 'Appli exemple', 'de-CH': 'Beispiel' });
        assert.equal(
          await repos.oauth2Clients.lookup(asOAuth2ClientId('01ARZ3NDEKTSV4RRFFQ69G5FAV')),
          null,
        );
      });
    });

    it('finds a public client by its metadata digest, and dedupes a second registration', async () => {
      const digest = hashOf('normalised metadata');
      const fields = clientFields({
        tokenEndpointAuthMethod: 'none',
        encryptedClientSecret: null,
        applicationType: 'native',
        redirectUris: ['http://127.0.0.1/callback'],
        contacts: [],
        clientNameLocalized: {},
        metadataDigest: digest,
      });
      const first = await storage.transaction((repos) =>
        repos.oauth2Clients.addDynamic(clock, newClientId(clock, rng), fields),
      );
      await storage.transaction(async (repos) => {
        assert.deepEqual(await repos.oauth2Clients.findByMetadataDigest(digest), first);
        assert.equal(await repos.oauth2Clients.findByMetadataDigest(hashOf('other')), null);
        // A registration racing the lookup gets the client already there, and the transaction goes on.
        clock.advance(1000);
        const second = await repos.oauth2Clients.addDynamic(clock, newClientId(clock, rng), fields);
        assert.deepEqual(second, first);
        assert.ok(await repos.oauth2Clients.lookup(world.client.id));
      });
    });

    it('creates and replaces static clients, keeping their creation time', async () => {
      const idA = asOAuth2ClientId('01J0000000000000000000000A');
      const idB = asOAuth2ClientId('01J0000000000000000000000B');
      const created = await storage.transaction(async (repos) => {
        const b = await repos.oauth2Clients.upsertStatic(
          clock,
          idB,
          clientFields({ clientName: 'B' }),
        );
        const a = await repos.oauth2Clients.upsertStatic(
          clock,
          idA,
          clientFields({ clientName: 'A' }),
        );
        return { a, b };
      });
      assert.equal(created.a.isStatic, true);
      assert.deepEqual(created.a.createdAt, clock.now());

      clock.advance(60_000);
      const replacement = clientFields({
        clientName: 'A2',
        encryptedClientSecret: null,
        tokenEndpointAuthMethod: 'private_key_jwt',
        grantTypes: ['client_credentials'],
        redirectUris: [],
        postLogoutRedirectUris: [],
        clientNameLocalized: {},
        contacts: [],
        jwks: null,
        jwksUri: 'https://a.example.com/jwks',
        applicationType: null,
        clientUri: null,
        logoUri: null,
        policyUri: null,
        tosUri: null,
        idTokenSignedResponseAlg: null,
        userinfoSignedResponseAlg: 'RS256',
        initiateLoginUri: null,
      });
      const replaced = await storage.transaction((repos) =>
        repos.oauth2Clients.upsertStatic(clock, idA, replacement),
      );
      assert.deepEqual(replaced, {
        ...replacement,
        id: idA,
        isStatic: true,
        createdAt: created.a.createdAt,
      });
      await storage.transaction(async (repos) => {
        assert.deepEqual(await repos.oauth2Clients.lookup(idA), replaced);
        // Ordered by id; the dynamic client is not listed.
        assert.deepEqual(await repos.oauth2Clients.listStatic(), [replaced, created.b]);
      });
    });

    it('refuses to make a dynamic client static, and the transaction stays usable', async () => {
      await storage.transaction(async (repos) => {
        await assert.rejects(
          repos.oauth2Clients.upsertStatic(
            clock,
            world.client.id,
            clientFields({ clientName: 'Taken' }),
          ),
          (error) => error instanceof StateConflictError && error.subject === 'oauth2_client',
        );
        assert.deepEqual(await repos.oauth2Clients.lookup(world.client.id), world.client);
        assert.deepEqual(await repos.oauth2Clients.listStatic(), []);
      });
    });

    it('deletes a client and everything that belongs to it', async () => {
      const { user, browserSession, client } = world;
      const other = await storage.transaction((repos) =>
        repos.oauth2Clients.addDynamic(clock, newClientId(clock, rng), clientFields()),
      );
      const owned = await storage.transaction(async (repos) => {
        const session = await repos.oauth2Sessions.add(rng, clock, {
          clientId: client.id,
          userId: user.id,
          browserSessionId: browserSession.id,
          scope: 'openid',
          userAgent: null,
        });
        const access = await repos.accessTokens.add(rng, clock, session, hashOf('at'), null);
        const refresh = await repos.refreshTokens.add(rng, clock, session, hashOf('rt'), access);
        const grant = await repos.authorizationGrants.add(rng, clock, {
          clientId: client.id,
          redirectUri: 'https://app.example.com/callback',
          scope: 'openid',
          state: null,
          nonce: null,
          responseMode: 'query',
          codeChallenge: null,
          codeChallengeMethod: null,
          prompt: null,
          maxAge: null,
          loginHint: null,
          uiLocales: null,
        });
        const device = (await repos.deviceCodeGrants.add(rng, clock, {
          clientId: client.id,
          scope: 'openid',
          userCode: 'ABCDEF',
          deviceCodeHash: hashOf('dc'),
          expiresAt: new Date(clock.now().getTime() + 600_000),
          ipAddress: null,
          userAgent: null,
        }))!;
        const consent = await repos.consents.grant(rng, clock, user.id, client.id, ['openid']);
        const otherConsent = await repos.consents.grant(rng, clock, user.id, other.id, ['openid']);
        await repos.clientAssertions.recordJti(
          client.id,
          'jti-1',
          new Date(clock.now().getTime() + 60_000),
        );
        return { session, access, refresh, grant, device, consent, otherConsent };
      });

      assert.equal(
        await storage.transaction((repos) => repos.oauth2Clients.delete(client.id)),
        true,
      );
      await storage.transaction(async (repos) => {
        assert.equal(await repos.oauth2Clients.lookup(client.id), null);
        assert.equal(await repos.oauth2Sessions.lookup(owned.session.id), null);
        assert.equal(await repos.accessTokens.lookup(owned.access.id), null);
        assert.equal(await repos.refreshTokens.lookup(owned.refresh.id), null);
        assert.equal(await repos.authorizationGrants.lookup(owned.grant.id), null);
        assert.equal(await repos.deviceCodeGrants.lookup(owned.device.id), null);
        assert.equal(await repos.consents.find(user.id, client.id), null);
        // The jti row went too: a client registered again under that id starts afresh.
        await repos.oauth2Clients.upsertStatic(clock, client.id, clientFields());
        assert.equal(
          await repos.clientAssertions.recordJti(
            client.id,
            'jti-1',
            new Date(clock.now().getTime() + 60_000),
          ),
          true,
        );
        // What belongs to others stays.
        assert.deepEqual(await repos.oauth2Clients.lookup(other.id), other);
        assert.deepEqual(await repos.consents.find(user.id, other.id), owned.otherConsent);
        assert.ok(await repos.users.lookup(user.id));
        assert.ok(await repos.browserSessions.lookup(browserSession.id));
      });
      assert.equal(
        await storage.transaction((repos) =>
          repos.oauth2Clients.delete(asOAuth2ClientId('01ARZ3NDEKTSV4RRFFQ69G5FAV')),
        ),
        false,
      );
    });
  });
}
