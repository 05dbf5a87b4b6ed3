import {
  DEFAULT_HUB_ORGANISATION_ID,
  DEMO_UNITS,
  DEMO_USERS,
  generateRootKey,
  generateUnitEncryptionKey,
  generateUnitSigningKey,
  signUnitKey,
  type Principal,
} from '@samverkan/shared';
import type { FastifyBaseLogger } from 'fastify';
import {
  MemberEntity,
  OrganisationEntity,
  RootKeyEntity,
  ShiftEntity,
  UnitEntity,
  UnitKeyEntity,
} from '../entities';
import type { DirectoryServices } from '../app';
import { DEMO_ORGANISATION_SEEDS, DEMO_UNIT_SEEDS } from './demo-directory.data';
import { readDevKeyStore, writeDevKeyStore } from './dev-key-store';

const SEED_PRINCIPAL: Principal = {
  sub: 'system:seed',
  iss: 'samverkan',
  org: DEFAULT_HUB_ORGANISATION_ID,
  units: [],
  roles: ['hub_admin'],
  hubAdmin: true,
};

/** Units whose seeded caseworker is kept on shift, so "who is on duty now" has an answer. */
const ON_CALL = [
  { unitId: DEMO_UNITS.socialjour, userId: 'socialjour.caseworker' },
  { unitId: DEMO_UNITS.elsa, userId: 'elsa.caseworker' },
];

/**
 * Loads the demo directory (docs/architecture.md#the-demo-directory) through the directory's own services, so it gets
 * events, audit entries and key-log entries like any other change. Each step checks what is
 * there already, so it is safe to run on every start and to resume after an interrupted run.
 */
export async function seedDemoDirectory(
  directory: DirectoryServices,
  options: { dataDir: string; log: FastifyBaseLogger },
): Promise<{ created: number }> {
  const ds = directory.context.dataSource;
  let created = 0;
  const store = readDevKeyStore(options.dataDir);

  for (const seed of DEMO_ORGANISATION_SEEDS) {
    const { id, ...input } = seed;
    if (!(await ds.getRepository(OrganisationEntity).existsBy({ id }))) {
      await directory.organisations.create(SEED_PRINCIPAL, input, id);
      created += 1;
    }
    // The demo's authorities stand for real ones whose numbers an operator would have checked.
    const org = await ds.getRepository(OrganisationEntity).findOneByOrFail({ id });
    if (org.numberVerifiedAt === null) {
      await directory.organisations.verifyNumber(SEED_PRINCIPAL, id);
    }
    const hasRoot = await ds
      .getRepository(RootKeyEntity)
      .existsBy({ organisationId: id, status: 'active' });
    const stored = store.roots[id];
    if (!hasRoot || !stored) {
      const root = await generateRootKey();
      store.roots[id] = root;
      writeDevKeyStore(options.dataDir, store);
      await directory.keys.registerRootKey(SEED_PRINCIPAL, id, {
        jwk: root.publicJwk as Record<string, unknown>,
        fingerprint: root.kid,
      });
    }
  }

  for (const seed of DEMO_UNIT_SEEDS) {
    const { id, ...input } = seed;
    if (!(await ds.getRepository(UnitEntity).existsBy({ id }))) {
      await directory.units.create(SEED_PRINCIPAL, input, id);
      created += 1;
    }
    const active = await ds.getRepository(UnitKeyEntity).countBy({ unitId: id, status: 'active' });
    if (active < 2 || !store.units[id]) {
      const root = store.roots[seed.organisationId]!;
      const pair = { enc: await generateUnitEncryptionKey(), sig: await generateUnitSigningKey() };
      store.units[id] = pair;
      writeDevKeyStore(options.dataDir, store);
      for (const use of ['enc', 'sig'] as const) {
        const signed = await signUnitKey(root, {
          unit: id,
          org: seed.organisationId,
          use,
          jwk: pair[use].publicJwk,
        });
        await directory.keys.publishUnitKey(SEED_PRINCIPAL, id, signed);
      }
    }
  }

  for (const user of Object.values(DEMO_USERS)) {
    for (const unitId of user.units) {
      if (!(await ds.getRepository(MemberEntity).existsBy({ unitId, userId: user.sub }))) {
        await directory.rosters.addMember(SEED_PRINCIPAL, unitId, {
          userId: user.sub,
          roles: user.roles,
        });
        created += 1;
      }
    }
  }

  // Keep someone on call at the 24/7 units: top up to a shift covering the next 12 hours.
  const now = Date.now();
  for (const { unitId, userId } of ON_CALL) {
    const covered = await ds
      .getRepository(ShiftEntity)
      .createQueryBuilder('s')
      .where(
        's.unit_id = :unitId AND s.user_id = :userId AND s.starts_at <= :from AND s.ends_at >= :until',
        {
          unitId,
          userId,
          from: new Date(now),
          until: new Date(now + 12 * 3_600_000),
        },
      )
      .getExists();
    if (!covered) {
      await directory.rosters.createShift(SEED_PRINCIPAL, unitId, {
        userId,
        startsAt: new Date(now - 60_000).toISOString(),
        endsAt: new Date(now + 24 * 3_600_000).toISOString(),
      });
    }
  }
  if (created > 0) {
    options.log.info({ created }, 'demo directory seeded');
  }
  return { created };
}
