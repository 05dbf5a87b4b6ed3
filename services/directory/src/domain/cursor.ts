import { keysetCursor } from '@samverkan/shared';

/**
 * The directory's lists (organisations, units) page by name, then id: the platform's one keyset
 * cursor (shared/src/http/cursor.ts), so a cursor this API did not give out answers 400
 * problem+json naming `querystring.cursor`, as every other service's lists do.
 */
export const nameIdCursor = keysetCursor({ name: 'string', id: 'uuid' });

/** The next page's cursor: the last row's (name, id) when a row beyond the page was read. */
export function nextNameIdCursor(
  rows: ReadonlyArray<{ name: string; id: string }>,
  limit: number,
): string | null {
  const last = rows[limit - 1];
  return rows.length > limit && last ? nameIdCursor.encode({ name: last.name, id: last.id }) : null;
}
