/** Opaque keyset cursors: base64url JSON of the last row's sort key. */
export function encodeCursor(key: Record<string, string>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(
  cursor: string | undefined,
  fields: string[],
): Record<string, string> | undefined {
  if (cursor === undefined) {
    return undefined;
  }
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    if (value && typeof value === 'object' && fields.every((f) => typeof value[f] === 'string')) {
      return value as Record<string, string>;
    }
  } catch {
    // fall through
  }
  return undefined;
}
