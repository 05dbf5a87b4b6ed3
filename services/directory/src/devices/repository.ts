import { In, IsNull, LessThan, Not, type DataSource, type EntityManager } from 'typeorm';
import { MemberEntity, UnitKeyEntity } from '../entities';
import { DeviceProofEntity } from './device-proof.entity';
import { DeviceUnitEntity } from './device-unit.entity';
import { DeviceEntity } from './device.entity';
import { KeyBoxEntity } from './key-box.entity';
import { RecoveryKeyEntity } from './recovery-key.entity';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Every statement about devices, their standings with units, key boxes, recovery keys and DPoP
 * proofs (issue 15: repositories are the only place SQL lives). Reads take the data source's
 * manager unless a write's transaction is passed: embedded PGlite has one connection, so a read
 * on another one inside a write would wait for the transaction that waits for it.
 */
export function createDevicesRepository(ds: DataSource) {
  const tables = {
    devices: ds.getMetadata(DeviceEntity).tablePath,
    deviceUnits: ds.getMetadata(DeviceUnitEntity).tablePath,
    recoveryKeys: ds.getMetadata(RecoveryKeyEntity).tablePath,
    proofs: ds.getMetadata(DeviceProofEntity).tablePath,
  };

  return {
    device(id: string, db: EntityManager = ds.manager): Promise<DeviceEntity | null> {
      return db.findOneBy(DeviceEntity, { id });
    },

    deviceBySigningKey(sigKid: string): Promise<DeviceEntity | null> {
      return ds.manager.findOneBy(DeviceEntity, { sigKid });
    },

    async keyTaken(sigKid: string, encKid: string): Promise<boolean> {
      return ds.manager.exists(DeviceEntity, { where: [{ sigKid }, { encKid }] });
    },

    devicesOf(issuer: string, subject: string): Promise<DeviceEntity[]> {
      return ds.manager.find(DeviceEntity, {
        where: { issuer, subject },
        order: { enrolledAt: 'DESC', id: 'ASC' },
        take: 200,
      });
    },

    standings(deviceId: string, db: EntityManager = ds.manager): Promise<DeviceUnitEntity[]> {
      return db.findBy(DeviceUnitEntity, { deviceId });
    },

    standingsOf(deviceIds: string[]): Promise<DeviceUnitEntity[]> {
      return deviceIds.length === 0
        ? Promise.resolve([])
        : ds.manager.findBy(DeviceUnitEntity, { deviceId: In(deviceIds) });
    },

    standing(deviceId: string, unitId: string): Promise<DeviceUnitEntity | null> {
      return ds.manager.findOneBy(DeviceUnitEntity, { deviceId, unitId });
    },

    /** Whether the device is approved for the unit. */
    approvedFor(deviceId: string, unitId: string): Promise<boolean> {
      return ds.manager.exists(DeviceUnitEntity, {
        where: { deviceId, unitId, status: 'approved' },
      });
    },

    /** Whether the person has a device approved for the unit. */
    async hasApprovedDevice(unitId: string, issuer: string, subject: string): Promise<boolean> {
      const rows = (await ds.query(
        `SELECT 1 FROM ${tables.deviceUnits} du JOIN ${tables.devices} d ON d.id = du.device_id
          WHERE du.unit_id = $1 AND du.status = 'approved' AND d.issuer = $2 AND d.subject = $3
          LIMIT 1`,
        [unitId, issuer, subject],
      )) as unknown[];
      return rows.length > 0;
    },

    /** The person's membership of the unit (the members table knows people by subject) and the unit's purpose, in one statement. */
    async membership(
      unitId: string,
      subject: string,
    ): Promise<{ roles: string[]; unitPurpose: string } | null> {
      const member = await ds.manager.findOne(MemberEntity, {
        where: { unitId, userId: subject },
        relations: { unit: true },
      });
      return member?.unit ? { roles: member.roles, unitPurpose: member.unit.purpose } : null;
    },

    /** The unit's active signing keys: those a device binding may be signed with. */
    unitSigningKeys(unitId: string): Promise<UnitKeyEntity[]> {
      return ds.manager.findBy(UnitKeyEntity, { unitId, use: 'sig', status: 'active' });
    },

    /**
     * The key each named holder's box must be sealed to, in one statement: `device:<id>` → the
     * encryption key of a device approved for the unit, `recovery:<kid>` → the unit's current
     * recovery key. Holders that are neither are absent.
     */
    async boxHolderKids(
      unitId: string,
      holders: Array<{ holder: 'device' | 'recovery'; holderId: string }>,
    ): Promise<Map<string, string>> {
      const deviceIds = holders
        .filter((h) => h.holder === 'device' && UUID.test(h.holderId))
        .map((h) => h.holderId);
      const recoveryKids = holders.filter((h) => h.holder === 'recovery').map((h) => h.holderId);
      const rows = (await ds.query(
        `SELECT 'device:' || du.device_id AS holder, d.enc_kid AS kid
           FROM ${tables.deviceUnits} du JOIN ${tables.devices} d ON d.id = du.device_id
          WHERE du.unit_id = $1 AND du.status = 'approved' AND du.device_id = ANY($2::uuid[])
         UNION ALL
         SELECT 'recovery:' || r.kid, r.kid
           FROM ${tables.recoveryKeys} r
          WHERE r.unit_id = $1 AND r.replaced_at IS NULL AND r.kid = ANY($3::text[])`,
        [unitId, deviceIds, recoveryKids],
      )) as Array<{ holder: string; kid: string }>;
      return new Map(rows.map((r) => [r.holder, r.kid]));
    },

    recoveryKeyExists(kid: string): Promise<boolean> {
      return ds.manager.exists(RecoveryKeyEntity, { where: { kid } });
    },

    async currentRecoveryKey(unitId: string): Promise<RecoveryKeyEntity | null> {
      const [recovery] = await ds.manager.find(RecoveryKeyEntity, {
        where: { unitId, replacedAt: IsNull() },
        order: { createdAt: 'DESC' },
        take: 1,
      });
      return recovery ?? null;
    },

    async newestBox(
      holderType: 'device' | 'recovery',
      holderId: string,
      unitId: string,
    ): Promise<KeyBoxEntity | null> {
      const [box] = await ds.manager.find(KeyBoxEntity, {
        where: { holderType, holderId, unitId },
        order: { createdAt: 'DESC' },
        take: 1,
      });
      return box ?? null;
    },

    /** When each holder of the unit last got a box. */
    async boxTimes(unitId: string): Promise<Map<string, Date>> {
      const rows = (await ds.manager
        .createQueryBuilder(KeyBoxEntity, 'b')
        .select('b.holder_id', 'holderId')
        .addSelect('max(b.created_at)', 'at')
        .where('b.unit_id = :unitId', { unitId })
        .groupBy('b.holder_id')
        .getRawMany()) as Array<{ holderId: string; at: Date | string }>;
      return new Map(rows.map((b) => [b.holderId, new Date(b.at)]));
    },

    /** The unit's devices, first enrolled first, with the device of each standing. */
    unitStandings(unitId: string): Promise<DeviceUnitEntity[]> {
      return ds.manager.find(DeviceUnitEntity, {
        where: { unitId },
        relations: { device: true },
        order: { enrolledAt: 'ASC' },
        take: 1000,
      });
    },

    /** Whether the unit's active keys are older than its last revocation of an approved device. */
    async rotationState(unitId: string, db: EntityManager = ds.manager) {
      const last = (await db
        .createQueryBuilder(DeviceUnitEntity, 'du')
        .select('max(du.revoked_at)', 'at')
        .where(
          'du.unit_id = :unitId AND du.approved_at IS NOT NULL AND du.revoked_at IS NOT NULL',
          {
            unitId,
          },
        )
        .getRawOne()) as { at: Date | string | null } | undefined;
      const lastRevocationAt = last?.at ? new Date(last.at) : null;
      const stale = lastRevocationAt
        ? await db.countBy(UnitKeyEntity, {
            unitId,
            status: 'active',
            publishedAt: LessThan(lastRevocationAt),
          })
        : 0;
      return { lastRevocationAt, rotationRequired: stale > 0 };
    },

    /** Records a DPoP proof's jti; false when it was seen before (any replica: the table is shared). */
    async recordProof(jti: string, sigKid: string): Promise<boolean> {
      const inserted = (await ds.query(
        `INSERT INTO ${tables.proofs} (jti, sig_kid, seen_at) VALUES ($1, $2, now())
         ON CONFLICT (jti) DO NOTHING RETURNING jti`,
        [jti, sigKid],
      )) as unknown[];
      return inserted.length > 0;
    },

    async pruneProofs(before: Date): Promise<void> {
      await ds.manager.delete(DeviceProofEntity, { seenAt: LessThan(before) });
    },

    // --- inside a write's transaction ---------------------------------------------------------

    /** Inserts the device; false when another request enrolled the same key at the same moment. */
    async insertDevice(
      tx: EntityManager,
      device: DeviceEntity,
      standings: DeviceUnitEntity[],
    ): Promise<boolean> {
      try {
        await tx.insert(DeviceEntity, device);
      } catch (err) {
        if ((err as { driverError?: { code?: string } }).driverError?.code === '23505') {
          return false;
        }
        throw err;
      }
      if (standings.length > 0) {
        await tx.insert(DeviceUnitEntity, standings);
      }
      return true;
    },

    lockStanding(
      tx: EntityManager,
      deviceId: string,
      unitId: string,
    ): Promise<DeviceUnitEntity | null> {
      return tx.findOne(DeviceUnitEntity, {
        where: { deviceId, unitId },
        lock: { mode: 'pessimistic_write' },
      });
    },

    lockLiveStandings(
      tx: EntityManager,
      deviceId: string,
      unitIds: string[],
    ): Promise<DeviceUnitEntity[]> {
      return tx.find(DeviceUnitEntity, {
        where: { deviceId, unitId: In(unitIds), status: Not('revoked') },
        lock: { mode: 'pessimistic_write' },
      });
    },

    /** The live standings with the unit of the devices of a person (by subject), locked. */
    lockMemberStandings(
      tx: EntityManager,
      unitId: string,
      subject: string,
    ): Promise<DeviceUnitEntity[]> {
      return tx
        .createQueryBuilder(DeviceUnitEntity, 'du')
        .innerJoinAndSelect('du.device', 'd')
        .where('du.unit_id = :unitId AND d.subject = :subject AND du.status <> :revoked', {
          unitId,
          subject,
          revoked: 'revoked',
        })
        .setLock('pessimistic_write', undefined, ['du'])
        .getMany();
    },

    async saveStandings(tx: EntityManager, standings: DeviceUnitEntity[]): Promise<void> {
      for (const { device: _device, unit: _unit, ...row } of standings) {
        await tx.save(DeviceUnitEntity, row);
      }
    },

    async insertBoxes(tx: EntityManager, boxes: KeyBoxEntity[]): Promise<void> {
      if (boxes.length > 0) {
        await tx.insert(KeyBoxEntity, boxes);
      }
    },

    /** The unit's new recovery key replaces its current one. */
    async replaceRecoveryKey(tx: EntityManager, key: RecoveryKeyEntity): Promise<void> {
      await tx.update(
        RecoveryKeyEntity,
        { unitId: key.unitId, replacedAt: IsNull() },
        { replacedAt: key.createdAt },
      );
      await tx.insert(RecoveryKeyEntity, key);
    },
  };
}

export type DevicesRepository = ReturnType<typeof createDevicesRepository>;
