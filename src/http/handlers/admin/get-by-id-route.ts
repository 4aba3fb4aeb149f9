// The route every Admin API resource has: `GET /<kind>/{id}`, answering the resource (200), 400
// for a malformed id and 404 (with the kind's own wording) for an unknown one. A handler file
// declares it with one call instead of spelling out the declaration again.

import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import {
  singleResponse,
  singleResponseSchema,
  ulidSchema,
  type ResourceKind,
} from '../../../admin/jsonapi.ts';
import type { Repositories } from '../../../storage/storage.ts';
import { AdminError } from './admin-error.ts';
import {
  ADMIN_PREFIX,
  adminRoute,
  ulidParam,
  type AdminDeps,
  type RouteList,
} from './admin-route.ts';
import { errorResponses } from './route-docs.ts';

export interface GetByIdRoute<T extends { id: string }, A> {
  readonly kind: ResourceKind<z.ZodType<A>>;
  readonly operationId: string;
  readonly summary: string;
  readonly tag: string;
  /** Describes the answer, e.g. `The OAuth 2.0 client`. */
  readonly description: string;
  /** Describes the `id` path parameter, e.g. `The ID of the client`. */
  readonly idDescription: string;
  readonly lookup: (repos: Repositories, id: string) => Promise<T | null>;
  /** The 404's title for `id`. */
  readonly notFound: (id: string) => string;
  readonly attributes: (item: T) => A;
}

export function registerGetById<T extends { id: string }, A>(
  app: FastifyInstance,
  deps: AdminDeps,
  routes: RouteList,
  route: GetByIdRoute<T, A>,
): void {
  adminRoute(
    app,
    deps,
    routes,
    {
      method: 'GET',
      path: `${route.kind.path.slice(ADMIN_PREFIX.length)}/:id`,
      operationId: route.operationId,
      summary: route.summary,
      tag: route.tag,
      parameters: [
        { name: 'id', in: 'path', description: route.idDescription, schema: ulidSchema },
      ],
      responses: {
        200: { description: route.description, schema: singleResponseSchema(route.kind) },
        ...errorResponses(400, 404),
      },
    },
    async ({ repos, params }) => {
      const id = ulidParam(params);
      const item = await route.lookup(repos, id);
      if (item === null) throw new AdminError(404, route.notFound(id));
      return { body: singleResponse(route.kind, item.id, route.attributes(item)) };
    },
  );
}
