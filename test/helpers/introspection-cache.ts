// Puts entries into an IntrospectionCache as an introspection would, for tests of what removes
// them (invalidations, broadcasts, other processes' commits).

import type {
  CachedSessionKind,
  IntrospectionCache,
} from '../../src/services/introspection-cache.ts';

/**
 * Caches an active answer under `key` for a token `t-<sessionId>` of `sessionId` (a session of
 * `userId`, no browser session), with no expiry of its own.
 */
export function cacheActiveAnswer(
  cache: IntrospectionCache,
  key: string,
  sessionId: string,
  userId: string,
  kind: CachedSessionKind = 'oauth2',
): void {
  const tokenId = `t-${sessionId}`;
  cache.set(
    key,
    { kind, body: { active: true }, sessionId, tokenId, exp: null },
    { tokenId, sessionId, userId, browserSessionId: null },
    null,
  );
}
