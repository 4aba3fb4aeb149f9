// The Admin API's compatibility sessions (MAS: admin/v1/compat_sessions): the list, narrowed by
// `filter[user]` (an unknown user is a 404, as MAS) and `filter[status]` (active or finished),
// and one session by id.
//
// `redirect_uri` (the SSO login's redirect, in MAS) is always null here: the session does not
// keep it, and looking up each session's SSO login would cost one query per listed item.

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  paginatedResponse,
  paginatedResponseSchema,
  singleResponse,
  singleResponseSchema,
  ulidSchema,
  type ResourceKind,
} from '../../../admin/jsonapi.ts';
import { parsePagination } from '../../../admin/pagination.ts';
import {
  asCompatSessionId,
  type CompatSession,
  type CompatSessionId,
} from '../../../model/compat-session.ts';
import { asUserId } from '../../../model/ids.ts';
import type { CompatSessionFilter } from '../../../storage/compat-repository.ts';
import { notFound } from './admin-error.ts';
import {
  ADMIN_PREFIX,
  adminRoute,
  ulidParam,
  type AdminDeps,
  type RouteList,
} from './admin-route.ts';
import { enumFilter, FilterLinks, ulidFilter } from './filters.ts';
import { errorResponses, listParameters } from './route-docs.ts';

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

const statusValues = ['active', 'finished'] as const;

export function registerCompatSessions(
  app: FastifyInstance,
  deps: AdminDeps,
  routes: RouteList,
): void {
  adminRoute(
    app,
    deps,
    routes,
    {
      method: 'GET',
      path: '/compat-sessions',
      operationId: 'listCompatSessions',
      summary: 'List compatibility sessions',
      tag: 'compat-session',
      parameters: [
        ...listParameters,
        {
          name: 'filter[user]',
          in: 'query',
          description: 'Only the sessions of this user',
          schema: ulidSchema,
        },
        {
          name: 'filter[status]',
          in: 'query',
          description: 'Only active or only finished sessions',
          schema: z.enum(statusValues),
        },
      ],
      responses: {
        200: {
          description: 'A page of compatibility sessions',
          schema: paginatedResponseSchema(compatSessionKind),
        },
        ...errorResponses(400, 404),
      },
    },
    async ({ repos, query }) => {
      const links = new FilterLinks(compatSessionKind.path);
      let filter: CompatSessionFilter = {};
      const user = ulidFilter(query, 'user', links);
      if (user !== undefined) {
        if ((await repos.users.lookup(asUserId(user))) === null) throw notFound('User', user);
        filter = { ...filter, userId: asUserId(user) };
      }
      const state = enumFilter(query, 'status', statusValues, links);
      if (state !== undefined) filter = { ...filter, state };
      const pagination = parsePagination<CompatSessionId>(query);
      const page = await repos.compatSessions.list(filter, pagination);
      const count = await repos.compatSessions.count(filter);
      return {
        body: paginatedResponse(compatSessionKind, links.base, pagination, page, count, attributes),
      };
    },
  );

  adminRoute(
    app,
    deps,
    routes,
    {
      method: 'GET',
      path: '/compat-sessions/:id',
      operationId: 'getCompatSession',
      summary: 'Get a compatibility session',
      tag: 'compat-session',
      parameters: [
        { name: 'id', in: 'path', description: 'The ID of the session', schema: ulidSchema },
      ],
      responses: {
        200: {
          description: 'The compatibility session',
          schema: singleResponseSchema(compatSessionKind),
        },
        ...errorResponses(400, 404),
      },
    },
    async ({ repos, params }) => {
      const id = ulidParam(params);
      const session = await repos.compatSessions.lookup(asCompatSessionId(id));
      if (session === null) throw notFound('Compatibility session', id);
      return { body: singleResponse(compatSessionKind, session.id, attributes(session)) };
    },
  );
}
