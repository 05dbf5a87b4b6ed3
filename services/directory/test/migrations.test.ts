import { describeMigrations } from '@samverkan/shared/src/testing';
import { DIRECTORY_ENTITIES } from '../src/entities';
import { DIRECTORY_MIGRATIONS } from '../src/migrations';

describeMigrations({
  schema: 'directory',
  entities: DIRECTORY_ENTITIES,
  migrations: DIRECTORY_MIGRATIONS,
});
