// The Admin API's user sessions, i.e. browser sessions (MAS: admin/v1/user_sessions): the list,
// narrowed by `filter[user]`, `filter[status]` and the dates; one session by id; and finishing one
// (signing that browser out; the applications it authorised keep their sessions, as in MAS). The
// routes are ./session-list.ts.

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ulidSchema, type ResourceKind } from '../../../admin/jsonapi.ts';
import type { BrowserSession } from '../../../model/browser-session.ts';
import { asBrowserSessionId } from '../../../model/ids.ts';
import { ADMIN_PREFIX, type RouteList } from './admin-route.ts';
import { registerSessionRoutes, type SessionDeps } from './session-list.ts';

const timestamp = z.iso.datetime();

export const userSessionKind = {
  type: 'user-session',
  path: `${ADMIN_PREFIX}/user-sessions`,
  attributes: z
    .object({
      created_at: timestamp,
      finished_at: timestamp.nullable(),
      user_id: ulidSchema.meta({ description: 'The user who owns the session' }),
      user_agent: z.string().nullable(),
      last_active_at: timestamp.nullable(),
      last_active_ip: z.string().nullable(),
    })
    .meta({ id: 'UserSession' }),
} satisfies ResourceKind<z.ZodType>;

const attributes = (s: BrowserSession): z.infer<typeof userSessionKind.attributes> => ({
  created_at: s.createdAt.toISOString(),
  finished_at: s.finishedAt?.toISOString() ?? null,
  user_id: s.userId,
  user_agent: s.userAgent,
  last_active_at: s.lastActiveAt?.toISOString() ?? null,
  last_active_ip: s.lastActiveIp,
});

export function registerUserSessions(
  app: FastifyInstance,
  deps: SessionDeps,
  routes: RouteList,
): void {
  registerSessionRoutes(app, deps, routes, {
    kind: userSessionKind,
    tag: 'user-session',
    operation: 'UserSession',
    summaries: {
      list: 'List user (browser) sessions',
      get: 'Get a user (browser) session',
      finish: 'Finish a user (browser) session',
    },
    noun: 'user session',
    title: 'User session',
    store: (repos) => repos.browserSessions,
    asId: asBrowserSessionId,
    attributes,
    async finish(repos, session, { clock, introspectionCache }) {
      const ended = await repos.browserSessions.finish(clock, session);
      await introspectionCache?.invalidate({ browserSession: session.id });
      return ended;
    },
  });
}
