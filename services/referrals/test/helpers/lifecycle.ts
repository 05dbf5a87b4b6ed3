import type { DemoUserName, GeneralJweEnvelope } from '@samverkan/shared';
import { agencyClient, referralDocument } from './agency-client';
import type { TestHub } from './build';

export interface Party {
  user: DemoUserName;
  unitId: string;
}

export type PreparedState =
  | 'sent'
  | 'received'
  | 'accepted'
  | 'handover_planned'
  | 'handover_confirmed'
  | 'closed'
  | 'declined'
  | 'withdrawn';

export interface PreparedReferral {
  id: string;
  envelope: GeneralJweEnvelope;
  body: Record<string, unknown>;
}

/**
 * Sends a referral through the API (a real sealed envelope) and drives it into `state` with the
 * parties' own requests, failing loudly if any step is refused.
 */
export async function prepareReferral(
  hub: TestHub,
  options: {
    sender: Party;
    recipient: Party;
    copyUnitIds?: string[];
    meta?: Partial<Record<string, string>>;
    state?: PreparedState;
    marker?: string;
  },
): Promise<PreparedReferral> {
  const { sender, recipient } = options;
  const client = agencyClient(hub, sender.user, sender.unitId);
  const body = await client.referral(
    { recipientUnitId: recipient.unitId, copyUnitIds: options.copyUnitIds ?? [] },
    referralDocument(options.marker ?? 'prepared'),
    options.meta,
  );
  await step(hub, sender.user, '/v1/referrals', body, 201);
  const id = body.id;
  const to = async (user: DemoUserName, action: string, payload: unknown = {}) =>
    step(hub, user, `/v1/referrals/${id}/${action}`, payload, 200);
  const plan = { mode: 'in_person', plannedFor: new Date(Date.now() + 3_600_000).toISOString() };

  switch (options.state ?? 'sent') {
    case 'sent':
      break;
    case 'received':
      await to(recipient.user, 'acknowledge');
      break;
    case 'accepted':
      await to(recipient.user, 'accept');
      break;
    case 'handover_planned':
      await to(recipient.user, 'accept');
      await to(recipient.user, 'handover', plan);
      break;
    case 'handover_confirmed':
    case 'closed':
      await to(recipient.user, 'accept');
      await to(recipient.user, 'handover', plan);
      await to(sender.user, 'confirm-handover', { side: 'sender' });
      await to(recipient.user, 'confirm-handover', { side: 'recipient' });
      if (options.state === 'closed') {
        await to(recipient.user, 'close', { outcome: 'support_started' });
      }
      break;
    case 'declined':
      await to(recipient.user, 'decline', { reason: 'no_capacity' });
      break;
    case 'withdrawn':
      await to(sender.user, 'withdraw');
      break;
  }
  return { id, envelope: body.envelope, body };
}

async function step(
  hub: TestHub,
  user: DemoUserName,
  url: string,
  payload: unknown,
  expected: number,
): Promise<void> {
  const res = await hub.as(user).post(url, payload);
  if (res.statusCode !== expected) {
    throw new Error(`${user} POST ${url}: ${res.statusCode} ${res.body}`);
  }
}

/** The referral's current status, read straight from the table. */
export async function statusOf(hub: TestHub, id: string): Promise<string | undefined> {
  const [row] = (await hub.referrals.context.dataSource.query(
    'SELECT status FROM referrals.referrals WHERE id = $1',
    [id],
  )) as Array<{ status: string }>;
  return row?.status;
}
