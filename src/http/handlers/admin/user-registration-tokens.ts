// The Admin API's user registration tokens (MAS: admin/v1/user_registration_tokens): the list,
// narrowed by `filter[used]`, `filter[revoked]`, `filter[expired]` and `filter[valid]`; one
// token by id; creation (a random 12-character token unless one is given; the same text twice
// is a 409); changing its expiry and usage limit (PUT; null removes either); revoke and unrevoke
// (a 400 when already in that state, as MAS).

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  errorResponseSchema,
  singleResponse,
  singleResponseSchema,
  ulidSchema,
  type ResourceKind,
} from '../../../admin/jsonapi.ts';
import type { RouteParameter } from '../../../admin/openapi.ts';
import {
  asUserRegistrationTokenId,
  isRegistrationTokenValid,
  type UserRegistrationToken,
  type UserRegistrationTokenId,
} from '../../../model/registration-token.ts';
import { randomString } from '../../../rng.ts';
import type { UserRegistrationTokenFilter } from '../../../storage/registration-token-repository.ts';
import type { Repositories } from '../../../storage/storage.ts';
import type { Pagination } from '../../../storage/user-repository.ts';
import { AdminError } from './admin-error.ts';
import {
  ADMIN_PREFIX,
  adminRoute,
  ulidParam,
  type AdminDeps,
  type RouteList,
} from './admin-route.ts';
import { booleanFilter } from './filters.ts';
import { registerGetById } from './get-by-id-route.ts';
import { registerList } from './list-route.ts';
import { errorResponses } from './route-docs.ts';

const timestamp = z.iso.datetime();
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const GENERATED_LENGTH = 12;

export const registrationTokenKind = {
  // Sic: MAS spells this type with an underscore, and clients compare it.
  type: 'user-registration_token',
  path: `${ADMIN_PREFIX}/user-registration-tokens`,
  attributes: z
    .object({
      token: z.string().meta({ description: 'The token to give to people who register' }),
      valid: z.boolean().meta({ description: 'Whether the token can be used now' }),
      usage_limit: z.number().int().nonnegative().nullable(),
      times_used: z.number().int().nonnegative(),
      created_at: timestamp,
      last_used_at: timestamp.nullable(),
      expires_at: timestamp.nullable(),
      revoked_at: timestamp.nullable(),
    })
    .meta({ id: 'UserRegistrationToken' }),
} satisfies ResourceKind<z.ZodType>;

const single = singleResponseSchema(registrationTokenKind);
const idParameter: RouteParameter = {
  name: 'id',
  in: 'path',
  description: 'The ID of the registration token',
  schema: ulidSchema,
};
const notFoundTitle = (id: string) => `Registration token with ID ${id} not found`;

export function registerUserRegistrationTokens(
  app: FastifyInstance,
  deps: AdminDeps,
  routes: RouteList,
): void {
  const attributes = (
    t: UserRegistrationToken,
  ): z.infer<typeof registrationTokenKind.attributes> => ({
    token: t.token,
    valid: isRegistrationTokenValid(t, deps.clock.now()),
    usage_limit: t.usageLimit,
    times_used: t.timesUsed,
    created_at: t.createdAt.toISOString(),
    last_used_at: t.lastUsedAt?.toISOString() ?? null,
    expires_at: t.expiresAt?.toISOString() ?? null,
    revoked_at: t.revokedAt?.toISOString() ?? null,
  });
  const answer = (t: UserRegistrationToken, status = 200) => ({
    status,
    body: singleResponse(registrationTokenKind, t.id, attributes(t)),
  });
  const requireToken = async (repos: Repositories, id: string) => {
    const token = await repos.registrationTokens.lookup(asUserRegistrationTokenId(id));
    if (token === null) throw new AdminError(404, notFoundTitle(id));
    return token;
  };
  const flag = (name: string, description: string): RouteParameter => ({
    name: `filter[${name}]`,
    in: 'query',
    description,
    schema: z.enum(['true', 'false']),
  });

  registerList(app, deps, routes, {
    kind: registrationTokenKind,
    operationId: 'listUserRegistrationTokens',
    summary: 'List user registration tokens',
    tag: 'user-registration-token',
    description: 'A page of registration tokens',
    filters: [
      flag('used', 'Only tokens used at least once (true) or never (false)'),
      flag('revoked', 'Only revoked (true) or unrevoked (false) tokens'),
      flag('expired', 'Only expired (true) or unexpired (false) tokens'),
      flag('valid', 'Only tokens usable now (true) or not (false)'),
    ],
    errors: [400],
    readFilter: (query, links) => {
      let filter: UserRegistrationTokenFilter = { now: deps.clock.now() };
      for (const name of ['used', 'revoked', 'expired', 'valid'] as const) {
        const value = booleanFilter(query, name, links);
        if (value !== undefined) filter = { ...filter, [name]: value };
      }
      return filter;
    },
    listing: (repos, filter) => ({
      list: (pagination: Pagination<UserRegistrationTokenId>) =>
        repos.registrationTokens.listPage(filter, pagination),
      count: () => repos.registrationTokens.count(filter),
    }),
    attributes,
  });

  registerGetById(app, deps, routes, {
    kind: registrationTokenKind,
    operationId: 'getUserRegistrationToken',
    summary: 'Get a user registration token',
    tag: 'user-registration-token',
    description: 'The registration token',
    idDescription: idParameter.description,
    lookup: (repos, id) => repos.registrationTokens.lookup(asUserRegistrationTokenId(id)),
    notFound: notFoundTitle,
    attributes,
  });

  const addBody = z
    .object({
      token: z
        .string()
        .min(1)
        .max(255)
        .optional()
        .meta({ description: 'The token text; a random one when absent' }),
      usage_limit: z.number().int().min(0).max(4294967295).optional(),
      expires_at: z.iso.datetime({ offset: true }).optional(),
    })
    .meta({ id: 'AddUserRegistrationTokenRequest' });
  adminRoute(
    app,
    deps,
    routes,
    {
      method: 'POST',
      path: '/user-registration-tokens',
      operationId: 'addUserRegistrationToken',
      summary: 'Create a new user registration token',
      tag: 'user-registration-token',
      body: addBody,
      responses: {
        201: { description: 'The registration token was created', schema: single },
        ...errorResponses(400),
        409: { description: 'A token with the same text exists', schema: errorResponseSchema },
      },
    },
    async ({ repos, body }) => {
      const token = await repos.registrationTokens.add(deps.rng, deps.clock, {
        token: body.token ?? randomString(deps.rng, ALPHANUMERIC, GENERATED_LENGTH),
        usageLimit: body.usage_limit ?? null,
        expiresAt: body.expires_at === undefined ? null : new Date(body.expires_at),
      });
      if (token === null) {
        throw new AdminError(409, 'A registration token with the same token already exists');
      }
      return answer(token, 201);
    },
  );

  const updateBody = z
    .object({
      expires_at: z.iso
        .datetime({ offset: true })
        .nullable()
        .optional()
        .meta({ description: 'The new expiry; null for none; absent to keep it' }),
      usage_limit: z
        .number()
        .int()
        .min(0)
        .max(4294967295)
        .nullable()
        .optional()
        .meta({ description: 'The new usage limit; null for none; absent to keep it' }),
    })
    .meta({ id: 'EditUserRegistrationTokenRequest' });
  adminRoute(
    app,
    deps,
    routes,
    {
      method: 'PUT',
      path: '/user-registration-tokens/:id',
      operationId: 'updateUserRegistrationToken',
      summary: 'Update a registration token',
      tag: 'user-registration-token',
      parameters: [idParameter],
      body: updateBody,
      responses: {
        200: { description: 'The registration token, updated', schema: single },
        ...errorResponses(400, 404),
      },
    },
    async ({ repos, params, body }) => {
      const id = ulidParam(params);
      const token = await requireToken(repos, id);
      const updated = await repos.registrationTokens.update(token, {
        ...(body.expires_at === undefined
          ? {}
          : { expiresAt: body.expires_at === null ? null : new Date(body.expires_at) }),
        ...(body.usage_limit === undefined ? {} : { usageLimit: body.usage_limit }),
      });
      return answer(updated);
    },
  );

  const stateChange = (
    action: 'revoke' | 'unrevoke',
    operationId: string,
    summary: string,
    change: (repos: Repositories, token: UserRegistrationToken) => Promise<UserRegistrationToken>,
  ) =>
    adminRoute(
      app,
      deps,
      routes,
      {
        method: 'POST',
        path: `/user-registration-tokens/:id/${action}`,
        operationId,
        summary,
        tag: 'user-registration-token',
        parameters: [idParameter],
        responses: {
          200: { description: 'The registration token', schema: single },
          ...errorResponses(400, 404),
        },
      },
      async ({ repos, params }) => {
        const id = ulidParam(params);
        return answer(await change(repos, await requireToken(repos, id)));
      },
    );
  stateChange(
    'revoke',
    'revokeUserRegistrationToken',
    'Revoke a registration token',
    (repos, t) => {
      if (t.revokedAt !== null) {
        throw new AdminError(400, `Registration token with ID ${t.id} is already revoked`);
      }
      return repos.registrationTokens.revoke(deps.clock, t);
    },
  );
  stateChange(
    'unrevoke',
    'unrevokeUserRegistrationToken',
    'Unrevoke a registration token',
    (repos, t) => {
      if (t.revokedAt === null) {
        throw new AdminError(400, `Registration token with ID ${t.id} is not revoked`);
      }
      return repos.registrationTokens.unrevoke(t);
    },
  );
}
