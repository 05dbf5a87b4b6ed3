import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { thinPayload, unitsConcerned, webhookEventType } from './webhook-payload';

/**
 * Against every event an agency system can subscribe to, as its AsyncAPI schema describes it:
 * a sample with every field filled in — staff user ids shaped like UUIDs, the hardest case — is
 * thinned to ids and kinds, and no user id survives.
 */
type Schema = Record<string, unknown> & {
  $ref?: string;
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, Schema>;
  items?: Schema;
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
};

const OPENAPI = path.resolve(__dirname, '../../../../openapi');

function load(file: string) {
  const doc = YAML.parse(fs.readFileSync(path.join(OPENAPI, file), 'utf8')) as {
    components: { schemas: Record<string, Schema> };
  };
  return doc.components.schemas;
}

function sampler(schemas: Record<string, Schema>, userIds: Set<string>) {
  const sample = (s: Schema): unknown => {
    if (s.$ref) {
      const name = s.$ref.split('/').pop()!;
      if (name === 'UserId') {
        const id = randomUUID();
        userIds.add(id);
        return id;
      }
      return sample(schemas[name]!);
    }
    const alternatives = s.allOf ?? s.anyOf ?? s.oneOf;
    if (alternatives) {
      const usable = alternatives.find((a) => a.type !== 'null') ?? alternatives[0]!;
      return sample(usable);
    }
    if (s.const !== undefined) {
      return s.const;
    }
    if (s.enum) {
      return s.enum.find((v) => v !== null);
    }
    const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
    switch (type) {
      case 'object':
        return Object.fromEntries(
          Object.entries(s.properties ?? {}).map(([k, v]) => [k, sample(v)]),
        );
      case 'array':
        return [sample(s.items ?? {}), sample(s.items ?? {})];
      case 'integer':
      case 'number':
        return 3;
      case 'boolean':
        return true;
      default:
        return s.format === 'uuid'
          ? randomUUID()
          : s.format === 'date-time'
            ? new Date().toISOString()
            : 'Some Free Text';
    }
  };
  return sample;
}

const cases: Array<[string, Record<string, unknown>, Set<string>]> = [];
for (const file of ['referrals.events.yaml', 'notifications.events.yaml']) {
  const schemas = load(file);
  for (const schema of Object.values(schemas)) {
    const type = (schema.properties?.type as Schema | undefined)?.const;
    if (typeof type !== 'string' || !webhookEventType(type)) {
      continue;
    }
    const userIds = new Set<string>();
    const data = sampler(schemas, userIds)(schema.properties!.data!) as Record<string, unknown>;
    cases.push([type, data, userIds]);
  }
}

describe('thin payloads of every event type', () => {
  it('covers the referral, operation, field-request and notification events', () => {
    const types = cases.map(([t]) => t);
    expect(types).toEqual(
      expect.arrayContaining([
        'samverkan.referrals.referral.sent',
        'samverkan.referrals.operation.created',
        'samverkan.referrals.field_request.created',
        'samverkan.referrals.field_request.claimed',
        'samverkan.notifications.notification.created',
      ]),
    );
  });

  it.each(cases)('%s: ids and kinds only, never a user id', (type, data, userIds) => {
    const units = unitsConcerned(data);
    const payload = thinPayload(
      webhookEventType(type)!,
      new Date().toISOString(),
      data,
      units[0] ?? randomUUID(),
    );
    const text = JSON.stringify(payload);
    for (const id of userIds) {
      expect(text).not.toContain(id);
    }
    expect(text).not.toContain('Some Free Text');
    for (const [key, value] of Object.entries(payload.data)) {
      expect(key).toMatch(
        /(Ids?|^status|^urgency|^category|^reason|^level|^kind|^severity|^objectType|^link)$/,
      );
      if (/Ids?$/.test(key)) {
        for (const v of [value].flat()) {
          expect(v).toMatch(/^[0-9a-f-]{36}$/);
        }
      }
    }
    for (const unit of units) {
      expect(userIds.has(unit)).toBe(false);
    }
  });
});
