// The Admin API's OAuth 2.0 sessions (MAS: admin/v1/oauth2_sessions): the list, narrowed by
// `filter[user]`, `filter[client]` (repeatable: any of them; an unknown client is a 404, as
// MAS), `filter[client-kind]`, `filter[user-session]`, `filter[scope]` (repeatable: all of
// them), `filter[status]` and the dates; one session by id; and finishing one (its tokens
// revoked; a user's device removed from the homeserver by a sync-devices job). The routes are
// ./session-list.ts.

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ulidSchema, type ResourceKind } from '../../../admin/jsonapi.ts';
import { asOAuth2ClientId, asOAuth2SessionId, type OAuth2SessionId } from '../../../model/ids.ts';
import type { OAuth2Session } from '../../../model/oauth2-session.ts';
import type { OAuth2SessionFilter } from '../../../storage/oauth2-session-repository.ts';
import { AdminError } from './admin-error.ts';
import { enqueueSyncDevices } from '../../../storage/matrix-jobs.ts';
import { ADMIN_PREFIX, type RouteList } from './admin-route.ts';
import { enumFilter, scopeListFilter, ulidListFilter } from './filters.ts';
import { registerSessionRoutes, userSessionFilter, type SessionDeps } from './session-list.ts';

const clientKinds = ['static', 'dynamic'] as const;

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

type OAuth2SessionAttributes = z.infer<typeof oauth2SessionKind.attributes>;

const attributes = (s: OAuth2Session): OAuth2SessionAttributes => ({
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

export function registerOAuth2Sessions(
  app: FastifyInstance,
  deps: SessionDeps,
  routes: RouteList,
): void {
  registerSessionRoutes<
    OAuth2Session,
    OAuth2SessionFilter,
    OAuth2SessionAttributes,
    OAuth2SessionId
  >(app, deps, routes, {
    kind: oauth2SessionKind,
    tag: 'oauth2-session',
    operation: 'OAuth2Session',
    summaries: {
      list: 'List OAuth 2.0 sessions',
      get: 'Get an OAuth 2.0 session',
      finish: 'Finish an OAuth 2.0 session',
    },
    noun: 'OAuth 2.0 session',
    title: 'OAuth 2.0 session',
    store: (repos) => repos.oauth2Sessions,
    asId: asOAuth2SessionId,
    attributes,
    async finish(repos, session, { clock, rng, config, introspectionCache }) {
      if (session.userId !== null && config.matrix !== undefined) {
        await enqueueSyncDevices(repos.queue, rng, clock, session.userId);
      }
      const ended = await repos.oauth2Sessions.finish(clock, session);
      await introspectionCache?.invalidate({ session: session.id });
      return ended;
    },
    extraFilters: [
      {
        parameter: {
          name: 'filter[client]',
          in: 'query',
          description: 'Only the sessions of this client (repeat it for any of several)',
          schema: z.array(ulidSchema),
        },
        async read(query, links, repos, filter) {
          const clients = ulidListFilter(query, 'client', links).map(asOAuth2ClientId);
          if (clients.length === 0) return filter;
          for (const client of clients) {
            if ((await repos.oauth2Clients.lookup(client)) === null) {
              throw new AdminError(404, `Client ID ${client} not found`);
            }
          }
          return { ...filter, clientIds: clients };
        },
      },
      {
        parameter: {
          name: 'filter[client-kind]',
          in: 'query',
          description: 'Only the sessions of static (configured) or dynamic (registered) clients',
          schema: z.enum(clientKinds),
        },
        read: async (query, links, _repos, filter) => {
          const clientKind = enumFilter(query, 'client-kind', clientKinds, links);
          return clientKind === undefined ? filter : { ...filter, clientKind };
        },
      },
      userSessionFilter(),
      {
        parameter: {
          name: 'filter[scope]',
          in: 'query',
          description: 'Only the sessions holding this scope token (repeat it: all of them)',
          schema: z.array(z.string()),
        },
        read: async (query, links, _repos, filter) => {
          const scopes = scopeListFilter(query, 'scope', links);
          return scopes.length === 0 ? filter : { ...filter, scopes };
        },
      },
    ],
  });
}
