// The introspection cache: bounded, short-lived, never past the token's expiry; invalidation by
// token, session, user and browser session, with tombstones against stale answers put back by an
// introspection that raced the change; and broadcasts between nodes through a channel.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MockClock } from '../../src/clock.ts';
import {
  IntrospectionCache,
  lifetime,
  type CachedOwner,
  type RevocationChannel,
} from '../../src/services/introspection-cache.ts';

const owner = (n: number, extra: Partial<CachedOwner> = {}): CachedOwner => ({
  tokenId: `t${n}`,
  sessionId: `s${n}`,
  userId: `u${n}`,
  browserSessionId: `b${n}`,
  ...extra,
});
const answer = (n: number) => ({
  kind: 'oauth2' as const,
  body: { active: true, jti: `t${n}` },
  sessionId: `s${n}`,
  tokenId: `t${n}`,
  exp: null,
});

/** An in-memory stand-in for PostgreSQL NOTIFY: every subscriber gets every message. */
function memoryBus() {
  const subscribers: ((message: string) => void)[] = [];
  const channel = (): RevocationChannel => ({
    subscribe: async (onMessage) => void subscribers.push(onMessage),
    publish: async (message) => subscribers.forEach((s) => s(message)),
    stop: async () => {},
  });
  return { channel };
}

describe('IntrospectionCache', () => {
  it('keeps an answer for the TTL and never past the token expiry', () => {
    const clock = new MockClock();
    const cache = new IntrospectionCache({ clock, ttlMs: 5000 });
    cache.set('a', answer(1), owner(1), null);
    cache.set('b', answer(2), owner(2), new Date(clock.now().getTime() + 1000));
    assert.equal(cache.get('a')?.tokenId, 't1');
    assert.equal(cache.get('b')?.tokenId, 't2');
    clock.advance(1000);
    assert.equal(cache.get('b'), undefined, 'expired with the token');
    assert.equal(cache.get('a')?.tokenId, 't1');
    clock.advance(4000);
    assert.equal(cache.get('a'), undefined, 'expired with the TTL');
    assert.equal(cache.size, 0);
  });

  it('spreads the expiry of entries made together over the second half of the TTL', () => {
    const clock = new MockClock();
    const cache = new IntrospectionCache({ clock, ttlMs: 4000 });
    const keys = Array.from({ length: 200 }, (_, n) => `${n.toString(16).padStart(64, '0')}|1`);
    keys.forEach((key, n) => cache.set(key, answer(n), owner(n), null));
    // Each key always gets the same lifetime, within [ttl / 2, ttl].
    for (const key of keys) {
      assert.equal(lifetime(key, 4000), lifetime(key, 4000));
      assert.ok(lifetime(key, 4000) >= 2000 && lifetime(key, 4000) <= 4000);
    }
    clock.advance(1999);
    assert.equal(cache.size, 200, 'none expires before half the TTL');
    clock.advance(1001);
    const left = keys.filter((key) => cache.get(key) !== undefined).length;
    assert.ok(left > 40 && left < 160, `about half are left at 3/4 of the TTL (${left})`);
    clock.advance(1000);
    assert.equal(keys.filter((key) => cache.get(key) !== undefined).length, 0);
  });

  it('is bounded: a full cache drops its oldest tenth at once', () => {
    const cache = new IntrospectionCache({ clock: new MockClock(), maxEntries: 20 });
    for (let n = 1; n <= 20; n++) cache.set(`k${n}`, answer(n), owner(n), null);
    assert.equal(cache.size, 20);
    cache.set('k21', answer(21), owner(21), null);
    // k1 and k2 went together, so the next insertion evicts nothing.
    assert.equal(cache.size, 19);
    assert.equal(cache.get('k1'), undefined);
    assert.equal(cache.get('k2'), undefined);
    assert.equal(cache.get('k3')?.tokenId, 't3');
    cache.set('k22', answer(22), owner(22), null);
    assert.equal(cache.size, 20);
    assert.equal(cache.get('k3')?.tokenId, 't3');
    assert.equal(cache.get('k22')?.tokenId, 't22');
  });

  it('is bounded: the oldest entries go first', () => {
    const cache = new IntrospectionCache({ clock: new MockClock(), maxEntries: 3 });
    for (let n = 1; n <= 5; n++) cache.set(`k${n}`, answer(n), owner(n), null);
    assert.equal(cache.size, 3);
    assert.equal(cache.get('k1'), undefined);
    assert.equal(cache.get('k2'), undefined);
    assert.equal(cache.get('k5')?.tokenId, 't5');
  });

  it('invalidates by access token, session, user and browser session', async () => {
    const cache = new IntrospectionCache({ clock: new MockClock() });
    for (let n = 1; n <= 5; n++) cache.set(`k${n}`, answer(n), owner(n), null);
    await cache.invalidate({ accessToken: 't1' });
    await cache.invalidate({ session: 's2' });
    await cache.invalidate({ user: 'u3' }, { browserSession: 'b4' });
    assert.deepEqual(
      ['k1', 'k2', 'k3', 'k4', 'k5'].map((k) => cache.get(k) !== undefined),
      [false, false, false, false, true],
    );
  });

  it('refuses to cache for an invalidated owner until the TTL has passed (racing introspections)', async () => {
    const clock = new MockClock();
    const cache = new IntrospectionCache({ clock, ttlMs: 5000 });
    await cache.invalidate({ session: 's1' });
    // An introspection that read the database before the revocation committed answers now.
    cache.set('k1', answer(1), owner(1), null);
    assert.equal(cache.get('k1'), undefined);
    // Another token of the same user but a different session is unaffected.
    cache.set('k2', answer(2), owner(2, { userId: 'u1' }), null);
    assert.equal(cache.get('k2')?.tokenId, 't2');
    clock.advance(5000);
    cache.set('k1', answer(1), owner(1), null);
    assert.equal(cache.get('k1')?.tokenId, 't1');
  });

  it('applies invalidations broadcast by other nodes, and not its own twice', async () => {
    const bus = memoryBus();
    const clock = new MockClock();
    const a = new IntrospectionCache({ clock, channel: bus.channel(), nodeId: 'a' });
    const b = new IntrospectionCache({ clock, channel: bus.channel(), nodeId: 'b' });
    await a.start();
    await b.start();
    a.set('k1', answer(1), owner(1), null);
    b.set('k1', answer(1), owner(1), null);
    b.set('k2', answer(2), owner(2), null);
    await a.invalidate({ session: 's1' });
    assert.equal(a.get('k1'), undefined);
    assert.equal(b.get('k1'), undefined, 'the other node dropped it');
    assert.equal(b.get('k2')?.tokenId, 't2');
    // Garbage on the channel is ignored.
    await bus.channel().publish('not json');
    assert.equal(b.get('k2')?.tokenId, 't2');
    await a.stop();
    await b.stop();
  });

  it('caches nothing with a zero TTL', () => {
    const cache = new IntrospectionCache({ clock: new MockClock(), ttlMs: 0 });
    cache.set('k1', answer(1), owner(1), null);
    assert.equal(cache.get('k1'), undefined);
  });
});
