// The cursor window of a paginated list ordered by id (ULIDs: creation order), shared by the
// repositories that list for the Admin API. Each repository supplies its filtered query; this file
// runs it for the rows of the window and to ask whether rows exist beyond a cursor. What the page
// flags mean is in `Pagination` (../../user-repository.ts).

import type { SelectQueryBuilder } from 'kysely';
import type { Page, Pagination } from '../../user-repository.ts';

interface WindowQuery<Row> {
  /** Filtered rows with `after < id < before` (each bound when given), in `direction`, at most `limit`. */
  rows(
    bounds: { after?: string; before?: string },
    direction: 'asc' | 'desc',
    limit: number,
  ): Promise<Row[]>;
  /** Whether a filtered row has `id <= cursor` (op `<=`) or `id >= cursor` (op `>=`). */
  anyBeyond(op: '<=' | '>=', cursor: string): Promise<boolean>;
}

/**
 * One page of `filtered()`'s rows (a filtered `selectFrom(table)` of a table with an `id` column),
 * turned into domain values by `convert`.
 */
export async function pageById<Row, T>(
  pagination: Pagination,
  // The builder's table is whichever the caller filtered; only its `id` column is used here, which
  // Kysely's types cannot express for a table chosen by the caller.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  filtered: () => SelectQueryBuilder<any, any, object>,
  convert: (row: Row) => T,
): Promise<Page<T>> {
  const query = idWindow<Row>(filtered);
  const forward = pagination.first !== undefined;
  const size = forward ? pagination.first : pagination.last;
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`page size must be a positive integer, got ${size}`);
  }
  const { after, before } = pagination;
  const bounds = {
    ...(after === undefined ? {} : { after }),
    ...(before === undefined ? {} : { before }),
  };
  // One row more than asked says whether the page is followed (forward) or preceded (backward).
  const rows = await query.rows(bounds, forward ? 'asc' : 'desc', size + 1);
  const more = rows.length > size;
  const pageRows = rows.slice(0, size);
  if (!forward) pageRows.reverse();
  // Beyond a cursor there may be more rows the window excluded: look past it.
  const beyondAfter = after !== undefined && (await query.anyBeyond('<=', after));
  const beyondBefore = before !== undefined && (await query.anyBeyond('>=', before));
  return {
    items: pageRows.map(convert),
    hasNextPage: (forward && more) || beyondBefore,
    hasPreviousPage: (!forward && more) || beyondAfter,
  };
}

/** The window's two queries over `filtered()`, which is called once per query. */
function idWindow<Row>(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  filtered: () => SelectQueryBuilder<any, any, object>,
): WindowQuery<Row> {
  return {
    rows: (bounds, direction, limit) =>
      filtered()
        .selectAll()
        .$if(bounds.after !== undefined, (q) => q.where('id', '>', bounds.after!))
        .$if(bounds.before !== undefined, (q) => q.where('id', '<', bounds.before!))
        .orderBy('id', direction)
        .limit(limit)
        .execute() as Promise<Row[]>,
    anyBeyond: async (op, cursor) =>
      (await filtered().select('id').where('id', op, cursor).limit(1).executeTakeFirst()) !==
      undefined,
  };
}
