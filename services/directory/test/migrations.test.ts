import { randomUUID } from 'node:crypto';
import { describeMigrations, describeRepositorySync } from '@samverkan/shared/src/testing';
import { DIRECTORY_ENTITIES } from '../src/entities';
import { createKeysRepository } from '../src/keys/keys.repository';
import { DIRECTORY_MIGRATIONS } from '../src/migrations';
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
    await units.search(
      {
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
        status: 'active',
        limit: 25,
      },
      { n: 'Frideborg', i: randomUUID() },
    );
    await createKeysRepository(ds).activeKeys([randomUUID(), randomUUID()]);
    // The look-alike index reads every name when their fingerprint is new to it.
    await new NameIndex(ds, {
      organisations: 'directory.organisations',
      units: 'directory.units',
    }).mistakable('never seen', [
      { id: randomUUID(), name: 'Frideborg', organisationId: randomUUID(), orgName: 'Norrköping' },
    ]);
  },
});
