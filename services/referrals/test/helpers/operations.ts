import { randomUUID } from 'node:crypto';
import {
  DEMO_UNITS as U,
  sealEnvelope,
  type DemoUserName,
  type FieldRequestMetadata,
  type GeneralJweEnvelope,
} from '@samverkan/shared';
import type { LightMyRequestResponse } from 'fastify';
import type { TestHub } from './build';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

/** The body of a new operation week organised by the police trafficking group. */
export function operationBody(overrides: Record<string, unknown> = {}) {
  const now = Date.now();
  return {
    name: 'Insatsvecka Norrköping v. 47',
    municipalityCodes: ['0581'],
    startsAt: new Date(now - 5 * MINUTE).toISOString(),
    endsAt: new Date(now + 7 * 24 * HOUR).toISOString(),
    organiserUnitId: U.policeTraffickingOst,
    coordinatorUnitId: U.coordinator,
    invitedUnitIds: [U.frideborg, U.socialjour, U.novahuset],
    ...overrides,
  };
}

export function ok(res: LightMyRequestResponse, status = 200) {
  if (res.statusCode !== status) {
    throw new Error(`expected ${status}, got ${res.statusCode}: ${res.body.slice(0, 600)}`);
  }
  return res.json();
}

/**
 * An active operation: planned by police.officer, accepted by the invited units (Norrköping's
 * org_admin for its units, Novahuset's admin for Novahuset), and activated.
 */
export async function activeOperation(
  hub: TestHub,
  options: { body?: Record<string, unknown>; activate?: boolean } = {},
) {
  const op = ok(
    await hub.as('police.officer').post('/v1/operations', operationBody(options.body)),
    201,
  );
  for (const p of op.participants as Array<{ unitId: string }>) {
    const admin: DemoUserName = p.unitId === U.novahuset ? 'novahuset.admin' : 'norrkoping.admin';
    ok(await hub.as(admin).post(`/v1/operations/${op.id}/participants/${p.unitId}/accept`));
  }
  if (options.activate !== false) {
    ok(await hub.as('police.officer').post(`/v1/operations/${op.id}/activate`));
  }
  return op as { id: string; startsAt: string; endsAt: string };
}

/** Puts a member on shift from a minute ago until the end of the operation. */
export async function putOnShift(
  hub: TestHub,
  operation: { id: string; endsAt: string },
  unitId: string,
  userId: string,
  by: DemoUserName = 'norrkoping.admin',
) {
  return ok(
    await hub.as(by).post(`/v1/operations/${operation.id}/shifts`, {
      unitId,
      userId,
      startsAt: new Date(Date.now() - MINUTE).toISOString(),
      endsAt: operation.endsAt,
    }),
    201,
  );
}

/** A field-request envelope sealed by the requester's unit for the addressed units (demo keys). */
export async function sealFieldRequest(
  hub: TestHub,
  meta: Omit<FieldRequestMetadata, 'kind'>,
): Promise<GeneralJweEnvelope> {
  const sender = hub.keys.units[meta.requesterUnitId]!;
  const sealed = await sealEnvelope({
    meta: { kind: 'field_request', ...meta },
    document: {
      address: 'Testgatan 1, Norrköping',
      details: 'Two women met in a flat; one speaks Romanian only.',
    },
    sender: { signingKey: { kid: sender.sig.kid, privateJwk: sender.sig.privateJwk } },
    recipients: meta.participantUnitIds.map((unitId) => ({
      unitId,
      encryptionKeys: [hub.keys.units[unitId]!.enc.publicJwk],
    })),
    senderEncryptionKeys: [sender.enc.publicJwk],
  });
  return sealed.jwe;
}

/** The social services units of the default operation, sorted (the addressees). */
export const SOCIAL_SERVICES_PARTICIPANTS = [U.frideborg, U.socialjour].sort();

/** A field request body for operation `operationId`, its envelope sealed for `to`. */
export async function fieldRequestBody(
  hub: TestHub,
  operationId: string,
  overrides: Record<string, unknown> = {},
  to: string[] = SOCIAL_SERVICES_PARTICIPANTS,
) {
  const id = (overrides.id as string | undefined) ?? randomUUID();
  const clear = {
    id,
    requesterUnitId: U.policeTraffickingOst,
    urgency: 'acute',
    neededBy: new Date(Date.now() + 30 * MINUTE).toISOString(),
    estimatedPersons: { adults: 2, children: 0, unknown: 1 },
    languages: ['ro', 'en'],
    flags: { childSuspected: false, protectedHousingLikely: true, buyerPresent: true },
    ...overrides,
  } as FieldRequestBody;
  const { id: fieldRequestId, ...rest } = clear;
  return {
    ...clear,
    envelope: await sealFieldRequest(hub, {
      ...rest,
      fieldRequestId,
      operationId,
      participantUnitIds: to,
    }),
  };
}

type FieldRequestBody = Omit<
  FieldRequestMetadata,
  'kind' | 'fieldRequestId' | 'operationId' | 'participantUnitIds'
> & {
  id: string;
};

/** The events the referrals outbox holds of one type, oldest first. */
export async function outboxEvents(hub: TestHub, typePrefix: string) {
  const rows = (await hub.referrals.context.dataSource.query(
    `SELECT payload FROM referrals.outbox WHERE type LIKE $1 ORDER BY position`,
    [`${typePrefix}%`],
  )) as Array<{ payload: { type: string; data: Record<string, unknown> } }>;
  return rows.map((r) => r.payload);
}
