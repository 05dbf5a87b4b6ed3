import { PLATFORM_ENTITIES, TrustedIssuerEntity } from '@samverkan/shared';
import { DirectoryMemberEntity } from './directory-member.entity';
import { DirectoryUnitEntity } from './directory-unit.entity';
import { EncounterTallyEntity } from './encounter-tally.entity';
import { FieldRequestEntity } from './field-request.entity';
import { OperationParticipantEntity } from './operation-participant.entity';
import { OperationShiftEntity } from './operation-shift.entity';
import { OperationEntity } from './operation.entity';
import { ReferralEventEntity } from './referral-event.entity';
import { ReferralMessageEntity } from './referral-message.entity';
import { ReferralEntity } from './referral.entity';
import { RECORDS_ENTITIES } from '../records/records.entities';
import {
  REFERRAL_ROLLUP_ENTITIES,
  ReferralBoxCountEntity,
  ReferralCopyEntryEntity,
  ReferralStatisticsAcknowledgementEntity,
  ReferralStatisticsMonthEntity,
  ReferralStatisticsSecretEntity,
} from './referral-rollups.entity';

export {
  DirectoryMemberEntity,
  DirectoryUnitEntity,
  EncounterTallyEntity,
  FieldRequestEntity,
  OperationEntity,
  OperationParticipantEntity,
  OperationShiftEntity,
  ReferralEntity,
  ReferralEventEntity,
  ReferralMessageEntity,
  ReferralBoxCountEntity,
  ReferralCopyEntryEntity,
  ReferralStatisticsAcknowledgementEntity,
  ReferralStatisticsMonthEntity,
  ReferralStatisticsSecretEntity,
  TrustedIssuerEntity,
};

export const REFERRALS_ENTITIES = [
  ...PLATFORM_ENTITIES,
  ReferralEntity,
  ReferralEventEntity,
  ReferralMessageEntity,
  DirectoryUnitEntity,
  TrustedIssuerEntity,
  DirectoryMemberEntity,
  OperationEntity,
  OperationParticipantEntity,
  OperationShiftEntity,
  FieldRequestEntity,
  EncounterTallyEntity,
  // retention, legal holds and log reviews (src/records/)
  ...RECORDS_ENTITIES,
  // counters and statistics kept by triggers (issue 15)
  ...REFERRAL_ROLLUP_ENTITIES,
];
