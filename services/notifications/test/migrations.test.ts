import { describeMigrations } from '@samverkan/shared/src/testing';
import { NOTIFICATIONS_ENTITIES } from '../src/entities';
import { NOTIFICATIONS_MIGRATIONS } from '../src/migrations';

describeMigrations({
  schema: 'notifications',
  entities: NOTIFICATIONS_ENTITIES,
  migrations: NOTIFICATIONS_MIGRATIONS,
});
