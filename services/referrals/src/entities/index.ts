import { PLATFORM_ENTITIES } from '@samverkan/shared';
import { DirectoryUnitEntity } from './directory-unit.entity';
import { ReferralEventEntity } from './referral-event.entity';
import { ReferralMessageEntity } from './referral-message.entity';
import { ReferralEntity } from './referral.entity';
import { TrustedIssuerEntity } from './trusted-issuer.entity';

export {
  DirectoryUnitEntity,
  ReferralEntity,
  ReferralEventEntity,
  ReferralMessageEntity,
  TrustedIssuerEntity,
};

export const REFERRALS_ENTITIES = [
  ...PLATFORM_ENTITIES,
  ReferralEntity,
  ReferralEventEntity,
  ReferralMessageEntity,
  DirectoryUnitEntity,
  TrustedIssuerEntity,
];
