import { randomUUID } from 'node:crypto';
import { describeMigrations, describeRepositorySync } from '@samverkan/shared/src/testing';
import type { DataSource, EntityManager } from 'typeorm';
import { createDeadLettersRepository } from '../src/dead-letters/repository';
import { notificationText } from '../src/domain/notification-text';
import { NOTIFICATIONS_ENTITIES } from '../src/entities';
import * as escalations from '../src/escalations/repository';
import { createInboxRepository } from '../src/inbox/repository';
import { NOTIFICATIONS_MIGRATIONS } from '../src/migrations';
import * as readModel from '../src/read-model/repository';
import * as records from '../src/records/repository';
import {
  insertNotifications,
  lockPeople,
  lockPeopleWithPreferences,
  notifiedOf,
  preferencesOf,
  preferencesOfPerson,
  savePreference,
} from '../src/repositories/notifications.repository';
import { newEndpoint, testDelivery } from '../src/webhooks/endpoint-rules';
import {
  createWebhooksRepository,
  queueDeliveries,
  enabledEndpoints,
} from '../src/webhooks/repository';

describeMigrations({
  schema: 'notifications',
  entities: NOTIFICATIONS_ENTITIES,
  migrations: NOTIFICATIONS_MIGRATIONS,
});

// The repositories' statements, recorded while they run on the migrated (empty) schema, name only
// columns the entities map, with the entities' types (shared/src/testing/repository-sync.ts).
describeRepositorySync({
  schema: 'notifications',
  entities: NOTIFICATIONS_ENTITIES,
  migrations: NOTIFICATIONS_MIGRATIONS,
  async exercise(ds) {
    const person = { organisationId: randomUUID(), userId: 'someone' };
    const facts = {
      kind: 'referral_received' as const,
      objectType: 'referral' as const,
      objectId: randomUUID(),
      unitId: randomUUID(),
      category: 'trafficking_sexual',
      urgency: 'acute',
    };
    await ds.transaction(async (tx) => {
      await lockPeople(tx, ['a', 'b']);
      await preferencesOf(tx, [person]);
      expect(await lockPeopleWithPreferences(tx, ['a', 'b'], [person])).toEqual([]);
      const ids = await insertNotifications(tx, [
        {
          id: randomUUID(),
          eventId: randomUUID(),
          recipient: { ...person, unitId: facts.unitId },
          facts,
          text: notificationText(facts),
          channels: ['in_app'],
        },
      ]);
      expect(ids).toHaveLength(1);
      expect(await notifiedOf(tx, facts.objectId, facts.kind)).toEqual([
        { ...person, unitId: facts.unitId },
      ]);
      await savePreference(tx, person, 'operation_invitation', ['webhook'], new Date());
      expect(await preferencesOfPerson(tx, person)).toHaveLength(1);
      expect(await lockPeopleWithPreferences(tx, ['a'], [person])).toEqual(
        [
          {
            ...person,
            userOrganisationId: person.organisationId,
            kind: 'operation_invitation',
            channels: ['webhook'],
          },
        ].map(({ userOrganisationId, userId, kind, channels }) => ({
          userOrganisationId,
          userId,
          kind,
          channels,
        })),
      );
    });
    await exerciseInbox(ds);
    await rolledBack(ds, exerciseEscalations);
    await rolledBack(ds, exerciseReadModel);
    await exerciseWebhooks(ds);
    await exerciseDeadLetters(ds);
    await rolledBack(ds, exerciseRecords);
  },
});

/** Runs writes in a transaction that is rolled back, so that each exercise starts empty. */
async function rolledBack(ds: DataSource, work: (tx: EntityManager) => Promise<void>) {
  await ds
    .transaction(async (tx) => {
      await work(tx);
      throw new Error('rolled back');
    })
    .catch((err: unknown) => {
      if ((err as Error).message !== 'rolled back') {
        throw err;
      }
    });
}

/** Every statement of the inbox: each state filter, every other filter, both bulk marks. */
async function exerciseInbox(ds: DataSource): Promise<void> {
  const inbox = createInboxRepository(ds);
  const person = { organisationId: randomUUID(), userId: 'someone' };
  const filters = { kind: 'referral_received', severity: 'critical', unit: randomUUID() } as const;
  for (const state of [
    undefined,
    'unread',
    'read',
    'unacknowledged',
    'acknowledged',
    'archived',
  ] as const) {
    await inbox.page(person, { state, ...filters, since: new Date().toISOString() }, '10', 11);
  }
  await inbox.page(person, {}, undefined, 11);
  await inbox.own(person, randomUUID());
  await inbox.exists(randomUUID());
  expect(await inbox.counts(person)).toEqual({
    unread: 0,
    unacknowledged: 0,
    critical: 0,
    high: 0,
    normal: 0,
  });
  expect(await inbox.streamUpdate(person, '0', 100)).toEqual({
    rows: [],
    counts: { unread: 0, unacknowledged: 0, critical: 0, high: 0, normal: 0 },
  });
  expect(await inbox.latestSeq(person)).toBe('0');
  // The stream's hand-written read gives the entities the query builder gives, with the counts.
  const reader = { organisationId: randomUUID(), userId: 'reader' };
  await ds.transaction((tx) =>
    insertNotifications(
      tx,
      (['referral_received', 'referral_copy_received'] as const).map((kind) => {
        const facts = {
          kind,
          objectType: 'referral' as const,
          objectId: randomUUID(),
          unitId: null,
          category: 'other',
          urgency: 'acute',
        };
        const text = notificationText(facts);
        return {
          id: randomUUID(),
          eventId: randomUUID(),
          recipient: { ...reader, unitId: null },
          facts,
          text,
          channels: ['in_app'],
        };
      }),
    ),
  );
  const [newest, older] = await inbox.page(reader, {}, undefined, 10);
  expect(await inbox.streamUpdate(reader, older!.seq, 100)).toEqual({
    rows: [newest],
    counts: await inbox.counts(reader),
  });
  expect((await inbox.streamUpdate(reader, '0', 100)).rows).toEqual([older, newest]);
  await rolledBack(ds, async (tx) => {
    await inbox.lockOwn(tx, person, randomUUID());
    await inbox.exists(randomUUID(), tx);
    await inbox.saveState(tx, randomUUID(), {
      requiresAck: false,
      seenAt: new Date(),
      readAt: new Date(),
      acknowledgedAt: null,
      archivedAt: null,
    });
    for (const state of ['read', 'seen'] as const) {
      await inbox.mark(
        tx,
        person,
        { ids: [randomUUID()], ...filters, before: '2026-01-01' },
        state,
      );
      await inbox.mark(tx, person, {}, state);
    }
  });
}

async function exerciseEscalations(tx: EntityManager): Promise<void> {
  const objectId = randomUUID();
  await escalations.insertTimer(tx, {
    objectType: 'referral',
    objectId,
    level: 1,
    dueAt: new Date(0),
    unitIds: [randomUUID()],
    category: 'trafficking_sexual',
    urgency: 'acute',
    municipalityCode: '0581',
    coordinatorUnitId: null,
  });
  const due = await escalations.claimDueTimer(tx, new Date());
  expect(due).toMatchObject({ timer: { objectId }, acknowledged: false });
  await escalations.settleTimer(tx, due!.timer.id, 'fired', new Date());
  await escalations.cancelPendingTimers(tx, 'referral', objectId);
  expect(await escalations.escalatedPeople(tx, 'referral', objectId)).toEqual([]);
}

async function exerciseReadModel(tx: EntityManager): Promise<void> {
  const [unitId, organisationId] = [randomUUID(), randomUUID()];
  const at = new Date().toISOString();
  await readModel.upsertUnit(
    tx,
    {
      unitId,
      organisationId,
      organisationKind: 'regional_coordinator',
      status: 'active',
      onCallUnitId: null,
      coverage: ['0581'],
    },
    at,
  );
  await readModel.upsertMember(
    tx,
    { unitId, userId: 'someone', roles: ['org_admin'], active: true },
    at,
  );
  await readModel.upsertShift(tx, {
    shiftId: randomUUID(),
    unitId,
    userId: 'someone',
    startsAt: new Date(Date.now() - 60_000).toISOString(),
    endsAt: new Date(Date.now() + 60_000).toISOString(),
    deleted: false,
  });
  const someone = { organisationId, userId: 'someone', unitId };
  expect(await readModel.organisationOfUnit(tx, unitId)).toBe(organisationId);
  expect(await readModel.unitsByIds(tx, [unitId])).toHaveLength(1);
  expect(await readModel.activeMembers(tx, [unitId])).toEqual([someone]);
  expect(await readModel.activeMembers(tx, [unitId], ['coordinator'])).toEqual([]);
  expect(await readModel.onShift(tx, unitId, new Date())).toEqual([someone]);
  expect(await readModel.coordinatorUnitsCovering(tx, '0581')).toEqual([unitId]);
  expect(await readModel.organisationAdmins(tx, organisationId)).toEqual([someone]);
}

/** Every statement of the webhook routes, consumers and delivery worker (writes rolled back). */
async function exerciseWebhooks(ds: DataSource): Promise<void> {
  const webhooks = createWebhooksRepository(ds);
  const after = { createdAt: new Date(), id: randomUUID() };
  await webhooks.endpoint(randomUUID());
  await webhooks.endpointsPage(randomUUID(), { unit: randomUUID(), status: 'enabled' }, after, 2);
  await webhooks.endpointsPage(randomUUID(), {}, undefined, 2);
  await webhooks.deliveriesPage(randomUUID(), 'dead', after, 2);
  await webhooks.deliveriesPage(randomUUID(), undefined, undefined, 2);
  await webhooks.attemptsOf([randomUUID()]);
  expect(await webhooks.claimDue(randomUUID(), new Date(), new Date(), 10)).toEqual([]);
  expect(await webhooks.prune(new Date(0))).toBe(0);
  const now = new Date();
  const endpoint = newEndpoint({
    id: randomUUID(),
    body: { unitId: randomUUID(), url: 'https://example.org/hook', eventTypes: ['referral.sent'] },
    organisationId: randomUUID(),
    secretSealed: 'sealed',
    createdBy: { sub: 'someone', iss: 'https://idp.example' },
    now,
  });
  await rolledBack(ds, async (tx) => {
    await webhooks.insertEndpoint(tx, endpoint);
    await webhooks.updateEndpoint(tx, endpoint.id, { description: 'x', updatedAt: now });
    await webhooks.lockEndpoint(tx, endpoint.id);
    expect(await webhooks.endpointStatus(tx, endpoint.id)).toBe('enabled');
    const delivery = testDelivery(
      endpoint,
      { deliveryId: randomUUID(), eventId: randomUUID() },
      now,
    );
    await webhooks.insertDelivery(tx, delivery);
    await webhooks.lockDelivery(tx, delivery.id, endpoint.id);
    await webhooks.lockDelivery(tx, delivery.id);
    await webhooks.updateDelivery(tx, delivery.id, { attempts: 1, updatedAt: now });
    await webhooks.insertAttempt(tx, {
      deliveryId: delivery.id,
      attemptedAt: now,
      durationMs: 5,
      statusCode: 200,
      outcome: 'http_200',
    });
    await webhooks.clearFailures(tx, endpoint.id);
    await webhooks.killQueued(tx, endpoint.id, now);
    const targets = (await enabledEndpoints(tx, [endpoint.unitId])).filter((e) =>
      e.eventTypes.includes('referral.sent'),
    );
    expect(targets.map((e) => e.id)).toEqual([endpoint.id]);
    const queued = [
      {
        id: randomUUID(),
        endpointId: endpoint.id,
        eventId: randomUUID(),
        eventType: 'referral.sent',
        payload: '{}',
        nextAttemptAt: now,
      },
    ];
    expect(await queueDeliveries(tx, queued, now)).toBe(1);
    expect(await queueDeliveries(tx, queued, now)).toBe(0);
    await webhooks.deleteEndpoint(tx, endpoint.id);
  });
}

async function exerciseDeadLetters(ds: DataSource): Promise<void> {
  const letters = createDeadLettersRepository(ds);
  await letters.page(undefined, undefined, 2);
  await letters.page(true, { createdAt: new Date(), id: randomUUID() }, 2);
  await letters.page(false, undefined, 2);
  await letters.find(randomUUID());
  await rolledBack(ds, (tx) => letters.markReplayed(tx, randomUUID(), new Date()));
}

async function exerciseRecords(tx: EntityManager): Promise<void> {
  const objectId = randomUUID();
  await records.rememberParties(tx, 'referral', objectId, [randomUUID()]);
  await records.rememberParties(tx, 'referral', objectId, [randomUUID()]);
  expect(await records.replaceTexts(tx, 'referral', objectId, { title: 't', body: 'b' })).toBe(0);
  await records.markPurged(tx, 'referral', objectId, new Date());
  expect(await records.tryPurgeLock(tx, 1)).toBe(true);
  expect(await records.deleteOlderThan(tx, new Date(0), 10)).toEqual({
    notifications: 0,
    timers: 0,
  });
  expect(await records.notificationOrganisations(tx, randomUUID())).toEqual([]);
  expect(await records.objectOrganisations(tx, 'referral', objectId)).toEqual([]);
  expect(await records.unitOrganisations(tx, randomUUID())).toEqual([]);
}
