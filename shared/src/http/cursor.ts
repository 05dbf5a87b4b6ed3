import { CommonProblems, ProblemError, type ProblemDefinition } from '../errors/problem';

/**
 * The platform's one page cursor (issue 15): opaque to clients — base64url of a JSON array of
 * the last row's sort key, in a fixed field order — and validated on the way back in: a cursor
 * this API did not give out answers 400 problem+json (`querystring.cursor`), never a 500 and
 * never a query with a malformed value.
 *
 * ```ts
 * const cursor = keysetCursor({ createdAt: 'datetime', id: 'uuid' });
 * cursor.encode({ createdAt: row.createdAt.toISOString(), id: row.id });
 * const after = cursor.decode(query.cursor); // undefined without a cursor; 400 when bad
 * ```
 */

/** What one field of a sort key holds. */
export type CursorFieldKind = 'string' | 'uuid' | 'datetime' | 'integer';

export type CursorPosition<F extends Record<string, CursorFieldKind>> = {
  [K in keyof F]: string;
};

export interface Cursor<F extends Record<string, CursorFieldKind>> {
  encode(position: CursorPosition<F>): string;
  /** undefined when there is no cursor; throws the 400 problem when it is not one we gave out */
  decode(cursor: string | undefined | null): CursorPosition<F> | undefined;
  /** as `decode`, but undefined rather than a problem (for callers with their own answer) */
  tryDecode(cursor: string | undefined | null): CursorPosition<F> | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INTEGER = /^-?\d{1,18}$/;
/** a cursor is small; anything longer was not made here */
const MAX_CURSOR_LENGTH = 1024;

function valid(kind: CursorFieldKind, value: unknown): value is string {
  if (typeof value !== 'string') {
    return false;
  }
  switch (kind) {
    case 'uuid':
      return UUID.test(value);
    case 'integer':
      return INTEGER.test(value);
    case 'datetime':
      return value !== '' && !Number.isNaN(Date.parse(value));
    default:
      return true;
  }
}

export function keysetCursor<const F extends Record<string, CursorFieldKind>>(
  fields: F,
  /** the service's stable problem for a bad cursor (400); the platform's validation error by default */
  problem: ProblemDefinition = CommonProblems.validation,
): Cursor<F> {
  const names = Object.keys(fields) as Array<keyof F & string>;

  function tryDecode(cursor: string | undefined | null): CursorPosition<F> | undefined {
    if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH) {
      return undefined;
    }
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) {
      return undefined;
    }
    let values: unknown;
    try {
      values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    if (!Array.isArray(values) || values.length !== names.length) {
      return undefined;
    }
    const position = {} as CursorPosition<F>;
    for (const [i, name] of names.entries()) {
      const value: unknown = values[i];
      if (!valid(fields[name]!, value)) {
        return undefined;
      }
      position[name] = value as never;
    }
    return position;
  }

  return {
    encode(position) {
      for (const name of names) {
        if (!valid(fields[name]!, position[name])) {
          throw new Error(
            `cursor field ${name} is not a ${fields[name]}: ${String(position[name])}`,
          );
        }
      }
      return Buffer.from(JSON.stringify(names.map((n) => position[n]))).toString('base64url');
    },
    tryDecode,
    decode(cursor) {
      if (cursor === undefined || cursor === null) {
        return undefined;
      }
      const position = tryDecode(cursor);
      if (!position) {
        throw new ProblemError(problem, 'The cursor is not one this API gave out', {
          errors: [{ field: 'querystring.cursor', message: 'is not valid' }],
        });
      }
      return position;
    },
  };
}
