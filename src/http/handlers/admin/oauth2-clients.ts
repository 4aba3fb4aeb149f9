// The Admin API's OAuth 2.0 clients (MAS: admin/v1/oauth2_clients), read only as in MAS: the list,
// narrowed by `filter[client-kind]` (static or dynamic), `filter[client-name]` and
// `filter[client-uri]` (case-insensitive substrings), `filter[grant-type]` and
// `filter[has-active-sessions]`, and one client by id. Secrets and keys are never shown.

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ResourceKind } from '../../../admin/jsonapi.ts';
import { queryValue, type Query } from '../../../admin/pagination.ts';
import { asOAuth2ClientId, type OAuth2ClientId } from '../../../model/ids.ts';
import type { OAuth2Client } from '../../../model/oauth2-client.ts';
import type { OAuth2ClientFilter } from '../../../storage/oauth2-client-repository.ts';
import type { Pagination } from '../../../storage/user-repository.ts';
import { ADMIN_PREFIX, type AdminDeps, type RouteList } from './admin-route.ts';
import type { FilterLinks } from './filters.ts';
import { booleanFilter, enumFilter } from './filters.ts';
import { registerGetById } from './get-by-id-route.ts';
import { registerList } from './list-route.ts';

export const oauth2ClientKind = {
  type: 'oauth2-client',
  path: `${ADMIN_PREFIX}/oauth2-clients`,
  attributes: z
    .object({
      client_id: z.string().meta({ description: 'The OAuth 2.0 client identifier' }),
      client_name: z.string().nullable().meta({ description: 'The human-readable name, if any' }),
      client_uri: z.string().nullable().meta({ description: 'The homepage of the client, if any' }),
      logo_uri: z.string().nullable().meta({ description: "The URL of the client's logo, if any" }),
      redirect_uris: z.array(z.string()),
      grant_types: z.array(z.string()).meta({ description: 'The grant types it may use' }),
      is_static: z
        .boolean()
        .meta({ description: 'Declared in the configuration, rather than registered' }),
    })
    .meta({ id: 'OAuth2Client' }),
} satisfies ResourceKind<z.ZodType>;

const attributes = (c: OAuth2Client): z.infer<typeof oauth2ClientKind.attributes> => ({
  client_id: c.id,
  client_name: c.clientName,
  client_uri: c.clientUri,
  logo_uri: c.logoUri,
  redirect_uris: [...c.redirectUris],
  grant_types: [...c.grantTypes],
  is_static: c.isStatic,
});

const kindValues = ['static', 'dynamic'] as const;

/** `filter[name]` as free text (kept in the links), or undefined when absent. */
function textFilter(query: Query, name: string, links: FilterLinks): string | undefined {
  const value = queryValue(query, `filter[${name}]`);
  if (value !== undefined) links.add(name, value);
  return value;
}

function clientFilter(query: Query, links: FilterLinks): OAuth2ClientFilter {
  const kind = enumFilter(query, 'client-kind', kindValues, links);
  const name = textFilter(query, 'client-name', links);
  const uri = textFilter(query, 'client-uri', links);
  const grantType = textFilter(query, 'grant-type', links);
  const active = booleanFilter(query, 'has-active-sessions', links);
  return {
    ...(kind === undefined ? {} : { kind }),
    ...(name === undefined ? {} : { nameContains: name }),
    ...(uri === undefined ? {} : { uriContains: uri }),
    ...(grantType === undefined ? {} : { grantType }),
    ...(active === undefined ? {} : { hasActiveSessions: active }),
  };
}

export function registerOAuth2Clients(
  app: FastifyInstance,
  deps: AdminDeps,
  routes: RouteList,
): void {
  registerList(app, deps, routes, {
    kind: oauth2ClientKind,
    operationId: 'listOAuth2Clients',
    summary: 'List OAuth 2.0 clients',
    tag: 'oauth2-client',
    description: 'A page of OAuth 2.0 clients',
    filters: [
      {
        name: 'filter[client-kind]',
        in: 'query',
        description: 'Only static (configured) or only dynamic (registered) clients',
        schema: z.enum(kindValues),
      },
      {
        name: 'filter[client-name]',
        in: 'query',
        description: "Case-insensitive substring of the client's name",
        schema: z.string(),
      },
      {
        name: 'filter[client-uri]',
        in: 'query',
        description: "Case-insensitive substring of the client's URI",
        schema: z.string(),
      },
      {
        name: 'filter[grant-type]',
        in: 'query',
        description: 'Only clients allowed this grant type, e.g. `client_credentials`',
        schema: z.string(),
      },
      {
        name: 'filter[has-active-sessions]',
        in: 'query',
        description: 'Only clients with (true) or without (false) an active OAuth 2.0 session',
        schema: z.enum(['true', 'false']),
      },
    ],
    errors: [400],
    readFilter: (query, links) => clientFilter(query, links),
    listing: (repos, filter) => ({
      list: (pagination: Pagination<OAuth2ClientId>) =>
        repos.oauth2Clients.list(filter, pagination),
      count: () => repos.oauth2Clients.count(filter),
    }),
    attributes,
  });

  registerGetById(app, deps, routes, {
    kind: oauth2ClientKind,
    operationId: 'getOAuth2Client',
    summary: 'Get an OAuth 2.0 client',
    tag: 'oauth2-client',
    description: 'The OAuth 2.0 client',
    idDescription: 'The ID of the client',
    lookup: (repos, id) => repos.oauth2Clients.lookup(asOAuth2ClientId(id)),
    notFound: (id) => `OAuth 2.0 client ID ${id} not found`,
    attributes,
  });
}
