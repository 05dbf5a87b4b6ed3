import { randomUUID } from 'node:crypto';
import { describeMigrations, describeRepositorySync } from '@samverkan/shared/src/testing';
import { notificationText } from '../src/domain/notification-text';
import { NOTIFICATIONS_ENTITIES } from '../src/entities';
import { NOTIFICATIONS_MIGRATIONS } from '../src/migrations';
import {
  insertNotifications,
  lockPeople,
  notifiedOf,
  preferencesOf,
} from '../src/repositories/notifications.repository';

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
      const ids = await insertNotifications(tx, randomUUID(), [
        {
          id: randomUUID(),
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
    });
  },
});
