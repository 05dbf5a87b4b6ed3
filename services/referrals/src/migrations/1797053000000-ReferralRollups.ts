import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Counts and statistics that do not grow with the referrals (issue 15: 1,000,000 referrals).
 *
 * - `referral_box_counts`: each unit's inbox (copies included, each referral once) and outbox by
 *   status and urgency, what `GET /v1/referrals/counts` answers.
 * - `referral_statistics_months` and `referral_statistics_acknowledgements`: a monthly rollup of
 *   the statistics' dimensions (count, sum of record keys, acknowledged) and a histogram of the
 *   times to acknowledgement in tenths of a minute, what `GET /v1/statistics/referrals` adds up.
 *
 * One statement-level trigger per kind of change on `referrals` keeps all three in the same
 * transaction as the change, from the rows the statement changed (transition tables): exact under
 * concurrent writers (row locks on the counter rows, taken in key order within a statement),
 * gone with a rollback, and a retried command counts once because its first try rolled back.
 * An update that changes none of the counted columns touches nothing.
 *
 * The record keys need the deployment's secret, which only the service knows: it writes it into
 * `referral_statistics_secret` at start and (re)builds the statistics rollup when it is missing
 * or differs (services/referrals/src/services/statistics.repository.ts). Until then the trigger
 * keeps only the box counts. The box counts are built here from the referrals already stored.
 */
export class ReferralRollups1797053000000 implements MigrationInterface {
  name = 'ReferralRollups1797053000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "referrals"."referral_box_counts" ("unit_id" uuid NOT NULL, "box" character varying(6) NOT NULL, "status" character varying(20) NOT NULL, "urgency" character varying(10) NOT NULL, "n" integer NOT NULL, CONSTRAINT "PK_85a42d54d4a10afbe50ead0c40a" PRIMARY KEY ("unit_id", "box", "status", "urgency"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "referrals"."referral_statistics_months" ("month" date NOT NULL, "category" character varying(40) NOT NULL, "gender" character varying(12) NOT NULL, "age_band" character varying(10) NOT NULL, "citizenship_group" character varying(10) NOT NULL, "outcome" character varying(20) NOT NULL, "municipality_code" character(4) NOT NULL, "n" integer NOT NULL, "keysum" bigint NOT NULL, "acknowledged" integer NOT NULL, CONSTRAINT "PK_77624d3c42be65a19c3bd8ebbb7" PRIMARY KEY ("month", "category", "gender", "age_band", "citizenship_group", "outcome", "municipality_code"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "referrals"."referral_statistics_acknowledgements" ("month" date NOT NULL, "category" character varying(40) NOT NULL, "gender" character varying(12) NOT NULL, "age_band" character varying(10) NOT NULL, "citizenship_group" character varying(10) NOT NULL, "outcome" character varying(20) NOT NULL, "municipality_code" character(4) NOT NULL, "minutes_tenths" integer NOT NULL, "n" integer NOT NULL, CONSTRAINT "PK_4ca5eb09effef0a099779bb4564" PRIMARY KEY ("month", "category", "gender", "age_band", "citizenship_group", "outcome", "municipality_code", "minutes_tenths"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "referrals"."referral_statistics_secret" ("id" smallint NOT NULL, "secret" character varying(128) NOT NULL, "set_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_6be4cd74958b55bb3e077144e65" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(ROLLUP_FUNCTION);
    await queryRunner.query(
      `CREATE TRIGGER "referral_rollups_insert" AFTER INSERT ON "referrals"."referrals" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "referrals"."referral_rollups"()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "referral_rollups_update" AFTER UPDATE ON "referrals"."referrals" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "referrals"."referral_rollups"()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "referral_rollups_delete" AFTER DELETE ON "referrals"."referrals" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "referrals"."referral_rollups"()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "referral_rollups_truncate" AFTER TRUNCATE ON "referrals"."referrals" FOR EACH STATEMENT EXECUTE FUNCTION "referrals"."referral_rollups"()`,
    );
    // The referrals already stored, counted once (the statistics wait for the secret).
    await queryRunner.query(
      `WITH changes AS (SELECT r.*, 1 AS sign FROM "referrals"."referrals" r)
       INSERT INTO "referrals"."referral_box_counts" ("unit_id", "box", "status", "urgency", "n")
       SELECT b.unit_id, b.box, b.status, b.urgency, sum(b.sign)::int
         FROM (${BOX_MEMBERSHIP}) b
        GROUP BY 1, 2, 3, 4`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "referral_rollups_truncate" ON "referrals"."referrals"`);
    await queryRunner.query(`DROP TRIGGER "referral_rollups_delete" ON "referrals"."referrals"`);
    await queryRunner.query(`DROP TRIGGER "referral_rollups_update" ON "referrals"."referrals"`);
    await queryRunner.query(`DROP TRIGGER "referral_rollups_insert" ON "referrals"."referrals"`);
    await queryRunner.query(`DROP FUNCTION "referrals"."referral_rollups"()`);
    await queryRunner.query(`DROP TABLE "referrals"."referral_statistics_secret"`);
    await queryRunner.query(`DROP TABLE "referrals"."referral_statistics_acknowledgements"`);
    await queryRunner.query(`DROP TABLE "referrals"."referral_statistics_months"`);
    await queryRunner.query(`DROP TABLE "referrals"."referral_box_counts"`);
  }
}

/** Each changed referral in the boxes it is counted in: its sender's outbox, its recipient's and copy units' inboxes. */
const BOX_MEMBERSHIP = `
  SELECT c.sender_unit_id AS unit_id, 'outbox' AS box, c.status, c.urgency, c.sign FROM changes c
  UNION ALL
  SELECT c.recipient_unit_id, 'inbox', c.status, c.urgency, c.sign FROM changes c
  UNION ALL
  SELECT u.unit_id, 'inbox', c.status, c.urgency, c.sign
    FROM changes c
    CROSS JOIN LATERAL (SELECT DISTINCT x AS unit_id FROM unnest(c.copy_unit_ids) x
                         WHERE x <> c.recipient_unit_id) u`;

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

/** A referral's statistics cell: its Swedish month and its dimensions. */
const CELL = `date_trunc('month', c.created_at AT TIME ZONE 'Europe/Stockholm')::date AS month,
       c.category, c.gender, c.age_band, c.citizenship_group, COALESCE(c.outcome, 'none') AS outcome,
       c.municipality_code`;

const ROLLUP_FUNCTION = `
CREATE FUNCTION "referrals"."referral_rollups"() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  changes text;
  record_secret text;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    EXECUTE format('TRUNCATE %1$I.referral_box_counts, %1$I.referral_statistics_months, %1$I.referral_statistics_acknowledgements', TG_TABLE_SCHEMA);
    RETURN NULL;
  ELSIF TG_OP = 'INSERT' THEN
    changes := 'SELECT n.*, 1 AS sign FROM new_rows n';
  ELSIF TG_OP = 'DELETE' THEN
    changes := 'SELECT o.*, -1 AS sign FROM old_rows o';
  ELSE
    -- Only the referrals whose counted columns changed: their old row out, their new row in.
    changes := 'SELECT n.*, 1 AS sign FROM new_rows n JOIN old_rows o ON o.id = n.id
                 WHERE ${counted('n')} IS DISTINCT FROM ${counted('o')}
                UNION ALL
                SELECT o.*, -1 AS sign FROM old_rows o JOIN new_rows n ON n.id = o.id
                 WHERE ${counted('n')} IS DISTINCT FROM ${counted('o')}';
  END IF;

  -- Counter rows locked in key order, so that two statements never wait for each other crosswise.
  EXECUTE format($q$
    WITH changes AS (%2$s)
    INSERT INTO %1$I.referral_box_counts AS t (unit_id, box, status, urgency, n)
    SELECT b.unit_id, b.box, b.status, b.urgency, sum(b.sign)::int
      FROM (${BOX_MEMBERSHIP}) b
     GROUP BY 1, 2, 3, 4
    HAVING sum(b.sign) <> 0
     ORDER BY 1, 2, 3, 4
    ON CONFLICT (unit_id, box, status, urgency) DO UPDATE SET n = t.n + excluded.n$q$,
    TG_TABLE_SCHEMA, changes);

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
        OR sum(c.sign) FILTER (WHERE c.acknowledged_at IS NOT NULL) <> 0
     ORDER BY 1, 2, 3, 4, 5, 6, 7
    ON CONFLICT (month, category, gender, age_band, citizenship_group, outcome, municipality_code)
    DO UPDATE SET n = t.n + excluded.n, keysum = t.keysum + excluded.keysum,
                  acknowledged = t.acknowledged + excluded.acknowledged$q$,
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
    HAVING sum(c.sign) <> 0
     ORDER BY 1, 2, 3, 4, 5, 6, 7, 8
    ON CONFLICT (month, category, gender, age_band, citizenship_group, outcome, municipality_code,
                 minutes_tenths)
    DO UPDATE SET n = t.n + excluded.n$q$,
    TG_TABLE_SCHEMA, changes);
  RETURN NULL;
END
$fn$`;
