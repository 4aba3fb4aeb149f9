// The Admin API's JSON:API-style bodies, as MAS writes them: one resource is
// `{data: {type, id, attributes, links: {self}}, links: {self}}`, a page is
// `{meta: {count}, data: [{…, meta: {page: {cursor}}}], links: {self, first, last, next?, prev?}}`
// and an error is `{errors: [{title}]}`. Each has a zod schema (the OpenAPI document is generated
// from them) and a builder the handlers call.

import { z } from 'zod';
import type { Page, Pagination } from '../storage/user-repository.ts';
import { paginationLinks } from './pagination.ts';

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

export function paginatedResponseSchema<A extends z.ZodType>(kind: ResourceKind<A>) {
  return z.object({
    meta: z.object({ count: z.number().int().nonnegative() }),
    data: z.array(resourceSchema(kind, true)),
    links: z.object({
      self: z.string(),
      first: z.string(),
      last: z.string(),
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

/** A page of resources, each with its cursor, the total count and the navigation links. */
export function paginatedResponse<T extends { id: string }, A>(
  kind: ResourceKind<z.ZodType<A>>,
  base: string,
  pagination: Pagination,
  page: Page<T>,
  count: number,
  toAttributes: (item: T) => A,
) {
  return {
    meta: { count },
    data: page.items.map((item) => ({
      ...resource(kind, item.id, toAttributes(item)),
      meta: { page: { cursor: item.id } },
    })),
    links: paginationLinks(base, pagination, page),
  };
}
