/**
 * The outbox relay's Postgres work per published event, replayed (issue 15): the relay as it
 * was (a lease UPDATE to claim, then the mark, on a table at fillfactor 100) against the relay as
 * it is (shared/src/events/outbox-relay.ts: a claim that only takes advisory locks, then the mark
 * with the locks let go and an asynchronous commit, on a table at fillfactor 60), on rows of a
 * send's event. Figures a busy machine does not blur: the backend's CPU (from /proc, so Postgres
 * must run on this machine) and the WAL of the table and its indexes (pg_walinspect), per event,
 * rounds interleaved.
 *
 * Run: `npx tsx bench/outbox-relay.replay.ts` (BENCH_ROUNDS, default 40; BENCH_BATCH, the events
 * a relay pass finds, default 2). Ends with one line of JSON.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { Client } from 'pg';
import { eventData } from '@samverkan/referrals/src/referrals/model';
import { DEMO_UNITS } from '@samverkan/shared';
import { createTestDatabase } from '@samverkan/shared/src/testing';

const rounds = Number(process.env.BENCH_ROUNDS ?? 40);
const batch = Number(process.env.BENCH_BATCH ?? 2);
/** events per round and variant */
const perRound = 50;

const table = (name: string, fillfactor: number) => `
  CREATE TABLE ${name} ("position" BIGSERIAL NOT NULL, "id" uuid NOT NULL, "type" character varying(200) NOT NULL,
    "payload" jsonb NOT NULL, "headers" jsonb NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "published_at" TIMESTAMP WITH TIME ZONE,
    "attempts" integer NOT NULL DEFAULT '0', "locked_until" TIMESTAMP WITH TIME ZONE, "last_error" text,
    CONSTRAINT "${name}_id" UNIQUE ("id"), CONSTRAINT "${name}_pkey" PRIMARY KEY ("position"))
    WITH (fillfactor = ${fillfactor});
  CREATE INDEX "${name}_unpublished" ON ${name} ("position") WHERE published_at IS NULL`;

/** a referral.sent event as the send writes it (its data by the referrals service's own function) */
function sentEvent() {
  return {
    id: randomUUID(),
    type: 'samverkan.referrals.referral.sent',
    source: 'referrals',
    time: new Date().toISOString(),
    data: eventData({
      id: randomUUID(),
      senderUnitId: DEMO_UNITS.policeTraffickingOst,
      recipientUnitId: DEMO_UNITS.coordinator,
      copyUnitIds: [],
      category: 'trafficking_sexual',
      urgency: 'acute',
      status: 'sent',
      municipalityCode: '0581',
    } as unknown as Parameters<typeof eventData>[0]),
  };
}

const lock = (position: string) => `hashtext('outbox'), (${position} % 2147483647)::int`;

/** One relay pass over what is pending, as each relay does it; returns the events it took. */
const variants = {
  async lease(c: Client): Promise<number> {
    const claimed = await c.query<{ position: string }>(
      `UPDATE lease o SET locked_until = now() + ('30000' || ' milliseconds')::interval, attempts = o.attempts + 1
        WHERE o.position IN (SELECT position FROM lease
               WHERE published_at IS NULL AND (locked_until IS NULL OR locked_until < now())
                 AND position <> ALL($2::bigint[])
               ORDER BY position LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING o.position, o.id, o.payload, o.headers, o.attempts`,
      [100, []],
    );
    await c.query(
      `UPDATE lease SET published_at = now(), locked_until = NULL, last_error = NULL WHERE position = ANY($1::bigint[])`,
      [claimed.rows.map((r) => r.position)],
    );
    return claimed.rowCount ?? 0;
  },
  async locks(c: Client): Promise<number> {
    const claimed = await c.query<{ position: string }>(
      `WITH marked AS (
         UPDATE locks SET published_at = now(), attempts = attempts + 1, last_error = NULL
          WHERE position = ANY($2::bigint[]) AND set_config('synchronous_commit', 'off', true) = 'off'
         RETURNING pg_advisory_unlock(${lock('position')}))
       SELECT c.position, c.id, c.payload, c.headers, c.attempts
         FROM (SELECT position, id, payload, headers, attempts FROM locks
                WHERE published_at IS NULL AND position <> ALL($2::bigint[])
                ORDER BY position LIMIT $1) c
        WHERE pg_try_advisory_lock(${lock('c.position')})
        ORDER BY c.position`,
      [100, []],
    );
    await c.query(
      `UPDATE locks SET published_at = now(), attempts = attempts + 1, last_error = NULL
        WHERE position = ANY($1::bigint[]) AND set_config('synchronous_commit', 'off', true) = 'off'
       RETURNING pg_advisory_unlock(${lock('position')})`,
      [claimed.rows.map((r) => r.position)],
    );
    return claimed.rowCount ?? 0;
  },
};

function backendCpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime (fields 14 and 15 of the whole line) in clock ticks of 10 ms
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function main() {
  const db = await createTestDatabase('relayreplay');
  const c = new Client({ connectionString: db.url });
  await c.connect();
  try {
    await c.query('CREATE EXTENSION IF NOT EXISTS pg_walinspect');
    await c.query(table('lease', 100));
    await c.query(table('locks', 60));
    const pid = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const files = (
      await c.query<{ name: string; file: string }>(
        `SELECT c.relname AS name, pg_relation_filenode(c.oid)::text AS file FROM pg_class c
          WHERE c.relname LIKE 'lease%' OR c.relname LIKE 'locks%'`,
      )
    ).rows;
    const totals = {
      lease: { cpuMs: 0, wal: 0, fpi: 0, events: 0 },
      locks: { cpuMs: 0, wal: 0, fpi: 0, events: 0 },
    };
    // The WAL of each pass, read back at the end (an asynchronous commit's WAL may not be
    // flushed yet when its pass ends); a temporary replication slot keeps it until then.
    const ranges: Array<{ name: 'lease' | 'locks'; from: string; to: string }> = [];
    await c.query(
      `SELECT pg_create_physical_replication_slot('relay_replay_' || pg_backend_pid(), true, true)`,
    );
    for (let round = 0; round < rounds; round++) {
      for (const name of ['lease', 'locks'] as const) {
        let done = 0;
        while (done < perRound) {
          // What a pass finds: `batch` events committed since the last one.
          const events = Array.from({ length: batch }, sentEvent);
          await c.query(
            `INSERT INTO ${name} (id, type, payload, headers)
             SELECT (e->>'id')::uuid, e->>'type', e, '{}' FROM jsonb_array_elements($1::jsonb) e`,
            [JSON.stringify(events)],
          );
          const lsn0 = (
            await c.query<{ l: string }>('SELECT pg_current_wal_insert_lsn()::text AS l')
          ).rows[0]!.l;
          const cpu0 = backendCpuMs(pid);
          done += await variants[name](c);
          totals[name].cpuMs += backendCpuMs(pid) - cpu0;
          const lsn1 = (
            await c.query<{ l: string }>('SELECT pg_current_wal_insert_lsn()::text AS l')
          ).rows[0]!.l;
          ranges.push({ name, from: lsn0, to: lsn1 });
        }
        totals[name].events += done;
      }
    }
    await c.query('CREATE TABLE flushed (x int)'); // a synchronous commit: flushes what is before
    const lsn = (l: string) =>
      l.split('/').reduce((n, part) => n * 2n ** 32n + BigInt(`0x${part}`), 0n);
    for (const range of ranges) {
      if (lsn(range.from) >= lsn(range.to)) {
        continue;
      }
      const [wal] = (
        await c.query<{ bytes: string | null; fpi: string | null }>(
          `SELECT sum(record_length - fpi_length)::text AS bytes, sum(fpi_length)::text AS fpi
             FROM pg_get_wal_records_info($1::pg_lsn, $2::pg_lsn) WHERE block_ref ~ ANY($3::text[])`,
          [
            range.from,
            range.to,
            files.filter((f) => f.name.startsWith(range.name)).map((f) => `/${f.file} `),
          ],
        )
      ).rows;
      totals[range.name].wal += Number(wal?.bytes ?? 0);
      totals[range.name].fpi += Number(wal?.fpi ?? 0);
    }
    const per = (t: { cpuMs: number; wal: number; fpi: number; events: number }) => ({
      cpuUsPerEvent: Math.round((t.cpuMs * 1000) / t.events),
      walBytesPerEvent: Math.round(t.wal / t.events),
      fullPageBytesPerEvent: Math.round(t.fpi / t.events),
      events: t.events,
    });
    const lease = per(totals.lease);
    const locks = per(totals.locks);
    process.stdout.write(
      `relay pass after ${batch} event(s) committed, ${rounds} rounds interleaved:\n` +
        `  lease claim + mark, fillfactor 100: ${lease.cpuUsPerEvent} µs backend CPU, ${lease.walBytesPerEvent} B WAL per event (+ ${lease.fullPageBytesPerEvent} B full pages)\n` +
        `  lock claim + mark, fillfactor 60:   ${locks.cpuUsPerEvent} µs backend CPU, ${locks.walBytesPerEvent} B WAL per event (+ ${locks.fullPageBytesPerEvent} B full pages)\n`,
    );
    process.stdout.write(
      `${JSON.stringify({ bench: 'outbox-relay-replay', batch, lease, locks })}\n`,
    );
  } finally {
    await c.end();
    await db.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
