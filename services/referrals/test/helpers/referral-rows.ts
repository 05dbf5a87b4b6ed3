/**
 * Referrals written straight into the referrals table, many in one statement, for the tests that
 * hold the service's queries and triggers against rows they know: a database of the test file's
 * own migrated to the referrals schema, a seeded generator to make the rows with, and the INSERT.
 */
import { openServiceDatabase } from '@samverkan/shared';
import { createTestDatabase, type TestDatabase } from '@samverkan/shared/src/testing';
import type { DataSource, EntityManager } from 'typeorm';
import { REFERRALS_ENTITIES } from '../../src/entities';
import { REFERRALS_MIGRATIONS } from '../../src/migrations';

/** A database of its own (named after `name`), migrated to the referrals schema. */
export async function openReferralsDatabase(
  name: string,
  poolSize: number,
): Promise<{ db: TestDatabase; ds: DataSource }> {
  const db = await createTestDatabase(name);
  const ds = await openServiceDatabase({
    url: db.url,
    schema: 'referrals',
    entities: REFERRALS_ENTITIES,
    migrations: REFERRALS_MIGRATIONS,
    poolSize,
  });
  return { db, ds };
}

/** A small deterministic generator, so that a failure can be replayed. */
export function generator(seed: number) {
  let s = seed;
  const next = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
  return { next, pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]! };
}

/** A stored referral's routing columns; the rest of the row is the same for all. */
export interface ReferralRow {
  id: string;
  sender: string;
  recipient: string;
  copies: string[];
  category: string;
  urgency: string;
  status: string;
  createdAt: Date;
  /** 'female' unless given */
  gender?: string;
  /** '0581' unless given */
  municipality?: string;
  acknowledgedAt?: Date | null;
  outcome?: string | null;
}

/**
 * The rows in one INSERT statement (the triggers see them together): an adult of Swedish
 * citizenship, on consent, a stand-in envelope, to be acknowledged a day after creation, updated
 * when created.
 */
export async function insertReferralRows(
  runner: DataSource | EntityManager,
  rows: ReferralRow[],
): Promise<void> {
  const values: unknown[] = [];
  const tuples = rows.map((r) => {
    const p = (v: unknown) => {
      values.push(v);
      return `$${values.length}`;
    };
    return `(${p(r.id)}, ${p(r.sender)}, ${p(r.recipient)}, ${p(r.copies)}::uuid[], ${p(r.category)},
      ${p(r.urgency)}, 'adult', ${p(r.gender ?? 'female')}, 'swedish', ${p(r.municipality ?? '0581')},
      'consent', ${p(r.status)}, '{"ciphertext": "x"}'::jsonb, 21,
      ${p(r.createdAt)}::timestamptz + interval '1 day', ${p(r.acknowledgedAt ?? null)}::timestamptz,
      ${p(r.outcome ?? null)},
      '{"mode": null, "plannedFor": null, "senderConfirmation": null, "recipientConfirmation": null}'::jsonb,
      ${p(r.createdAt)}, ${p(r.createdAt)})`;
  });
  await runner.query(
    `INSERT INTO referrals.referrals (id, sender_unit_id, recipient_unit_id, copy_unit_ids,
       category, urgency, age_band, gender, citizenship_group, municipality_code, legal_basis,
       status, envelope, envelope_size, acknowledge_by, acknowledged_at, outcome, handover,
       created_at, updated_at)
     VALUES ${tuples.join(', ')}`,
    values,
  );
}
