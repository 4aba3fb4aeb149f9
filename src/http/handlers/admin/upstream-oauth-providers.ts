// The Admin API's upstream OAuth 2.0 providers (MAS: admin/v1/upstream_oauth_providers): the
// list, narrowed by `filter[enabled]`, and one provider by id. Read-only: providers come from the
// configuration (`upstream_oauth2`, written by the provider sync).

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ResourceKind } from '../../../admin/jsonapi.ts';
import {
  asUpstreamOAuthProviderId,
  type UpstreamOAuthProvider,
  type UpstreamOAuthProviderId,
} from '../../../model/upstream-oauth.ts';
import type { UpstreamOAuthProviderFilter } from '../../../storage/upstream-oauth-repository.ts';
import type { Pagination } from '../../../storage/user-repository.ts';
import { ADMIN_PREFIX, type AdminDeps, type RouteList } from './admin-route.ts';
import { booleanFilter } from './filters.ts';
import { registerGetById } from './get-by-id-route.ts';
import { registerList } from './list-route.ts';

export const upstreamProviderKind = {
  type: 'upstream-oauth-provider',
  path: `${ADMIN_PREFIX}/upstream-oauth-providers`,
  attributes: z
    .object({
      issuer: z
        .string()
        .nullable()
        .meta({ description: 'The issuer of the provider (null when discovery is disabled)' }),
      human_name: z
        .string()
        .nullable()
        .meta({ description: 'The name shown to users on the sign-in page' }),
      brand_name: z
        .string()
        .nullable()
        .meta({ description: 'The brand of the provider, for its button style' }),
      created_at: z.iso.datetime(),
      disabled_at: z.iso
        .datetime()
        .nullable()
        .meta({ description: 'When the provider was disabled; null while enabled' }),
      registration_token_required: z.boolean().meta({
        description: 'Whether registering through this provider needs a registration token',
      }),
    })
    .meta({ id: 'UpstreamOAuthProvider' }),
} satisfies ResourceKind<z.ZodType>;

const attributes = (p: UpstreamOAuthProvider): z.infer<typeof upstreamProviderKind.attributes> => ({
  issuer: p.issuer,
  human_name: p.humanName,
  brand_name: p.brandName,
  created_at: p.createdAt.toISOString(),
  disabled_at: p.disabledAt?.toISOString() ?? null,
  registration_token_required: p.registrationTokenRequired,
});

export function registerUpstreamOAuthProviders(
  app: FastifyInstance,
  deps: AdminDeps,
  routes: RouteList,
): void {
  registerList(app, deps, routes, {
    kind: upstreamProviderKind,
    operationId: 'listUpstreamOAuthProviders',
    summary: 'List upstream OAuth 2.0 providers',
    tag: 'upstream-oauth-provider',
    description: 'A page of upstream providers',
    filters: [
      {
        name: 'filter[enabled]',
        in: 'query',
        description: 'Only enabled (true) or disabled (false) providers',
        schema: z.enum(['true', 'false']),
      },
    ],
    errors: [400],
    readFilter: (query, links): UpstreamOAuthProviderFilter => {
      const enabled = booleanFilter(query, 'enabled', links);
      return enabled === undefined ? {} : { enabled };
    },
    listing: (repos, filter) => ({
      list: (pagination: Pagination<UpstreamOAuthProviderId>) =>
        repos.upstreamOAuthProviders.listPage(filter, pagination),
      count: () => repos.upstreamOAuthProviders.count(filter),
    }),
    attributes,
  });

  registerGetById(app, deps, routes, {
    kind: upstreamProviderKind,
    operationId: 'getUpstreamOAuthProvider',
    summary: 'Get an upstream OAuth 2.0 provider',
    tag: 'upstream-oauth-provider',
    description: 'The upstream provider',
    idDescription: 'The ID of the provider',
    lookup: (repos, id) => repos.upstreamOAuthProviders.lookup(asUpstreamOAuthProviderId(id)),
    // MAS's wording, which does not name the id.
    notFound: () => 'Provider not found',
    attributes,
  });
}
