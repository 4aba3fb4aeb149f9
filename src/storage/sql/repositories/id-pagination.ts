// The cursor window of a paginated list ordered by id (ULIDs: creation order), shared by the
// repositories that list for the Admin API. Each repository supplies its filtered query twice:
// once for the rows of the window, once to ask whether rows exist beyond a cursor. What the page
// flags mean is in `Pagination` (../../user-repository.ts).

import type { Page, Pagination } from '../../user-repository.ts';

export interface WindowQuery<Row> {
  /** Filtered rows with `after < id < before` (each bound when given), in `direction`, at most `limit`. */
  rows(
    bounds: { after?: string; before?: string },
    direction: 'asc' | 'desc',
    limit: number,
  ): Promise<Row[]>;
  /** Whether a filtered row has `id <= cursor` (op `<=`) or `id >= cursor` (op `>=`). */
  anyBeyond(op: '<=' | '>=', cursor: string): Promise<boolean>;
}

export async function pageById<Row, T>(
  pagination: Pagination,
  query: WindowQuery<Row>,
  convert: (row: Row) => T,
): Promise<Page<T>> {
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
