import { Initial1795417384823 } from './1795417384823-Initial';
import { AppendOnlyAudit1795417400000 } from './1795417400000-AppendOnlyAudit';
import { WebhookEndpoints1795500000000 } from '../webhooks/migrations/1795500000000-WebhookEndpoints';
import { ChainCheckpoints1795430000000 } from './1795430000000-ChainCheckpoints';
import { PersonIsOrganisationAndSubject1795600000000 } from './1795600000000-PersonIsOrganisationAndSubject';
import { ObjectParties1796500000000 } from './1796500000000-ObjectParties';
import { WebhookCreatorIssuer1797000000003 } from '../webhooks/migrations/1797000000003-WebhookCreatorIssuer';
import { UnchainedAuditEntries1797020000001 } from './1797020000001-UnchainedAuditEntries';
import { OutboxRoomForMarks1797090000002 } from './1797090000002-OutboxRoomForMarks';
import { OutstandingNotificationsIndex1797090200000 } from './1797090200000-OutstandingNotificationsIndex';

/** In order; each is committed and never edited once it has shipped. */
export const NOTIFICATIONS_MIGRATIONS = [
  Initial1795417384823,
  AppendOnlyAudit1795417400000,
  WebhookEndpoints1795500000000,
  ChainCheckpoints1795430000000,
  PersonIsOrganisationAndSubject1795600000000,
  ObjectParties1796500000000,
  WebhookCreatorIssuer1797000000003,
  UnchainedAuditEntries1797020000001,
  OutboxRoomForMarks1797090000002,
  OutstandingNotificationsIndex1797090200000,
];
