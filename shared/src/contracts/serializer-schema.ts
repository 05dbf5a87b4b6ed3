type Json = Record<string, unknown>;

/** The primitive types a union of alternatives may be told apart by without validating. */
const PRIMITIVE_TYPES = new Set(['string', 'integer', 'number', 'boolean', 'null']);

function isNull(schema: unknown): boolean {
  return (
    !!schema &&
    typeof schema === 'object' &&
    (schema as Json).type === 'null' &&
    Object.keys(schema).every((k) => k === 'type' || k === 'description')
  );
}

/** `{type: <one primitive>, …}` with nothing but keywords that do not change how it is written. */
function primitiveAlternative(schema: unknown): { type: string; format?: unknown } | undefined {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) {
    return undefined;
  }
  const s = schema as Json;
  if (typeof s.type !== 'string' || !PRIMITIVE_TYPES.has(s.type)) {
    return undefined;
  }
  const combining = ['$ref', 'oneOf', 'anyOf', 'allOf', 'if', 'not', 'const', 'nullable'];
  if (combining.some((k) => k in s)) {
    return undefined;
  }
  return { type: s.type, ...('format' in s ? { format: s.format } : {}) };
}

/**
 * A response schema as fast-json-stringify is to compile it: the same output for every value the
 * schema allows, written by direct code instead of validating the value with ajv at every
 * response. fast-json-stringify picks an alternative of `oneOf`/`anyOf` by running each
 * alternative's validator on the value (per field, per item: most of a box page's CPU), whereas
 * the OpenAPI 3.1 documents write "X or null" as `oneOf: [X, {type: 'null'}]`, the only way to
 * make a `$ref` nullable. So, for the serializer only (ajv validates requests with the documents'
 * schemas unchanged):
 *
 * - `oneOf`/`anyOf` of X and `{type: 'null'}` becomes X with `nullable: true` (fast-json-stringify
 *   writes `null` for null and X's serializer otherwise; with a `$ref` the keyword is merged into
 *   the referenced schema);
 * - `oneOf`/`anyOf` of plain primitives of different types (`{type: integer, minimum: 5}` or
 *   `{type: string, enum: ['<5']}`) becomes one schema with the list of types, which
 *   fast-json-stringify tells apart by `typeof`.
 *
 * A value the schema does not allow is written by X's serializer instead of failing the response.
 * Anything else is left as it is. Pure: returns a copy.
 */
export function directSerializerSchema<T>(schema: T): T {
  if (Array.isArray(schema)) {
    return schema.map((s) => directSerializerSchema(s) as unknown) as T;
  }
  if (!schema || typeof schema !== 'object') {
    return schema;
  }
  const out: Json = {};
  for (const [k, v] of Object.entries(schema as Json)) {
    out[k] = directSerializerSchema(v);
  }
  const key = Array.isArray(out.oneOf) ? 'oneOf' : Array.isArray(out.anyOf) ? 'anyOf' : undefined;
  if (!key || ('oneOf' in out && 'anyOf' in out)) {
    return out as T;
  }
  const { [key]: alternatives, ...siblings } = out as Json & { [k: string]: unknown[] };
  const list = alternatives as unknown[];
  const nulls = list.filter(isNull);
  const others = list.filter((a) => !isNull(a));
  // X or null
  if (list.length === 2 && nulls.length === 1 && others.length === 1) {
    const other = others[0] as Json;
    if (
      other &&
      typeof other === 'object' &&
      !Array.isArray(other) &&
      Object.keys(other).every((k) => !(k in siblings) || k === 'description')
    ) {
      return { ...siblings, ...other, nullable: true } as T;
    }
    return out as T;
  }
  // distinct primitive types
  const primitives = list.map(primitiveAlternative);
  const types = primitives.map((p) => p?.type);
  if (
    list.length >= 2 &&
    primitives.every((p) => p !== undefined) &&
    new Set(types).size === types.length &&
    !('type' in siblings)
  ) {
    const formats = new Set(primitives.map((p) => p!.format).filter((f) => f !== undefined));
    if (formats.size <= 1 && !('format' in siblings)) {
      return {
        ...siblings,
        type: types,
        ...(formats.size === 1 ? { format: [...formats][0] } : {}),
      } as T;
    }
  }
  return out as T;
}

/** Every schema of an id → schema map (Fastify's shared schemas) through `directSerializerSchema`. */
export function directSerializerSchemas(schemas: unknown): unknown {
  if (!schemas || typeof schemas !== 'object') {
    return schemas;
  }
  return Object.fromEntries(
    Object.entries(schemas as Json).map(([id, s]) => [id, directSerializerSchema(s)]),
  );
}
