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
import {
  generateRecoveryKey,
  recoveryHolder,
  sealKeyBox,
  signDeviceBinding,
} from '@samverkan/sdk/src/crypto/device-keys';
import type { FastifyBaseLogger } from 'fastify';
import { IsNull } from 'typeorm';
import { RecoveryKeyEntity } from '../devices/entities';
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
import { readDevKeyStore, writeDevKeyStore, writeRecoverySheet } from './dev-key-store';

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

  // Keys are made together (key generation runs on libuv's threads, in parallel) and the private
  // halves written to the key store once, before any public half is registered: an interrupted
  // seed never leaves a registered key whose private half is lost.
  const needRoot: string[] = [];
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
    if (!hasRoot || !store.roots[id]) {
      needRoot.push(id);
    }
  }
  if (needRoot.length > 0) {
    const roots = await Promise.all(needRoot.map(() => generateRootKey()));
    needRoot.forEach((id, i) => (store.roots[id] = roots[i]!));
    writeDevKeyStore(options.dataDir, store);
    for (const id of needRoot) {
      const root = store.roots[id]!;
      await directory.keys.registerRootKey(SEED_PRINCIPAL, id, {
        jwk: root.publicJwk as Record<string, unknown>,
        fingerprint: root.kid,
      });
    }
  }

  const needUnitKeys: typeof DEMO_UNIT_SEEDS = [];
  for (const seed of DEMO_UNIT_SEEDS) {
    const { id, ...input } = seed;
    if (!(await ds.getRepository(UnitEntity).existsBy({ id }))) {
      await directory.units.create(SEED_PRINCIPAL, input, id);
      created += 1;
    }
    const active = await ds.getRepository(UnitKeyEntity).countBy({ unitId: id, status: 'active' });
    if (active < 2 || !store.units[id]) {
      needUnitKeys.push(seed);
    }
  }
  if (needUnitKeys.length > 0) {
    const pairs = await Promise.all(
      needUnitKeys.map(async () => ({
        enc: await generateUnitEncryptionKey(),
        sig: await generateUnitSigningKey(),
      })),
    );
    needUnitKeys.forEach((seed, i) => {
      // New unit keys: the unit's recovery box (below) must hold them, so it is made anew.
      delete store.recovery?.[seed.id];
      store.units[seed.id] = pairs[i]!;
    });
    writeDevKeyStore(options.dataDir, store);
    const signed = await Promise.all(
      needUnitKeys.map((seed) =>
        Promise.all(
          (['enc', 'sig'] as const).map((use) =>
            signUnitKey(store.roots[seed.organisationId]!, {
              unit: seed.id,
              org: seed.organisationId,
              use,
              jwk: store.units[seed.id]![use].publicJwk,
            }),
          ),
        ),
      ),
    );
    for (const [i, seed] of needUnitKeys.entries()) {
      for (const key of signed[i]!) {
        await directory.keys.publishUnitKey(SEED_PRINCIPAL, seed.id, key);
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

  await seedRecoveryKeys(directory, options.dataDir, store);

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

/** The seed acting as each organisation's admin (its client holds the root and unit keys). */
function seedOrgAdmin(organisationId: string): Principal {
  return {
    sub: 'system:seed',
    iss: 'samverkan',
    org: organisationId,
    units: [],
    roles: ['org_admin'],
    hubAdmin: false,
  };
}

/**
 * Gives every demo unit a recovery key, as an organisation admin does once per unit
 * (`samverkan unit recovery-key`): the hub gets the public half, a binding and a box it cannot
 * open; the secret goes on the demo's recovery sheet (`<data>/dev-keys/recovery-keys.txt`). With it
 * the organisation admin approves the first browser of a unit in the web app, so `npm start`
 * needs no command line to get a browser that reads referrals. The box carries the demo's root
 * pins (every seeded organisation, as `keys import-dev` pins them) on to each device it approves.
 */
async function seedRecoveryKeys(
  directory: DirectoryServices,
  dataDir: string,
  store: ReturnType<typeof readDevKeyStore>,
): Promise<void> {
  const ds = directory.context.dataSource;
  const recovery = (store.recovery ??= {});
  const pins = Object.fromEntries(Object.entries(store.roots).map(([org, r]) => [org, [r.kid]]));
  const stale: typeof DEMO_UNIT_SEEDS = [];
  for (const seed of DEMO_UNIT_SEEDS) {
    const current = await ds
      .getRepository(RecoveryKeyEntity)
      .findOneBy({ unitId: seed.id, replacedAt: IsNull() });
    if (!current || recovery[seed.id]?.kid !== current.kid) {
      stale.push(seed);
    }
  }
  // What the organisation admin's client computes, for every unit at once (crypto on libuv's
  // threads); then handed to the hub one unit at a time, as the admin would.
  const prepared = await Promise.all(
    stale.map(async (seed) => {
      const keys = store.units[seed.id]!;
      const key = await generateRecoveryKey();
      const holder = recoveryHolder(key.kid);
      const admin = seedOrgAdmin(seed.organisationId);
      const signing = { kid: keys.sig.kid, privateKey: keys.sig.privateJwk };
      const [binding, box] = await Promise.all([
        signDeviceBinding(signing, {
          iss: seed.id,
          org: seed.organisationId,
          sub: holder.id,
          cnf: { enc: key.kid },
          approvedBy: { iss: admin.iss, sub: admin.sub },
        }),
        sealKeyBox({
          unitId: seed.id,
          organisationId: seed.organisationId,
          holder,
          holderEncryptionJwk: key.publicJwk,
          keys: { enc: [keys.enc], sig: [keys.sig] },
          pins,
          unitSigningKey: signing,
        }),
      ]);
      return { seed, key, admin, binding, box };
    }),
  );
  let changed = false;
  for (const { seed, key, admin, binding, box } of prepared) {
    await directory.devices.setRecoveryKey(admin, undefined, seed.id, {
      jwk: { kty: 'OKP', crv: 'X25519', x: String(key.publicJwk.x) },
      binding,
      box,
    });
    recovery[seed.id] = { kid: key.kid, secret: key.secret };
    changed = true;
  }
  if (changed) {
    writeDevKeyStore(dataDir, store);
  }
  writeRecoverySheet(
    dataDir,
    DEMO_UNIT_SEEDS.map((u) => ({
      unit: u.name,
      organisation:
        DEMO_ORGANISATION_SEEDS.find((o) => o.id === u.organisationId)?.name ?? u.organisationId,
      secret: recovery[u.id]?.secret ?? '',
    })),
  );
}
