// The Admin API's user emails (MAS: admin/v1/user_emails): the list, narrowed by `filter[user]`
// (an unknown user is a 404, as MAS) and `filter[email]` (any case), and one address by id.

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ulidSchema, type ResourceKind } from '../../../admin/jsonapi.ts';
import { queryValue } from '../../../admin/pagination.ts';
import { asUserEmailId, type UserEmail, type UserEmailId } from '../../../model/user-email.ts';
import type { UserEmailFilter } from '../../../storage/user-email-repository.ts';
import type { Pagination } from '../../../storage/user-repository.ts';
import { ADMIN_PREFIX, type AdminDeps, type RouteList } from './admin-route.ts';
import { registerGetById } from './get-by-id-route.ts';
import { knownUserFilter, registerList } from './list-route.ts';

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
  registerList(app, deps, routes, {
    kind: userEmailKind,
    operationId: 'listUserEmails',
    summary: 'List user emails',
    tag: 'user-email',
    description: 'A page of user emails',
    filters: [
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
    errors: [400, 404],
    readFilter: async (query, links, repos) => {
      let filter: UserEmailFilter = {};
      const userId = await knownUserFilter(query, 'user', links, repos);
      if (userId !== undefined) filter = { ...filter, userId };
      const email = queryValue(query, 'filter[email]');
      if (email !== undefined) {
        links.add('email', email);
        filter = { ...filter, email };
      }
      return filter;
    },
    listing: (repos, filter) => ({
      list: (pagination: Pagination<UserEmailId>) => repos.userEmails.list(filter, pagination),
      count: () => repos.userEmails.count(filter),
    }),
    attributes,
  });

  registerGetById(app, deps, routes, {
    kind: userEmailKind,
    operationId: 'getUserEmail',
    summary: 'Get a user email',
    tag: 'user-email',
    description: 'The user email',
    idDescription: 'The ID of the user email',
    lookup: (repos, id) => repos.userEmails.lookup(asUserEmailId(id)),
    notFound: (id) => `User email ID ${id} not found`,
    attributes,
  });
}
