// Pieces every Admin API route declaration shares: the list query parameters (the window and
// `count`) and the error responses (401 and 403 are possible on every route: all need the token).

import { z } from 'zod';
import { errorResponseSchema } from '../../../admin/jsonapi.ts';
import {
  INCLUDE_COUNT_VALUES,
  MAX_PAGE_SIZE,
  type IncludeCount,
} from '../../../admin/pagination.ts';
import type { RouteParameter } from '../../../admin/openapi.ts';
import { ulidSchema } from '../../../admin/jsonapi.ts';

const size = z.coerce.number().int().min(1).max(MAX_PAGE_SIZE);

export const listParameters: readonly RouteParameter[] = [
  { name: 'page[first]', in: 'query', description: 'The first N items (default 10)', schema: size },
  { name: 'page[last]', in: 'query', description: 'The last N items', schema: size },
  { name: 'page[after]', in: 'query', description: 'Items after this cursor', schema: ulidSchema },
  {
    name: 'page[before]',
    in: 'query',
    description: 'Items before this cursor',
    schema: ulidSchema,
  },
  {
    name: 'count',
    in: 'query',
    description:
      'Include the total number of items (`true`, the default), leave it out (`false`), or ' +
      'answer only the total (`only`)',
    schema: z.enum(INCLUDE_COUNT_VALUES as [IncludeCount, ...IncludeCount[]]),
  },
];

const DESCRIPTIONS: Record<number, string> = {
  400: 'The request is malformed (a bad ID, filter, page parameter or body)',
  401: 'The access token is missing or invalid',
  403: 'The access token does not have the urn:mas:admin scope',
  404: 'No such resource',
};

/** The error responses of a route: the given statuses plus 401 and 403. */
export function errorResponses(
  ...statuses: number[]
): Record<number, { description: string; schema: typeof errorResponseSchema }> {
  return Object.fromEntries(
    [...statuses, 401, 403].map((status) => [
      status,
      { description: DESCRIPTIONS[status] ?? 'An error', schema: errorResponseSchema },
    ]),
  );
}
