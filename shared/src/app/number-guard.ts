/**
 * One guard for every number a request carries, in every service: path, query and header values
 * (text, coerced to their schema types) and JSON bodies.
 *
 * Why ajv's `strictNumbers` alone does not do it: it only adds `isFinite` to the check of a value
 * that already is a number. A path/query/header value is text, and ajv's coercion turns any text
 * for which `text == +text` holds into `+text` without checking the result again — so '1e309'
 * became Infinity, '0x10' 16, ' 12 ' 12 — and `minimum`/`maximum` then saw Infinity (which passes
 * `minimum: 0`). Postgres refused such values as a 500. (And `strict: false` in the app's ajv
 * options also turns `strictNumbers` off, as ajv derives it from `strict`.)
 *
 * So, when the validators are compiled, each number/integer schema is rewritten:
 * - an integer without a maximum (minimum) gets ±(2^53 − 1): beyond it a JS number no longer
 *   holds the integer given, and bigint columns hold it; integers bound for smaller columns say
 *   their maximum in the OpenAPI documents (a test checks that every request integer does);
 * - in the coerced parts, the value is checked as text *before* ajv coerces it: decimal digits
 *   only (an integer: `-?[0-9]+`; a number: also a fraction and exponent) and finite, by the
 *   `numericText` keyword, which runs ahead of the original schema (kept under `allOf`).
 * Bodies are JSON and not coerced: there `strictNumbers` does work (the JSON parser of
 * create-app.ts already refuses literals that overflow to Infinity).
 */
import type Ajv from 'ajv';

type Json = Record<string, unknown>;

/** The largest integer a request may carry where its schema names no maximum: 2^53 − 1. */
export const DEFAULT_INTEGER_MAXIMUM = Number.MAX_SAFE_INTEGER;

const INTEGER_TEXT = /^-?[0-9]+$/;
const NUMBER_TEXT = /^-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

type NumericKind = 'integer' | 'number';

interface KeywordValidate {
  (kind: NumericKind, data: unknown): boolean;
  errors?: Array<{ keyword: string; message: string; params: Json }>;
}

/**
 * The value as text (what ajv would coerce) is decimal and finite. Values ajv refuses anyway
 * (not numeric text at all, a fraction for an integer) are left to its own message.
 */
const checkNumericText: KeywordValidate = function numericText(kind, data) {
  const raw = Array.isArray(data) && data.length === 1 ? (data[0] as unknown) : data;
  if (typeof raw !== 'string' || raw === '') {
    return true;
  }
  const n = Number(raw);
  if (Number.isNaN(n)) {
    return true;
  }
  let message: string | undefined;
  if (!Number.isFinite(n)) {
    message = 'must be a finite number';
  } else if (kind === 'integer' && !Number.isInteger(n)) {
    return true;
  } else if (!(kind === 'integer' ? INTEGER_TEXT : NUMBER_TEXT).test(raw)) {
    message = `must be written in decimal digits (${kind === 'integer' ? '-?[0-9]+' : '-?[0-9]+(.[0-9]+)?(e[+-]?[0-9]+)?'})`;
  }
  if (message === undefined) {
    return true;
  }
  checkNumericText.errors = [{ keyword: 'numericText', message, params: { kind } }];
  return false;
};

/** Adds the `numericText` keyword (an ajv plugin for @fastify/ajv-compiler's `plugins`). */
export function numberGuardPlugin(ajv: Ajv): Ajv {
  if (!ajv.getKeyword('numericText')) {
    ajv.addKeyword({
      keyword: 'numericText',
      schemaType: 'string',
      errors: true,
      // ahead of `allOf`, which holds the schema whose `type` coerces the text
      before: 'allOf',
      validate: checkNumericText,
    });
  }
  return ajv;
}

/** Keywords whose values are data, not schemas. */
const DATA_KEYWORDS = new Set(['enum', 'const', 'default', 'examples', 'example']);
/** Keywords that stay on the outer schema when a number schema is wrapped. */
const OUTER_KEYWORDS = new Set([
  '$id',
  '$schema',
  '$defs',
  'definitions',
  'default',
  'description',
  'title',
]);

function numericKind(type: unknown): NumericKind | undefined {
  const types = Array.isArray(type) ? type : [type];
  if (types.includes('string')) {
    return undefined; // text is acceptable as it is: nothing is coerced
  }
  return types.includes('integer') ? 'integer' : types.includes('number') ? 'number' : undefined;
}

function rewrite(node: unknown, coercing: boolean): unknown {
  if (Array.isArray(node)) {
    return node.map((item) => rewrite(item, coercing));
  }
  if (node === null || typeof node !== 'object') {
    return node;
  }
  const out: Json = {};
  for (const [key, value] of Object.entries(node as Json)) {
    out[key] = DATA_KEYWORDS.has(key) ? value : rewrite(value, coercing);
  }
  const kind = numericKind(out.type);
  if (kind === undefined) {
    return out;
  }
  if (kind === 'integer') {
    if (out.maximum === undefined && out.exclusiveMaximum === undefined) {
      out.maximum = DEFAULT_INTEGER_MAXIMUM;
    }
    if (out.minimum === undefined && out.exclusiveMinimum === undefined) {
      out.minimum = -DEFAULT_INTEGER_MAXIMUM;
    }
  }
  if (!coercing) {
    return out;
  }
  const outer: Json = { numericText: kind };
  const inner: Json = {};
  for (const [key, value] of Object.entries(out)) {
    (OUTER_KEYWORDS.has(key) ? outer : inner)[key] = value;
  }
  outer.allOf = [inner];
  return outer;
}

/**
 * A request schema with the number guard applied (see the top of this file); `coercing` for the
 * parts whose values arrive as text (params, querystring, headers). Returns a new schema.
 */
export function guardNumbers<T>(schema: T, coercing: boolean): T {
  return rewrite(schema, coercing) as T;
}

/**
 * Guarded external schemas, by the schema object: every encapsulated context (each service's
 * plugin, each of its route prefixes) hands the compilers the same schema objects again.
 */
const guardedExternals = {
  coercing: new WeakMap<object, unknown>(),
  exact: new WeakMap<object, unknown>(),
};

/** `guardNumbers` over each schema of a map of external schemas (ids kept). */
export function guardExternalNumbers<T extends object>(externals: T, coercing: boolean): T {
  const cache = coercing ? guardedExternals.coercing : guardedExternals.exact;
  const out: Json = {};
  for (const [id, schema] of Object.entries(externals as Json)) {
    if (schema === null || typeof schema !== 'object') {
      out[id] = schema;
      continue;
    }
    let guarded = cache.get(schema);
    if (guarded === undefined) {
      guarded = guardNumbers(schema, coercing);
      cache.set(schema, guarded);
    }
    out[id] = guarded;
  }
  return out as T;
}
