import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

/** A JSON Schema fragment as it appears in an OpenAPI 3.1 document. */
export type Schema = Record<string, unknown>;

export interface FuzzParameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: Schema;
}

/** One operation of an OpenAPI document, with every `$ref` it needs resolvable through `resolve`. */
export interface FuzzOperation {
  /** the document's base name: `directory` for openapi/directory.yaml */
  service: string;
  method: string;
  /** the OpenAPI path: `/v1/units/{id}` */
  path: string;
  /** the Fastify route: `/v1/units/:id` */
  route: string;
  operationId: string;
  parameters: FuzzParameter[];
  body?: { required: boolean; schema: Schema };
  /** true when the operation needs a bearer token (document or operation `security`) */
  secured: boolean;
  /** response status codes the contract names (`'401'`, `'403'`, …) */
  responses: string[];
  /** true when a success is a `text/event-stream` (the response does not end by itself) */
  streaming: boolean;
  /** resolves a local `$ref` of this operation's document */
  resolve(ref: string): Schema;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/**
 * The OpenAPI documents in a folder: every `*.yaml` whose top level has `openapi:` (AsyncAPI event
 * documents and lint configs are skipped). `only` keeps the named services (base names).
 */
export function openApiDocuments(dir: string, only?: readonly string[]): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .map((f) => path.join(dir, f))
    .filter((file) => {
      const service = path.basename(file).replace(/\.ya?ml$/, '');
      if (only && !only.includes(service)) {
        return false;
      }
      return /^openapi:\s*3\./m.test(fs.readFileSync(file, 'utf8'));
    })
    .sort();
}

function pointer(document: Schema, ref: string): Schema {
  if (!ref.startsWith('#/')) {
    throw new Error(`only local $refs are supported by the fuzzer: ${ref}`);
  }
  let node: unknown = document;
  for (const part of ref.slice(2).split('/')) {
    node = (node as Record<string, unknown> | undefined)?.[
      part.replace(/~1/g, '/').replace(/~0/g, '~')
    ];
  }
  if (!node || typeof node !== 'object') {
    throw new Error(`unresolved $ref ${ref}`);
  }
  return node as Schema;
}

/** Every operation of the given OpenAPI documents. */
export function loadOperations(files: readonly string[]): FuzzOperation[] {
  const operations: FuzzOperation[] = [];
  for (const file of files) {
    const document = YAML.parse(fs.readFileSync(file, 'utf8')) as Schema;
    const service = path.basename(file).replace(/\.ya?ml$/, '');
    const resolve = (ref: string) => pointer(document, ref);
    const deref = <T extends Schema>(node: T): T =>
      typeof node.$ref === 'string' ? (deref(resolve(node.$ref)) as T) : node;
    const documentSecured = Array.isArray(document.security) && document.security.length > 0;
    const paths = (document.paths ?? {}) as Record<string, Record<string, Schema>>;
    for (const [openApiPath, item] of Object.entries(paths)) {
      const shared = ((item.parameters as Schema[] | undefined) ?? []).map(deref);
      for (const method of METHODS) {
        const op = item[method];
        if (!op) {
          continue;
        }
        const params = [...shared, ...((op.parameters as Schema[] | undefined) ?? []).map(deref)]
          .filter((p) => p.in === 'path' || p.in === 'query' || p.in === 'header')
          .map((p): FuzzParameter => ({
            name: String(p.name),
            in: p.in as FuzzParameter['in'],
            required: p.in === 'path' || p.required === true,
            schema: (p.schema as Schema | undefined) ?? {},
          }));
        const requestBody = op.requestBody ? deref(op.requestBody as Schema) : undefined;
        const content = requestBody?.content as Record<string, { schema?: Schema }> | undefined;
        const bodySchema = content?.['application/json']?.schema;
        const security = op.security as unknown[] | undefined;
        operations.push({
          service,
          method: method.toUpperCase(),
          path: openApiPath,
          route: openApiPath.replace(/\{([^}]+)\}/g, ':$1'),
          operationId: String(op.operationId ?? `${method} ${openApiPath}`),
          parameters: params,
          ...(bodySchema
            ? { body: { required: requestBody?.required === true, schema: bodySchema } }
            : {}),
          secured: security === undefined ? documentSecured : security.length > 0,
          responses: Object.keys((op.responses as Schema | undefined) ?? {}),
          streaming: Object.values((op.responses as Record<string, Schema> | undefined) ?? {}).some(
            (r) => Boolean((r.content as Schema | undefined)?.['text/event-stream']),
          ),
          resolve,
        });
      }
    }
  }
  return operations;
}

const LONE_SURROGATE = /([\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF])/;

/**
 * encodeURIComponent that does not throw on lone surrogates: each is sent as the bytes of an
 * (invalid) UTF-8 surrogate, which is exactly the kind of input a fuzzer wants to send.
 */
export function encodeUriValue(value: string): string {
  return value
    .split(LONE_SURROGATE)
    .map((part) => (LONE_SURROGATE.test(part) ? '%ED%A0%80' : encodeURIComponent(part)))
    .join('');
}

/** The operation's path with its parameters filled in (each value URI-encoded). */
export function fillPath(operation: FuzzOperation, values: Record<string, string>): string {
  return operation.path.replace(/\{([^}]+)\}/g, (_m, name: string) =>
    encodeUriValue(values[name] ?? ''),
  );
}

/** `GET /v1/units/{id}`: how an operation is named in test output and reports. */
export function operationName(operation: FuzzOperation): string {
  return `${operation.method} ${operation.path}`;
}
