import path from 'node:path';
import {
  DEMO_ORGANISATIONS as O,
  DEMO_UNITS as U,
  generateRootKey,
  OpenApiContract,
} from '@samverkan/shared';
import type { DataSource } from 'typeorm';
import { buildDirectory, type TestDirectory } from './helpers/build';
import { expectProblem } from './helpers/problems';

let dir: TestDirectory;
let ds: DataSource;
let rootJwk: Record<string, unknown>;
beforeAll(async () => {
  dir = await buildDirectory();
  ds = dir.app.directory.context.dataSource;
  rootJwk = (await generateRootKey()).publicJwk as Record<string, unknown>;
});
afterAll(async () => {
  await dir?.close();
});

const TABLES = [
  'organisations',
  'units',
  'members',
  'shifts',
  'root_keys',
  'unit_keys',
  'issuers',
  'key_log',
  'audit_log',
  'outbox',
];
/** Row counts of every directory table, to show that a refused write wrote nothing. */
async function counts(): Promise<Record<string, number>> {
  // Audit entries are chained right after commit: link what waits, so the chain holds them all.
  await dir.app.directory.context.audit.chainPending();
  const [row] = await ds.query(
    `SELECT ${TABLES.map((t) => `(SELECT count(*) FROM directory.${t})::int AS "${t}"`).join(', ')}`,
  );
  return row as Record<string, number>;
}

const ID = '11000000-0000-4000-8000-000000000001';
const KID = 'aGVsbG8td29ybGQ';
const long = (n: number) => 'x'.repeat(n);
const validOrg = {
  name: 'Ny organisation',
  kind: 'ngo',
  organisationNumber: '802400-1234',
  countyCode: '05',
};
const validUnit = {
  organisationId: O.norrkoping,
  name: 'Ny enhet',
  capabilities: ['support_talks'],
  coverage: ['0581'],
  ageBands: ['adult'],
  genders: ['female'],
  openingHours: { timeZone: 'Europe/Stockholm', open247: true, weekly: [] },
};
const validShift = {
  userId: 'frideborg.caseworker',
  startsAt: '2030-01-01T08:00:00Z',
  endsAt: '2030-01-01T16:00:00Z',
};
const validIssuer = {
  issuer: 'https://idp.example.org',
  organisationIds: [O.novahuset],
  keySource: 'jwks',
};

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
interface Case {
  /** the operation in openapi/directory.yaml */
  op: `${Method} ${string}`;
  url: string;
  body?: unknown | (() => unknown);
  headers?: Record<string, string>;
  /** the field that `errors[]` must name */
  field: string;
}

const CASES: Case[] = [
  // organisations
  { op: 'GET /v1/organisations', url: '/v1/organisations?limit=0', field: 'querystring.limit' },
  { op: 'GET /v1/organisations', url: '/v1/organisations?limit=abc', field: 'querystring.limit' },
  { op: 'GET /v1/organisations', url: '/v1/organisations?kind=pirate', field: 'querystring.kind' },
  { op: 'GET /v1/organisations', url: '/v1/organisations?county=5', field: 'querystring.county' },
  { op: 'GET /v1/organisations', url: `/v1/organisations?q=${long(101)}`, field: 'querystring.q' },
  { op: 'GET /v1/organisations', url: '/v1/organisations?cursor=', field: 'querystring.cursor' },
  {
    op: 'GET /v1/organisations',
    url: '/v1/organisations?cursor=bm90LWEtY3Vyc29y',
    field: 'querystring.cursor',
  },
  { op: 'POST /v1/organisations', url: '/v1/organisations', body: {}, field: 'body.name' },
  {
    op: 'POST /v1/organisations',
    url: '/v1/organisations',
    body: { ...validOrg, name: { sv: 'Namn' } },
    field: 'body.name',
  },
  {
    op: 'POST /v1/organisations',
    url: '/v1/organisations',
    body: { ...validOrg, name: long(201) },
    field: 'body.name',
  },
  {
    op: 'POST /v1/organisations',
    url: '/v1/organisations',
    body: { ...validOrg, owner: 'me' },
    field: 'body.owner',
  },
  {
    op: 'POST /v1/organisations',
    url: '/v1/organisations',
    body: { ...validOrg, organisationNumber: '80240-01234' },
    field: 'body.organisationNumber',
  },
  {
    op: 'POST /v1/organisations',
    url: '/v1/organisations',
    body: { ...validOrg, kind: 'pirate' },
    field: 'body.kind',
  },
  {
    op: 'POST /v1/organisations',
    url: '/v1/organisations',
    body: { ...validOrg, website: 'not a uri' },
    field: 'body.website',
  },
  {
    op: 'POST /v1/organisations',
    url: '/v1/organisations',
    body: { ...validOrg, parentId: 'parent' },
    field: 'body.parentId',
  },
  { op: 'GET /v1/organisations/{id}', url: '/v1/organisations/not-a-uuid', field: 'params.id' },
  {
    op: 'PATCH /v1/organisations/{id}',
    url: '/v1/organisations/not-a-uuid',
    body: { name: 'X' },
    field: 'params.id',
  },
  {
    op: 'PATCH /v1/organisations/{id}',
    url: `/v1/organisations/${O.norrkoping}`,
    body: {},
    field: 'body',
  },
  {
    op: 'PATCH /v1/organisations/{id}',
    url: `/v1/organisations/${O.norrkoping}`,
    body: { kind: 'police' },
    field: 'body.kind',
  },
  {
    op: 'PATCH /v1/organisations/{id}',
    url: `/v1/organisations/${O.norrkoping}`,
    body: { organisationNumber: '2120000456' },
    field: 'body.organisationNumber',
  },
  {
    op: 'PATCH /v1/organisations/{id}',
    url: `/v1/organisations/${O.norrkoping}`,
    body: { name: '' },
    field: 'body.name',
  },
  {
    op: 'PATCH /v1/organisations/{id}',
    url: `/v1/organisations/${O.norrkoping}`,
    body: { status: 'deleted' },
    field: 'body.status',
  },
  {
    op: 'GET /v1/organisations/{id}/root-keys',
    url: '/v1/organisations/123/root-keys',
    field: 'params.id',
  },
  {
    op: 'POST /v1/organisations/{id}/root-keys',
    url: '/v1/organisations/123/root-keys',
    body: () => ({ jwk: rootJwk, fingerprint: 'x' }),
    field: 'params.id',
  },
  {
    op: 'POST /v1/organisations/{id}/root-keys',
    url: `/v1/organisations/${O.norrkoping}/root-keys`,
    body: { jwk: { kty: 'RSA', n: 'AQAB', e: 'AQAB' }, fingerprint: 'x' },
    field: 'body.jwk.kty',
  },
  {
    op: 'POST /v1/organisations/{id}/root-keys',
    url: `/v1/organisations/${O.norrkoping}/root-keys`,
    body: () => ({ jwk: rootJwk }),
    field: 'body.fingerprint',
  },
  {
    op: 'POST /v1/organisations/{id}/root-keys',
    url: `/v1/organisations/${O.norrkoping}/root-keys`,
    body: () => ({ jwk: rootJwk, fingerprint: long(101) }),
    field: 'body.fingerprint',
  },
  {
    op: 'POST /v1/organisations/{id}/root-keys/{kid}/revoke',
    url: `/v1/organisations/${O.norrkoping}/root-keys/a%21b/revoke`,
    body: { reason: 'x' },
    field: 'params.kid',
  },
  {
    op: 'POST /v1/organisations/{id}/root-keys/{kid}/revoke',
    url: `/v1/organisations/x/root-keys/${KID}/revoke`,
    body: { reason: 'x' },
    field: 'params.id',
  },
  {
    op: 'POST /v1/organisations/{id}/root-keys/{kid}/revoke',
    url: `/v1/organisations/${O.norrkoping}/root-keys/${KID}/revoke`,
    body: {},
    field: 'body.reason',
  },
  {
    op: 'POST /v1/organisations/{id}/root-keys/{kid}/revoke',
    url: `/v1/organisations/${O.norrkoping}/root-keys/${KID}/revoke`,
    body: { reason: long(501) },
    field: 'body.reason',
  },
  {
    op: 'POST /v1/organisations/{id}/verify-number',
    url: '/v1/organisations/x/verify-number',
    field: 'params.id',
  },
  // units
  { op: 'GET /v1/units', url: '/v1/units?capability=flying', field: 'querystring.capability.0' },
  {
    op: 'GET /v1/units',
    url: '/v1/units?capability=support_talks&capability=support_talks',
    field: 'querystring.capability',
  },
  { op: 'GET /v1/units', url: '/v1/units?municipality=581', field: 'querystring.municipality' },
  { op: 'GET /v1/units', url: '/v1/units?county=AB', field: 'querystring.county' },
  { op: 'GET /v1/units', url: '/v1/units?policeRegion=north', field: 'querystring.policeRegion' },
  {
    op: 'GET /v1/units',
    url: '/v1/units?organisationKind=pirate',
    field: 'querystring.organisationKind',
  },
  { op: 'GET /v1/units', url: '/v1/units?organisationId=123', field: 'querystring.organisationId' },
  { op: 'GET /v1/units', url: '/v1/units?ageBand=old', field: 'querystring.ageBand' },
  { op: 'GET /v1/units', url: '/v1/units?gender=x', field: 'querystring.gender' },
  { op: 'GET /v1/units', url: '/v1/units?language=SV', field: 'querystring.language' },
  { op: 'GET /v1/units', url: '/v1/units?openNow=maybe', field: 'querystring.openNow' },
  { op: 'GET /v1/units', url: '/v1/units?open247=2', field: 'querystring.open247' },
  { op: 'GET /v1/units', url: '/v1/units?status=deleted', field: 'querystring.status' },
  { op: 'GET /v1/units', url: '/v1/units?limit=101', field: 'querystring.limit' },
  { op: 'GET /v1/units', url: `/v1/units?q=${long(101)}`, field: 'querystring.q' },
  { op: 'GET /v1/units', url: '/v1/units?cursor=%7B%7D', field: 'querystring.cursor' },
  { op: 'POST /v1/units', url: '/v1/units', body: {}, field: 'body.organisationId' },
  {
    op: 'POST /v1/units',
    url: '/v1/units',
    body: { ...validUnit, colour: 'blue' },
    field: 'body.colour',
  },
  {
    op: 'POST /v1/units',
    url: '/v1/units',
    body: { ...validUnit, name: long(201) },
    field: 'body.name',
  },
  {
    op: 'POST /v1/units',
    url: '/v1/units',
    body: { ...validUnit, description: long(2001) },
    field: 'body.description',
  },
  {
    op: 'POST /v1/units',
    url: '/v1/units',
    body: { ...validUnit, capabilities: { support_talks: true } },
    field: 'body.capabilities',
  },
  {
    op: 'POST /v1/units',
    url: '/v1/units',
    body: { ...validUnit, capabilities: ['support_talks', 'support_talks'] },
    field: 'body.capabilities',
  },
  {
    op: 'POST /v1/units',
    url: '/v1/units',
    body: { ...validUnit, coverage: ['581'] },
    field: 'body.coverage.0',
  },
  {
    op: 'POST /v1/units',
    url: '/v1/units',
    body: {
      ...validUnit,
      openingHours: {
        timeZone: 'Europe/Stockholm',
        open247: false,
        weekly: [{ day: 'mon', opens: '25:00', closes: '17:00' }],
      },
    },
    field: 'body.openingHours.weekly.0.opens',
  },
  {
    op: 'POST /v1/units',
    url: '/v1/units',
    body: { ...validUnit, openingHours: { timeZone: 'Europe/Stockholm', weekly: [] } },
    field: 'body.openingHours.open247',
  },
  {
    op: 'POST /v1/units',
    url: '/v1/units',
    body: { ...validUnit, contacts: [{ kind: 'fax', value: '1' }] },
    field: 'body.contacts.0.kind',
  },
  {
    op: 'POST /v1/units',
    url: '/v1/units',
    body: { ...validUnit, onCallUnitId: 'socialjour' },
    field: 'body.onCallUnitId',
  },
  { op: 'GET /v1/units/{id}', url: '/v1/units/not-a-uuid', field: 'params.id' },
  {
    op: 'PATCH /v1/units/{id}',
    url: '/v1/units/not-a-uuid',
    body: { name: 'X' },
    field: 'params.id',
  },
  { op: 'PATCH /v1/units/{id}', url: `/v1/units/${ID}`, body: {}, field: 'body' },
  {
    op: 'PATCH /v1/units/{id}',
    url: `/v1/units/${ID}`,
    body: { organisationId: O.policeOst },
    field: 'body.organisationId',
  },
  {
    op: 'PATCH /v1/units/{id}',
    url: `/v1/units/${ID}`,
    body: { status: 'deleted' },
    field: 'body.status',
  },
  {
    op: 'PATCH /v1/units/{id}',
    url: `/v1/units/${ID}`,
    body: { onCallUnitId: 42 },
    field: 'body.onCallUnitId',
  },
  // members and shifts
  { op: 'GET /v1/units/{id}/members', url: '/v1/units/not-a-uuid/members', field: 'params.id' },
  {
    op: 'POST /v1/units/{id}/members',
    url: '/v1/units/not-a-uuid/members',
    body: { userId: 'a', roles: ['caseworker'] },
    field: 'params.id',
  },
  {
    op: 'POST /v1/units/{id}/members',
    url: `/v1/units/${ID}/members`,
    body: { userId: '', roles: ['caseworker'] },
    field: 'body.userId',
  },
  {
    op: 'POST /v1/units/{id}/members',
    url: `/v1/units/${ID}/members`,
    body: { userId: long(201), roles: ['caseworker'] },
    field: 'body.userId',
  },
  {
    op: 'POST /v1/units/{id}/members',
    url: `/v1/units/${ID}/members`,
    body: { userId: 'a', roles: [] },
    field: 'body.roles',
  },
  {
    op: 'POST /v1/units/{id}/members',
    url: `/v1/units/${ID}/members`,
    body: { userId: 'a', roles: ['king'] },
    field: 'body.roles.0',
  },
  {
    op: 'DELETE /v1/units/{id}/members/{userId}',
    url: '/v1/units/not-a-uuid/members/frideborg.caseworker',
    field: 'params.id',
  },
  { op: 'GET /v1/units/{id}/shifts', url: '/v1/units/not-a-uuid/shifts', field: 'params.id' },
  {
    op: 'GET /v1/units/{id}/shifts',
    url: `/v1/units/${ID}/shifts?from=yesterday`,
    field: 'querystring.from',
  },
  {
    op: 'GET /v1/units/{id}/shifts',
    url: `/v1/units/${ID}/shifts?to=2030-13-01T00:00:00Z`,
    field: 'querystring.to',
  },
  {
    op: 'POST /v1/units/{id}/shifts',
    url: '/v1/units/not-a-uuid/shifts',
    body: validShift,
    field: 'params.id',
  },
  {
    op: 'POST /v1/units/{id}/shifts',
    url: `/v1/units/${ID}/shifts`,
    body: { ...validShift, startsAt: 'not a date' },
    field: 'body.startsAt',
  },
  {
    op: 'POST /v1/units/{id}/shifts',
    url: `/v1/units/${ID}/shifts`,
    body: { ...validShift, endsAt: 20300101 },
    field: 'body.endsAt',
  },
  {
    op: 'POST /v1/units/{id}/shifts',
    url: `/v1/units/${ID}/shifts`,
    body: { startsAt: validShift.startsAt, endsAt: validShift.endsAt },
    field: 'body.userId',
  },
  {
    op: 'DELETE /v1/units/{id}/shifts/{shiftId}',
    url: `/v1/units/${ID}/shifts/not-a-uuid`,
    field: 'params.shiftId',
  },
  {
    op: 'DELETE /v1/units/{id}/shifts/{shiftId}',
    url: `/v1/units/not-a-uuid/shifts/${ID}`,
    field: 'params.id',
  },
  { op: 'GET /v1/units/{id}/on-duty', url: '/v1/units/not-a-uuid/on-duty', field: 'params.id' },
  {
    op: 'GET /v1/units/{id}/on-duty',
    url: `/v1/units/${ID}/on-duty?at=noon`,
    field: 'querystring.at',
  },
  // keys
  { op: 'GET /v1/units/{id}/keys', url: '/v1/units/not-a-uuid/keys', field: 'params.id' },
  {
    op: 'GET /v1/units/{id}/keys',
    url: `/v1/units/${ID}/keys?status=lost`,
    field: 'querystring.status',
  },
  {
    op: 'POST /v1/units/{id}/keys',
    url: '/v1/units/not-a-uuid/keys',
    body: { signed: 'a.b.c' },
    field: 'params.id',
  },
  { op: 'POST /v1/units/{id}/keys', url: `/v1/units/${ID}/keys`, body: {}, field: 'body.signed' },
  {
    op: 'POST /v1/units/{id}/keys',
    url: `/v1/units/${ID}/keys`,
    body: { signed: '' },
    field: 'body.signed',
  },
  {
    op: 'POST /v1/units/{id}/keys',
    url: `/v1/units/${ID}/keys`,
    body: { signed: long(4001) },
    field: 'body.signed',
  },
  {
    op: 'POST /v1/units/{id}/keys',
    url: `/v1/units/${ID}/keys`,
    body: { signed: { jwk: {} } },
    field: 'body.signed',
  },
  {
    op: 'POST /v1/units/{id}/keys',
    url: `/v1/units/${ID}/keys`,
    body: { signed: 'a.b.c', jwk: {} },
    field: 'body.jwk',
  },
  {
    op: 'POST /v1/units/{id}/keys/{kid}/retire',
    url: `/v1/units/${ID}/keys/a%21b/retire`,
    field: 'params.kid',
  },
  {
    op: 'POST /v1/units/{id}/keys/{kid}/retire',
    url: `/v1/units/not-a-uuid/keys/${KID}/retire`,
    field: 'params.id',
  },
  {
    op: 'POST /v1/units/{id}/keys/{kid}/revoke',
    url: `/v1/units/${ID}/keys/a%20b/revoke`,
    body: { reason: 'x' },
    field: 'params.kid',
  },
  {
    op: 'POST /v1/units/{id}/keys/{kid}/revoke',
    url: `/v1/units/${ID}/keys/${KID}/revoke`,
    body: { reason: { text: 'x' } },
    field: 'body.reason',
  },
  {
    op: 'POST /v1/units/{id}/keys/{kid}/revoke',
    url: `/v1/units/${ID}/keys/${KID}/revoke`,
    body: { reason: '' },
    field: 'body.reason',
  },
  { op: 'GET /v1/keys', url: '/v1/keys', field: 'querystring.units' },
  { op: 'GET /v1/keys', url: '/v1/keys?units=abc', field: 'querystring.units' },
  {
    op: 'GET /v1/keys',
    url: `/v1/keys?units=${Array.from({ length: 51 }, () => ID).join(',')}`,
    field: 'querystring.units',
  },
  { op: 'GET /v1/key-log', url: '/v1/key-log?after=-1', field: 'querystring.after' },
  { op: 'GET /v1/key-log', url: '/v1/key-log?limit=501', field: 'querystring.limit' },
  // issuers
  { op: 'POST /v1/issuers', url: '/v1/issuers', body: {}, field: 'body.issuer' },
  {
    op: 'POST /v1/issuers',
    url: '/v1/issuers',
    body: { ...validIssuer, issuer: long(501) },
    field: 'body.issuer',
  },
  {
    op: 'POST /v1/issuers',
    url: '/v1/issuers',
    body: { ...validIssuer, keySource: 'file' },
    field: 'body.keySource',
  },
  {
    op: 'POST /v1/issuers',
    url: '/v1/issuers',
    body: { ...validIssuer, algorithms: ['HS256'] },
    field: 'body.algorithms.0',
  },
  {
    op: 'POST /v1/issuers',
    url: '/v1/issuers',
    body: { ...validIssuer, algorithms: [] },
    field: 'body.algorithms',
  },
  {
    op: 'POST /v1/issuers',
    url: '/v1/issuers',
    body: { ...validIssuer, organisationIds: ['x'] },
    field: 'body.organisationIds.0',
  },
  {
    op: 'POST /v1/issuers',
    url: '/v1/issuers',
    body: { ...validIssuer, status: 'active' },
    field: 'body.status',
  },
  { op: 'GET /v1/issuers/{id}', url: '/v1/issuers/not-a-uuid', field: 'params.id' },
  {
    op: 'PATCH /v1/issuers/{id}',
    url: '/v1/issuers/not-a-uuid',
    body: { status: 'active' },
    field: 'params.id',
  },
  { op: 'PATCH /v1/issuers/{id}', url: `/v1/issuers/${ID}`, body: {}, field: 'body' },
  {
    op: 'PATCH /v1/issuers/{id}',
    url: `/v1/issuers/${ID}`,
    body: { issuer: 'https://other.example' },
    field: 'body.issuer',
  },
  {
    op: 'PATCH /v1/issuers/{id}',
    url: `/v1/issuers/${ID}`,
    body: { status: 'paused' },
    field: 'body.status',
  },
  { op: 'DELETE /v1/issuers/{id}', url: '/v1/issuers/not-a-uuid', field: 'params.id' },
  // devices
  {
    op: 'POST /v1/devices',
    url: '/v1/devices',
    body: { label: '', encryptionKey: { kty: 'OKP', crv: 'X25519', x: 'a' } },
    field: 'body.label',
  },
  {
    op: 'POST /v1/devices',
    url: '/v1/devices',
    body: { label: 'Laptop', encryptionKey: { kty: 'RSA' }, signingKey: {} },
    field: 'body.encryptionKey.kty',
  },
  {
    op: 'POST /v1/devices',
    url: '/v1/devices',
    body: {
      label: 'Laptop',
      encryptionKey: { kty: 'OKP', crv: 'X25519', x: 'a' },
      signingKey: { kty: 'OKP', crv: 'Ed25519', x: 'b' },
      unitIds: ['not-a-uuid'],
    },
    field: 'body.unitIds.0',
  },
  {
    op: 'POST /v1/devices/{id}/approve',
    url: '/v1/devices/not-a-uuid/approve',
    body: { unitId: ID, binding: 'a', box: 'b' },
    field: 'params.id',
  },
  {
    op: 'POST /v1/devices/{id}/approve',
    url: `/v1/devices/${ID}/approve`,
    body: { unitId: ID, binding: 'a', box: long(65537) },
    field: 'body.box',
  },
  {
    op: 'POST /v1/devices/{id}/revoke',
    url: `/v1/devices/${ID}/revoke`,
    body: { reason: '' },
    field: 'body.reason',
  },
  {
    op: 'POST /v1/devices/{id}/revoke',
    url: `/v1/devices/${ID}/revoke`,
    body: { reason: 'Borttappad', unitId: 'x' },
    field: 'body.unitId',
  },
  { op: 'GET /v1/units/{id}/devices', url: '/v1/units/not-a-uuid/devices', field: 'params.id' },
  {
    op: 'POST /v1/units/{id}/key-boxes',
    url: `/v1/units/${ID}/key-boxes`,
    body: { boxes: [] },
    field: 'body.boxes',
  },
  {
    op: 'POST /v1/units/{id}/key-boxes',
    url: `/v1/units/${ID}/key-boxes`,
    body: { boxes: [{ holder: 'someone', holderId: 'x', box: 'y' }] },
    field: 'body.boxes.0.holder',
  },
  {
    op: 'POST /v1/units/{id}/recovery-key',
    url: `/v1/units/${ID}/recovery-key`,
    body: { jwk: { kty: 'OKP', crv: 'X25519', x: 'a' }, binding: 'b' },
    field: 'body.box',
  },
  {
    op: 'GET /v1/units/{id}/recovery-key',
    url: '/v1/units/not-a-uuid/recovery-key',
    field: 'params.id',
  },
  // audit
  {
    op: 'GET /v1/audit/directory',
    url: '/v1/audit/directory?outcome=maybe',
    field: 'querystring.outcome',
  },
  {
    op: 'GET /v1/audit/directory',
    url: '/v1/audit/directory?after=abc',
    field: 'querystring.after',
  },
  { op: 'GET /v1/audit/directory', url: '/v1/audit/directory?limit=0', field: 'querystring.limit' },
  {
    op: 'GET /v1/audit/directory',
    url: `/v1/audit/directory?action=${long(101)}`,
    field: 'querystring.action',
  },
  {
    op: 'GET /v1/audit/directory/verify',
    url: '/v1/audit/directory/verify?pinHash=abc',
    field: 'querystring.pinHash',
  },
  {
    op: 'GET /v1/audit/directory/verify',
    url: '/v1/audit/directory/verify?pinSeq=-1',
    field: 'querystring.pinSeq',
  },
  {
    op: 'GET /v1/audit/directory/checkpoints',
    url: '/v1/audit/directory/checkpoints?limit=0',
    field: 'querystring.limit',
  },
  {
    op: 'POST /v1/audit/directory/checkpoints',
    url: '/v1/audit/directory/checkpoints',
    body: {},
    headers: { 'idempotency-key': 'not a key!' },
    field: 'headers.idempotency-key',
  },
  // key log
  {
    op: 'GET /v1/key-log/verify',
    url: '/v1/key-log/verify?pinHash=xyz',
    field: 'querystring.pinHash',
  },
  {
    op: 'GET /v1/key-log/checkpoints',
    url: '/v1/key-log/checkpoints?before=-5',
    field: 'querystring.before',
  },
  {
    op: 'POST /v1/key-log/checkpoints',
    url: '/v1/key-log/checkpoints',
    body: {},
    headers: { 'idempotency-key': 'short' },
    field: 'headers.idempotency-key',
  },
  // development tokens (the development issuer is on in these tests)
  { op: 'POST /v1/dev/tokens', url: '/v1/dev/tokens', body: {}, field: 'body.user' },
  {
    op: 'POST /v1/dev/tokens',
    url: '/v1/dev/tokens',
    body: { user: 'police.officer', ttlSeconds: 10 },
    field: 'body.ttlSeconds',
  },
];

/** Every operation of the contract that takes path parameters, query parameters or a body. */
function operationsWithInput(): string[] {
  const contract = OpenApiContract.load(
    path.resolve(__dirname, '../../../openapi/directory.yaml'),
    'directory',
  );
  const paths = contract.document.paths as Record<
    string,
    Record<string, { parameters?: unknown[]; requestBody?: unknown }>
  >;
  const ops: string[] = [];
  for (const [p, methods] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if ((op.parameters?.length ?? 0) > 0 || op.requestBody) {
        ops.push(`${method.toUpperCase()} ${p}`);
      }
    }
  }
  return ops.sort();
}

const send = (method: Method, url: string, body?: unknown, headers?: Record<string, string>) => {
  const as = dir.as('hub.admin');
  switch (method) {
    case 'GET':
      return as.get(url, headers);
    case 'DELETE':
      return as.delete(url, headers);
    case 'POST':
      return as.post(url, body, headers);
    case 'PATCH':
      return as.patch(url, body, headers);
  }
};

it('POST /v1/dev/tokens: a mistyped user is answered with the seeded users to choose from', async () => {
  const res = await send('POST', '/v1/dev/tokens', { user: 'police.offcer' });
  expectProblem(res, 400, 'validation-error');
  const [error] = res.json().errors as Array<{ field: string; message: string }>;
  expect(error!.field).toBe('body.user');
  expect(error!.message).toMatch(/^is not a seeded user; seeded users: .*police\.officer/);
});

it('covers every directory operation that takes input', () => {
  expect([...new Set(CASES.map((c) => c.op))].sort()).toEqual(operationsWithInput());
});

describe('bad input gives 400 validation-error naming the field', () => {
  it.each(
    CASES.map(
      (c) =>
        [
          `${c.op}  ${c.url.length > 80 ? `${c.url.slice(0, 80)}…` : c.url} → ${c.field}`,
          c,
        ] as const,
    ),
  )('%s', async (_label, c) => {
    const method = c.op.split(' ')[0] as Method;
    const before = method === 'GET' ? undefined : await counts();
    const res = await send(
      method,
      c.url,
      typeof c.body === 'function' ? c.body() : c.body,
      c.headers,
    );
    expectProblem(res, 400, 'validation-error');
    const problem = res.json();
    expect(problem.code).toBe('VALIDATION_FAILED');
    expect(problem.title).toEqual(expect.any(String));
    expect(problem.errors.map((e: { field: string }) => e.field)).toContain(c.field);
    for (const e of problem.errors) {
      expect(e.message).toEqual(expect.any(String));
    }
    if (before) {
      expect(await counts()).toEqual(before);
    }
  });
});

/** Every operation with a JSON request body, with a URL that would otherwise be valid. */
const BODY_ROUTES: Array<[Method, string]> = [
  ['POST', '/v1/organisations'],
  ['PATCH', `/v1/organisations/${O.norrkoping}`],
  ['POST', `/v1/organisations/${O.norrkoping}/root-keys`],
  ['POST', `/v1/organisations/${O.norrkoping}/root-keys/${KID}/revoke`],
  ['POST', '/v1/units'],
  ['PATCH', `/v1/units/${U.frideborg}`],
  ['POST', `/v1/units/${U.frideborg}/members`],
  ['POST', `/v1/units/${U.frideborg}/shifts`],
  ['POST', `/v1/units/${U.frideborg}/keys`],
  ['POST', `/v1/units/${U.frideborg}/keys/${KID}/revoke`],
  ['POST', '/v1/issuers'],
  ['PATCH', `/v1/issuers/${ID}`],
  ['POST', '/v1/devices'],
  ['POST', `/v1/devices/${ID}/approve`],
  ['POST', `/v1/devices/${ID}/revoke`],
  ['POST', `/v1/units/${U.frideborg}/key-boxes`],
  ['POST', `/v1/units/${U.frideborg}/recovery-key`],
  ['POST', '/v1/dev/tokens'],
];

describe('bodies that cannot be read', () => {
  it('lists every operation with a request body', () => {
    const contract = OpenApiContract.load(
      path.resolve(__dirname, '../../../openapi/directory.yaml'),
      'directory',
    );
    const paths = contract.document.paths as Record<
      string,
      Record<string, { requestBody?: unknown }>
    >;
    const withBody = Object.entries(paths).flatMap(([p, methods]) =>
      Object.entries(methods)
        .filter(([, op]) => op.requestBody)
        .map(([m]) => `${m.toUpperCase()} ${p}`),
    );
    expect(withBody.length).toBe(BODY_ROUTES.length);
  });

  it.each(BODY_ROUTES)('%s %s: malformed JSON → 400 malformed-body', async (method, url) => {
    const before = await counts();
    const res = await send(method, url, '{"name": "Trasig', { 'content-type': 'application/json' });
    expectProblem(res, 400, 'malformed-body');
    expect(res.json().code).toBe('MALFORMED_BODY');
    expect(await counts()).toEqual(before);
  });

  it.each(BODY_ROUTES)('%s %s: empty JSON body → 400 malformed-body', async (method, url) => {
    const res = await send(method, url, '', { 'content-type': 'application/json' });
    expectProblem(res, 400, 'malformed-body');
  });

  it.each(BODY_ROUTES)(
    '%s %s: no body at all → 400 validation-error on body',
    async (method, url) => {
      const res = await dir.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${await dir.token('hub.admin')}` },
      });
      expectProblem(res, 400, 'validation-error');
      expect(res.json().errors.map((e: { field: string }) => e.field)).toContain('body');
    },
  );

  it.each(BODY_ROUTES)(
    '%s %s: a JSON array or string instead of an object → 400 validation-error on body',
    async (method, url) => {
      for (const payload of ['[]', '"text"', 'null']) {
        const res = await send(method, url, payload, { 'content-type': 'application/json' });
        expectProblem(res, 400, 'validation-error');
        expect(res.json().errors.map((e: { field: string }) => e.field)).toContain('body');
      }
    },
  );

  it.each(BODY_ROUTES)('%s %s: another content type → 415', async (method, url) => {
    const before = await counts();
    for (const [type, payload] of [
      ['application/xml', '<organisation/>'],
      ['text/plain', '{"name":"x"}'],
      ['application/x-www-form-urlencoded', 'name=x'],
      ['multipart/form-data; boundary=x', '--x--'],
    ]) {
      const res = await send(method, url, payload, { 'content-type': type! });
      expectProblem(res, 415, 'unsupported-media-type');
      expect(res.json().code).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
    expect(await counts()).toEqual(before);
  });

  it.each(BODY_ROUTES)('%s %s: a body over 1 MiB → 413 payload-too-large', async (method, url) => {
    const before = await counts();
    const res = await send(method, url, JSON.stringify({ name: long(1024 * 1024 + 1) }), {
      'content-type': 'application/json',
    });
    expectProblem(res, 413, 'payload-too-large');
    expect(res.json().code).toBe('PAYLOAD_TOO_LARGE');
    expect(await counts()).toEqual(before);
  });
});

describe('unknown routes', () => {
  it.each([
    ['GET', '/v1/nothing-here'],
    ['GET', '/v2/units'],
    ['DELETE', `/v1/units/${U.frideborg}/nothing-here`],
  ] as Array<[Method, string]>)('%s %s → 404 route-not-found', async (method, url) => {
    const res = await send(method, url, method === 'GET' || method === 'DELETE' ? undefined : {});
    expectProblem(res, 404, 'route-not-found');
    expect(res.json().code).toBe('ROUTE_NOT_FOUND');
    expect(res.headers.allow).toBeUndefined();
  });

  it.each([
    ['DELETE', '/v1/units', 'GET, HEAD, POST'],
    ['DELETE', '/v1/organisations', 'GET, HEAD, POST'],
    // "search" is a unit id as far as the path goes: /v1/units/{id} is served with GET and PATCH
    ['POST', '/v1/units/search', 'GET, HEAD, PATCH'],
    ['DELETE', `/v1/units/${U.frideborg}`, 'GET, HEAD, PATCH'],
    ['PATCH', `/v1/units/${U.frideborg}/keys`, 'GET, HEAD, POST'],
  ] as Array<[Method, string, string]>)(
    '%s %s (a path served with other methods) → 405 with Allow: %s',
    async (method, url, allow) => {
      const res = await send(method, url, method === 'DELETE' ? undefined : {});
      expectProblem(res, 405, 'method-not-allowed');
      expect(res.json().code).toBe('METHOD_NOT_ALLOWED');
      expect(res.headers.allow).toBe(allow);
    },
  );
});

describe('Idempotency-Key on POST /v1/units', () => {
  const body = {
    organisationId: O.norrkoping,
    name: 'Idempotent enhet',
    capabilities: ['support_talks'],
    coverage: ['0581'],
    ageBands: ['adult'],
    genders: ['female'],
    openingHours: { timeZone: 'Europe/Stockholm', open247: true, weekly: [] },
  };
  const units = async () =>
    Number(
      (await ds.query(`SELECT count(*) AS n FROM directory.units WHERE name = $1`, [body.name]))[0]
        .n,
    );

  it('replays the first answer for a repeated request and creates one unit', async () => {
    const headers = { 'idempotency-key': 'create-unit-0001' };
    const first = await dir.as('norrkoping.admin').post('/v1/units', body, headers);
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await dir.as('norrkoping.admin').post('/v1/units', body, headers);
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect(await units()).toBe(1);
  });

  it('refuses the same key with a different body with 422 idempotency-key-reused', async () => {
    const res = await dir
      .as('norrkoping.admin')
      .post(
        '/v1/units',
        { ...body, name: 'Annan enhet' },
        { 'idempotency-key': 'create-unit-0001' },
      );
    expectProblem(res, 422, 'idempotency-key-reused');
    expect(res.json().code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(
      Number(
        (await ds.query(`SELECT count(*) AS n FROM directory.units WHERE name = 'Annan enhet'`))[0]
          .n,
      ),
    ).toBe(0);
  });

  it("keeps keys apart per caller: another user's same key is a new request", async () => {
    const res = await dir
      .as('hub.admin')
      .post('/v1/units', body, { 'idempotency-key': 'create-unit-0001' });
    expect(res.statusCode).toBe(201);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    expect(await units()).toBe(2);
  });

  it('replays a refusal too, without a second audit entry', async () => {
    const headers = { 'idempotency-key': 'create-unit-denied-1' };
    const auditBefore = (await counts()).audit_log!;
    const first = await dir.as('police.admin').post('/v1/units', body, headers);
    expectProblem(first, 403, 'forbidden');
    const again = await dir.as('police.admin').post('/v1/units', body, headers);
    expect(again.statusCode).toBe(403);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect((await counts()).audit_log).toBe(auditBefore + 1);
  });

  it.each(['short', 'has space in it', 'ünïcödé-key', long(201)])(
    'refuses a malformed key %j with 400',
    async (key) => {
      const before = await counts();
      const res = await dir
        .as('norrkoping.admin')
        .post('/v1/units', { ...body, name: 'Med trasig nyckel' }, { 'idempotency-key': key });
      expectProblem(res, 400, 'validation-error');
      expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(
        'headers.idempotency-key',
      );
      expect(await counts()).toEqual(before);
    },
  );
});

describe('types in bodies are exact; path and query values are coerced from text', () => {
  it.each([
    ['a number for a string', { ...validUnit, name: 123 }, 'body.name'],
    ['a string for an array', { ...validUnit, capabilities: 'support_talks' }, 'body.capabilities'],
    [
      'a string for a boolean',
      { ...validUnit, openingHours: { ...validUnit.openingHours, open247: 'true' } },
      'body.openingHours.open247',
    ],
  ])('refuses %s in a body', async (_label, body, field) => {
    const res = await dir.as('norrkoping.admin').post('/v1/units', body);
    expect(res.statusCode).toBe(400);
    expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('still reads numbers, booleans and repeated values from the query string', async () => {
    const res = await dir
      .as('police.officer')
      .get('/v1/units?limit=2&open247=true&capability=response_24_7');
    expect(res.statusCode).toBe(200);
    expect(res.json().items.length).toBeLessThanOrEqual(2);
  });

  it('takes member ids as long as the contract allows, in the path too', async () => {
    const userId = `member.${'x'.repeat(180)}`;
    const added = await dir
      .as('norrkoping.admin')
      .post(`/v1/units/${ID}/members`, { userId, roles: ['caseworker'] });
    expect(added.statusCode).toBe(201);
    const removed = await dir
      .as('norrkoping.admin')
      .delete(`/v1/units/${ID}/members/${encodeURIComponent(userId)}`);
    expect(removed.statusCode).toBe(204);
  });
});
