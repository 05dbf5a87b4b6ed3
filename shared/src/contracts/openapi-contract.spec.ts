import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { OpenApiContract } from './openapi-contract';

const DOCUMENT = `
openapi: 3.1.0
info: { title: test, version: '1' }
paths:
  /v1/things:
    get:
      operationId: searchThings
      parameters:
        - name: q
          in: query
          schema: { type: string, maxLength: 10, example: abc }
        - $ref: '#/components/parameters/Limit'
        - name: x-trace
          in: header
          schema: { type: string }
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: { $ref: '#/components/schemas/ThingList' }
        '400':
          description: bad
          content:
            application/problem+json:
              schema: { $ref: '#/components/schemas/Problem' }
    post:
      operationId: createThing
      requestBody:
        required: true
        content:
          application/json:
            schema: { $ref: '#/components/schemas/ThingCreate' }
      responses:
        '201':
          description: created
          content:
            application/json:
              schema: { $ref: '#/components/schemas/Thing' }
  /v1/things/{id}/parts/{partId}:
    delete:
      parameters:
        - name: id
          in: path
          schema: { $ref: '#/components/schemas/Uuid' }
        - name: partId
          in: path
          required: true
          schema: { type: string }
      responses:
        '204': { description: gone }
components:
  parameters:
    Limit:
      name: limit
      in: query
      required: true
      schema: { type: integer, minimum: 1, maximum: 100 }
  schemas:
    Uuid: { type: string, format: uuid }
    Thing:
      type: object
      required: [id]
      properties:
        id: { $ref: '#/components/schemas/Uuid' }
        tags:
          type: array
          items: { $ref: '#/components/schemas/Tag' }
      examples:
        - { id: 0b7a9c52-6a2a-4d5e-9a49-5d0c1f0d3e11 }
    ThingList:
      type: object
      properties:
        items: { type: array, items: { $ref: '#/components/schemas/Thing' } }
    ThingCreate:
      type: object
      additionalProperties: false
      properties:
        tags: { type: array, items: { $ref: '#/components/schemas/Tag' } }
        external: { $ref: 'other.yaml#/components/schemas/Elsewhere' }
    Tag: { type: string, enum: [a, b] }
    Problem: { type: object }
`;

let dir: string;
let contract: OpenApiContract;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'contract-spec-'));
  const file = path.join(dir, 'things.yaml');
  fs.writeFileSync(file, DOCUMENT);
  contract = OpenApiContract.load(file, 'things');
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('OpenApiContract.route', () => {
  it('turns {param} path templates into Fastify :param routes', () => {
    expect(contract.route('DELETE', '/v1/things/{id}/parts/{partId}').url).toBe(
      '/v1/things/:id/parts/:partId',
    );
    expect(contract.route('GET', '/v1/things').url).toBe('/v1/things');
  });

  it('builds the params schema from path parameters, all required, with refs rewritten', () => {
    const { schema, method } = contract.route('DELETE', '/v1/things/{id}/parts/{partId}');
    expect(method).toBe('DELETE');
    expect(schema.params).toEqual({
      type: 'object',
      properties: { id: { $ref: 'things.Uuid#' }, partId: { type: 'string' } },
      required: ['id', 'partId'],
    });
    expect(schema.querystring).toBeUndefined();
    expect(schema.body).toBeUndefined();
    expect(schema.response).toBeUndefined();
  });

  it('builds the querystring schema from query parameters, resolving $ref parameters, leaving headers out', () => {
    const { schema } = contract.route('GET', '/v1/things');
    expect(schema.querystring).toEqual({
      type: 'object',
      properties: {
        q: { type: 'string', maxLength: 10 },
        limit: { type: 'integer', minimum: 1, maximum: 100 },
      },
      required: ['limit'],
    });
    expect(schema.params).toBeUndefined();
    expect(schema.headers).toBeUndefined();
    expect((schema as { operationId?: string }).operationId).toBe('searchThings');
  });

  it('takes the JSON body and the 2xx JSON responses, with refs rewritten to the prefixed ids', () => {
    const post = contract.route('POST', '/v1/things');
    expect(post.schema.body).toEqual({ $ref: 'things.ThingCreate#' });
    expect(post.schema.response).toEqual({ '201': { $ref: 'things.Thing#' } });
    // problem responses are not filtered through the contract
    expect(contract.route('GET', '/v1/things').schema.response).toEqual({
      '200': { $ref: 'things.ThingList#' },
    });
  });

  it('refuses an operation that is not in the contract', () => {
    expect(() => contract.route('PUT', '/v1/things')).toThrow(
      /PUT \/v1\/things is not in the contract/,
    );
    expect(() => contract.route('GET', '/v1/nothing')).toThrow(/not in the contract/);
  });
});

describe('OpenApiContract.registerSchemas', () => {
  it('adds every component schema as <prefix>.<Name>, refs rewritten and examples dropped', () => {
    const added: Array<Record<string, unknown>> = [];
    contract.registerSchemas({
      addSchema: (s: Record<string, unknown>) => added.push(s),
    } as unknown as FastifyInstance);
    const byId = Object.fromEntries(added.map((s) => [s.$id, s]));
    expect(Object.keys(byId).sort()).toEqual(
      [
        'things.Problem',
        'things.Tag',
        'things.Thing',
        'things.ThingCreate',
        'things.ThingList',
        'things.Uuid',
      ].sort(),
    );
    expect(byId['things.Thing']).toEqual({
      $id: 'things.Thing',
      type: 'object',
      required: ['id'],
      properties: {
        id: { $ref: 'things.Uuid#' },
        tags: { type: 'array', items: { $ref: 'things.Tag#' } },
      },
    });
    expect(byId['things.ThingList']).toMatchObject({
      properties: { items: { items: { $ref: 'things.Thing#' } } },
    });
    // only local component refs are rewritten
    expect(byId['things.ThingCreate']).toMatchObject({
      properties: { external: { $ref: 'other.yaml#/components/schemas/Elsewhere' } },
    });
    expect(JSON.stringify(added)).not.toContain('"#/components/');
  });
});

describe('the directory contract', () => {
  const directory = OpenApiContract.load(
    path.resolve(__dirname, '../../../openapi/directory.yaml'),
    'directory',
  );

  it('maps its {id} routes', () => {
    const route = directory.route('GET', '/v1/units/{id}');
    expect(route.url).toBe('/v1/units/:id');
    expect(route.schema.params).toMatchObject({ type: 'object', required: ['id'] });
    expect(JSON.stringify(route.schema)).not.toContain('#/components/');
  });
});

describe('optional request bodies', () => {
  const referrals = OpenApiContract.load(
    path.resolve(__dirname, '../../../openapi/referrals.yaml'),
    'referrals',
  );

  it('treat an absent body as {} where the contract does not require one', async () => {
    const activate = referrals.route('POST', '/v1/operations/{id}/activate');
    expect(activate.preValidation).toBeDefined();
    const request = { body: undefined } as unknown as Parameters<
      NonNullable<typeof activate.preValidation>
    >[0];
    await activate.preValidation!(request);
    expect(request.body).toEqual({});
    const given = { body: { note: 'x' } } as unknown as typeof request;
    await activate.preValidation!(given);
    expect(given.body).toEqual({ note: 'x' });
  });

  it('leave a required body required', () => {
    expect(referrals.route('POST', '/v1/referrals').preValidation).toBeUndefined();
  });
});
