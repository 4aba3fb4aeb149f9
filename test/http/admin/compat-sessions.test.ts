// The Admin API's compatibility sessions: the shared session-list checks
// (./session-list-suite.ts) with compat sessions, each holding its own device.

import assert from 'node:assert/strict';
import { describeSessionList } from './session-list-suite.ts';

const DEVICES = ['DEVICEA', 'DEVICEB', 'DEVICEC'];

describeSessionList('admin API: compat sessions', {
  path: 'compat-sessions',
  type: 'compat-session',
  add: async (a, userId, name, index) =>
    (
      await a.h.db.storage.transaction((repos) =>
        repos.compatSessions.add(a.h.ctx.rng, a.h.clock, {
          userId: userId as never,
          deviceId: DEVICES[index]!,
          browserSessionId: null,
          isSynapseAdmin: false,
          humanName: `${name}'s phone`,
          userAgent: null,
        }),
      )
    ).id,
  finish: (a, id) =>
    a.h.db.storage.transaction(async (repos) => {
      await repos.compatSessions.finish(
        a.h.clock,
        (await repos.compatSessions.lookup(id as never))!,
      );
    }),
  checkFirst: (item) => {
    assert.equal(item.attributes.device_id, 'DEVICEA');
    assert.equal(item.attributes.human_name, "alice's phone");
  },
});
