/**
 * The ledger a resilience scenario ends with: what the clients were told was accepted, what the
 * database holds, what is still waiting in the outbox, what the stream carries, and what the
 * notifications service made of it — counted by id, so that a loss or a double shows as a number.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Client } from 'pg';
import { streamName, wireSubject } from '@samverkan/shared';
import type { Topology } from './topology';

export interface Reconciliation {
  accepted: number;
  stored: number;
  /** accepted by the API but not in the database */
  lost: number;
  /** outbox rows of the referrals service not yet published */
  outboxPending: number;
  /** `referral.sent` messages on the stream (undefined while every NATS node is down) */
  streamSent?: number;
  /** referrals for which the recipient's notification exists (one per referral and user) */
  notified?: number;
  /** notifications beyond one per referral, user and kind */
  notificationDuplicates?: number;
}

async function tableExists(client: Client, schema: string, table: string): Promise<boolean> {
  const { rows } = await client.query<{ ok: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS ok`, [
    `${schema}.${table}`,
  ]);
  return rows[0]?.ok ?? false;
}

export async function reconcile(topology: Topology, accepted: string[]): Promise<Reconciliation> {
  const client = new Client({ connectionString: topology.db.url });
  await client.connect();
  try {
    const stored = await client.query<{ n: string }>(
      'SELECT count(*)::text AS n FROM referrals.referrals WHERE id = ANY($1::uuid[])',
      [accepted],
    );
    const pending = await client.query<{ n: string }>(
      'SELECT count(*)::text AS n FROM referrals.outbox WHERE published_at IS NULL',
    );
    const result: Reconciliation = {
      accepted: accepted.length,
      stored: Number(stored.rows[0]!.n),
      lost: accepted.length - Number(stored.rows[0]!.n),
      outboxPending: Number(pending.rows[0]!.n),
      streamSent: topology.nats.nodes.some((n) => n.running)
        ? await streamCount(topology, 'referrals', 'samverkan.referrals.referral.sent')
        : undefined,
    };
    if (await tableExists(client, 'notifications', 'notifications')) {
      const { rows } = await client.query<{ notified: string; duplicates: string }>(
        `SELECT count(DISTINCT object_id)::text AS notified,
                (count(*) - count(DISTINCT (object_id, user_id, kind)))::text AS duplicates
           FROM notifications.notifications
          WHERE object_id = ANY($1::uuid[])`,
        [accepted],
      );
      result.notified = Number(rows[0]!.notified);
      result.notificationDuplicates = Number(rows[0]!.duplicates);
    }
    return result;
  } finally {
    await client.end();
  }
}

/** Messages on the service's stream with the given event type, read from any live node. */
export async function streamCount(
  topology: Topology,
  service: string,
  type: string,
): Promise<number> {
  const servers = topology.nats.nodes.filter((n) => n.running).map((n) => n.url);
  if (servers.length === 0) {
    throw new Error('every NATS node of the topology is down');
  }
  const nc = await connect({ servers });
  try {
    const jsm = await jetstreamManager(nc);
    const subject = wireSubject(topology.naming, type);
    const info = await jsm.streams.info(streamName(topology.naming, service), {
      subjects_filter: subject,
    });
    return Number(info.state.subjects?.[subject] ?? 0);
  } finally {
    await nc.close();
  }
}
