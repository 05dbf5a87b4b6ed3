import { PLATFORM_ENTITIES } from '@samverkan/shared';
import { DirectoryUnitEntity } from './directory-unit.entity';
import { ReferralEventEntity } from './referral-event.entity';
import { ReferralMessageEntity } from './referral-message.entity';
import { ReferralEntity } from './referral.entity';

export { DirectoryUnitEntity, ReferralEntity, ReferralEventEntity, ReferralMessageEntity };

export const REFERRALS_ENTITIES = [
  ...PLATFORM_ENTITIES,
  ReferralEntity,
  ReferralEventEntity,
  ReferralMessageEntity,
  DirectoryUnitEntity,
];
