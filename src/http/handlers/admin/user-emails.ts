// The Admin API's user emails (MAS: admin/v1/user_emails): the list, narrowed by `filter[user]`
// (an unknown user is a 404, as MAS) and `filter[email]` (any case), and one address by id.

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
import { parsePagination, queryValue } from '../../../admin/pagination.ts';
import { asUserId } from '../../../model/ids.ts';
import { asUserEmailId, type UserEmail, type UserEmailId } from '../../../model/user-email.ts';
import type { UserEmailFilter } from '../../../storage/user-email-repository.ts';
import { notFound } from './admin-error.ts';
import {
  ADMIN_PREFIX,
  adminRoute,
  ulidParam,
  type AdminDeps,
  type RouteList,
} from './admin-route.ts';
import { FilterLinks, ulidFilter } from './filters.ts';
import { errorResponses, listParameters } from './route-docs.ts';

export const userEmailKind = {
  type: 'user-email',
  path: `${ADMIN_PREFIX}/user-emails`,
  attributes: z
    .object({
      created_at: z.iso.datetime(),
      user_id: ulidSchema.meta({ description: 'The ID of the user who owns this address' }),
      email: z.string().meta({ description: 'The email address' }),
    })
    .meta({ id: 'UserEmail' }),
} satisfies ResourceKind<z.ZodType>;

const attributes = (email: UserEmail): z.infer<typeof userEmailKind.attributes> => ({
  created_at: email.createdAt.toISOString(),
  user_id: email.userId,
  email: email.email,
});

export function registerUserEmails(app: FastifyInstance, deps: AdminDeps, routes: RouteList): void {
  adminRoute(
    app,
    deps,
    routes,
    {
      method: 'GET',
      path: '/user-emails',
      operationId: 'listUserEmails',
      summary: 'List user emails',
      tag: 'user-email',
      parameters: [
        ...listParameters,
        {
          name: 'filter[user]',
          in: 'query',
          description: 'Only the addresses of this user',
          schema: ulidSchema,
        },
        {
          name: 'filter[email]',
          in: 'query',
          description: 'Only this address (in any case)',
          schema: z.string(),
        },
      ],
      responses: {
        200: {
          description: 'A page of user emails',
          schema: paginatedResponseSchema(userEmailKind),
        },
        ...errorResponses(400, 404),
      },
    },
    async ({ repos, query }) => {
      const links = new FilterLinks(userEmailKind.path);
      let filter: UserEmailFilter = {};
      const user = ulidFilter(query, 'user', links);
      if (user !== undefined) {
        if ((await repos.users.lookup(asUserId(user))) === null) throw notFound('User', user);
        filter = { ...filter, userId: asUserId(user) };
      }
      const email = queryValue(query, 'filter[email]');
      if (email !== undefined) {
        links.add('email', email);
        filter = { ...filter, email };
      }
      const pagination = parsePagination<UserEmailId>(query);
      const page = await repos.userEmails.list(filter, pagination);
      const count = await repos.userEmails.count(filter);
      return {
        body: paginatedResponse(userEmailKind, links.base, pagination, page, count, attributes),
      };
    },
  );

  adminRoute(
    app,
    deps,
    routes,
    {
      method: 'GET',
      path: '/user-emails/:id',
      operationId: 'getUserEmail',
      summary: 'Get a user email',
      tag: 'user-email',
      parameters: [
        { name: 'id', in: 'path', description: 'The ID of the user email', schema: ulidSchema },
      ],
      responses: {
        200: { description: 'The user email', schema: singleResponseSchema(userEmailKind) },
        ...errorResponses(400, 404),
      },
    },
    async ({ repos, params }) => {
      const id = ulidParam(params);
      const email = await repos.userEmails.lookup(asUserEmailId(id));
      if (email === null) throw notFound('User email', id);
      return { body: singleResponse(userEmailKind, email.id, attributes(email)) };
    },
  );
}
