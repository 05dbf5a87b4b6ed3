import fastJsonStringify from 'fast-json-stringify';
import path from 'node:path';
import { OpenApiContract } from './openapi-contract';
import { directSerializerSchema, directSerializerSchemas } from './serializer-schema';

type Json = Record<string, unknown>;

const SHARED = {
  'x.Uuid': { $id: 'x.Uuid', type: 'string', format: 'uuid', maxLength: 36 },
  'x.Mode': { $id: 'x.Mode', type: 'string', enum: ['in_person', 'phone'] },
  'x.Stamp': { $id: 'x.Stamp', type: 'string', format: 'date-time', maxLength: 40 },
  'x.When': { $id: 'x.When', allOf: [{ $ref: 'x.Stamp#' }] },
  'x.Who': {
    $id: 'x.Who',
    type: 'object',
    additionalProperties: false,
    required: ['id'],
    properties: { id: { $ref: 'x.Uuid#' } },
  },
};

const THING = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ref: {
      description: 'a referenced string or null',
      oneOf: [{ $ref: 'x.Uuid#' }, { type: 'null' }],
    },
    nullFirst: { anyOf: [{ type: 'null' }, { $ref: 'x.Mode#' }] },
    stamp: { oneOf: [{ $ref: 'x.Stamp#' }, { type: 'null' }] },
    wrapped: { oneOf: [{ $ref: 'x.When#' }, { type: 'null' }] },
    who: { oneOf: [{ $ref: 'x.Who#' }, { type: 'null' }] },
    inline: {
      oneOf: [
        { type: 'null' },
        { type: 'object', additionalProperties: false, properties: { n: { type: 'integer' } } },
      ],
    },
    cell: {
      oneOf: [
        { type: 'integer', minimum: 5 },
        { type: 'string', enum: ['<5'] },
      ],
    },
    items: {
      type: 'array',
      items: { oneOf: [{ $ref: 'x.Who#' }, { type: 'null' }] },
    },
  },
};

function serializers(schema: Json, shared: Json) {
  return {
    validating: fastJsonStringify(schema, { schema: shared as never }),
    direct: fastJsonStringify(directSerializerSchema(schema), {
      schema: directSerializerSchemas(shared) as never,
    }),
  };
}

/** The code fast-json-stringify generates for `schema`: whether it validates values to write them. */
function validatesWhileWriting(schema: Json, shared: Json): boolean {
  const { code } = fastJsonStringify(schema, {
    schema: shared as never,
    mode: 'debug',
  }) as unknown as { code: string };
  return code.includes('getSchemaValidator');
}

describe('directSerializerSchema: what fast-json-stringify compiles for a response', () => {
  it('writes "X or null" and unions of primitives as the validating serializer does', () => {
    const { validating, direct } = serializers(THING, SHARED);
    const at = new Date('2026-03-01T10:00:00.123Z');
    const values: Json[] = [
      {
        ref: null,
        nullFirst: null,
        stamp: null,
        wrapped: null,
        who: null,
        inline: null,
        cell: '<5',
        items: [null, { id: '30000000-0000-4000-8000-000000000005' }],
      },
      {
        ref: '30000000-0000-4000-8000-000000000005',
        nullFirst: 'phone',
        stamp: at,
        wrapped: at.toISOString(),
        who: { id: '30000000-0000-4000-8000-000000000006' },
        inline: { n: 3 },
        cell: 12,
        items: [],
      },
      {},
    ];
    for (const value of values) {
      expect(direct(value)).toBe(validating(value));
    }
    expect(JSON.parse(direct(values[0]))).toEqual(values[0]);
    expect(JSON.parse(direct(values[1])).stamp).toBe('2026-03-01T10:00:00.123Z');
    // A property the schema does not name failed the validating serializer (a 500); it is left
    // out, as everywhere else in a response.
    const extra = { who: { id: '30000000-0000-4000-8000-000000000006', secret: 'not written' } };
    expect(() => validating(extra)).toThrow(TypeError);
    expect(JSON.parse(direct(extra))).toEqual({
      who: { id: '30000000-0000-4000-8000-000000000006' },
    });
  });

  it('compiles them without validating, where the schema as written needs ajv', () => {
    expect(validatesWhileWriting(THING, SHARED)).toBe(true);
    expect(
      validatesWhileWriting(directSerializerSchema(THING), directSerializerSchemas(SHARED) as Json),
    ).toBe(false);
  });

  it('keeps descriptions, leaves other unions as they are and does not change its input', () => {
    const input = {
      description: 'd',
      oneOf: [{ $ref: 'x.Uuid#' }, { type: 'null' }],
    };
    const copy = structuredClone(input);
    expect(directSerializerSchema(input)).toEqual({
      description: 'd',
      $ref: 'x.Uuid#',
      nullable: true,
    });
    expect(input).toEqual(copy);
    const objects = { oneOf: [{ $ref: 'x.Who#' }, { $ref: 'x.Uuid#' }] };
    expect(directSerializerSchema(objects)).toEqual(objects);
    const sameType = {
      anyOf: [
        { type: 'string', enum: ['a'] },
        { type: 'string', format: 'uuid' },
      ],
    };
    expect(directSerializerSchema(sameType)).toEqual(sameType);
  });

  // Every response of the three services' contracts: not one field validated while it is written
  // (what made a referral box page's serialisation run ajv for each nullable field of each row).
  it.each(['referrals', 'notifications', 'directory'])(
    '%s: every 2xx response compiles to direct code',
    (service) => {
      const contract = OpenApiContract.load(
        path.join(__dirname, '../../../openapi', `${service}.yaml`),
        service,
      );
      const shared: Json = {};
      contract.registerSchemas({
        addSchema: (schema: Json) => {
          shared[schema.$id as string] = schema;
        },
      } as never);
      const direct = directSerializerSchemas(shared) as Json;
      const paths = contract.document.paths as Record<string, Record<string, unknown>>;
      const validating: string[] = [];
      let responses = 0;
      for (const [url, methods] of Object.entries(paths)) {
        for (const method of Object.keys(methods)) {
          if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) {
            continue;
          }
          const route = contract.route(method.toUpperCase() as never, url);
          for (const [status, schema] of Object.entries((route.schema.response ?? {}) as Json)) {
            responses++;
            if (validatesWhileWriting(directSerializerSchema(schema as Json), direct)) {
              validating.push(`${method.toUpperCase()} ${url} ${status}`);
            }
          }
        }
      }
      expect(responses).toBeGreaterThan(5);
      expect(validating).toEqual([]);
    },
  );
});
