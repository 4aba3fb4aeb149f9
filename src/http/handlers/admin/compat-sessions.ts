// The Admin API's compatibility sessions (MAS: admin/v1/compat_sessions): the list, narrowed by
// `filter[user]`, `filter[user-session]`, `filter[status]` and the dates; one session by id; and
// finishing one (its tokens revoked, its device removed from the homeserver by a sync-devices
// job). The routes are ./session-list.ts.
//
// `redirect_uri` (the SSO login's redirect, in MAS) is always null here: the session does not
// keep it, and looking up each session's SSO login would cost one query per listed item.

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ulidSchema, type ResourceKind } from '../../../admin/jsonapi.ts';
import { asCompatSessionId, type CompatSession } from '../../../model/compat-session.ts';
import { enqueueSyncDevices } from '../../../storage/matrix-jobs.ts';
import { ADMIN_PREFIX, type RouteList } from './admin-route.ts';
import { registerSessionRoutes, userSessionFilter, type SessionDeps } from './session-list.ts';

const timestamp = z.iso.datetime();

export const compatSessionKind = {
  type: 'compat-session',
  path: `${ADMIN_PREFIX}/compat-sessions`,
  attributes: z
    .object({
      user_id: ulidSchema.meta({ description: 'The user who owns the session' }),
      device_id: z.string().nullable().meta({ description: 'The Matrix device ID' }),
      user_session_id: ulidSchema
        .nullable()
        .meta({ description: 'The browser session that completed the SSO login, if any' }),
      redirect_uri: z.string().nullable(),
      created_at: timestamp,
      user_agent: z.string().nullable(),
      last_active_at: timestamp.nullable(),
      last_active_ip: z.string().nullable(),
      finished_at: timestamp.nullable(),
      human_name: z.string().nullable(),
    })
    .meta({ id: 'CompatSession' }),
} satisfies ResourceKind<z.ZodType>;

const attributes = (s: CompatSession): z.infer<typeof compatSessionKind.attributes> => ({
  user_id: s.userId,
  device_id: s.deviceId,
  user_session_id: s.browserSessionId,
  redirect_uri: null,
  created_at: s.createdAt.toISOString(),
  user_agent: s.userAgent,
  last_active_at: s.lastActiveAt?.toISOString() ?? null,
  last_active_ip: s.lastActiveIp,
  finished_at: s.finishedAt?.toISOString() ?? null,
  human_name: s.humanName,
});

export function registerCompatSessions(
  app: FastifyInstance,
  deps: SessionDeps,
  routes: RouteList,
): void {
  registerSessionRoutes(app, deps, routes, {
    kind: compatSessionKind,
    tag: 'compat-session',
    operation: 'CompatSession',
    summaries: {
      list: 'List compatibility sessions',
      get: 'Get a compatibility session',
      finish: 'Finish a compatibility session',
    },
    noun: 'compatibility session',
    title: 'Compatibility session',
    store: (repos) => repos.compatSessions,
    asId: asCompatSessionId,
    attributes,
    extraFilters: [userSessionFilter()],
    async finish(repos, session, { clock, rng, config, introspectionCache }) {
      if (config.matrix !== undefined) {
        await enqueueSyncDevices(repos.queue, rng, clock, session.userId);
      }
      const ended = await repos.compatSessions.finish(clock, session);
      await introspectionCache?.invalidate({ session: session.id });
      return ended;
    },
  });
}
