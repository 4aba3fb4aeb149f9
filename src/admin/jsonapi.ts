// The Admin API's JSON:API-style bodies, as MAS writes them: one resource is
// `{data: {type, id, attributes, links: {self}}, links: {self}}`, a page is
// `{meta: {count}, data: [{…, meta: {page: {cursor}}}], links: {self, first, last, next?, prev?}}`
// (MAS's `count=false` leaves out `meta`, `count=only` all but `meta` and `links.self`) and an
// error is `{errors: [{title}]}`. Each has a zod schema (the OpenAPI document is generated from
// them) and a builder the handlers call: lists go through `listResponse`.

import { z } from 'zod';
import type { Page, Pagination } from '../storage/user-repository.ts';
import {
  baseWithCount,
  paginationLinks,
  parseIncludeCount,
  parsePagination,
  type Query,
} from './pagination.ts';

export const ulidSchema = z
  .string()
  .regex(/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/)
  .meta({ description: 'A ULID', example: '01040G2081040G2081040G2081' });

const selfLinks = z.object({ self: z.string() });

export const errorResponseSchema = z
  .object({ errors: z.array(z.object({ title: z.string() })) })
  .meta({ id: 'ErrorResponse' });

export type ErrorResponse = z.infer<typeof errorResponseSchema>;

export function errorBody(title: string): ErrorResponse {
  return { errors: [{ title }] };
}

/** What one kind of resource is: its JSON:API type, its path prefix and its attributes' schema. */
export interface ResourceKind<A extends z.ZodType> {
  readonly type: string;
  readonly path: string;
  readonly attributes: A;
}

function resourceSchema<A extends z.ZodType>(kind: ResourceKind<A>, paged: boolean) {
  return z.object({
    type: z.literal(kind.type),
    id: ulidSchema,
    attributes: kind.attributes,
    links: selfLinks,
    ...(paged ? { meta: z.object({ page: z.object({ cursor: z.string() }) }) } : {}),
  });
}

export function singleResponseSchema<A extends z.ZodType>(kind: ResourceKind<A>) {
  return z.object({ data: resourceSchema(kind, false), links: selfLinks });
}

/**
 * A page: `meta` is left out with `count=false`; `data`, `first` and `last` with `count=only`
 * (then `self` is the list's URL without a window).
 */
export function paginatedResponseSchema<A extends z.ZodType>(kind: ResourceKind<A>) {
  return z.object({
    meta: z.object({ count: z.number().int().nonnegative() }).optional(),
    data: z.array(resourceSchema(kind, true)).optional(),
    links: z.object({
      self: z.string(),
      first: z.string().optional(),
      last: z.string().optional(),
      next: z.string().optional(),
      prev: z.string().optional(),
    }),
  });
}

function resource<A>(kind: ResourceKind<z.ZodType<A>>, id: string, attributes: A) {
  return { type: kind.type, id, attributes, links: { self: `${kind.path}/${id}` } };
}

/** One resource at its canonical path (or at `self` when it was reached another way). */
export function singleResponse<A>(
  kind: ResourceKind<z.ZodType<A>>,
  id: string,
  attributes: A,
  self = `${kind.path}/${id}`,
) {
  return { data: resource(kind, id, attributes), links: { self } };
}

/** What a list endpoint reads: a page of its filtered items, and how many there are in all. */
export interface Listing<T, C extends string = string> {
  list(pagination: Pagination<C>): Promise<Page<T>>;
  count(): Promise<number>;
}

/**
 * The answer of a list endpoint, shared by all of them: reads the window (`page[…]`) and MAS's
 * `count` parameter (`true`, `false`, `only`) from `query` and runs only the queries asked for.
 * `base` is the list's path with its filters; the `count` parameter is kept in every link.
 */
export async function listResponse<T extends { id: string }, A, C extends string = string>(
  kind: ResourceKind<z.ZodType<A>>,
  base: string,
  query: Query,
  listing: Listing<T, C>,
  toAttributes: (item: T) => A,
) {
  const pagination = parsePagination<C>(query);
  const includeCount = parseIncludeCount(query);
  const countedBase = baseWithCount(base, includeCount);
  if (includeCount === 'only') {
    return { meta: { count: await listing.count() }, links: { self: countedBase } };
  }
  const page = await listing.list(pagination);
  const body = {
    data: page.items.map((item) => ({
      ...resource(kind, item.id, toAttributes(item)),
      meta: { page: { cursor: item.id } },
    })),
    links: paginationLinks(countedBase, pagination, page),
  };
  return includeCount === 'false' ? body : { meta: { count: await listing.count() }, ...body };
}
