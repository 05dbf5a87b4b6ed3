/**
 * DataSource for the TypeORM CLI (`npm run migration:generate -w services/notifications -- src/migrations/<Name>`).
 * Point NOTIFICATIONS_DATABASE_URL at a scratch database holding the current migrations.
 */
import 'reflect-metadata';
import { createServiceDataSource } from '@samverkan/shared';
import { NOTIFICATIONS_ENTITIES } from './entities';
import { NOTIFICATIONS_MIGRATIONS } from './migrations';

export default createServiceDataSource({
  url:
    process.env.NOTIFICATIONS_DATABASE_URL ??
    process.env.DATABASE_URL ??
    'postgres://postgres@127.0.0.1:5432/samverkan_dev',
  schema: 'notifications',
  entities: NOTIFICATIONS_ENTITIES,
  migrations: NOTIFICATIONS_MIGRATIONS,
});
