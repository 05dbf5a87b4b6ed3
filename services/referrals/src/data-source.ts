/**
 * DataSource for the TypeORM CLI (`npm run migration:generate -w services/referrals -- src/migrations/<Name>`).
 * Point REFERRALS_DATABASE_URL at a scratch database holding the current migrations.
 */
import 'reflect-metadata';
import { createServiceDataSource } from '@samverkan/shared';
import { REFERRALS_ENTITIES } from './entities';
import { REFERRALS_MIGRATIONS } from './migrations';

export default createServiceDataSource({
  url:
    process.env.REFERRALS_DATABASE_URL ??
    process.env.DATABASE_URL ??
    'postgres://postgres@127.0.0.1:5432/samverkan_dev',
  schema: 'referrals',
  entities: REFERRALS_ENTITIES,
  migrations: REFERRALS_MIGRATIONS,
});
