// The Admin API's personal sessions (MAS: admin/v1/personal_sessions): the list with MAS's
// filters (`owner_user`, `owner_client`, `actor_user`, repeatable `scope`, `status`,
// `expires_before`, `expires_after`, `expires`), one session, creation (the `mpt_` token is in
// the answer, and only there), revocation and regeneration. A session created here belongs to the
// caller: the admin user of an interactive token, the client of a client_credentials token, or
// the actor of the personal token used; only that owner may regenerate it, as MAS.
//
// Differences from MAS: a device named in the scope is created on the homeserver by a
// `sync-devices` job queued with the session, not by a call made inside the transaction.

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  errorResponseSchema,
  singleResponse,
  singleResponseSchema,
  ulidSchema,
  type ResourceKind,
} from '../../../admin/jsonapi.ts';
import { asOAuth2ClientId, asUserId } from '../../../model/ids.ts';
import {
  asPersonalSessionId,
  isPersonalSessionActive,
  MAX_HUMAN_NAME_LENGTH,
  type PersonalAccessToken,
  type PersonalSession,
  type PersonalSessionId,
  type PersonalSessionOwner,
} from '../../../model/personal-session.ts';
import { isUserDeactivated } from '../../../model/user.ts';
import { isScopeToken } from '../../../oauth2/scope.ts';
import type { IntrospectionCache } from '../../../services/introspection-cache.ts';
import {
  issuePersonalSession,
  regeneratePersonalToken,
  revokePersonalSession,
} from '../../../services/personal-sessions.ts';
import type { PersonalSessionFilter } from '../../../storage/personal-session-repository.ts';
import type { Pagination } from '../../../storage/user-repository.ts';
import type { AdminCaller } from './admin-auth.ts';
import { AdminError, notFound } from './admin-error.ts';
import {
  ADMIN_PREFIX,
  adminRoute,
  ulidParam,
  type AdminDeps,
  type RouteList,
} from './admin-route.ts';
import {
  booleanFilter,
  dateTimeFilter,
  enumFilter,
  scopeListFilter,
  ulidFilter,
} from './filters.ts';
import { registerGetById } from './get-by-id-route.ts';
import { knownUserFilter, registerList } from './list-route.ts';
import { errorResponses } from './route-docs.ts';

export interface PersonalSessionsDeps extends AdminDeps {
  /** Revocation and regeneration drop cached introspection answers. */
  readonly introspectionCache?: IntrospectionCache | undefined;
}

const timestamp = z.iso.datetime();

export const personalSessionKind = {
  type: 'personal-session',
  path: `${ADMIN_PREFIX}/personal-sessions`,
  attributes: z
    .object({
      created_at: timestamp,
      revoked_at: timestamp.nullable(),
      owner_user_id: ulidSchema
        .nullable()
        .meta({ description: 'The user who owns this session (if a user owns it)' }),
      owner_client_id: z
        .string()
        .nullable()
        .meta({ description: 'The OAuth 2.0 client that owns this session (if a client owns it)' }),
      actor_user_id: ulidSchema.meta({ description: 'The user the session acts as' }),
      human_name: z.string(),
      scope: z.string(),
      last_active_at: timestamp.nullable(),
      last_active_ip: z.string().nullable(),
      expires_at: timestamp
        .nullable()
        .meta({ description: 'When the current token expires; null if never, or revoked' }),
      access_token: z
        .string()
        .optional()
        .meta({ description: 'The personal access token; only in creation and regeneration' }),
    })
    .meta({ id: 'PersonalSession' }),
} satisfies ResourceKind<z.ZodType>;

type Attributes = z.infer<typeof personalSessionKind.attributes>;

function attributes(
  session: PersonalSession,
  token: PersonalAccessToken | null,
  accessToken?: string,
): Attributes {
  return {
    created_at: session.createdAt.toISOString(),
    revoked_at: session.revokedAt?.toISOString() ?? null,
    owner_user_id: session.owner.userId ?? null,
    owner_client_id: session.owner.clientId ?? null,
    actor_user_id: session.actorUserId,
    human_name: session.humanName,
    scope: session.scope,
    last_active_at: session.lastActiveAt?.toISOString() ?? null,
    last_active_ip: session.lastActiveIp,
    expires_at: token?.expiresAt?.toISOString() ?? null,
    ...(accessToken === undefined ? {} : { access_token: accessToken }),
  };
}

/** Who owns what the caller creates (MAS `personal_session_owner_from_caller`). */
function ownerOf(caller: AdminCaller): PersonalSessionOwner {
  if (caller.kind === 'personal') return { userId: caller.session.actorUserId };
  const { userId, clientId } = caller.session;
  return userId !== null ? { userId } : { clientId };
}

const sameOwner = (a: PersonalSessionOwner, b: PersonalSessionOwner): boolean =>
  a.userId !== undefined ? a.userId === b.userId : a.clientId === b.clientId;

const expiresIn = z
  .number()
  .int()
  .min(0)
  .max(2 ** 32 - 1)
  .nullable()
  .optional()
  .meta({ description: 'Lifetime of the token in seconds; absent or null: it never expires' });

const createBody = z
  .object({
    actor_user_id: ulidSchema.meta({ description: 'The user the session will act as' }),
    human_name: z
      .string()
      .max(MAX_HUMAN_NAME_LENGTH)
      .meta({ description: 'What the session is for' }),
    scope: z.string().meta({ description: 'The OAuth 2.0 scopes of the session' }),
    expires_in: expiresIn,
  })
  .meta({ id: 'CreatePersonalSessionRequest' });

const regenerateBody = z
  .object({ expires_in: expiresIn })
  .meta({ id: 'RegeneratePersonalSessionRequest' });

const statusValues = ['active', 'revoked'] as const;

const idParameter = {
  name: 'id',
  in: 'path' as const,
  description: 'The ID of the personal session',
  schema: ulidSchema,
};

export function registerPersonalSessions(
  app: FastifyInstance,
  deps: PersonalSessionsDeps,
  routes: RouteList,
): void {
  const tokenDeps = {
    clock: deps.clock,
    rng: deps.rng,
    introspectionCache: deps.introspectionCache,
  };

  registerList(app, deps, routes, {
    kind: personalSessionKind,
    operationId: 'listPersonalSessions',
    summary: 'List personal sessions',
    tag: 'personal-session',
    description: 'A page of personal sessions',
    filters: [
      {
        name: 'filter[owner_user]',
        in: 'query',
        description: 'Only the sessions this user owns',
        schema: ulidSchema,
      },
      {
        name: 'filter[owner_client]',
        in: 'query',
        description: 'Only the sessions this OAuth 2.0 client owns',
        schema: ulidSchema,
      },
      {
        name: 'filter[actor_user]',
        in: 'query',
        description: 'Only the sessions acting as this user',
        schema: ulidSchema,
      },
      {
        name: 'filter[scope]',
        in: 'query',
        description: 'Only the sessions with this scope (repeat for several)',
        schema: z.string(),
      },
      {
        name: 'filter[status]',
        in: 'query',
        description: 'Only active or only revoked sessions',
        schema: z.enum(statusValues),
      },
      {
        name: 'filter[expires_before]',
        in: 'query',
        description: 'Only the sessions whose current token expires before this time',
        schema: timestamp,
      },
      {
        name: 'filter[expires_after]',
        in: 'query',
        description: 'Only the sessions whose current token expires after this time',
        schema: timestamp,
      },
      {
        name: 'filter[expires]',
        in: 'query',
        description:
          'Only the sessions whose current token has (true) or has not (false) an expiry',
        schema: z.enum(['true', 'false']),
      },
    ],
    errors: [400, 404],
    readFilter: async (query, links, repos) => {
      let filter: PersonalSessionFilter = {};
      const ownerUserId = await knownUserFilter(query, 'owner_user', links, repos);
      if (ownerUserId !== undefined) filter = { ...filter, ownerUserId };
      const ownerClient = ulidFilter(query, 'owner_client', links);
      if (ownerClient !== undefined) {
        if ((await repos.oauth2Clients.lookup(asOAuth2ClientId(ownerClient))) === null) {
          throw new AdminError(404, `Client ID ${ownerClient} not found`);
        }
        filter = { ...filter, ownerClientId: asOAuth2ClientId(ownerClient) };
      }
      const actorUserId = await knownUserFilter(query, 'actor_user', links, repos);
      if (actorUserId !== undefined) filter = { ...filter, actorUserId };
      const scope = scopeListFilter(query, 'scope', links);
      if (scope.length > 0) filter = { ...filter, scope };
      const state = enumFilter(query, 'status', statusValues, links);
      if (state !== undefined) filter = { ...filter, state };
      const expiresBefore = dateTimeFilter(query, 'expires_before', links);
      if (expiresBefore !== undefined) filter = { ...filter, expiresBefore };
      const expiresAfter = dateTimeFilter(query, 'expires_after', links);
      if (expiresAfter !== undefined) filter = { ...filter, expiresAfter };
      const expires = booleanFilter(query, 'expires', links);
      if (expires !== undefined) filter = { ...filter, expires };
      return filter;
    },
    listing: (repos, filter) => ({
      list: async (pagination: Pagination<PersonalSessionId>) => {
        const page = await repos.personalSessions.list(filter, pagination);
        return { ...page, items: page.items.map((item) => ({ id: item.session.id, ...item })) };
      },
      count: () => repos.personalSessions.count(filter),
    }),
    attributes: (item) => attributes(item.session, item.token),
  });

  adminRoute(
    app,
    deps,
    routes,
    {
      method: 'POST',
      path: '/personal-sessions',
      operationId: 'createPersonalSession',
      summary: 'Create a personal session with a personal access token',
      tag: 'personal-session',
      body: createBody,
      responses: {
        201: {
          description: 'The session was created; `access_token` holds its token (shown only now)',
          schema: singleResponseSchema(personalSessionKind),
        },
        ...errorResponses(400, 404),
        410: { description: 'The actor user is deactivated', schema: errorResponseSchema },
      },
    },
    async ({ repos, admin, body }) => {
      const actor = await repos.users.lookup(asUserId(body.actor_user_id.toUpperCase()));
      if (actor === null) throw new AdminError(404, 'User not found');
      if (isUserDeactivated(actor)) throw new AdminError(410, 'User is not active');
      const tokens = body.scope.split(' ');
      if (body.scope === '' || !tokens.every(isScopeToken)) {
        throw new AdminError(400, 'Invalid scope');
      }
      const issued = await issuePersonalSession(repos, tokenDeps, {
        owner: ownerOf(admin),
        actor,
        humanName: body.human_name,
        scope: body.scope,
        expiresIn: body.expires_in ?? null,
      });
      return {
        status: 201,
        body: singleResponse(
          personalSessionKind,
          issued.session.id,
          attributes(issued.session, issued.token, issued.accessToken),
        ),
      };
    },
  );

  registerGetById(app, deps, routes, {
    kind: personalSessionKind,
    operationId: 'getPersonalSession',
    summary: 'Get a personal session',
    tag: 'personal-session',
    description: 'The personal session',
    idDescription: idParameter.description,
    lookup: async (repos, id) => {
      const session = await repos.personalSessions.lookup(asPersonalSessionId(id));
      if (session === null) return null;
      const token = isPersonalSessionActive(session)
        ? await repos.personalSessions.currentToken(session.id)
        : null;
      return { id: session.id, session, token };
    },
    notFound: (id) => `Personal session ID ${id} not found`,
    attributes: (found) => attributes(found.session, found.token),
  });

  adminRoute(
    app,
    deps,
    routes,
    {
      method: 'POST',
      path: '/personal-sessions/:id/revoke',
      operationId: 'revokePersonalSession',
      summary: 'Revoke a personal session',
      tag: 'personal-session',
      parameters: [idParameter],
      responses: {
        200: {
          description: 'The session was revoked',
          schema: singleResponseSchema(personalSessionKind),
        },
        ...errorResponses(400, 404),
        409: { description: 'The session is already revoked', schema: errorResponseSchema },
      },
    },
    async ({ repos, params }) => {
      const id: PersonalSessionId = asPersonalSessionId(ulidParam(params));
      const session = await repos.personalSessions.lookup(id);
      if (session === null) throw notFound('Personal session', id);
      if (!isPersonalSessionActive(session)) {
        throw new AdminError(409, `Personal session with ID ${id} is already revoked`);
      }
      const revoked = await revokePersonalSession(repos, tokenDeps, session);
      return { body: singleResponse(personalSessionKind, id, attributes(revoked, null)) };
    },
  );

  adminRoute(
    app,
    deps,
    routes,
    {
      method: 'POST',
      path: '/personal-sessions/:id/regenerate',
      operationId: 'regeneratePersonalSession',
      summary: 'Replace the personal access token of a personal session',
      tag: 'personal-session',
      parameters: [idParameter],
      body: regenerateBody,
      responses: {
        201: {
          description: 'A new token was issued; `access_token` holds it (shown only now)',
          schema: singleResponseSchema(personalSessionKind),
        },
        ...errorResponses(400, 404),
        422: { description: 'The session is revoked', schema: errorResponseSchema },
      },
    },
    async ({ repos, admin, params, body }) => {
      const id = asPersonalSessionId(ulidParam(params));
      const session = await repos.personalSessions.lookup(id);
      if (session === null) throw new AdminError(404, 'Session not found');
      if (!isPersonalSessionActive(session)) throw new AdminError(422, 'Session not valid');
      if (!sameOwner(session.owner, ownerOf(admin))) {
        throw new AdminError(403, 'Session does not belong to you');
      }
      const issued = await regeneratePersonalToken(
        repos,
        tokenDeps,
        session,
        body.expires_in ?? null,
      );
      return {
        status: 201,
        body: singleResponse(
          personalSessionKind,
          id,
          attributes(issued.session, issued.token, issued.accessToken),
        ),
      };
    },
  );
}
