/**
 * Hostile numbers in every integer/number a route takes, found from the OpenAPI documents: each
 * path, query and header parameter and each body member typed integer/number gets 1e309, -1e309,
 * 1e20, 9007199254740993, 2147483648, 'NaN', '0x10', '1.5' (and a few more spellings ajv's
 * coercion used to accept). A value the document allows (decimal digits, within its minimum and
 * maximum) must not be refused for its number, and nothing may answer 5xx; every other value is
 * 400 problem+json naming the field, before any handler or Postgres sees it. It used to be a 500
 * where '1e309' was coerced to Infinity, or '1e20' overflowed a bigint column, and '0x10' was
 * taken as 16.
 */
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { DEMO_UNITS } from '@samverkan/shared';
import {
  loadOperations,
  openApiDocuments,
  validArbitrary,
  type FuzzOperation,
  type Schema,
} from '@samverkan/shared/src/testing/fuzz';
import { useAppUnderTest } from './helpers/app-under-test';
import { checkProblem } from './helpers/problems';

const DOCUMENTS = ['directory', 'referrals', 'notifications'];
const OPENAPI_DIR = path.resolve(__dirname, '../../../openapi');
/** The values, as they are written in a URL, a header, or (for bodies) JSON text. */
const HOSTILE = [
  '1e309',
  '-1e309',
  '1e20',
  '9007199254740993',
  '2147483648',
  'NaN',
  '0x10',
  '1.5',
  'Infinity',
  ' 12',
  '0b11',
  '-1',
];
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

const app = useAppUnderTest(DOCUMENTS);

interface NumberSite {
  operation: FuzzOperation;
  /** `query`, `path`, `header`, or `body` */
  in: string;
  /** the parameter's name, or the body member's path (`peopleMet.0.count`) */
  name: string;
  schema: Schema;
}

function deref(schema: Schema, operation: FuzzOperation): Schema {
  let out = schema;
  while (typeof out.$ref === 'string') {
    const { $ref, ...rest } = out;
    out = { ...operation.resolve($ref as string), ...rest };
  }
  return out;
}

function numeric(schema: Schema): 'integer' | 'number' | undefined {
  const types = ([] as unknown[]).concat(schema.type ?? []);
  if (types.includes('string')) {
    return undefined;
  }
  return types.includes('integer') ? 'integer' : types.includes('number') ? 'number' : undefined;
}

/** Number members of a body schema, by path (array items as element 0). */
function bodyNumbers(
  schema: Schema,
  operation: FuzzOperation,
  at: string[],
  out: Array<{ path: string[]; schema: Schema }>,
  depth = 0,
): void {
  const s = deref(schema, operation);
  if (depth > 8) {
    return;
  }
  if (numeric(s)) {
    out.push({ path: at, schema: s });
    return;
  }
  for (const part of [...((s.allOf as Schema[]) ?? [])]) {
    bodyNumbers(part, operation, at, out, depth + 1);
  }
  for (const [name, member] of Object.entries((s.properties ?? {}) as Record<string, Schema>)) {
    bodyNumbers(member, operation, [...at, name], out, depth + 1);
  }
  if (s.items && typeof s.items === 'object') {
    bodyNumbers(s.items as Schema, operation, [...at, '0'], out, depth + 1);
  }
}

const operations = loadOperations(openApiDocuments(OPENAPI_DIR, DOCUMENTS)).filter(
  (o, i, all) => all.findIndex((p) => p.method === o.method && p.path === o.path) === i,
);

function sites(): NumberSite[] {
  const found: NumberSite[] = [];
  for (const operation of operations) {
    if (
      operation.streaming ||
      !app.hub.app.hasRoute({ method: operation.method as 'GET', url: operation.route })
    ) {
      continue;
    }
    for (const p of operation.parameters) {
      const schema = deref(p.schema, operation);
      if (numeric(schema)) {
        found.push({ operation, in: p.in, name: p.name, schema });
      }
    }
    if (operation.body) {
      const members: Array<{ path: string[]; schema: Schema }> = [];
      bodyNumbers(operation.body.schema, operation, [], members);
      for (const m of members) {
        found.push({ operation, in: 'body', name: m.path.join('.'), schema: m.schema });
      }
    }
  }
  return found;
}

/** Whether the document allows the text as the parameter's value (as a number, not coerced). */
function allowedText(text: string, schema: Schema): boolean {
  const kind = numeric(schema);
  const pattern = kind === 'integer' ? /^-?[0-9]+$/ : /^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;
  return pattern.test(text) && allowedNumber(Number(text), schema);
}

function allowedNumber(n: number, schema: Schema): boolean {
  const kind = numeric(schema);
  const max = typeof schema.maximum === 'number' ? schema.maximum : MAX_SAFE;
  const min = typeof schema.minimum === 'number' ? schema.minimum : -MAX_SAFE;
  return Number.isFinite(n) && (kind !== 'integer' || Number.isInteger(n)) && n >= min && n <= max;
}

/** A body the operation's schema accepts (the same one every time). */
function validBody(operation: FuzzOperation): unknown {
  return fc.sample(
    validArbitrary(operation.body!.schema, {
      resolve: operation.resolve,
      ids: [DEMO_UNITS.frideborg],
    }),
    { numRuns: 1, seed: 1 },
  )[0];
}

/** A body the schema accepts, with the member at `at` replaced by the raw JSON text `value`. */
function bodyWith(site: NumberSite, value: string): string {
  const generated = validBody(site.operation);
  const marker = '"__number_under_test__"';
  let node = (generated && typeof generated === 'object' ? generated : {}) as Record<
    string,
    unknown
  >;
  const at = site.name.split('.');
  const root = node;
  for (const key of at.slice(0, -1)) {
    const next = node[key];
    node[key] = next && typeof next === 'object' ? next : /^[0-9]+$/.test(key) ? [] : {};
    if (Array.isArray(node[key]) && (node[key] as unknown[]).length === 0) {
      (node[key] as unknown[]).push({});
    }
    node = node[key] as Record<string, unknown>;
  }
  node[at[at.length - 1]!] = JSON.parse(marker);
  return JSON.stringify(root).replace(marker, value);
}

it('every integer/number of every route refuses hostile numbers with 400, never 5xx', async () => {
  const all = sites();
  // the documents' request numbers: limits, cursors, pins, counts, tallies, lifetimes
  expect(all.filter((s) => s.in !== 'body').length).toBeGreaterThan(25);
  expect(all.filter((s) => s.in === 'body').length).toBeGreaterThan(10);
  const wrong: string[] = [];
  for (const site of all) {
    const { operation } = site;
    for (const text of HOSTILE) {
      const asJsonNumber = site.in === 'body' && /^-?[0-9]/.test(text) && !/[xb ]/.test(text);
      const pathValues: Record<string, string> = {};
      for (const p of operation.parameters.filter((q) => q.in === 'path')) {
        pathValues[p.name] =
          site.in === 'path' && p.name === site.name ? encodeURIComponent(text) : randomUUID();
      }
      const url = operation.path.replace(/\{([^}]+)\}/g, (_m, name: string) => pathValues[name]!);
      const headers: Record<string, string> = {
        authorization: `Bearer ${app.token}`,
        'idempotency-key': randomUUID(),
      };
      let query = '';
      let payload: string | undefined;
      if (site.in === 'query') {
        query = `?${encodeURIComponent(site.name)}=${encodeURIComponent(text)}`;
      } else if (site.in === 'header') {
        headers[site.name.toLowerCase()] = text;
      }
      if (site.in === 'body') {
        // as a JSON number where JSON has one, else as a string
        payload = bodyWith(site, asJsonNumber ? text : JSON.stringify(text));
      } else if (operation.body) {
        payload = JSON.stringify(validBody(operation));
      }
      if (payload !== undefined) {
        headers['content-type'] = 'application/json';
      }
      const res = await app.hub.app.inject({
        method: operation.method as 'GET',
        url: `${url}${query}`,
        headers,
        ...(payload !== undefined ? { payload } : {}),
      });
      const allowed =
        site.in === 'body'
          ? asJsonNumber && allowedNumber(Number(text), site.schema)
          : allowedText(text, site.schema);
      const label = `${operation.method} ${operation.path} ${site.in}:${site.name}=${text}`;
      if (res.statusCode >= 500) {
        wrong.push(`${label} → ${res.statusCode} ${res.body.slice(0, 200)}`);
        continue;
      }
      const body = (() => {
        try {
          return res.json() as { type?: string; errors?: Array<{ field: string }> };
        } catch {
          return {};
        }
      })();
      const namesField = (body.errors ?? []).some((e) =>
        e.field.endsWith(site.name.split('.').pop()!),
      );
      if (allowed) {
        if (res.statusCode === 400 && namesField) {
          wrong.push(`${label} (allowed by the document) → refused ${res.body.slice(0, 200)}`);
        }
        continue;
      }
      const problems = checkProblem(res);
      const overflow = site.in === 'body' && /e309$/.test(text);
      const expectedType = overflow
        ? 'urn:samverkan:problem:malformed-body'
        : 'urn:samverkan:problem:validation-error';
      if (
        res.statusCode !== 400 ||
        problems.length > 0 ||
        body.type !== expectedType ||
        (!overflow && !namesField)
      ) {
        wrong.push(`${label} → ${res.statusCode} ${res.body.slice(0, 200)}`);
      }
    }
  }
  expect(wrong).toEqual([]);
}, 300_000);

it('every integer a request takes has a maximum in its document (no unbounded value reaches a column)', () => {
  const unbounded: string[] = [];
  for (const operation of operations) {
    for (const p of operation.parameters) {
      const schema = deref(p.schema, operation);
      if (
        numeric(schema) &&
        schema.maximum === undefined &&
        schema.exclusiveMaximum === undefined
      ) {
        unbounded.push(`${operation.method} ${operation.path} ${p.in}:${p.name}`);
      }
    }
    if (operation.body) {
      const members: Array<{ path: string[]; schema: Schema }> = [];
      bodyNumbers(operation.body.schema, operation, [], members);
      for (const m of members) {
        if (m.schema.maximum === undefined && m.schema.exclusiveMaximum === undefined) {
          unbounded.push(`${operation.method} ${operation.path} body:${m.path.join('.')}`);
        }
      }
    }
  }
  expect(unbounded).toEqual([]);
});
