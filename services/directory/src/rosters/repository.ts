import { LessThan, MoreThan, type DataSource, type EntityManager } from 'typeorm';
import { MemberEntity, ShiftEntity } from '../entities';
import type { OnDutyRow } from '../domain/rosters';

/** Every statement about members and shifts (issue 15: repositories are the only place SQL lives). */
export function createRostersRepository(ds: DataSource) {
  const db = ds.manager;
  return {
    members(unitId: string): Promise<MemberEntity[]> {
      return db.find(MemberEntity, { where: { unitId }, order: { userId: 'ASC' }, take: 1000 });
    },

    member(unitId: string, userId: string, manager: EntityManager = db) {
      return manager.findOneBy(MemberEntity, { unitId, userId });
    },

    shiftsOverlapping(unitId: string, from: Date, to: Date): Promise<ShiftEntity[]> {
      return db.find(ShiftEntity, {
        where: { unitId, startsAt: LessThan(to), endsAt: MoreThan(from) },
        order: { startsAt: 'ASC' },
        take: 1000,
      });
    },

    shift(unitId: string, id: string): Promise<ShiftEntity | null> {
      return db.findOneBy(ShiftEntity, { id, unitId });
    },

    /** The shifts covering `at` with their member's roles, the longest-lasting first. */
    onDuty(unitId: string, at: Date): Promise<OnDutyRow[]> {
      return db
        .createQueryBuilder(ShiftEntity, 's')
        .innerJoin(MemberEntity, 'm', 'm.unit_id = s.unit_id AND m.user_id = s.user_id')
        .select([
          's.id AS "shiftId"',
          's.user_id AS "userId"',
          's.ends_at AS "until"',
          'm.roles AS "roles"',
        ])
        .where('s.unit_id = :unitId AND s.starts_at <= :at AND s.ends_at > :at', { unitId, at })
        .orderBy('s.ends_at', 'DESC')
        .getRawMany();
    },

    // --- inside a write's transaction ---------------------------------------------------------

    async saveMember(tx: EntityManager, member: MemberEntity): Promise<void> {
      await tx.save(MemberEntity, member);
    },

    /** Removes the member and their future shifts (they would look staffed with nobody there). */
    async removeMember(tx: EntityManager, unitId: string, userId: string, now: Date) {
      await tx.delete(MemberEntity, { unitId, userId });
      await tx.delete(ShiftEntity, { unitId, userId, startsAt: MoreThan(now) });
    },

    async insertShift(tx: EntityManager, shift: ShiftEntity): Promise<void> {
      await tx.insert(ShiftEntity, shift);
    },

    async deleteShift(tx: EntityManager, id: string): Promise<void> {
      await tx.delete(ShiftEntity, { id });
    },
  };
}

export type RostersRepository = ReturnType<typeof createRostersRepository>;
