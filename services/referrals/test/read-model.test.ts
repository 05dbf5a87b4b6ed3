/**
 * The referrals service knows the directory only through its events: units (kind, status,
 * on-call unit, coverage, encryption keys) and trusted token issuers.
 */
import { generateKeyPairSync } from 'node:crypto';
import { DEMO_ORGANISATIONS as O, DEMO_UNITS as U } from '@samverkan/shared';
import { eventually } from '@samverkan/shared/src/testing';
import { readModelIssuerSource } from '../src/read-model/directory-read-model';
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
