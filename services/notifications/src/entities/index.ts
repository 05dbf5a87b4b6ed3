import { PLATFORM_ENTITIES, TrustedIssuerEntity } from '@samverkan/shared';
import {
  DirectoryMemberEntity,
  DirectoryShiftEntity,
  DirectoryUnitEntity,
} from './directory.entities';
import { EscalationTimerEntity } from './escalation-timer.entity';
import { NotificationPreferenceEntity } from './notification-preference.entity';
import { NotificationEntity } from './notification.entity';
import { WEBHOOK_ENTITIES } from '../webhooks/webhook.entities';
import { ObjectPartiesEntity } from '../records/object-parties.entity';

export {
  DirectoryMemberEntity,
  DirectoryShiftEntity,
  DirectoryUnitEntity,
  EscalationTimerEntity,
  NotificationEntity,
  NotificationPreferenceEntity,
  TrustedIssuerEntity,
};

export const NOTIFICATIONS_ENTITIES = [
  ...PLATFORM_ENTITIES,
  NotificationEntity,
  NotificationPreferenceEntity,
  EscalationTimerEntity,
  DirectoryUnitEntity,
  DirectoryMemberEntity,
  DirectoryShiftEntity,
  TrustedIssuerEntity,
  ...WEBHOOK_ENTITIES,
  // the parties of referrals, field requests and operations (src/records/)
  ObjectPartiesEntity,
];
