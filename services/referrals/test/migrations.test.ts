import { randomUUID } from 'node:crypto';
import { keysetCursor, StatementBuilder } from '@samverkan/shared';
import type { DataSource } from 'typeorm';
import { describeMigrations, describeRepositorySync } from '@samverkan/shared/src/testing';
import {
  REFERRALS_ENTITIES,
  ReferralBoxCountEntity,
  ReferralCopyEntryEntity,
  ReferralEntity,
} from '../src/entities';
import { REFERRALS_MIGRATIONS } from '../src/migrations';
import { boxCountsStatement, boxPageStatement } from '../src/referrals/box-page';
import { createReferralsRepository, listedColumns } from '../src/referrals/repository';
import { createLegalHoldsRepository } from '../src/records/legal-holds.repository';
import { createLogReviewsRepository } from '../src/records/log-reviews.repository';
import { createMappingReportRepository } from '../src/records/mapping-report.repository';
import { onCallShiftsRepository } from '../src/records/on-call-shifts.repository';
import { createRetentionRepository } from '../src/records/retention.repository';
import { createRollupsRepository } from '../src/services/rollups.repository';
import { createStatisticsRepository } from '../src/services/statistics.repository';
import type { ReferralsContext } from '../src/services/context';
import { exerciseOperationsRepositories } from './helpers/exercise-operations';

/** Runs a write-pipeline statement a repository builds (its CTEs and the guard's count). */
async function runStatement(
  ds: DataSource,
  build: (sql: StatementBuilder) => { guard: string },
): Promise<void> {
  const sql = new StatementBuilder();
  const { guard } = build(sql);
  await ds.query(sql.sql(`SELECT (SELECT count(*) FROM ${guard})::int AS applied`), sql.params);
}

/** The records feature's repositories (src/records/): legal holds, log reviews, retention, … */
async function exerciseRecords(ds: DataSource): Promise<void> {
  const id = randomUUID();
  const org = randomUUID();
  const now = new Date();
  const holds = createLegalHoldsRepository(ds);
  await holds.load(id);
  const hold = {
    organisationId: org,
    reason: 'complaint',
    reference: null,
    placedBy: 'someone',
    placedByIssuer: 'https://issuer.example',
    placedAt: now,
  };
  await runStatement(ds, (sql) => holds.place(sql, id, hold));
  await runStatement(ds, (sql) => holds.lift(sql, id, org));

  const reviews = createLogReviewsRepository(ds);
  await reviews.load(id);
  await reviews.list(org);
  await reviews.periodEntries(new Date(0), now, org, ['referral.envelope_read']);
  await reviews.shiftsAndHead(new Date(0), now);
  const review = {
    id,
    organisationId: org,
    periodFrom: new Date(0),
    periodTo: now,
    sampleSize: 1,
    seed: 'seed',
    headSeq: '0',
    readsInPeriod: 0,
    createdBy: 'auditor',
    createdByIssuer: 'https://issuer.example',
    createdAt: now,
    status: 'open',
    signedOffBy: 'auditor',
    signedOffByIssuer: 'https://issuer.example',
    signedOffAt: now,
    conclusion: 'remarks',
    version: 1,
  };
  const item = {
    itemNo: 1,
    auditSeq: '1',
    at: now,
    actorSub: 'someone',
    actorIssuer: null,
    actorOrg: org,
    action: 'referral.envelope_read',
    objectType: 'referral',
    objectId: randomUUID(),
    outcome: 'allowed',
    reasons: ['sampled'],
    finding: 'appropriate',
    findingReference: null,
    foundBy: 'auditor',
    foundByIssuer: null,
    foundAt: now,
  };
  // Written and then rolled back: the sync database stays empty for the other statements.
  const runner = ds.createQueryRunner();
  await runner.connect();
  await runner.startTransaction();
  try {
    const run = async (build: (sql: StatementBuilder) => { guard: string }) => {
      const sql = new StatementBuilder();
      const { guard } = build(sql);
      await runner.query(sql.sql(`SELECT (SELECT count(*) FROM ${guard})::int`), sql.params);
    };
    await run((sql) => reviews.insert(sql, { review, items: [item] }));
    await run((sql) => reviews.finding(sql, id, item));
    await run((sql) => reviews.signOff(sql, review));

    const retention = createRetentionRepository(ds);
    const tx = runner.manager;
    await retention.tryLock(tx);
    await retention.claimDueReferral(tx, now);
    await retention.purgeReferralContent(tx, { id, finalSince: now, envelopeSize: 1 }, now);
    await retention.claimDueFieldRequest(tx, now);
    await retention.purgeFieldRequestContent(tx, { id, endedAt: now, envelopeSize: 1 }, now);
    await retention.claimDueTimeline(tx, now);
    await retention.purgeTimeline(tx, id, now);
    await onCallShiftsRepository.record(
      tx,
      {
        shiftId: id,
        unitId: randomUUID(),
        userId: 'someone',
        startsAt: now.toISOString(),
        endsAt: now.toISOString(),
      },
      false,
    );
  } finally {
    await runner.rollbackTransaction();
    await runner.release();
  }

  const mapping = createMappingReportRepository(ds);
  await mapping.cellsBySets({
    sets: [['municipality'], ['municipality', 'category']],
    from: '2026-01-15',
    to: '2026-03-10',
    municipalities: ['0580'],
    secret: 'repository sync',
    limit: 10,
  });
  await mapping.operationsInCounty(['0580'], '2026-01-01', '2026-12-31');
}

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
      // One unit (its own statement) and several (a lateral join over them).
      for (const mine of [[unit], [unit, randomUUID()]]) {
        for (const query of [filtered, { box, limit: 10 }]) {
          const page = boxPageStatement(
            boxTables,
            listedColumns(referralTable.columns),
            mine,
            query,
            after,
          );
          await ds.query(page.sql, page.params);
        }
      }
      // The counts run on the pool too.
      await ds.query(
        boxCountsStatement(ds.getRepository(ReferralBoxCountEntity).metadata.tablePath),
        [unit, box],
      );
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
    await exerciseRecords(ds);
    await referrals.timelineOf(randomUUID());
    await referrals.accessLogEntries(randomUUID());
    await ds.transaction(async (tx) => {
      await referrals.claimOverdue(tx, now);
      await referrals.messageExists(tx, randomUUID());
    });
    // Operations, field requests, tallies, the message thread, audit parties, the read model.
    await exerciseOperationsRepositories(ds);
  },
});
