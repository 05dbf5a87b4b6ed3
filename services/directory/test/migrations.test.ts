import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { describeMigrations, describeRepositorySync } from '@samverkan/shared/src/testing';
import { createDevicesRepository } from '../src/devices/repository';
import { DIRECTORY_ENTITIES } from '../src/entities';
import { createKeysRepository } from '../src/keys/repository';
import { DIRECTORY_MIGRATIONS } from '../src/migrations';
import { createIssuersRepository } from '../src/issuers/repository';
import { createOrganisationsRepository } from '../src/organisations/repository';
import { createRostersRepository } from '../src/rosters/repository';
import { NameIndex } from '../src/units/name-index';
import { createUnitsRepository } from '../src/units/units.repository';

describeMigrations({
  schema: 'directory',
  entities: DIRECTORY_ENTITIES,
  migrations: DIRECTORY_MIGRATIONS,
});

// The hand-written reads, recorded while they run on the migrated (empty) schema, name only
// columns the entities map, with the entities' types (shared/src/testing/repository-sync.ts).
describeRepositorySync({
  schema: 'directory',
  entities: DIRECTORY_ENTITIES,
  migrations: DIRECTORY_MIGRATIONS,
  async exercise(ds) {
    const units = createUnitsRepository(ds);
    await units.view(randomUUID());
    // Every filter at once, and a cursor: each adds its own condition to the statement.
    const everyFilter = {
      q: 'skyddat boende',
      capability: ['trafficking_support', 'protected_housing'],
      municipality: '0581',
      county: '05',
      policeRegion: 'ost',
      organisationKind: 'social_services',
      organisationId: randomUUID(),
      ageBand: 'adult',
      gender: 'female',
      language: 'sv',
      openNow: true,
      open247: false,
      status: 'active' as const,
      limit: 25,
    };
    const after = { n: 'Frideborg', i: randomUUID() };
    await units.search(everyFilter, after);
    // The reads run on the pool (poolQuery), which the recording does not see: the same
    // statements through the data source.
    await ds.query(units.statements.view, [randomUUID()]);
    const search = units.statements.search(everyFilter, after);
    await ds.query(search.sql, search.params);
    await exerciseKeysRepository(ds);
    await exerciseOrganisationsRepository(ds);
    await exerciseRostersRepository(ds);
    const issuers = createIssuersRepository(ds);
    await issuers.all();
    await issuers.find(randomUUID());
    await issuers.byIssuer('https://idp.example');
    await issuers.activeByIssuer('https://idp.example');
    await issuers.countOrganisations([randomUUID()]);
    await units.unit(randomUUID());
    await units.organisation(randomUUID());
    await ds.transaction(async (tx) => {
      await units.onCallCandidate(tx, randomUUID());
      await units.auditUnitIdOf(tx, randomUUID());
    });
    await exerciseDevicesRepository(ds);
    // The look-alike index reads every name (and their version) when their version is new to it.
    await new NameIndex(ds, {
      organisations: 'directory.organisations',
      units: 'directory.units',
      namesVersion: 'directory.names_version',
    }).mistakable(1, [
      { id: randomUUID(), name: 'Frideborg', organisationId: randomUUID(), orgName: 'Norrköping' },
    ]);
  },
});

/** Every statement of the devices' repository, reads and (rolled-back) writes alike. */
async function exerciseDevicesRepository(ds: DataSource): Promise<void> {
  const devices = createDevicesRepository(ds);
  const [unitId, deviceId] = [randomUUID(), randomUUID()];
  await devices.device(deviceId);
  await devices.deviceBySigningKey('kid');
  await devices.keyTaken('sig', 'enc');
  await devices.devicesOf('https://idp.example', 'sub');
  await devices.standings(deviceId);
  await devices.standingsOf([deviceId]);
  await devices.standing(deviceId, unitId);
  await devices.approvedFor(deviceId, unitId);
  await devices.hasApprovedDevice(unitId, 'https://idp.example', 'sub');
  await devices.membership(unitId, 'sub');
  await devices.unitSigningKeys(unitId);
  await devices.boxHolderKids(unitId, [
    { holder: 'device', holderId: deviceId },
    { holder: 'recovery', holderId: 'kid' },
  ]);
  await devices.recoveryKeyExists('kid');
  await devices.currentRecoveryKey(unitId);
  await devices.newestBox('device', deviceId, unitId);
  await devices.boxTimes(unitId);
  await devices.unitStandings(unitId);
  await devices.rotationState(unitId);
  await devices.pruneProofs(new Date());
  await ds.transaction(async (tx) => {
    await devices.lockStanding(tx, deviceId, unitId);
    await devices.lockLiveStandings(tx, deviceId, [unitId]);
    await devices.lockMemberStandings(tx, unitId, 'sub');
    await devices.saveStandings(tx, []);
  });
}

/** Every statement of the keys' repository, with the key log's chain link (rolled back). */
async function exerciseKeysRepository(ds: DataSource): Promise<void> {
  const keys = createKeysRepository(ds);
  const [unitId, organisationId] = [randomUUID(), randomUUID()];
  await keys.activeKeys([randomUUID(), randomUUID()]);
  await keys.rootKey('kid');
  await keys.rootKeysOf(organisationId);
  await keys.unitKeyExists('kid');
  await keys.unitKeysOf(unitId);
  await keys.unitKeysOf(unitId, 'active');
  await keys.keyLogPage(0, 10);
  await ds
    .transaction(async (tx) => {
      await keys.lockRootKey(tx, organisationId, 'kid');
      await keys.lockUnitKey(tx, unitId, 'kid');
      await keys.activeKeysOf(tx, unitId);
      await keys.appendKeyLog(
        tx,
        {
          action: 'key_retired',
          organisationId,
          unitId,
          kid: 'kid',
          use: 'enc',
          document: {},
          actor: 'sub',
          actorIssuer: 'https://idp.example',
        },
        new Date(),
      );
      throw new Error('rolled back');
    })
    .catch((err: unknown) => {
      if ((err as Error).message !== 'rolled back') {
        throw err;
      }
    });
}

/** Every statement of the organisations' repository (writes in a rolled-back transaction). */
async function exerciseOrganisationsRepository(ds: DataSource): Promise<void> {
  const organisations = createOrganisationsRepository(ds);
  const id = randomUUID();
  await organisations.find(id);
  await organisations.list(
    { kind: 'social_services', county: '05', q: 'boende_%', limit: 10 },
    { name: 'Frideborg', id },
  );
  await ds.transaction(async (tx) => {
    await organisations.ancestors(tx, randomUUID(), id);
    await organisations.otherNames(tx, id);
  });
}

/** Every statement of the rosters' repository (writes in a transaction, on no rows). */
async function exerciseRostersRepository(ds: DataSource): Promise<void> {
  const rosters = createRostersRepository(ds);
  const unitId = randomUUID();
  await rosters.members(unitId);
  await rosters.member(unitId, 'sub');
  await rosters.shiftsOverlapping(unitId, new Date(0), new Date());
  await rosters.shift(unitId, randomUUID());
  await rosters.onDuty(unitId, new Date());
  await ds.transaction(async (tx) => {
    await rosters.removeMember(tx, unitId, 'sub', new Date());
    await rosters.deleteShift(tx, randomUUID());
  });
}
