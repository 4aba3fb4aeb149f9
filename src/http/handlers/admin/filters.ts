// Query filters shared by the Admin API's lists: each reads one `filter[…]` parameter, refuses a
// malformed value with 400, and adds itself to the list's base URL so the page links keep it.

import { z } from 'zod';
import { isUlid } from '../../../admin/ids.ts';
import { BadAdminRequest, queryValue, type Query } from '../../../admin/pagination.ts';
import { isScopeToken } from '../../../oauth2/scope.ts';

/** Collects the filters given, in the order read, for the links of a page. */
export class FilterLinks {
  readonly #parts: string[] = [];
  readonly #path: string;
  constructor(path: string) {
    this.#path = path;
  }
  add(name: string, value: string): void {
    this.#parts.push(`filter[${name}]=${encodeURIComponent(value)}`);
  }
  get base(): string {
    return this.#path + (this.#parts.length === 0 ? '' : `?${this.#parts.join('&')}`);
  }
}

/** `filter[name]` as an upper-case ULID, or undefined when absent. */
export function ulidFilter(query: Query, name: string, links: FilterLinks): string | undefined {
  const raw = queryValue(query, `filter[${name}]`);
  if (raw === undefined) return undefined;
  if (!isUlid(raw)) throw new BadAdminRequest(`filter[${name}] must be a ULID`);
  const value = raw.toUpperCase();
  links.add(name, value);
  return value;
}

/** `filter[name]` as one of `values`, or undefined when absent. */
export function enumFilter<V extends string>(
  query: Query,
  name: string,
  values: readonly V[],
  links: FilterLinks,
): V | undefined {
  const raw = queryValue(query, `filter[${name}]`);
  if (raw === undefined) return undefined;
  if (!(values as readonly string[]).includes(raw)) {
    throw new BadAdminRequest(`filter[${name}] must be one of ${values.join(', ')}`);
  }
  links.add(name, raw);
  return raw as V;
}

/** `filter[name]` as `true` or `false`, or undefined when absent. */
export function booleanFilter(query: Query, name: string, links: FilterLinks): boolean | undefined {
  const value = enumFilter(query, name, ['true', 'false'] as const, links);
  return value === undefined ? undefined : value === 'true';
}

/** Every value of a repeatable `filter[name]` (none when absent). */
function allValues(query: Query, name: string): string[] {
  const raw = query[`filter[${name}]`];
  return raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
}

/** The repeatable `filter[name]` as upper-case ULIDs (none when absent). */
export function ulidListFilter(query: Query, name: string, links: FilterLinks): string[] {
  return allValues(query, name).map((raw) => {
    if (!isUlid(raw)) throw new BadAdminRequest(`filter[${name}] must be a ULID`);
    const value = raw.toUpperCase();
    links.add(name, value);
    return value;
  });
}

/** The repeatable `filter[name]`, each value one scope token (none when absent). */
export function scopeListFilter(query: Query, name: string, links: FilterLinks): string[] {
  const values = allValues(query, name);
  for (const value of values) {
    if (!isScopeToken(value)) {
      throw new BadAdminRequest(`Invalid scope ${JSON.stringify(value)} in filter parameters`);
    }
    links.add(name, value);
  }
  return values;
}

/** `filter[name]` as an RFC 3339 date-time, or undefined when absent. */
export function dateTimeFilter(query: Query, name: string, links: FilterLinks): Date | undefined {
  const raw = queryValue(query, `filter[${name}]`);
  if (raw === undefined) return undefined;
  if (!z.iso.datetime({ offset: true }).safeParse(raw).success) {
    throw new BadAdminRequest(`filter[${name}] must be an RFC 3339 date-time`);
  }
  const date = new Date(raw);
  links.add(name, date.toISOString());
  return date;
}
