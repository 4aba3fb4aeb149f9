// What the Admin API's three kinds of session (user-sessions, oauth2-sessions, compat-sessions;
// MAS: admin/v1/*_sessions) share: the list, narrowed by `filter[user]` (an unknown user is a 404,
// as MAS), any filters of the kind's own, `filter[status]` (active or finished) and the dates
// (`filter[created-before|created-after|last-active-before|last-active-after]`, strict), answered
// through the shared list code (window and `count`); one session by id; and
// `POST …/{id}/finish`, which ends an active session (400 when it already is, as MAS).
//
// To add a kind of session: describe it with a `SessionRoutes` (its resource kind, names, how to
// reach its repository, end a session and turn one into attributes) and call
// `registerSessionRoutes`.

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  listResponse,
  paginatedResponseSchema,
  singleResponse,
  singleResponseSchema,
  ulidSchema,
  type ResourceKind,
} from '../../../admin/jsonapi.ts';
import type { RouteParameter } from '../../../admin/openapi.ts';
import type { Query } from '../../../admin/pagination.ts';
import { asBrowserSessionId, type BrowserSessionId } from '../../../model/ids.ts';
import type { IntrospectionCache } from '../../../services/introspection-cache.ts';
import type { SessionListFilter } from '../../../storage/session-list-filter.ts';
import type { Repositories } from '../../../storage/storage.ts';
import type { Page, Pagination } from '../../../storage/user-repository.ts';
import { AdminError, notFound } from './admin-error.ts';
import { knownUserFilter } from './list-route.ts';
import {
  ADMIN_PREFIX,
  adminRoute,
  ulidParam,
  type AdminDeps,
  type RouteList,
} from './admin-route.ts';
import { dateTimeFilter, enumFilter, FilterLinks, ulidFilter } from './filters.ts';
import { registerGetById } from './get-by-id-route.ts';
import { errorResponses, listParameters } from './route-docs.ts';

export const sessionStatusValues = ['active', 'finished'] as const;

/** The filter every session repository takes (each adds its own fields). */
export type SessionFilter = SessionListFilter;

/** The date filters, their names in the query and in `SessionListFilter`. */
const DATE_FILTERS = [
  ['created-before', 'createdBefore', 'Only sessions created before this time'],
  ['created-after', 'createdAfter', 'Only sessions created after this time'],
  ['last-active-before', 'lastActiveBefore', 'Only sessions last active before this time'],
  ['last-active-after', 'lastActiveAfter', 'Only sessions last active after this time'],
] as const;

/** What ending a session needs besides the repositories. */
export interface SessionDeps extends AdminDeps {
  /** Cached introspections of the session's tokens are dropped when it ends. */
  readonly introspectionCache?: IntrospectionCache | undefined;
}

/** The part of a session repository the routes use. */
export interface SessionStore<S, F, Id extends string> {
  lookup(id: Id): Promise<S | null>;
  list(filter: F, pagination: Pagination<Id>): Promise<Page<S>>;
  count(filter: F): Promise<number>;
}

/** A filter of one kind of session only (`filter[client]` of OAuth 2.0 sessions, say). */
export interface ExtraFilter<F> {
  readonly parameter: RouteParameter;
  /** Reads the parameter (adding it to `links` when given) and narrows `filter`. */
  read(query: Query, links: FilterLinks, repos: Repositories, filter: F): Promise<F>;
}

export interface SessionRoutes<
  S extends { id: string },
  F extends SessionFilter,
  A,
  Id extends string,
> {
  readonly kind: ResourceKind<z.ZodType<A>>;
  /** The OpenAPI tag, e.g. `compat-session`. */
  readonly tag: string;
  /** The operation ids' stem: `CompatSession` gives `listCompatSessions` and `getCompatSession`. */
  readonly operation: string;
  /** The operations' summaries, e.g. `List compatibility sessions`, `Get a compatibility session`. */
  readonly summaries: { readonly list: string; readonly get: string; readonly finish: string };
  /** How responses name one session, e.g. `compatibility session` (lower case). */
  readonly noun: string;
  /** How a 404 names one, e.g. `Compatibility session` (`… ID x not found`). */
  readonly title: string;
  readonly store: (repos: Repositories) => SessionStore<S, F, Id>;
  readonly asId: (id: string) => Id;
  readonly attributes: (session: S) => A;
  readonly extraFilters?: readonly ExtraFilter<F>[];
  /** Ends an active session and what goes with it (tokens, cache, devices); returns it ended. */
  readonly finish: (repos: Repositories, session: S, deps: SessionDeps) => Promise<S>;
}

export function registerSessionRoutes<
  S extends { id: string; finishedAt: Date | null },
  F extends SessionFilter,
  A,
  Id extends string,
>(
  app: FastifyInstance,
  deps: SessionDeps,
  routes: RouteList,
  spec: SessionRoutes<S, F, A, Id>,
): void {
  const extraFilters = spec.extraFilters ?? [];
  const path = spec.kind.path.slice(ADMIN_PREFIX.length);
  adminRoute(
    app,
    deps,
    routes,
    {
      method: 'GET',
      path,
      operationId: `list${spec.operation}s`,
      summary: spec.summaries.list,
      tag: spec.tag,
      parameters: [
        ...listParameters,
        {
          name: 'filter[user]',
          in: 'query',
          description: 'Only the sessions of this user',
          schema: ulidSchema,
        },
        ...extraFilters.map((extra) => extra.parameter),
        {
          name: 'filter[status]',
          in: 'query',
          description: 'Only active or only finished sessions',
          schema: z.enum(sessionStatusValues),
        },
        ...DATE_FILTERS.map(([name, , description]) => ({
          name: `filter[${name}]`,
          in: 'query' as const,
          description,
          schema: z.iso.datetime({ offset: true }),
        })),
      ],
      responses: {
        200: { description: `A page of ${spec.noun}s`, schema: paginatedResponseSchema(spec.kind) },
        ...errorResponses(400, 404),
      },
    },
    async ({ repos, query }) => {
      const links = new FilterLinks(spec.kind.path);
      let filter = {} as F;
      const user = await knownUserFilter(query, 'user', links, repos);
      if (user !== undefined) filter = { ...filter, userId: user };
      for (const extra of extraFilters) filter = await extra.read(query, links, repos, filter);
      const state = enumFilter(query, 'status', sessionStatusValues, links);
      if (state !== undefined) filter = { ...filter, state };
      for (const [name, field] of DATE_FILTERS) {
        const date = dateTimeFilter(query, name, links);
        if (date !== undefined) filter = { ...filter, [field]: date };
      }
      const store = spec.store(repos);
      return {
        body: await listResponse(
          spec.kind,
          links.base,
          query,
          {
            list: (pagination: Pagination<Id>) => store.list(filter, pagination),
            count: () => store.count(filter),
          },
          spec.attributes,
        ),
      };
    },
  );

  registerGetById(app, deps, routes, {
    kind: spec.kind,
    operationId: `get${spec.operation}`,
    summary: spec.summaries.get,
    tag: spec.tag,
    description: `The ${spec.noun}`,
    idDescription: 'The ID of the session',
    lookup: (repos, id) => spec.store(repos).lookup(spec.asId(id)),
    notFound: (id) => `${spec.title} ID ${id} not found`,
    attributes: spec.attributes,
  });

  adminRoute(
    app,
    deps,
    routes,
    {
      method: 'POST',
      path: `${path}/:id/finish`,
      operationId: `finish${spec.operation}`,
      summary: spec.summaries.finish,
      tag: spec.tag,
      parameters: [
        { name: 'id', in: 'path', description: 'The ID of the session', schema: ulidSchema },
      ],
      responses: {
        200: { description: `The ${spec.noun}, ended`, schema: singleResponseSchema(spec.kind) },
        ...errorResponses(400, 404),
      },
    },
    async ({ repos, params }) => {
      const id = ulidParam(params);
      const session = await spec.store(repos).lookup(spec.asId(id));
      if (session === null) throw notFound(spec.title, id);
      if (session.finishedAt !== null) {
        throw new AdminError(400, `${spec.title} with ID ${id} is already finished`);
      }
      const ended = await spec.finish(repos, session, deps);
      return {
        body: singleResponse(
          spec.kind,
          ended.id,
          spec.attributes(ended),
          `${spec.kind.path}/${ended.id}/finish`,
        ),
      };
    },
  );
}

/** `filter[user-session]`: the sessions started from one browser session (404 when unknown). */
export function userSessionFilter<
  F extends SessionFilter & { readonly browserSessionId?: BrowserSessionId },
>(): ExtraFilter<F> {
  return {
    parameter: {
      name: 'filter[user-session]',
      in: 'query',
      description: 'Only the sessions started from this user (browser) session',
      schema: ulidSchema,
    },
    async read(query, links, repos, filter) {
      const id = ulidFilter(query, 'user-session', links);
      if (id === undefined) return filter;
      if ((await repos.browserSessions.lookup(asBrowserSessionId(id))) === null) {
        throw new AdminError(404, `User session ID ${id} not found`);
      }
      return { ...filter, browserSessionId: asBrowserSessionId(id) };
    },
  };
}
