// The Admin API's OAuth 2.0 sessions (MAS: admin/v1/oauth2_sessions): the list, narrowed by
// `filter[user]`, `filter[client]` (an unknown user or client is a 404, as MAS) and
// `filter[status]` (active or finished), and one session by id.

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
  asOAuth2ClientId,
  asOAuth2SessionId,
  asUserId,
  type OAuth2SessionId,
} from '../../../model/ids.ts';
import type { OAuth2Session } from '../../../model/oauth2-session.ts';
import type { OAuth2SessionFilter } from '../../../storage/oauth2-session-repository.ts';
import { AdminError, notFound } from './admin-error.ts';
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

export const oauth2SessionKind = {
  type: 'oauth2-session',
  path: `${ADMIN_PREFIX}/oauth2-sessions`,
  attributes: z
    .object({
      created_at: timestamp,
      finished_at: timestamp.nullable(),
      user_id: ulidSchema.nullable().meta({ description: 'The user, if not a client session' }),
      user_session_id: ulidSchema
        .nullable()
        .meta({ description: 'The browser session that started this session' }),
      // A plain string: client ids from the configuration are ULIDs, but older databases may
      // hold others, and a listing must not fail on them.
      client_id: z.string().meta({ description: 'The client that requested this session' }),
      scope: z.string(),
      user_agent: z.string().nullable(),
      last_active_at: timestamp.nullable(),
      last_active_ip: z.string().nullable(),
      human_name: z.string().nullable(),
    })
    .meta({ id: 'OAuth2Session' }),
} satisfies ResourceKind<z.ZodType>;

const attributes = (s: OAuth2Session): z.infer<typeof oauth2SessionKind.attributes> => ({
  created_at: s.createdAt.toISOString(),
  finished_at: s.finishedAt?.toISOString() ?? null,
  user_id: s.userId,
  user_session_id: s.browserSessionId,
  client_id: s.clientId,
  scope: s.scope,
  user_agent: s.userAgent,
  last_active_at: s.lastActiveAt?.toISOString() ?? null,
  last_active_ip: s.lastActiveIp,
  human_name: s.humanName,
});

const statusValues = ['active', 'finished'] as const;

export function registerOAuth2Sessions(
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
      path: '/oauth2-sessions',
      operationId: 'listOAuth2Sessions',
      summary: 'List OAuth 2.0 sessions',
      tag: 'oauth2-session',
      parameters: [
        ...listParameters,
        {
          name: 'filter[user]',
          in: 'query',
          description: 'Only the sessions of this user',
          schema: ulidSchema,
        },
        {
          name: 'filter[client]',
          in: 'query',
          description: 'Only the sessions of this client',
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
          description: 'A page of OAuth 2.0 sessions',
          schema: paginatedResponseSchema(oauth2SessionKind),
        },
        ...errorResponses(400, 404),
      },
    },
    async ({ repos, query }) => {
      const links = new FilterLinks(oauth2SessionKind.path);
      let filter: OAuth2SessionFilter = {};
      const user = ulidFilter(query, 'user', links);
      if (user !== undefined) {
        if ((await repos.users.lookup(asUserId(user))) === null) throw notFound('User', user);
        filter = { ...filter, userId: asUserId(user) };
      }
      const client = ulidFilter(query, 'client', links);
      if (client !== undefined) {
        if ((await repos.oauth2Clients.lookup(asOAuth2ClientId(client))) === null) {
          throw new AdminError(404, `Client ID ${client} not found`);
        }
        filter = { ...filter, clientId: asOAuth2ClientId(client) };
      }
      const state = enumFilter(query, 'status', statusValues, links);
      if (state !== undefined) filter = { ...filter, state };
      const pagination = parsePagination<OAuth2SessionId>(query);
      const page = await repos.oauth2Sessions.list(filter, pagination);
      const count = await repos.oauth2Sessions.count(filter);
      return {
        body: paginatedResponse(oauth2SessionKind, links.base, pagination, page, count, attributes),
      };
    },
  );

  adminRoute(
    app,
    deps,
    routes,
    {
      method: 'GET',
      path: '/oauth2-sessions/:id',
      operationId: 'getOAuth2Session',
      summary: 'Get an OAuth 2.0 session',
      tag: 'oauth2-session',
      parameters: [
        { name: 'id', in: 'path', description: 'The ID of the session', schema: ulidSchema },
      ],
      responses: {
        200: {
          description: 'The OAuth 2.0 session',
          schema: singleResponseSchema(oauth2SessionKind),
        },
        ...errorResponses(400, 404),
      },
    },
    async ({ repos, params }) => {
      const id = ulidParam(params);
      const session = await repos.oauth2Sessions.lookup(asOAuth2SessionId(id));
      if (session === null) throw notFound('OAuth 2.0 session', id);
      return { body: singleResponse(oauth2SessionKind, session.id, attributes(session)) };
    },
  );
}
