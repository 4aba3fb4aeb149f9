// The Admin API's user (browser) sessions: the shared session-list checks
// (./session-list-suite.ts) with browser sessions.

import assert from 'node:assert/strict';
import { describeSessionList } from './session-list-suite.ts';

describeSessionList('admin API: user sessions', {
  path: 'user-sessions',
  type: 'user-session',
  add: (a, userId, name) =>
    a.h.db.storage.transaction(async (repos) => {
      const user = (await repos.users.lookup(userId as never))!;
      return (await repos.browserSessions.add(a.h.ctx.rng, a.h.clock, user, `${name}'s browser`))
        .id;
    }),
  finish: (a, id) =>
    a.h.db.storage.transaction(async (repos) => {
      await repos.browserSessions.finish(
        a.h.clock,
        (await repos.browserSessions.lookup(id as never))!,
      );
    }),
  checkFirst: (item) => assert.equal(item.attributes.user_agent, "alice's browser"),
});
