import { Initial1795413838657 } from './1795413838657-Initial';
import { CopiesIndexAndAppendOnlyAudit1795413900000 } from './1795413900000-CopiesIndexAndAppendOnlyAudit';
import { TrustedIssuers1795415252703 } from './1795415252703-TrustedIssuers';
import { OperationWeeks1795420000000 } from './1795420000000-OperationWeeks';
import { ChainCheckpoints1795430000000 } from './1795430000000-ChainCheckpoints';
import { SealedNotes1795440000000 } from './1795440000000-SealedNotes';
import { UnchainedAuditEntries1796300000000 } from './1796300000000-UnchainedAuditEntries';
import { Records1796500000000 } from './1796500000000-Records';
import { OnCallShifts1796500001000 } from './1796500001000-OnCallShifts';
import { AuditUnitsReadModel1797000000002 } from './1797000000002-AuditUnitsReadModel';
import { LogReviewActorsByIssuer1797000000004 } from './1797000000004-LogReviewActorsByIssuer';
import { ClearLegacyClearText1797000000005 } from './1797000000005-ClearLegacyClearText';
import { BoxIndexesAtScale1797040000001 } from './1797040000001-BoxIndexesAtScale';
import { StatisticsIndex1797040000002 } from './1797040000002-StatisticsIndex';
import { ReferralRollups1797053000000 } from './1797053000000-ReferralRollups';
import { StaticReferralRollups1797060000000 } from './1797060000000-StaticReferralRollups';
import { DropUnitStatusIndexes1797075000000 } from './1797075000000-DropUnitStatusIndexes';
import { DropCopiesGinIndex1797080000000 } from './1797080000000-DropCopiesGinIndex';
import { LeanReferralInsertRollups1797080000001 } from './1797080000001-LeanReferralInsertRollups';
import { OutboxRoomForMarks1797090000000 } from './1797090000000-OutboxRoomForMarks';

/** In order; each is committed and never edited once it has shipped. */
export const REFERRALS_MIGRATIONS = [
  Initial1795413838657,
  CopiesIndexAndAppendOnlyAudit1795413900000,
  TrustedIssuers1795415252703,
  OperationWeeks1795420000000,
  ChainCheckpoints1795430000000,
  SealedNotes1795440000000,
  UnchainedAuditEntries1796300000000,
  Records1796500000000,
  OnCallShifts1796500001000,
  AuditUnitsReadModel1797000000002,
  LogReviewActorsByIssuer1797000000004,
  ClearLegacyClearText1797000000005,
  BoxIndexesAtScale1797040000001,
  StatisticsIndex1797040000002,
  ReferralRollups1797053000000,
  StaticReferralRollups1797060000000,
  DropUnitStatusIndexes1797075000000,
  DropCopiesGinIndex1797080000000,
  LeanReferralInsertRollups1797080000001,
  OutboxRoomForMarks1797090000000,
];
