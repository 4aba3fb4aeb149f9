// The Admin API's users (MAS: admin/v1/users): list with `filter[admin]`, `filter[legacy-guest]`,
// `filter[search]`, `filter[status]`, `filter[active-oauth2-client]` (repeatable: any of them),
// `filter[has-active-oauth2-session]` and `filter[has-active-compat-session]`; one by id or by
// username, and the state changes: set-password, set-admin, lock, unlock,
// deactivate (queues the deactivate-user job, which ends every session here and on the
// homeserver) and reactivate (queues reactivate-user). Each answers with the user as it now is.

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  singleResponse,
  singleResponseSchema,
  ulidSchema,
  type ResourceKind,
} from '../../../admin/jsonapi.ts';
import { queryValue, type Query } from '../../../admin/pagination.ts';
import type { RouteParameter } from '../../../admin/openapi.ts';
import type { HashedPassword } from '../../../crypto/password-manager.ts';
import { asOAuth2ClientId, asUserId, type UserId } from '../../../model/ids.ts';
import type { User } from '../../../model/user.ts';
import { checkPasswordComplexity, complexityMessage } from '../../../policy/password-complexity.ts';
import {
  enqueueDeactivateUser,
  enqueueProvisionUser,
  enqueueReactivateUser,
} from '../../../storage/matrix-jobs.ts';
import type { IntrospectionCache } from '../../../services/introspection-cache.ts';
import type { Repositories } from '../../../storage/storage.ts';
import type { Pagination, UserFilter } from '../../../storage/user-repository.ts';
import { AdminError, notFound } from './admin-error.ts';
import {
  ADMIN_PREFIX,
  adminRoute,
  ulidParam,
  type AdminDeps,
  type RouteList,
} from './admin-route.ts';
import type { FilterLinks } from './filters.ts';
import { booleanFilter, enumFilter, ulidListFilter } from './filters.ts';
import { registerGetById } from './get-by-id-route.ts';
import { registerList } from './list-route.ts';
import { errorResponses } from './route-docs.ts';

const timestamp = z.iso.datetime();

export const userKind = {
  type: 'user',
  path: `${ADMIN_PREFIX}/users`,
  attributes: z
    .object({
      username: z.string().meta({ description: 'The username (localpart) of the user' }),
      created_at: timestamp,
      locked_at: timestamp.nullable(),
      deactivated_at: timestamp.nullable(),
      admin: z.boolean().meta({ description: 'Whether the user can request admin privileges' }),
      legacy_guest: z.boolean(),
    })
    .meta({ id: 'User' }),
} satisfies ResourceKind<z.ZodType>;

type UserAttributes = z.infer<typeof userKind.attributes>;

export function userAttributes(user: User): UserAttributes {
  return {
    username: user.username,
    created_at: user.createdAt.toISOString(),
    locked_at: user.lockedAt?.toISOString() ?? null,
    deactivated_at: user.deactivatedAt?.toISOString() ?? null,
    admin: user.canRequestAdmin,
    legacy_guest: false,
  };
}

const single = singleResponseSchema(userKind);
const idParameter: RouteParameter = {
  name: 'id',
  in: 'path',
  description: 'The ID of the user',
  schema: ulidSchema,
};
const statusValues = ['active', 'locked', 'deactivated'] as const;

function userFilter(query: Query, links: FilterLinks): UserFilter {
  const admin = booleanFilter(query, 'admin', links);
  const legacyGuest = booleanFilter(query, 'legacy-guest', links);
  const search = queryValue(query, 'filter[search]');
  if (search !== undefined) links.add('search', search);
  const state = enumFilter(query, 'status', statusValues, links);
  const clients = ulidListFilter(query, 'active-oauth2-client', links).map(asOAuth2ClientId);
  const oauth2 = booleanFilter(query, 'has-active-oauth2-session', links);
  const compat = booleanFilter(query, 'has-active-compat-session', links);
  return {
    ...(admin === undefined ? {} : { canRequestAdmin: admin }),
    ...(legacyGuest === undefined ? {} : { legacyGuest }),
    ...(search === undefined ? {} : { search }),
    ...(state === undefined ? {} : { state }),
    ...(clients.length === 0 ? {} : { activeOAuth2ClientIds: clients }),
    ...(oauth2 === undefined ? {} : { hasActiveOAuth2Session: oauth2 }),
    ...(compat === undefined ? {} : { hasActiveCompatSession: compat }),
  };
}

async function requireUser(repos: Repositories, id: string): Promise<User> {
  const user = await repos.users.lookup(asUserId(id) as UserId);
  if (user === null) throw notFound('User', id);
  return user;
}

const answer = (user: User) => ({ body: singleResponse(userKind, user.id, userAttributes(user)) });

export function registerUsers(
  app: FastifyInstance,
  deps: AdminDeps & { readonly introspectionCache?: IntrospectionCache | undefined },
  routes: RouteList,
): void {
  registerList(app, deps, routes, {
    kind: userKind,
    operationId: 'listUsers',
    summary: 'List users',
    tag: 'user',
    description: 'A page of users',
    filters: [
      {
        name: 'filter[admin]',
        in: 'query',
        description: 'Only users who can (true) or cannot (false) request admin privileges',
        schema: z.enum(['true', 'false']),
      },
      {
        name: 'filter[legacy-guest]',
        in: 'query',
        description: 'Only guests (true: nobody, Gatehouse has none) or only non-guests (false)',
        schema: z.enum(['true', 'false']),
      },
      {
        name: 'filter[search]',
        in: 'query',
        description: 'Only users whose username contains this (any case)',
        schema: z.string(),
      },
      {
        name: 'filter[status]',
        in: 'query',
        description: 'Only users in this state',
        schema: z.enum(statusValues),
      },
      {
        name: 'filter[active-oauth2-client]',
        in: 'query',
        description:
          'Only users with an active OAuth 2.0 session of this client (repeat it for any of several)',
        schema: z.array(ulidSchema),
      },
      {
        name: 'filter[has-active-oauth2-session]',
        in: 'query',
        description: 'Only users with (true) or without (false) an active OAuth 2.0 session',
        schema: z.enum(['true', 'false']),
      },
      {
        name: 'filter[has-active-compat-session]',
        in: 'query',
        description: 'Only users with (true) or without (false) an active compatibility session',
        schema: z.enum(['true', 'false']),
      },
    ],
    errors: [400],
    readFilter: (query, links) => userFilter(query, links),
    listing: (repos, filter) => ({
      list: (pagination: Pagination<UserId>) => repos.users.list(filter, pagination),
      count: () => repos.users.count(filter),
    }),
    attributes: userAttributes,
  });

  registerGetById(app, deps, routes, {
    kind: userKind,
    operationId: 'getUser',
    summary: 'Get a user',
    tag: 'user',
    description: 'The user',
    idDescription: 'The ID of the user',
    lookup: (repos, id) => repos.users.lookup(asUserId(id)),
    notFound: (id) => `User ID ${id} not found`,
    attributes: userAttributes,
  });

  adminRoute(
    app,
    deps,
    routes,
    {
      method: 'GET',
      path: '/users/by-username/:username',
      operationId: 'getUserByUsername',
      summary: 'Get a user by its username (localpart)',
      tag: 'user',
      parameters: [
        { name: 'username', in: 'path', description: 'The localpart', schema: z.string() },
      ],
      responses: { 200: { description: 'The user', schema: single }, ...errorResponses(404) },
    },
    async ({ repos, params }) => {
      const username = params.username ?? '';
      const user = await repos.users.findByUsername(username);
      if (user === null) throw new AdminError(404, `User with username "${username}" not found`);
      return {
        body: singleResponse(
          userKind,
          user.id,
          userAttributes(user),
          `${userKind.path}/by-username/${encodeURIComponent(username)}`,
        ),
      };
    },
  );

  const setPasswordBody = z
    .object({
      password: z.string().min(1),
      skip_password_check: z.boolean().optional(),
    })
    .meta({ id: 'SetUserPasswordRequest' });
  adminRoute<typeof setPasswordBody, HashedPassword>(
    app,
    deps,
    routes,
    {
      method: 'POST',
      path: '/users/:id/set-password',
      operationId: 'setUserPassword',
      summary: "Set a user's password",
      tag: 'user',
      parameters: [idParameter],
      body: setPasswordBody,
      responses: {
        204: { description: 'The password was set' },
        ...errorResponses(400, 404),
      },
    },
    async ({ repos, params, body }) => {
      const user = await requireUser(repos, ulidParam(params));
      await repos.userPasswords.add(deps.rng, deps.clock, user, body.version, body.hash);
      return { status: 204, body: undefined };
    },
    async (body) => {
      if (!deps.passwords.enabled) throw new AdminError(400, 'Password support is disabled');
      if (body.skip_password_check !== true) {
        const result = await checkPasswordComplexity(
          body.password,
          deps.config.passwords.minimum_complexity,
        );
        if (!result.ok) throw new AdminError(400, complexityMessage(result));
      }
      return deps.passwords.hash(body.password);
    },
  );

  const setAdminBody = z.object({ admin: z.boolean() }).meta({ id: 'UserSetAdminRequest' });
  adminRoute(
    app,
    deps,
    routes,
    {
      method: 'POST',
      path: '/users/:id/set-admin',
      operationId: 'userSetAdmin',
      summary: 'Set whether a user can request admin privileges',
      tag: 'user',
      parameters: [idParameter],
      body: setAdminBody,
      responses: { 200: { description: 'The user', schema: single }, ...errorResponses(400, 404) },
    },
    async ({ repos, params, body }) => {
      const user = await requireUser(repos, ulidParam(params));
      return answer(await repos.users.setCanRequestAdmin(user, body.admin));
    },
  );

  const action = (
    name: string,
    operationId: string,
    summary: string,
    act: (repos: Repositories, user: User) => Promise<User>,
  ) =>
    adminRoute(
      app,
      deps,
      routes,
      {
        method: 'POST',
        path: `/users/:id/${name}`,
        operationId,
        summary,
        tag: 'user',
        parameters: [idParameter],
        responses: {
          200: { description: 'The user', schema: single },
          ...errorResponses(400, 404),
        },
      },
      async ({ repos, params }) =>
        answer(await act(repos, await requireUser(repos, ulidParam(params)))),
    );

  const provision = async (repos: Repositories, user: User): Promise<void> => {
    if (deps.config.matrix !== undefined) {
      await enqueueProvisionUser(repos.queue, deps.rng, deps.clock, user.id);
    }
  };
  // A locked user's tokens introspect inactive: answers cached before the lock go at once.
  const forgetIntrospections = (user: User) =>
    deps.introspectionCache?.invalidate({ user: user.id });
  action('lock', 'lockUser', 'Lock a user', async (repos, user) => {
    const locked = await repos.users.lock(deps.clock, user);
    await provision(repos, locked);
    await forgetIntrospections(locked);
    return locked;
  });
  action('unlock', 'unlockUser', 'Unlock a user', async (repos, user) => {
    const unlocked = await repos.users.unlock(user);
    await provision(repos, unlocked);
    return unlocked;
  });
  action(
    'deactivate',
    'deactivateUser',
    'Lock a user and queue their deactivation (here and on the homeserver)',
    async (repos, user) => {
      // As `manage lock-user --deactivate`: locked now, the job ends the sessions and deactivates.
      const locked = await repos.users.lock(deps.clock, user);
      await provision(repos, locked);
      await forgetIntrospections(locked);
      await enqueueDeactivateUser(repos.queue, deps.rng, deps.clock, user.id, false);
      return locked;
    },
  );
  action(
    'reactivate',
    'reactivateUser',
    'Queue the reactivation of a deactivated user (here and on the homeserver)',
    async (repos, user) => {
      // As `manage unlock-user --reactivate`: the job reactivates, then provisions the user.
      await enqueueReactivateUser(repos.queue, deps.rng, deps.clock, user.id);
      return user;
    },
  );
}
