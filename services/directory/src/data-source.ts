/**
 * DataSource for the TypeORM CLI (`npm run migration:generate -w services/directory -- src/migrations/<Name>`).
 * Point DIRECTORY_DATABASE_URL at a scratch database holding the current migrations.
 */
import 'reflect-metadata';
import { createServiceDataSource } from '@samverkan/shared';
import { DIRECTORY_ENTITIES } from './entities';
import { DIRECTORY_MIGRATIONS } from './migrations';

export default createServiceDataSource({
  url:
    process.env.DIRECTORY_DATABASE_URL ??
    process.env.DATABASE_URL ??
    'postgres://postgres@127.0.0.1:5432/samverkan_dev',
  schema: 'directory',
  entities: DIRECTORY_ENTITIES,
  migrations: DIRECTORY_MIGRATIONS,
});
