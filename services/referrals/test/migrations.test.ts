import { randomUUID } from 'node:crypto';
import { keysetCursor } from '@samverkan/shared';
import { describeMigrations, describeRepositorySync } from '@samverkan/shared/src/testing';
import { REFERRALS_ENTITIES, ReferralCopyEntryEntity, ReferralEntity } from '../src/entities';
import { REFERRALS_MIGRATIONS } from '../src/migrations';
import {
  claimUnclaimedFieldRequest,
  onShiftNow,
  participantsOf,
  visibleOperationIds,
} from '../src/operations/operations.repository';
import { boxPageStatement } from '../src/referrals/box-page';
import { createReferralsRepository, listedColumns } from '../src/referrals/repository';
import { createRollupsRepository } from '../src/services/rollups.repository';
import { createStatisticsRepository } from '../src/services/statistics.repository';
import type { ReferralsContext } from '../src/services/context';

describeMigrations({
  schema: 'referrals',
  entities: REFERRALS_ENTITIES,
  migrations: REFERRALS_MIGRATIONS,
});

// The repositories' statements, recorded while they run on the migrated (empty) schema, name only
// columns the entities map, with the entities' types (shared/src/testing/repository-sync.ts).
describeRepositorySync({
  schema: 'referrals',
  entities: REFERRALS_ENTITIES,
  migrations: REFERRALS_MIGRATIONS,
  async exercise(ds) {
    const referrals = createReferralsRepository({ dataSource: ds } as ReferralsContext);
    const unit = randomUUID();
    const now = new Date();
    await referrals.findById(randomUUID());
    const referralTable = ds.getMetadata(ReferralEntity);
    const boxTables = {
      referrals: referralTable.tablePath,
      copyEntries: ds.getMetadata(ReferralCopyEntryEntity).tablePath,
    };
    for (const box of ['inbox', 'outbox'] as const) {
      const filtered = {
        box,
        limit: 10,
        status: ['sent'],
        urgency: 'acute',
        category: 'trafficking_sexual',
        from: '2026-01-01T00:00:00Z',
        to: '2027-01-01T00:00:00Z',
      };
      const after = { c: now.toISOString(), i: unit };
      await referrals.listPage([unit], {
        ...filtered,
        cursor: keysetCursor({ c: 'datetime', i: 'uuid' }).encode(after),
      });
      // The page runs on the pool (poolQuery), which the recording does not see: the same
      // statements, built by the same function, through the data source.
      for (const query of [filtered, { box, limit: 10 }]) {
        const page = boxPageStatement(
          boxTables,
          listedColumns(referralTable.columns),
          [unit, randomUUID()],
          query,
          after,
        );
        await ds.query(page.sql, page.params);
      }
      await referrals.countsByStatus(box, unit);
    }
    // The statistics and the counters' compaction (migration 1797053000000-ReferralRollups).
    const statistics = createStatisticsRepository(ds);
    await statistics.useRecordKeySecret('repository sync');
    for (const [from, to] of [
      [null, null],
      ['2026-01-15', '2026-03-10'],
    ] as const) {
      await statistics.cells({
        groupBy: [
          'month',
          'category',
          'gender',
          'ageBand',
          'citizenshipGroup',
          'outcome',
          'municipality',
        ],
        from,
        to,
        municipalities: ['0580', '0581'],
        secret: 'repository sync',
        limit: 10,
      });
    }
    await createRollupsRepository(ds).compact();
    await referrals.timelineOf(randomUUID());
    await referrals.accessLogEntries(randomUUID());
    await ds.transaction(async (tx) => {
      await referrals.claimOverdue(tx, now);
      await referrals.messageExists(tx, randomUUID());
      await claimUnclaimedFieldRequest(tx, now);
      await participantsOf(tx, randomUUID());
      await onShiftNow(tx, randomUUID(), now, [unit]);
      await visibleOperationIds(tx, {
        units: [unit],
        organisationId: randomUUID(),
        officer: true,
        orgAdmin: true,
        status: 'active',
      });
    });
  },
});
