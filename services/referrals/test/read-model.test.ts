/**
 * The referrals service knows the directory only through its events: units (kind, status,
 * on-call unit, coverage, encryption keys), their members, and trusted token issuers.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { DEMO_ORGANISATIONS as O, DEMO_UNITS as U, readModelIssuerSource } from '@samverkan/shared';
import { eventually } from '@samverkan/shared/src/testing';
import { directoryReadModelConsumer } from '../src/read-model/directory-read-model';
import { buildHub, type TestHub } from './helpers/build';

let hub: TestHub;
beforeAll(async () => {
  hub = await buildHub();
});
afterAll(async () => {
  await hub?.close();
});

it('holds every seeded unit with its organisation kind, on-call unit, coverage and encryption keys', async () => {
  const units = await hub.referrals.context.directory.units([
    U.frideborg,
    U.novahuset,
    U.coordinator,
  ]);
  expect(units.get(U.frideborg)).toMatchObject({
    organisationId: O.norrkoping,
    organisationKind: 'social_services',
    status: 'active',
    onCallUnitId: U.socialjour,
    coverage: ['0581'],
  });
  expect(units.get(U.frideborg)!.activeEncryptionKids).toEqual([
    hub.keys.units[U.frideborg]!.enc.kid,
  ]);
  expect(units.get(U.novahuset)!.organisationKind).toBe('ngo');
  expect(await hub.referrals.context.directory.coordinatorUnits('0581')).toEqual([U.coordinator]);
});

it('follows unit changes and the issuers a hub admin registers, disables and deletes', async () => {
  const res = await hub.app.inject({
    method: 'PATCH',
    url: `/v1/units/${U.frideborg}`,
    headers: {
      authorization: `Bearer ${await hub.app.platform.devIssuer!.mint({ sub: 'norrkoping.admin', org: O.norrkoping, units: [], roles: ['org_admin'] })}`,
    },
    payload: { status: 'inactive' },
  });
  expect(res.statusCode).toBe(200);
  await eventually(async () =>
    (await hub.referrals.context.directory.units([U.frideborg])).get(U.frideborg)?.status ===
    'inactive'
      ? true
      : undefined,
  );

  const source = readModelIssuerSource(hub.referrals.context.dataSource);
  const pem = generateKeyPairSync('ed25519')
    .publicKey.export({ type: 'spki', format: 'pem' })
    .toString();
  const created = await hub.as('hub.admin').post('/v1/issuers', {
    issuer: 'https://idp.novahuset.example',
    organisationIds: [O.novahuset],
    keySource: 'pem',
    publicKeyPem: pem,
  });
  expect(created.statusCode).toBe(201);
  const known = await eventually(
    async () => (await source.find('https://idp.novahuset.example')) ?? undefined,
  );
  expect(known).toMatchObject({
    organisationIds: [O.novahuset],
    keySource: 'pem',
    publicKeyPem: pem,
    algorithms: ['EdDSA'],
  });

  const removed = await hub.app.inject({
    method: 'DELETE',
    url: `/v1/issuers/${created.json().id}`,
    headers: {
      authorization: `Bearer ${await hub.app.platform.devIssuer!.mint({ sub: 'hub.admin', org: O.hub, units: [], roles: ['hub_admin'] })}`,
    },
  });
  expect(removed.statusCode).toBe(204);
  await eventually(async () => {
    source.clear();
    return (await source.find('https://idp.novahuset.example')) === undefined ? true : undefined;
  });
});

it('learns unit members from the directory, and an old event arriving late changes nothing', async () => {
  const directory = hub.referrals.context.directory;
  expect(await directory.isMember(U.socialjour, 'socialjour.caseworker')).toBe(true);
  expect(await directory.isMember(U.socialjour, 'frideborg.caseworker')).toBe(false);

  const admin = await hub.app.platform.devIssuer!.mint({
    sub: 'norrkoping.admin',
    org: O.norrkoping,
    units: [],
    roles: ['org_admin'],
  });
  const added = await hub.as('norrkoping.admin').post(`/v1/units/${U.socialjour}/members`, {
    userId: 'socialjour.night',
    roles: ['caseworker'],
  });
  expect(added.statusCode).toBe(201);
  await eventually(async () =>
    (await directory.isMember(U.socialjour, 'socialjour.night')) ? true : undefined,
  );
  const removed = await hub.app.inject({
    method: 'DELETE',
    url: `/v1/units/${U.socialjour}/members/socialjour.night`,
    headers: { authorization: `Bearer ${admin}` },
  });
  expect(removed.statusCode).toBe(204);
  await eventually(async () =>
    (await directory.isMember(U.socialjour, 'socialjour.night')) ? undefined : true,
  );

  // A redelivered member_added from before the removal does not bring the member back.
  await hub.referrals.context.dataSource.transaction((tx) =>
    directoryReadModelConsumer().handle(
      {
        id: randomUUID(),
        type: 'samverkan.directory.unit.member_added',
        source: 'directory',
        time: new Date(Date.now() - 3_600_000).toISOString(),
        data: { unitId: U.socialjour, userId: 'socialjour.night', roles: ['caseworker'] },
      },
      tx,
    ),
  );
  expect(await directory.isMember(U.socialjour, 'socialjour.night')).toBe(false);
});
