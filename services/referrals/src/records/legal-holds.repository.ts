import type { StatementBuilder } from '@samverkan/shared';
import type { DataSource, EntityManager } from 'typeorm';
import { DirectoryUnitEntity, ReferralEntity } from '../entities';
import type { HeldReferral, LegalHold } from './domain/legal-holds';
import { ContentPurgeEntity, LegalHoldEntity } from './records.entities';

type Row = Record<string, unknown>;

const dateOf = (ms: unknown) => new Date(Number(ms));

/**
 * Legal holds' storage (docs/retention.md): a referral with what the hold rules need — its
 * parties' organisations, every hold and its purge — in one statement, and the place and lift
 * statements, written as CTEs of the write pipeline's single statement.
 */
export function createLegalHoldsRepository(dataSource: DataSource) {
  const table = (entity: Parameters<DataSource['getRepository']>[0]) =>
    dataSource.getRepository(entity).metadata.tablePath;
  const referrals = table(ReferralEntity);
  const units = table(DirectoryUnitEntity);
  const holds = table(LegalHoldEntity);
  const purges = table(ContentPurgeEntity);
  const ms = (column: string) => `(extract(epoch FROM ${column}) * 1000)::float8`;

  return {
    /** The referral, its parties' organisations, its holds (oldest first) and its purge. */
    async load(
      id: string,
      manager: EntityManager = dataSource.manager,
    ): Promise<HeldReferral | null> {
      const [r] = (await manager.query(
        `SELECT r.id, r.sender_unit_id, r.recipient_unit_id, r.copy_unit_ids, r.status,
                r.closed_at, r.declined_at, r.updated_at,
                ARRAY(SELECT DISTINCT u.organisation_id::text FROM ${units} u
                       WHERE u.unit_id = r.sender_unit_id OR u.unit_id = r.recipient_unit_id
                          OR u.unit_id = ANY(r.copy_unit_ids)) AS party_orgs,
                COALESCE((SELECT json_agg(json_build_object(
                            'organisationId', h.organisation_id, 'reason', h.reason,
                            'reference', h.reference, 'placedBy', h.placed_by,
                            'placedByIssuer', h.placed_by_issuer,
                            'placedAt', ${ms('h.placed_at')}) ORDER BY h.placed_at)
                            FROM ${holds} h WHERE h.referral_id = r.id), '[]') AS holds,
                p.purged_at, p.timeline_purged_at
           FROM ${referrals} r
           LEFT JOIN ${purges} p ON p.object_type = 'referral' AND p.object_id = r.id
          WHERE r.id = $1`,
        [id],
      )) as Row[];
      if (!r) {
        return null;
      }
      return {
        id: String(r.id),
        senderUnitId: r.sender_unit_id as string,
        recipientUnitId: r.recipient_unit_id as string,
        copyUnitIds: r.copy_unit_ids as string[],
        status: r.status as string,
        closedAt: (r.closed_at as Date | null) ?? null,
        declinedAt: (r.declined_at as Date | null) ?? null,
        updatedAt: r.updated_at as Date,
        partyOrgs: r.party_orgs as string[],
        holds: (r.holds as Array<Row>).map((h) => ({
          organisationId: h.organisationId as string,
          reason: h.reason as string,
          reference: (h.reference as string | null) ?? null,
          placedBy: h.placedBy as string,
          placedByIssuer: (h.placedByIssuer as string | null) ?? null,
          placedAt: dateOf(h.placedAt),
        })),
        purge: r.purged_at
          ? {
              purgedAt: r.purged_at as Date,
              timelinePurgedAt: (r.timeline_purged_at as Date | null) ?? null,
            }
          : null,
      };
    },

    /**
     * Places (or replaces) `hold` on the referral unless its content is purged. The referral row
     * is locked `FOR SHARE` (the purger, which skips locked rows, leaves it alone) and its
     * envelope's purge marker is looked at on the row as locked, so a purge that committed while
     * the statement waited is seen. Guard CTE: `hold`.
     */
    place(sql: StatementBuilder, referralId: string, hold: LegalHold): { guard: string } {
      const id = sql.p(referralId, 'uuid');
      sql.with(
        'live',
        `SELECT r.id FROM ${referrals} r
          WHERE r.id = ${id} AND NOT (r.envelope ? 'purged')
            AND NOT EXISTS (SELECT 1 FROM ${purges} p
                             WHERE p.object_type = 'referral' AND p.object_id = r.id)
          FOR SHARE OF r`,
      );
      sql.with(
        'hold',
        `INSERT INTO ${holds} (referral_id, organisation_id, reason, reference, placed_by,
                              placed_by_issuer, placed_at)
         SELECT live.id, ${sql.p(hold.organisationId, 'uuid')}, ${sql.p(hold.reason, 'varchar')},
                ${sql.p(hold.reference, 'varchar')}, ${sql.p(hold.placedBy, 'varchar')},
                ${sql.p(hold.placedByIssuer, 'varchar')}, ${sql.p(hold.placedAt, 'timestamptz')}
           FROM live
         ON CONFLICT (referral_id, organisation_id) DO UPDATE
            SET reason = EXCLUDED.reason, reference = EXCLUDED.reference,
                placed_by = EXCLUDED.placed_by, placed_by_issuer = EXCLUDED.placed_by_issuer,
                placed_at = EXCLUDED.placed_at
         RETURNING 1`,
      );
      return { guard: 'hold' };
    },

    /** Lifts `organisationId`'s hold. Guard CTE: `lifted`. */
    lift(sql: StatementBuilder, referralId: string, organisationId: string): { guard: string } {
      sql.with(
        'lifted',
        `DELETE FROM ${holds}
          WHERE referral_id = ${sql.p(referralId, 'uuid')}
            AND organisation_id = ${sql.p(organisationId, 'uuid')}
         RETURNING 1`,
      );
      return { guard: 'lifted' };
    },
  };
}

export type LegalHoldsRepository = ReturnType<typeof createLegalHoldsRepository>;
