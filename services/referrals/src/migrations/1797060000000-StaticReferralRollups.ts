import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The rollup triggers of 1797053000000-ReferralRollups, same counting, a fraction of the cost
 * (issue 15: they had cut the send's throughput by a third). That function built its statements
 * as text (`EXECUTE format(…)` with the trigger's schema) and so planned five statements afresh
 * on every change; here each kind of change runs one static statement, planned once per session:
 *
 * - the schema is written out, as in every other migration of the service (it is always
 *   `referrals`: the embedded hub and the tests give each service its own database or schema of
 *   that name, never another);
 * - the box counts, the copy entries and both statistics rollups are data-modifying CTEs of one
 *   statement over the changed rows; the copy entries are moved by their net change (an entry an
 *   update keeps is neither deleted nor inserted);
 * - each changed row's record key is computed once (it was computed twice);
 * - an update that changes none of the counted columns (an escalation, a handover, a purge of
 *   the envelope) returns after one look at the changed rows. (Postgres allows no column list,
 *   `UPDATE OF`, on a trigger with transition tables, so the trigger still runs for them.)
 */
export class StaticReferralRollups1797060000000 implements MigrationInterface {
  name = 'StaticReferralRollups1797060000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(STATIC_FUNCTION);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(DYNAMIC_FUNCTION);
  }
}

/** The columns the rollups count: an update that changes none of them changes no rollup. */
const COUNTED = [
  'sender_unit_id',
  'recipient_unit_id',
  'copy_unit_ids',
  'status',
  'urgency',
  'created_at',
  'category',
  'gender',
  'age_band',
  'citizenship_group',
  'outcome',
  'municipality_code',
  'acknowledged_at',
];
const counted = (alias: string) => `(${COUNTED.map((c) => `${alias}.${c}`).join(', ')})`;
const MOVED = `${counted('n')} IS DISTINCT FROM ${counted('o')}`;

/**
 * One statement that moves every rollup by the rows in `changes` (each changed referral with a
 * sign: +1 counted in, −1 counted out). Counters are append-only rows of +n/−n, so no writer
 * waits for another on a counter row (services/rollups.repository.ts folds them).
 */
const rollupStatement = (changes: string) => `
    WITH changes AS (${changes}),
    box_counts AS (
      INSERT INTO referrals.referral_box_counts (unit_id, box, status, urgency, n)
      SELECT b.unit_id, b.box, b.status, b.urgency, sum(b.sign)::int
        FROM (SELECT c.sender_unit_id AS unit_id, 'outbox' AS box, c.status, c.urgency, c.sign
                FROM changes c
              UNION ALL
              SELECT c.recipient_unit_id, 'inbox', c.status, c.urgency, c.sign FROM changes c
              UNION ALL
              SELECT u.unit_id, 'inbox', c.status, c.urgency, c.sign
                FROM changes c
                CROSS JOIN LATERAL (SELECT DISTINCT x AS unit_id FROM unnest(c.copy_unit_ids) x
                                     WHERE x <> c.recipient_unit_id) u) b
       GROUP BY 1, 2, 3, 4
      HAVING sum(b.sign) <> 0
      RETURNING 1),
    copy_moves AS (
      SELECT e.unit_id, e.created_at, e.referral_id, sum(e.sign) AS sign
        FROM (SELECT DISTINCT u.x AS unit_id, c.created_at, c.id AS referral_id, c.sign
                FROM changes c CROSS JOIN LATERAL unnest(c.copy_unit_ids) u(x)
               WHERE u.x <> c.recipient_unit_id) e
       GROUP BY 1, 2, 3),
    copies_out AS (
      DELETE FROM referrals.referral_copy_entries e USING copy_moves m
       WHERE m.sign < 0 AND e.unit_id = m.unit_id AND e.created_at = m.created_at
         AND e.referral_id = m.referral_id
      RETURNING 1),
    copies_in AS (
      INSERT INTO referrals.referral_copy_entries (unit_id, created_at, referral_id)
      SELECT m.unit_id, m.created_at, m.referral_id FROM copy_moves m WHERE m.sign > 0
      ON CONFLICT DO NOTHING
      RETURNING 1),
    -- Each changed referral's statistics cell and record key; none until the service has
    -- written the record keys' secret (services/statistics.repository.ts builds the rollup then).
    cells AS (
      SELECT date_trunc('month', c.created_at AT TIME ZONE 'Europe/Stockholm')::date AS month,
             c.category, c.gender, c.age_band, c.citizenship_group,
             COALESCE(c.outcome, 'none') AS outcome, c.municipality_code, c.sign,
             c.acknowledged_at, c.created_at,
             c.sign * ('x' || substr(md5(s.secret || c.id::text), 1, 8))::bit(32)::bigint AS signed_key
        FROM changes c JOIN referrals.referral_statistics_secret s ON s.id = 1),
    months AS (
      INSERT INTO referrals.referral_statistics_months (month, category, gender, age_band,
        citizenship_group, outcome, municipality_code, n, keysum, acknowledged)
      SELECT k.month, k.category, k.gender, k.age_band, k.citizenship_group, k.outcome,
             k.municipality_code, sum(k.sign)::int, sum(k.signed_key)::bigint,
             coalesce(sum(k.sign) FILTER (WHERE k.acknowledged_at IS NOT NULL), 0)::int
        FROM cells k
       GROUP BY 1, 2, 3, 4, 5, 6, 7
      HAVING sum(k.sign) <> 0 OR sum(k.signed_key) <> 0
          OR sum(k.sign) FILTER (WHERE k.acknowledged_at IS NOT NULL) <> 0
      RETURNING 1)
    INSERT INTO referrals.referral_statistics_acknowledgements (month, category, gender,
      age_band, citizenship_group, outcome, municipality_code, minutes_tenths, n)
    SELECT k.month, k.category, k.gender, k.age_band, k.citizenship_group, k.outcome,
           k.municipality_code, round(extract(epoch FROM k.acknowledged_at - k.created_at) / 6)::int,
           sum(k.sign)::int
      FROM cells k
     WHERE k.acknowledged_at IS NOT NULL
     GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
    HAVING sum(k.sign) <> 0`;

const STATIC_FUNCTION = `
CREATE OR REPLACE FUNCTION "referrals"."referral_rollups"() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'INSERT' THEN
    ${rollupStatement('SELECT n.*, 1 AS sign FROM new_rows n')};
  ELSIF TG_OP = 'UPDATE' THEN
    IF NOT EXISTS (SELECT 1 FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE ${MOVED}) THEN
      RETURN NULL;
    END IF;
    -- Only the referrals whose counted columns changed: their old row out, their new row in.
    ${rollupStatement(`SELECT n.*, 1 AS sign FROM new_rows n JOIN old_rows o ON o.id = n.id
                        WHERE ${MOVED}
                       UNION ALL
                       SELECT o.*, -1 AS sign FROM old_rows o JOIN new_rows n ON n.id = o.id
                        WHERE ${MOVED}`)};
  ELSIF TG_OP = 'DELETE' THEN
    ${rollupStatement('SELECT o.*, -1 AS sign FROM old_rows o')};
  ELSE
    TRUNCATE referrals.referral_box_counts, referrals.referral_copy_entries,
      referrals.referral_statistics_months, referrals.referral_statistics_acknowledgements;
  END IF;
  RETURN NULL;
END
$fn$`;

/** 1797053000000-ReferralRollups' function as it was, for `down`. */
const BOX_MEMBERSHIP = `
  SELECT c.sender_unit_id AS unit_id, 'outbox' AS box, c.status, c.urgency, c.sign FROM changes c
  UNION ALL
  SELECT c.recipient_unit_id, 'inbox', c.status, c.urgency, c.sign FROM changes c
  UNION ALL
  SELECT u.unit_id, 'inbox', c.status, c.urgency, c.sign
    FROM changes c
    CROSS JOIN LATERAL (SELECT DISTINCT x AS unit_id FROM unnest(c.copy_unit_ids) x
                         WHERE x <> c.recipient_unit_id) u`;
const COPY_ENTRIES = `
  SELECT DISTINCT u.x, c.created_at, c.id
    FROM changes c CROSS JOIN LATERAL unnest(c.copy_unit_ids) u(x)
   WHERE c.sign = 1 AND u.x <> c.recipient_unit_id`;
const CELL = `date_trunc('month', c.created_at AT TIME ZONE 'Europe/Stockholm')::date AS month,
       c.category, c.gender, c.age_band, c.citizenship_group, COALESCE(c.outcome, 'none') AS outcome,
       c.municipality_code`;
const DYNAMIC_FUNCTION = `
CREATE OR REPLACE FUNCTION "referrals"."referral_rollups"() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  changes text;
  record_secret text;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    EXECUTE format('TRUNCATE %1$I.referral_box_counts, %1$I.referral_copy_entries, %1$I.referral_statistics_months, %1$I.referral_statistics_acknowledgements', TG_TABLE_SCHEMA);
    RETURN NULL;
  ELSIF TG_OP = 'INSERT' THEN
    changes := 'SELECT n.*, 1 AS sign FROM new_rows n';
  ELSIF TG_OP = 'DELETE' THEN
    changes := 'SELECT o.*, -1 AS sign FROM old_rows o';
  ELSE
    changes := 'SELECT n.*, 1 AS sign FROM new_rows n JOIN old_rows o ON o.id = n.id
                 WHERE ${MOVED}
                UNION ALL
                SELECT o.*, -1 AS sign FROM old_rows o JOIN new_rows n ON n.id = o.id
                 WHERE ${MOVED}';
  END IF;

  EXECUTE format($q$
    WITH changes AS (%2$s)
    INSERT INTO %1$I.referral_box_counts AS t (unit_id, box, status, urgency, n)
    SELECT b.unit_id, b.box, b.status, b.urgency, sum(b.sign)::int
      FROM (${BOX_MEMBERSHIP}) b
     GROUP BY 1, 2, 3, 4
    HAVING sum(b.sign) <> 0$q$,
    TG_TABLE_SCHEMA, changes);

  IF TG_OP <> 'INSERT' THEN
    EXECUTE format($q$
      WITH changes AS (%2$s)
      DELETE FROM %1$I.referral_copy_entries e USING changes c
       WHERE c.sign = -1 AND e.referral_id = c.id AND e.unit_id = ANY (c.copy_unit_ids)
         AND e.created_at = c.created_at$q$,
      TG_TABLE_SCHEMA, changes);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    EXECUTE format($q$
      WITH changes AS (%2$s)
      INSERT INTO %1$I.referral_copy_entries (unit_id, created_at, referral_id)
      ${COPY_ENTRIES}
      ON CONFLICT DO NOTHING$q$,
      TG_TABLE_SCHEMA, changes);
  END IF;

  EXECUTE format('SELECT s.secret FROM %I.referral_statistics_secret s WHERE s.id = 1', TG_TABLE_SCHEMA)
    INTO record_secret;
  IF record_secret IS NULL THEN
    RETURN NULL;
  END IF;

  EXECUTE format($q$
    WITH changes AS (%2$s)
    INSERT INTO %1$I.referral_statistics_months AS t (month, category, gender, age_band,
      citizenship_group, outcome, municipality_code, n, keysum, acknowledged)
    SELECT ${CELL},
           sum(c.sign)::int,
           sum(c.sign * ('x' || substr(md5($1 || c.id::text), 1, 8))::bit(32)::bigint)::bigint,
           coalesce(sum(c.sign) FILTER (WHERE c.acknowledged_at IS NOT NULL), 0)::int
      FROM changes c
     GROUP BY 1, 2, 3, 4, 5, 6, 7
    HAVING sum(c.sign) <> 0
        OR sum(c.sign * ('x' || substr(md5($1 || c.id::text), 1, 8))::bit(32)::bigint) <> 0
        OR sum(c.sign) FILTER (WHERE c.acknowledged_at IS NOT NULL) <> 0$q$,
    TG_TABLE_SCHEMA, changes) USING record_secret;

  EXECUTE format($q$
    WITH changes AS (%2$s)
    INSERT INTO %1$I.referral_statistics_acknowledgements AS t (month, category, gender,
      age_band, citizenship_group, outcome, municipality_code, minutes_tenths, n)
    SELECT ${CELL},
           round(extract(epoch FROM c.acknowledged_at - c.created_at) / 6)::int,
           sum(c.sign)::int
      FROM changes c
     WHERE c.acknowledged_at IS NOT NULL
     GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
    HAVING sum(c.sign) <> 0$q$,
    TG_TABLE_SCHEMA, changes);
  RETURN NULL;
END
$fn$`;
