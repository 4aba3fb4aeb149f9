// Cursor pagination of the Admin API, as MAS reads and writes it: `page[first]`, `page[last]`,
// `page[after]`, `page[before]` in, and `self`/`first`/`last`/`next`/`prev` links out. Pure:
// the handlers turn the parsed window into a repository `Pagination` and the page back into links.

import type { Page, Pagination } from '../storage/user-repository.ts';
import { isUlid } from './ids.ts';

/** MAS's page size when neither `page[first]` nor `page[last]` is given. */
export const DEFAULT_PAGE_SIZE = 10;
/** The largest page a caller may ask for (MAS refuses larger ones too). */
export const MAX_PAGE_SIZE = 100;

export type Query = Readonly<Record<string, string | string[] | undefined>>;

/** A request the Admin API refuses with 400 and one clear line. */
export class BadAdminRequest extends Error {}

/** The single value of `name`, or undefined; repeating a parameter is refused. */
export function queryValue(query: Query, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) throw new BadAdminRequest(`${name} may be given only once`);
  return value;
}

function pageSize(query: Query, name: string): number | undefined {
  const raw = queryValue(query, name);
  if (raw === undefined) return undefined;
  if (!/^[0-9]{1,3}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_PAGE_SIZE) {
    throw new BadAdminRequest(`${name} must be a number between 1 and ${MAX_PAGE_SIZE}`);
  }
  return Number(raw);
}

function cursor(query: Query, name: string): string | undefined {
  const raw = queryValue(query, name);
  if (raw === undefined) return undefined;
  if (!isUlid(raw)) throw new BadAdminRequest(`${name} must be a ULID`);
  return raw.toUpperCase();
}

/** The window the query asks for; 400 on malformed or contradictory parameters. */
export function parsePagination<C extends string>(query: Query): Pagination<C> {
  const first = pageSize(query, 'page[first]');
  const last = pageSize(query, 'page[last]');
  const after = cursor(query, 'page[after]') as C | undefined;
  const before = cursor(query, 'page[before]') as C | undefined;
  if (first !== undefined && last !== undefined) {
    throw new BadAdminRequest('Cannot specify both `page[first]` and `page[last]` parameters');
  }
  const bounds = {
    ...(after === undefined ? {} : { after }),
    ...(before === undefined ? {} : { before }),
  };
  return last !== undefined
    ? { last, ...bounds }
    : { first: first ?? DEFAULT_PAGE_SIZE, ...bounds };
}

/**
 * MAS's `count` parameter: `true` (the default) answers the page and the total, `false` only the
 * page (no count query), `only` only the total (no page query).
 */
export type IncludeCount = 'true' | 'false' | 'only';
export const INCLUDE_COUNT_VALUES: readonly IncludeCount[] = ['true', 'false', 'only'];

export function parseIncludeCount(query: Query): IncludeCount {
  const raw = queryValue(query, 'count');
  if (raw === undefined) return 'true';
  if (!(INCLUDE_COUNT_VALUES as readonly string[]).includes(raw)) {
    throw new BadAdminRequest('count must be one of true, false, only');
  }
  return raw as IncludeCount;
}

/** `base` with the `count` parameter when it is not the default, as MAS keeps it in links. */
export function baseWithCount(base: string, count: IncludeCount): string {
  if (count === 'true') return base;
  return `${base}${base.includes('?') ? '&' : '?'}count=${count}`;
}

export interface PaginationLinks {
  self: string;
  first?: string;
  last?: string;
  next?: string;
  prev?: string;
}

/** `base` (a path with its filters, if any) with the window appended, as MAS writes it. */
export function urlWithPagination(base: string, pagination: Pagination): string {
  const [path, query = ''] = base.split('?', 2) as [string, string?];
  const parts = query === '' ? [] : [query];
  if (pagination.before !== undefined) parts.push(`page[before]=${pagination.before}`);
  if (pagination.after !== undefined) parts.push(`page[after]=${pagination.after}`);
  parts.push(
    pagination.last !== undefined
      ? `page[last]=${pagination.last}`
      : `page[first]=${pagination.first}`,
  );
  return `${path}?${parts.join('&')}`;
}

/** The links of a page: the same window, the ends, and the neighbours when there are some. */
export function paginationLinks<T extends { id: string }>(
  base: string,
  pagination: Pagination,
  page: Page<T>,
): PaginationLinks {
  const size = pagination.last ?? pagination.first;
  const links: PaginationLinks = {
    self: urlWithPagination(base, pagination),
    first: urlWithPagination(base, { first: size }),
    last: urlWithPagination(base, { last: size }),
  };
  const lastItem = page.items.at(-1);
  const firstItem = page.items[0];
  if (page.hasNextPage && lastItem !== undefined) {
    const { before: _before, ...rest } = pagination;
    links.next = urlWithPagination(base, { ...rest, after: lastItem.id } as Pagination);
  }
  if (page.hasPreviousPage && firstItem !== undefined) {
    const { after: _after, ...rest } = pagination;
    links.prev = urlWithPagination(base, { ...rest, before: firstItem.id } as Pagination);
  }
  return links;
}
