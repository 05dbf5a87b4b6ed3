import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import {
  encodeUriValue,
  fillPath,
  type FuzzOperation,
  type FuzzParameter,
  type Schema,
} from './openapi-operations';

/**
 * fast-check arbitraries built from an operation's OpenAPI schemas: values that fit the schema
 * (so that the request reaches the handler), values at its boundaries, and values that break it
 * in the ways clients and attackers do (wrong types, missing and extra properties, over-long and
 * odd Unicode strings, huge numbers, nulls, deep nesting, prototype keys).
 */

/**
 * Real ids to put into path parameters, keyed by the path segment before the parameter
 * (`units` for `/v1/units/{id}`, `keys` for `/v1/units/{id}/keys/{kid}`), so that fuzzed requests
 * reach real objects and not only 404s.
 */
export type FuzzSeeds = Record<string, readonly string[]>;

export interface FuzzRequest {
  /** which generator made it: `valid` requests may succeed; the others must be refused */
  kind: 'valid' | 'boundary' | 'invalid';
  method: string;
  url: string;
  headers: Record<string, string>;
  /** the raw body as sent (JSON text, or not JSON at all) */
  payload?: string;
  /** the seeded user whose token is sent (the test mints it) */
  user: string;
}

const MAX_DEPTH = 6;
const LONG = 'x'.repeat(100_000);

/** Strings clients and attackers send: control characters, odd Unicode, injection payloads. */
export const hostileStrings: readonly string[] = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\uFEFF',
  '\u202Eevil',
  '\uD800',
  '🇸🇪👩‍👩‍👧‍👦',
  'Å'.repeat(300),
  LONG,
  "' OR 1=1 --",
  '"; DROP TABLE units; --',
  '../../etc/passwd',
  '%00',
  '%2e%2e%2f',
  '${jndi:ldap://127.0.0.1/a}',
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  'null',
  'NaN',
  '-1',
  '1e309',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '2026-02-30T25:61:61Z',
  '9999-12-31T23:59:59Z',
];

/** Any JSON value that is likely to break a handler that trusts its input. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    0,
    -1,
    -0,
    1.5,
    2 ** 31,
    2 ** 53 + 1,
    -(2 ** 63),
    1e308,
    Number.MAX_VALUE,
    [],
    {},
    [null],
    { __proto__: { polluted: true } },
    JSON.parse('{"__proto__":{"polluted":true}}') as unknown,
    { constructor: { prototype: { polluted: true } } },
    deepArray(200),
    deepObject(200),
  ),
  fc.constantFrom(...hostileStrings),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.jsonValue({ maxDepth: 3 }),
);

export function deepArray(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) {
    value = [value];
  }
  return value;
}

export function deepObject(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) {
    value = { a: value };
  }
  return value;
}

function typesOf(schema: Schema): string[] {
  const t = schema.type;
  return Array.isArray(t) ? (t as string[]) : typeof t === 'string' ? [t] : [];
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

export interface SchemaArbitraryOptions {
  resolve(ref: string): Schema;
  /** string values for `format: uuid` fields and ids (real ids, so references resolve) */
  ids?: readonly string[];
}

function deref(schema: Schema, options: SchemaArbitraryOptions): Schema {
  let out = schema;
  for (let i = 0; i < 20 && typeof out.$ref === 'string'; i++) {
    const { $ref, ...rest } = out;
    out = { ...options.resolve($ref as string), ...rest };
  }
  return out;
}

/** Values that fit the schema, as far as a generator can tell (patterns are matched). */
export function validArbitrary(
  input: Schema,
  options: SchemaArbitraryOptions,
  depth = 0,
): fc.Arbitrary<unknown> {
  const schema = deref(input, options);
  if (depth > MAX_DEPTH) {
    return fc.constant(null);
  }
  if ('const' in schema) {
    return fc.constant(schema.const);
  }
  if (Array.isArray(schema.enum)) {
    return fc.constantFrom(...(schema.enum as unknown[]));
  }
  for (const key of ['oneOf', 'anyOf'] as const) {
    if (Array.isArray(schema[key])) {
      return fc.oneof(
        ...(schema[key] as Schema[]).map((s) => validArbitrary(s, options, depth + 1)),
      );
    }
  }
  if (Array.isArray(schema.allOf)) {
    const { allOf, ...rest } = schema;
    const merged: Schema = {};
    const properties: Schema = {};
    const required: string[] = [];
    for (const part of [...(allOf as Schema[]).map((s) => deref(s, options)), rest]) {
      Object.assign(merged, part);
      Object.assign(properties, part.properties ?? {});
      required.push(...((part.required as string[] | undefined) ?? []));
    }
    if (Object.keys(properties).length > 0) {
      merged.properties = properties;
      merged.required = required;
    }
    delete merged.allOf;
    return validArbitrary(merged, options, depth + 1);
  }
  const types = typesOf(schema);
  const type =
    types.find((t) => t !== 'null') ??
    (schema.properties ? 'object' : schema.items ? 'array' : undefined);
  switch (type) {
    case 'string':
      return stringArbitrary(schema, options);
    case 'integer':
    case 'number': {
      const min = num(schema.minimum) ?? (num(schema.exclusiveMinimum) ?? -1e6) + 1;
      const max = num(schema.maximum) ?? (num(schema.exclusiveMaximum) ?? 1e6) - 1;
      return type === 'integer'
        ? fc.integer({ min: Math.ceil(min), max: Math.floor(max) })
        : fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
    }
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const items = (schema.items as Schema | undefined) ?? {};
      const minLength = num(schema.minItems) ?? 0;
      const maxLength = Math.max(minLength, Math.min(num(schema.maxItems) ?? 3, 3));
      const item = validArbitrary(items, options, depth + 1);
      return schema.uniqueItems === true
        ? fc.uniqueArray(item, { minLength, maxLength, selector: (v) => JSON.stringify(v) })
        : fc.array(item, { minLength, maxLength });
    }
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const required = new Set((schema.required as string[] | undefined) ?? []);
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [name, property] of Object.entries(properties)) {
        model[name] = validArbitrary(property, options, depth + 1);
      }
      return fc.record(model, {
        requiredKeys: Object.keys(properties).filter((k) => required.has(k)),
      });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function stringArbitrary(schema: Schema, options: SchemaArbitraryOptions): fc.Arbitrary<string> {
  const minLength = num(schema.minLength) ?? 0;
  const maxLength = Math.max(minLength, Math.min(num(schema.maxLength) ?? 40, 60));
  switch (schema.format) {
    case 'uuid':
      return options.ids && options.ids.length > 0
        ? fc.oneof(
            { weight: 3, arbitrary: fc.constantFrom(...options.ids) },
            { weight: 1, arbitrary: fc.uuid({ version: 4 }) },
          )
        : fc.uuid({ version: 4 });
    case 'date-time':
      return fc
        .date({ min: new Date('2020-01-01'), max: new Date('2035-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString());
    case 'date':
      return fc
        .date({ min: new Date('2020-01-01'), max: new Date('2035-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString().slice(0, 10));
    case 'email':
      return fc.emailAddress();
    case 'uri':
      return fc.webUrl();
    default:
      break;
  }
  if (typeof schema.pattern === 'string') {
    try {
      const pattern = new RegExp(schema.pattern, 'u');
      return fc
        .stringMatching(pattern)
        .filter((s) => s.length >= minLength && s.length <= (num(schema.maxLength) ?? 10_000));
    } catch {
      // a pattern fast-check cannot build from: fall through to plain strings
    }
  }
  return fc.string({ minLength, maxLength, unit: 'grapheme' });
}

/** Values just inside and just outside the schema's limits. */
export function boundaryArbitrary(
  input: Schema,
  options: SchemaArbitraryOptions,
): fc.Arbitrary<unknown> {
  let schema = deref(input, options);
  if (Array.isArray(schema.allOf)) {
    schema = Object.assign({}, ...(schema.allOf as Schema[]).map((s) => deref(s, options)), schema);
  }
  const out: unknown[] = [];
  const types = typesOf(schema);
  if (types.includes('string') || typeof schema.maxLength === 'number') {
    const min = num(schema.minLength);
    const max = num(schema.maxLength);
    if (min !== undefined) {
      out.push('a'.repeat(min), 'a'.repeat(Math.max(0, min - 1)));
    }
    if (max !== undefined) {
      out.push('a'.repeat(max), 'a'.repeat(max + 1), 'Ω'.repeat(max + 1));
    }
  }
  if (types.includes('integer') || types.includes('number')) {
    for (const key of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum']) {
      const v = num(schema[key]);
      if (v !== undefined) {
        out.push(v, v - 1, v + 1, v + 0.5);
      }
    }
    out.push(0, -1, 2 ** 53, 1e308);
  }
  if (types.includes('array')) {
    const max = num(schema.maxItems);
    if (max !== undefined) {
      out.push(Array.from({ length: max + 1 }, () => null));
    }
    out.push([]);
  }
  if (Array.isArray(schema.enum)) {
    out.push(
      ...(schema.enum as unknown[]).map((e) => (typeof e === 'string' ? e.toUpperCase() : e)),
    );
  }
  return out.length > 0 ? fc.constantFrom(...out) : hostileValue;
}

/** A valid object with one property (at the top level) set to a boundary value of its schema. */
export function boundaryBodyArbitrary(
  input: Schema,
  options: SchemaArbitraryOptions,
): fc.Arbitrary<unknown> {
  const schema = deref(input, options);
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const names = Object.keys(properties);
  if (names.length === 0) {
    return boundaryArbitrary(schema, options);
  }
  return fc
    .tuple(validArbitrary(schema, options), fc.constantFrom(...names))
    .chain(([value, name]) =>
      boundaryArbitrary(properties[name]!, options).map((b) => ({
        ...(value as Record<string, unknown>),
        [name]: b,
      })),
    );
}

/** Every path into a JSON value (for mutating one place of a valid value). */
function pathsOf(
  value: unknown,
  prefix: (string | number)[] = [],
  out: (string | number)[][] = [],
) {
  out.push(prefix);
  if (Array.isArray(value)) {
    value.forEach((v, i) => pathsOf(v, [...prefix, i], out));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      pathsOf(v, [...prefix, k], out);
    }
  }
  return out;
}

type Mutation = 'replace' | 'drop' | 'extra' | 'wrap';

function mutate(
  value: unknown,
  at: (string | number)[],
  how: Mutation,
  replacement: unknown,
): unknown {
  if (at.length === 0) {
    switch (how) {
      case 'wrap':
        return [value];
      case 'extra':
        return value && typeof value === 'object' && !Array.isArray(value)
          ? { ...value, unexpectedProperty: replacement }
          : replacement;
      default:
        return replacement;
    }
  }
  const [head, ...rest] = at;
  if (Array.isArray(value)) {
    const copy = [...value] as unknown[];
    if (rest.length === 0 && how === 'drop') {
      copy.splice(head as number, 1);
    } else {
      copy[head as number] = mutate(copy[head as number], rest, how, replacement);
    }
    return copy;
  }
  const copy = { ...(value as Record<string, unknown>) };
  if (rest.length === 0 && how === 'drop') {
    delete copy[head as string];
  } else {
    copy[head as string] = mutate(copy[head as string], rest, how, replacement);
  }
  return copy;
}

/** A valid value with one place broken: replaced by a hostile value, dropped, extended or wrapped. */
export function invalidArbitrary(
  schema: Schema,
  options: SchemaArbitraryOptions,
): fc.Arbitrary<unknown> {
  return fc
    .tuple(
      validArbitrary(schema, options),
      fc.nat(),
      fc.constantFrom<Mutation>('replace', 'replace', 'drop', 'extra', 'wrap'),
      hostileValue,
    )
    .map(([value, n, how, replacement]) => {
      const paths = pathsOf(value);
      return mutate(value, paths[n % paths.length]!, how, replacement);
    });
}

/** Text for a query or path value: schema values as strings, and hostile text. */
function textArbitrary(
  parameter: FuzzParameter,
  options: SchemaArbitraryOptions,
  kind: FuzzRequest['kind'],
): fc.Arbitrary<string> {
  const asText = (v: unknown) =>
    typeof v === 'string' ? v : Array.isArray(v) ? v.join(',') : JSON.stringify(v);
  if (kind === 'valid') {
    return validArbitrary(parameter.schema, options).map(asText);
  }
  if (kind === 'boundary') {
    return boundaryArbitrary(parameter.schema, options).map(asText);
  }
  return fc.oneof(
    fc.constantFrom(...hostileStrings),
    hostileValue.map(asText),
    fc.string({ unit: 'grapheme', maxLength: 30 }),
  );
}

export interface RequestArbitraryOptions {
  seeds: FuzzSeeds;
  /** seeded user names to send tokens of */
  users: readonly string[];
}

function seedsFor(operation: FuzzOperation, name: string, seeds: FuzzSeeds): readonly string[] {
  const segments = operation.path.split('/');
  const index = segments.indexOf(`{${name}}`);
  const resource = index > 0 ? segments[index - 1]! : '';
  return seeds[resource] ?? [];
}

const allIds = (seeds: FuzzSeeds) => [...new Set(Object.values(seeds).flat())];

/** One request to an operation: mostly hostile, some valid and boundary ones. */
export function requestArbitrary(
  operation: FuzzOperation,
  options: RequestArbitraryOptions,
): fc.Arbitrary<FuzzRequest> {
  const ids = allIds(options.seeds);
  const schemaOptions: SchemaArbitraryOptions = { resolve: operation.resolve, ids };
  const kindArb = fc.constantFrom<FuzzRequest['kind']>('valid', 'boundary', 'invalid', 'invalid');
  // Every write takes an Idempotency-Key (CONVENTIONS.md), documented or not: a well-behaved
  // client sends one, and a hostile one sends none or a malformed one.
  const parameters: FuzzParameter[] =
    operation.method !== 'GET' &&
    !operation.parameters.some(
      (p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key',
    )
      ? [
          ...operation.parameters,
          { name: 'Idempotency-Key', in: 'header', required: false, schema: {} },
        ]
      : operation.parameters;
  return kindArb.chain((kind) => {
    // One part is broken at a time for boundary/invalid requests, so that the others do not
    // mask it with an earlier refusal.
    const parts = [
      ...parameters.map((p) => `${p.in}:${p.name}`),
      ...(operation.body ? ['body'] : []),
      'raw-body',
      'content-type',
      'query:extra',
      'header:extra',
    ];
    const broken = kind === 'valid' ? fc.constant('') : fc.constantFrom(...parts);
    return broken.chain((target) => {
      const partKind = (part: string) => (part === target ? kind : 'valid');
      const values: Record<string, fc.Arbitrary<string | undefined>> = {};
      for (const p of parameters) {
        const key = `${p.in}:${p.name}`;
        let arb: fc.Arbitrary<string | undefined>;
        if (p.in === 'path') {
          const real = seedsFor(operation, p.name, options.seeds);
          arb =
            partKind(key) === 'valid' && real.length > 0
              ? fc.oneof(
                  { weight: 4, arbitrary: fc.constantFrom(...real) },
                  { weight: 1, arbitrary: textArbitrary(p, schemaOptions, 'valid') },
                )
              : textArbitrary(p, schemaOptions, partKind(key));
        } else if (p.in === 'header' && p.name.toLowerCase() === 'idempotency-key') {
          arb =
            partKind(key) === 'valid'
              ? fc.constant(undefined).map(() => randomUUID())
              : fc.oneof(
                  fc.constant(undefined),
                  fc.constantFrom(
                    'short',
                    'x'.repeat(201),
                    'spaces are not allowed',
                    'å'.repeat(20),
                  ),
                );
        } else {
          const present =
            p.required || partKind(key) !== 'valid' ? fc.constant(true) : fc.boolean();
          arb = present.chain((yes) =>
            yes ? textArbitrary(p, schemaOptions, partKind(key)) : fc.constant(undefined),
          );
        }
        values[key] = arb;
      }
      const body: fc.Arbitrary<string | undefined> = operation.body
        ? target === 'raw-body'
          ? fc.constantFrom(
              '{',
              '{"a":1,}',
              'null',
              '[]',
              '"text"',
              '{"a":"\\ud800"}',
              '{"__proto__":{"polluted":true}}',
              '{"constructor":{"prototype":{"polluted":true}}}',
              `${'['.repeat(5000)}${']'.repeat(5000)}`,
              `{"a":${'{"a":'.repeat(5000)}1${'}'.repeat(5001)}`,
              '\u0000',
              '',
            )
          : (kind === 'valid' || target !== 'body'
              ? validArbitrary(operation.body.schema, schemaOptions)
              : kind === 'boundary'
                ? fc.oneof(
                    boundaryBodyArbitrary(operation.body.schema, schemaOptions),
                    invalidArbitrary(operation.body.schema, schemaOptions),
                  )
                : fc.oneof(invalidArbitrary(operation.body.schema, schemaOptions), hostileValue)
            ).map((v) => JSON.stringify(v) ?? 'null')
        : target === 'raw-body'
          ? fc.constantFrom(undefined, '{}', 'not json', '{"unexpected":true}')
          : fc.constant(undefined);
      const contentType =
        target === 'content-type'
          ? fc.constantFrom(
              'text/plain',
              'application/xml',
              'application/json; charset=utf-16',
              'multipart/form-data; boundary=x',
              'application/x-www-form-urlencoded',
              'application/json, text/plain',
              '',
            )
          : fc.constant('application/json');
      const extraQuery =
        target === 'query:extra'
          ? fc.constantFrom(
              '__proto__[polluted]=1',
              'constructor.prototype.polluted=1',
              'limit=1&limit=2',
              'cursor=' + 'A'.repeat(5000),
              '%E0%A4%A=1',
              'a[b][c][d][e]=1',
            )
          : fc.constant('');
      const extraHeaders =
        target === 'header:extra'
          ? fc.constantFrom<Record<string, string>>(
              { traceparent: '00-' + 'z'.repeat(32) + '-' + '0'.repeat(16) + '-01' },
              { traceparent: 'x'.repeat(5000) },
              { 'x-request-id': '../../etc/passwd' },
              { 'x-request-id': 'x'.repeat(5000) },
              { 'x-forwarded-for': 'not an address' },
              { accept: 'text/html' },
              { 'accept-encoding': 'br;q=abc' },
              { 'content-length': '99999999999' },
            )
          : fc.constant<Record<string, string>>({});
      return fc
        .record({
          values: fc.record(values),
          body,
          contentType,
          extraQuery,
          extraHeaders,
          user: fc.constantFrom(...options.users),
        })
        .map(
          ({
            values: v,
            body: payload,
            contentType: ct,
            extraQuery: eq,
            extraHeaders: eh,
            user,
          }) => {
            const pathValues: Record<string, string> = {};
            const query: string[] = [];
            const headers: Record<string, string> = {};
            for (const p of parameters) {
              const value = v[`${p.in}:${p.name}`];
              if (value === undefined) {
                continue;
              }
              if (p.in === 'path') {
                pathValues[p.name] = value;
              } else if (p.in === 'query') {
                query.push(`${encodeUriValue(p.name)}=${encodeUriValue(value)}`);
              } else {
                headers[p.name.toLowerCase()] = value.replace(/[^\t\x20-\x7e]/g, '?');
              }
            }
            if (eq) {
              query.push(eq);
            }
            if (payload !== undefined) {
              headers['content-type'] = ct;
            }
            Object.assign(headers, eh);
            if (
              headers['content-length'] !== undefined &&
              (payload === undefined || operation.method === 'GET')
            ) {
              delete headers['content-length'];
            }
            let url = fillPath(operation, pathValues);
            if (query.length > 0) {
              url += `?${query.join('&')}`;
            }
            return {
              kind,
              method: operation.method,
              url,
              headers,
              ...(payload !== undefined ? { payload } : {}),
              user,
            };
          },
        );
    });
  });
}
