// The shared checks of the Admin API's session lists (user, compat; OAuth 2.0 has its own file
// for its extra filters), through a real app: the list with its filters (user, status) and pages,
// one session by id, and 400/401/403/404, every answer checked against the served /api/spec.json.
// Each kind gives how to make a session for a user and end it, and what its first item shows.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addUser } from '../../helpers/app.ts';
import { call, SpecChecker, startAdminApp, type AdminApp, type Body } from './admin-app.ts';

const UNKNOWN = '01J00000000000000000000000';

export interface SessionKind {
  /** The path under /api/admin/v1, e.g. `user-sessions`. */
  readonly path: string;
  /** The JSON:API type, e.g. `user-session`. */
  readonly type: string;
  /** Makes a session of `name` (the `index`-th made) and returns its id. */
  readonly add: (a: AdminApp, userId: string, name: string, index: number) => Promise<string>;
  readonly finish: (a: AdminApp, id: string) => Promise<void>;
  /** Checks what the first session (alice's, index 0) shows besides its type and user. */
  readonly checkFirst: (item: Body) => void;
}

export function describeSessionList(title: string, kind: SessionKind): void {
  const LIST = `/api/admin/v1/${kind.path}`;
  const ONE = `/api/admin/v1/${kind.path}/{id}`;

  describe(title, () => {
    let a: AdminApp;
    let spec: SpecChecker;
    const users: Record<string, string> = {};
    const sessions: string[] = [];
    before(async () => {
      a = await startAdminApp();
      spec = new SpecChecker(a);
      for (const name of ['alice', 'bob']) users[name] = (await addUser(a.h, name, null)).id;
      for (const [index, name] of ['alice', 'bob', 'alice'].entries()) {
        a.h.clock.advance(1000);
        sessions.push(await kind.add(a, users[name]!, name, index));
      }
      await kind.finish(a, sessions[0]!);
    });
    after(() => a.close());

    const list = async (query: string, status = 200, token?: string | null) =>
      spec.check(await call(a, 'GET', `/${kind.path}${query}`, { token }), 'GET', LIST, status);

    it('lists every session a page at a time, with links and the count', async () => {
      const first = await list('?page[first]=2');
      assert.equal(first.meta.count, 3);
      assert.deepEqual(
        first.data.map((s: Body) => s.id),
        sessions.slice(0, 2),
      );
      assert.equal(first.data[0].type, kind.type);
      assert.equal(first.data[0].attributes.user_id, users.alice);
      kind.checkFirst(first.data[0]);
      assert.notEqual(first.data[0].attributes.finished_at, null);
      assert.equal(first.data[1].attributes.finished_at, null);
      assert.equal(first.links.next, `${LIST}?page[after]=${sessions[1]}&page[first]=2`);
      const second = await list(`?page[after]=${sessions[1]}&page[first]=2`);
      assert.deepEqual(
        second.data.map((s: Body) => s.id),
        [sessions[2]],
      );
      assert.equal(second.links.next, undefined);
      assert.equal(second.links.prev, `${LIST}?page[before]=${sessions[2]}&page[first]=2`);
      const last = await list('?page[last]=2');
      assert.deepEqual(
        last.data.map((s: Body) => s.id),
        sessions.slice(1),
      );
    });

    it('filters on user and status, keeping the filters in the links', async () => {
      const alice = await list(`?filter[user]=${users.alice}`);
      assert.deepEqual(
        alice.data.map((s: Body) => s.id),
        [sessions[0], sessions[2]],
      );
      const active = await list(`?filter[user]=${users.alice}&filter[status]=active&page[first]=1`);
      assert.equal(active.meta.count, 1);
      assert.deepEqual(
        active.data.map((s: Body) => s.id),
        [sessions[2]],
      );
      assert.equal(
        active.links.self,
        `${LIST}?filter[user]=${users.alice}&filter[status]=active&page[first]=1`,
      );
      const finished = await list('?filter[status]=finished');
      assert.deepEqual(
        finished.data.map((s: Body) => s.id),
        [sessions[0]],
      );
    });

    it('refuses bad filters with 400 and an unknown user with 404', async () => {
      for (const query of ['?filter[user]=nope', '?filter[status]=asleep', '?page[after]=x']) {
        const body = await list(query, 400);
        assert.equal(body.errors.length, 1, query);
      }
      const user = await list(`?filter[user]=${UNKNOWN}`, 404);
      assert.deepEqual(user, { errors: [{ title: `User ID ${UNKNOWN} not found` }] });
    });

    it('gets one session; 404 when unknown, 400 when malformed', async () => {
      const one = await spec.check(
        await call(a, 'GET', `/${kind.path}/${sessions[1]}`),
        'GET',
        ONE,
        200,
      );
      assert.equal(one.data.id, sessions[1]);
      assert.equal(one.data.attributes.user_id, users.bob);
      assert.equal(one.links.self, `${LIST}/${sessions[1]}`);
      await spec.check(await call(a, 'GET', `/${kind.path}/${UNKNOWN}`), 'GET', ONE, 404);
      await spec.check(await call(a, 'GET', `/${kind.path}/zzz`), 'GET', ONE, 400);
    });

    it('refuses a missing token with 401 and a token without the scope with 403', async () => {
      await list('', 401, null);
      await list('', 403, a.plainToken);
      const one = (token: string | null) =>
        call(a, 'GET', `/${kind.path}/${sessions[0]}`, { token });
      await spec.check(await one(null), 'GET', ONE, 401);
      await spec.check(await one(a.plainToken), 'GET', ONE, 403);
    });
  });
}
