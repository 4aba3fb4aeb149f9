// The other route every Admin API resource has: `GET /<kind>`, a page of the resources narrowed by
// the kind's `filter[…]` parameters, answered through the shared list code (the window, `count`,
// and page links that keep the filters). A handler file declares it with one call, giving only
// what differs: its filters, how to read them, and which repository lists them. Also the filter
// many lists share: `filter[user]` (or another name) naming a user that must exist.

import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import {
  listResponse,
  paginatedResponseSchema,
  type Listing,
  type ResourceKind,
} from '../../../admin/jsonapi.ts';
import type { RouteParameter } from '../../../admin/openapi.ts';
import type { Query } from '../../../admin/pagination.ts';
import { asUserId, type UserId } from '../../../model/ids.ts';
import type { Repositories } from '../../../storage/storage.ts';
import { notFound } from './admin-error.ts';
import { ADMIN_PREFIX, adminRoute, type AdminDeps, type RouteList } from './admin-route.ts';
import { FilterLinks, ulidFilter } from './filters.ts';
import { errorResponses, listParameters } from './route-docs.ts';

export interface ListRoute<T extends { id: string }, A, F, C extends string> {
  readonly kind: ResourceKind<z.ZodType<A>>;
  readonly operationId: string;
  readonly summary: string;
  readonly tag: string;
  /** Describes the answer, e.g. `A page of upstream links`. */
  readonly description: string;
  /** The kind's own `filter[…]` parameters (the window and `count` are added before them). */
  readonly filters: readonly RouteParameter[];
  /** The error statuses besides 401 and 403: 400, and 404 when a filter must name a known resource. */
  readonly errors: readonly number[];
  /** Reads the filters (each adds itself to `links`); throws AdminError for an unknown resource. */
  readonly readFilter: (query: Query, links: FilterLinks, repos: Repositories) => Promise<F> | F;
  /** A page of the items that match `filter`, and how many match. */
  readonly listing: (repos: Repositories, filter: F) => Listing<T, C>;
  readonly attributes: (item: T) => A;
}

export function registerList<T extends { id: string }, A, F, C extends string>(
  app: FastifyInstance,
  deps: AdminDeps,
  routes: RouteList,
  route: ListRoute<T, A, F, C>,
): void {
  adminRoute(
    app,
    deps,
    routes,
    {
      method: 'GET',
      path: route.kind.path.slice(ADMIN_PREFIX.length),
      operationId: route.operationId,
      summary: route.summary,
      tag: route.tag,
      parameters: [...listParameters, ...route.filters],
      responses: {
        200: { description: route.description, schema: paginatedResponseSchema(route.kind) },
        ...errorResponses(...route.errors),
      },
    },
    async ({ repos, query }) => {
      const links = new FilterLinks(route.kind.path);
      const filter = await route.readFilter(query, links, repos);
      return {
        body: await listResponse(
          route.kind,
          links.base,
          query,
          route.listing(repos, filter),
          route.attributes,
        ),
      };
    },
  );
}

/** `filter[name]` naming a user: its id, or undefined when absent; an unknown user is a 404. */
export async function knownUserFilter(
  query: Query,
  name: string,
  links: FilterLinks,
  repos: Repositories,
): Promise<UserId | undefined> {
  const user = ulidFilter(query, name, links);
  if (user === undefined) return undefined;
  if ((await repos.users.lookup(asUserId(user))) === null) throw notFound('User', user);
  return asUserId(user);
}
