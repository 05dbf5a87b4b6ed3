import { describeMigrations } from '@samverkan/shared/src/testing';
import { REFERRALS_ENTITIES } from '../src/entities';
import { REFERRALS_MIGRATIONS } from '../src/migrations';

describeMigrations({
  schema: 'referrals',
  entities: REFERRALS_ENTITIES,
  migrations: REFERRALS_MIGRATIONS,
});
