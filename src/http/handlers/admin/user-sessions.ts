// The Admin API's user sessions, i.e. browser sessions (MAS: admin/v1/user_sessions): the list,
// narrowed by `filter[user]` (an unknown user is a 404, as MAS) and `filter[status]` (active or
// finished), and one session by id.

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
import type { BrowserSession } from '../../../model/browser-session.ts';
import { asBrowserSessionId, asUserId, type BrowserSessionId } from '../../../model/ids.ts';
import type { BrowserSessionFilter } from '../../../storage/browser-session-repository.ts';
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

const statusValues = ['active', 'finished'] as const;

export function registerUserSessions(
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
      path: '/user-sessions',
      operationId: 'listUserSessions',
      summary: 'List user (browser) sessions',
      tag: 'user-session',
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
          description: 'A page of user sessions',
          schema: paginatedResponseSchema(userSessionKind),
        },
        ...errorResponses(400, 404),
      },
    },
    async ({ repos, query }) => {
      const links = new FilterLinks(userSessionKind.path);
      let filter: BrowserSessionFilter = {};
      const user = ulidFilter(query, 'user', links);
      if (user !== undefined) {
        if ((await repos.users.lookup(asUserId(user))) === null) throw notFound('User', user);
        filter = { ...filter, userId: asUserId(user) };
      }
      const state = enumFilter(query, 'status', statusValues, links);
      if (state !== undefined) filter = { ...filter, state };
      const pagination = parsePagination<BrowserSessionId>(query);
      const page = await repos.browserSessions.list(filter, pagination);
      const count = await repos.browserSessions.count(filter);
      return {
        body: paginatedResponse(userSessionKind, links.base, pagination, page, count, attributes),
      };
    },
  );

  adminRoute(
    app,
    deps,
    routes,
    {
      method: 'GET',
      path: '/user-sessions/:id',
      operationId: 'getUserSession',
      summary: 'Get a user (browser) session',
      tag: 'user-session',
      parameters: [
        { name: 'id', in: 'path', description: 'The ID of the session', schema: ulidSchema },
      ],
      responses: {
        200: { description: 'The user session', schema: singleResponseSchema(userSessionKind) },
        ...errorResponses(400, 404),
      },
    },
    async ({ repos, params }) => {
      const id = ulidParam(params);
      const session = await repos.browserSessions.lookup(asBrowserSessionId(id));
      if (session === null) throw notFound('User session', id);
      return { body: singleResponse(userSessionKind, session.id, attributes(session)) };
    },
  );
}
