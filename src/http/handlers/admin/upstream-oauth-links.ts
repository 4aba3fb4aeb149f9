// The Admin API's upstream OAuth 2.0 links (MAS: admin/v1/upstream_oauth_links): the list,
// narrowed by `filter[user]`, `filter[provider]` (unknown ones are a 404, as MAS),
// `filter[subject]` and `filter[human-account-name]`; one link by id; creation; deletion.
//
// Creating a link for a (provider, subject) that already has one is a 409 when that link belongs
// to a user, and attaches it to the given user (200) when it belongs to nobody yet (an upstream
// registration left half-way), as MAS does. Deleting a link (204) stops the upstream logins in
// progress through it.

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  errorResponseSchema,
  singleResponse,
  singleResponseSchema,
  ulidSchema,
  type ResourceKind,
} from '../../../admin/jsonapi.ts';
import { queryValue } from '../../../admin/pagination.ts';
import { asUserId } from '../../../model/ids.ts';
import {
  asUpstreamOAuthLinkId,
  asUpstreamOAuthProviderId,
  type UpstreamOAuthLink,
  type UpstreamOAuthLinkId,
} from '../../../model/upstream-oauth.ts';
import type { UpstreamOAuthLinkFilter } from '../../../storage/upstream-oauth-repository.ts';
import type { Pagination } from '../../../storage/user-repository.ts';
import { AdminError, notFound } from './admin-error.ts';
import {
  ADMIN_PREFIX,
  adminRoute,
  ulidParam,
  type AdminDeps,
  type RouteList,
} from './admin-route.ts';
import { ulidFilter } from './filters.ts';
import { registerGetById } from './get-by-id-route.ts';
import { knownUserFilter, registerList } from './list-route.ts';
import { errorResponses } from './route-docs.ts';

export const upstreamLinkKind = {
  type: 'upstream-oauth-link',
  path: `${ADMIN_PREFIX}/upstream-oauth-links`,
  attributes: z
    .object({
      created_at: z.iso.datetime(),
      provider_id: ulidSchema.meta({ description: 'The ID of the upstream provider' }),
      subject: z.string().meta({ description: 'The subject of the account at the provider' }),
      user_id: ulidSchema
        .nullable()
        .meta({ description: 'The ID of the linked user; null while not linked yet' }),
      human_account_name: z
        .string()
        .nullable()
        .meta({ description: 'A name of the upstream account for humans' }),
    })
    .meta({ id: 'UpstreamOAuthLink' }),
} satisfies ResourceKind<z.ZodType>;

const attributes = (link: UpstreamOAuthLink): z.infer<typeof upstreamLinkKind.attributes> => ({
  created_at: link.createdAt.toISOString(),
  provider_id: link.providerId,
  subject: link.subject,
  user_id: link.userId,
  human_account_name: link.humanAccountName,
});

const answer = (link: UpstreamOAuthLink, status = 200) => ({
  status,
  body: singleResponse(upstreamLinkKind, link.id, attributes(link)),
});

// MAS's wording (its "Oauth" included).
const alreadyLinked = (providerId: string, subject: string) =>
  new AdminError(
    409,
    `Upstream Oauth 2.0 Provider ID ${providerId} with subject ${subject} is already linked to a user`,
  );

const idParameter = {
  name: 'id',
  in: 'path' as const,
  description: 'The ID of the upstream link',
  schema: ulidSchema,
};

export function registerUpstreamOAuthLinks(
  app: FastifyInstance,
  deps: AdminDeps,
  routes: RouteList,
): void {
  registerList(app, deps, routes, {
    kind: upstreamLinkKind,
    operationId: 'listUpstreamOAuthLinks',
    summary: 'List upstream OAuth 2.0 links',
    tag: 'upstream-oauth-link',
    description: 'A page of upstream links',
    filters: [
      {
        name: 'filter[user]',
        in: 'query',
        description: 'Only the links of this user',
        schema: ulidSchema,
      },
      {
        name: 'filter[provider]',
        in: 'query',
        description: 'Only the links to this provider',
        schema: ulidSchema,
      },
      {
        name: 'filter[subject]',
        in: 'query',
        description: 'Only links with this subject',
        schema: z.string(),
      },
      {
        name: 'filter[human-account-name]',
        in: 'query',
        description: 'Only links with this account name',
        schema: z.string(),
      },
    ],
    errors: [400, 404],
    readFilter: async (query, links, repos) => {
      let filter: UpstreamOAuthLinkFilter = {};
      const userId = await knownUserFilter(query, 'user', links, repos);
      if (userId !== undefined) filter = { ...filter, userId };
      const provider = ulidFilter(query, 'provider', links);
      if (provider !== undefined) {
        const providerId = asUpstreamOAuthProviderId(provider);
        if ((await repos.upstreamOAuthProviders.lookup(providerId)) === null) {
          throw notFound('Provider', provider);
        }
        filter = { ...filter, providerId };
      }
      const subject = queryValue(query, 'filter[subject]');
      if (subject !== undefined) {
        links.add('subject', subject);
        filter = { ...filter, subject };
      }
      const humanAccountName = queryValue(query, 'filter[human-account-name]');
      if (humanAccountName !== undefined) {
        links.add('human-account-name', humanAccountName);
        filter = { ...filter, humanAccountName };
      }
      return filter;
    },
    listing: (repos, filter) => ({
      list: (pagination: Pagination<UpstreamOAuthLinkId>) =>
        repos.upstreamOAuthLinks.listPage(filter, pagination),
      count: () => repos.upstreamOAuthLinks.count(filter),
    }),
    attributes,
  });

  registerGetById(app, deps, routes, {
    kind: upstreamLinkKind,
    operationId: 'getUpstreamOAuthLink',
    summary: 'Get an upstream OAuth 2.0 link',
    tag: 'upstream-oauth-link',
    description: 'The upstream link',
    idDescription: idParameter.description,
    lookup: (repos, id) => repos.upstreamOAuthLinks.lookup(asUpstreamOAuthLinkId(id)),
    notFound: (id) => `Upstream OAuth 2.0 Link ID ${id} not found`,
    attributes,
  });

  const addBody = z
    .object({
      user_id: ulidSchema.meta({ description: 'The ID of the user to link' }),
      provider_id: ulidSchema.meta({ description: 'The ID of the upstream provider' }),
      subject: z
        .string()
        .min(1)
        .max(255)
        .meta({ description: 'The subject (`sub`) of the account at the provider' }),
      human_account_name: z
        .string()
        .min(1)
        .max(255)
        .optional()
        .meta({ description: 'A name of the upstream account for humans' }),
    })
    .meta({ id: 'AddUpstreamOAuthLinkRequest' });
  adminRoute(
    app,
    deps,
    routes,
    {
      method: 'POST',
      path: '/upstream-oauth-links',
      operationId: 'addUpstreamOAuthLink',
      summary: 'Add an upstream OAuth 2.0 link',
      tag: 'upstream-oauth-link',
      body: addBody,
      responses: {
        200: {
          description: 'An existing link without a user was attached to the user',
          schema: singleResponseSchema(upstreamLinkKind),
        },
        201: {
          description: 'The link was created',
          schema: singleResponseSchema(upstreamLinkKind),
        },
        ...errorResponses(400, 404),
        409: {
          description: 'The subject is already linked to a user at this provider',
          schema: errorResponseSchema,
        },
      },
    },
    async ({ repos, body }) => {
      const userId = asUserId(body.user_id.toUpperCase());
      const providerId = asUpstreamOAuthProviderId(body.provider_id.toUpperCase());
      const user = await repos.users.lookup(userId);
      if (user === null) throw notFound('User', userId);
      if ((await repos.upstreamOAuthProviders.lookup(providerId)) === null) {
        throw notFound('Upstream OAuth 2.0 Provider', providerId);
      }
      const existing = await repos.upstreamOAuthLinks.findBySubject(providerId, body.subject);
      if (existing !== null) {
        if (existing.userId !== null) {
          throw alreadyLinked(providerId, body.subject);
        }
        return answer(await repos.upstreamOAuthLinks.associate(existing, user.id));
      }
      const link = await repos.upstreamOAuthLinks.add(deps.rng, deps.clock, {
        providerId,
        subject: body.subject,
        userId: user.id,
        humanAccountName: body.human_account_name ?? null,
      });
      // Checked just above in this transaction; a concurrent insert makes the add a no-op.
      if (link === null) {
        throw alreadyLinked(providerId, body.subject);
      }
      return answer(link, 201);
    },
  );

  adminRoute(
    app,
    deps,
    routes,
    {
      method: 'DELETE',
      path: '/upstream-oauth-links/:id',
      operationId: 'deleteUpstreamOAuthLink',
      summary: 'Delete an upstream OAuth 2.0 link',
      tag: 'upstream-oauth-link',
      parameters: [idParameter],
      responses: {
        204: { description: 'The link was deleted' },
        ...errorResponses(400, 404),
      },
    },
    async ({ repos, params }) => {
      const id = ulidParam(params);
      if (!(await repos.upstreamOAuthLinks.remove(deps.clock, asUpstreamOAuthLinkId(id)))) {
        throw notFound('Upstream OAuth 2.0 Link', id);
      }
      return { status: 204, body: undefined };
    },
  );
}
