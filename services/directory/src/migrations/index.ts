import { Initial1795409896774 } from './1795409896774-Initial';
import { SearchIndexesAndAppendOnlyLogs1795409900000 } from './1795409900000-SearchIndexesAndAppendOnlyLogs';
import { ChainCheckpoints1795430000000 } from './1795430000000-ChainCheckpoints';
import { DeviceKeys1796165068146 } from './1796165068146-DeviceKeys';
import { ActorsByIssuer1796170000000 } from './1796170000000-ActorsByIssuer';
import { VerifiedOrganisationNumbers1796170000001 } from './1796170000001-VerifiedOrganisationNumbers';
import { AuditUnits1797000000001 } from './1797000000001-AuditUnits';
import { UnchainedAuditEntries1797020000000 } from './1797020000000-UnchainedAuditEntries';
import { NamesVersion1797061000000 } from './1797061000000-NamesVersion';
import { OutboxRoomForMarks1797090000001 } from './1797090000001-OutboxRoomForMarks';

/** In order; each is committed and never edited once it has shipped. */
export const DIRECTORY_MIGRATIONS = [
  Initial1795409896774,
  SearchIndexesAndAppendOnlyLogs1795409900000,
  ChainCheckpoints1795430000000,
  DeviceKeys1796165068146,
  ActorsByIssuer1796170000000,
  VerifiedOrganisationNumbers1796170000001,
  AuditUnits1797000000001,
  UnchainedAuditEntries1797020000000,
  NamesVersion1797061000000,
  OutboxRoomForMarks1797090000001,
];
