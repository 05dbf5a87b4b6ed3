import canonicalize from 'canonicalize';

/**
 * RFC 8785 (JSON Canonicalization Scheme): sorted member names, no insignificant white space,
 * ECMAScript number forms. The envelope's additional authenticated data, the key log and the
 * audit log hash this form, so every implementation must produce the same bytes.
 */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) {
    throw new TypeError('value cannot be canonicalised');
  }
  return text;
}
