import type { FastifyInstance, FastifyRequest, FastifySchema, HTTPMethods } from 'fastify';
import fs from 'node:fs';
import { parseYamlDocument } from './yaml-document';

type Json = Record<string, unknown>;

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Json;
  $ref?: string;
}

interface Operation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Json }> };
  responses?: Record<string, { content?: Record<string, { schema?: Json }>; $ref?: string }>;
}

export interface ContractRoute {
  method: HTTPMethods;
  url: string;
  schema: FastifySchema;
  /** set when the operation's body is optional: an absent body is validated as `{}` */
  preValidation?: (request: FastifyRequest) => Promise<void>;
}

/** A POST without a body, where the contract allows that, is the empty object to the schema. */
async function absentBodyAsEmpty(request: FastifyRequest): Promise<void> {
  if (request.body === undefined || request.body === null) {
    request.body = {};
  }
}

/**
 * An OpenAPI 3.1 document used as the single source of truth at run time: its component schemas
 * are added to Fastify (ajv validates requests, fast-json-stringify filters responses), and each
 * route takes its params/query/body/response schemas from its operation.
 */
export class OpenApiContract {
  readonly document: Json;

  private constructor(
    document: Json,
    /** prefix of the schema ids, so several services can share one Fastify instance */
    readonly prefix: string,
  ) {
    this.document = document;
  }

  static load(file: string, prefix: string): OpenApiContract {
    return new OpenApiContract(parseYamlDocument(fs.readFileSync(file, 'utf8')) as Json, prefix);
  }

  private get components(): Json {
    return (this.document.components ?? {}) as Json;
  }

  private rewrite<T>(value: T): T {
    if (Array.isArray(value)) {
      return value.map((v) => this.rewrite(v) as unknown) as T;
    }
    if (value && typeof value === 'object') {
      const out: Json = {};
      for (const [k, v] of Object.entries(value as Json)) {
        if (k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/')) {
          out[k] = `${this.prefix}.${v.slice('#/components/schemas/'.length)}#`;
        } else if (k === 'example' || k === 'examples') {
          // documentation only; ajv (draft-07) does not know them
        } else {
          out[k] = this.rewrite(v);
        }
      }
      return out as T;
    }
    return value;
  }

  /** Adds every component schema to the (encapsulated) instance as `<prefix>.<Name>`. */
  registerSchemas(app: FastifyInstance): void {
    const schemas = (this.components.schemas ?? {}) as Record<string, Json>;
    for (const [name, schema] of Object.entries(schemas)) {
      app.addSchema({ ...this.rewrite(schema), $id: `${this.prefix}.${name}` });
    }
  }

  private resolveParameter(p: Parameter): Parameter {
    if (p.$ref?.startsWith('#/components/parameters/')) {
      const params = (this.components.parameters ?? {}) as Record<string, Parameter>;
      const found = params[p.$ref.slice('#/components/parameters/'.length)];
      if (!found) {
        throw new Error(`unknown parameter ${p.$ref}`);
      }
      return found;
    }
    return p;
  }

  operation(method: string, path: string): Operation {
    const paths = (this.document.paths ?? {}) as Record<string, Record<string, Operation>>;
    const op = paths[path]?.[method.toLowerCase()];
    if (!op) {
      throw new Error(`${method} ${path} is not in the contract`);
    }
    return op;
  }

  /** `route('GET', '/v1/units/{id}')` → `{ method, url: '/v1/units/:id', schema }` */
  route(method: HTTPMethods, path: string): ContractRoute {
    const op = this.operation(method, path);
    const schema: FastifySchema & Json = {};
    const params = (op.parameters ?? []).map((p) => this.resolveParameter(p));
    for (const [location, key] of [
      ['path', 'params'],
      ['query', 'querystring'],
    ] as const) {
      const list = params.filter((p) => p.in === location);
      if (list.length > 0) {
        schema[key] = {
          type: 'object',
          properties: Object.fromEntries(list.map((p) => [p.name, this.rewrite(p.schema ?? {})])),
          required: list.filter((p) => p.required || location === 'path').map((p) => p.name),
        };
      }
    }
    const body = op.requestBody?.content?.['application/json']?.schema;
    if (body) {
      schema.body = this.rewrite(body);
    }
    const response: Json = {};
    for (const [status, res] of Object.entries(op.responses ?? {})) {
      const json = res.content?.['application/json']?.schema;
      if (/^2\d\d$/.test(status) && json) {
        response[status] = this.rewrite(json);
      }
    }
    if (Object.keys(response).length > 0) {
      schema.response = response;
    }
    if (op.operationId) {
      schema.operationId = op.operationId;
    }
    const url = path.replace(/\{([^}]+)\}/g, ':$1');
    return body && op.requestBody?.required !== true
      ? { method, url, schema, preValidation: absentBodyAsEmpty }
      : { method, url, schema };
  }
}
