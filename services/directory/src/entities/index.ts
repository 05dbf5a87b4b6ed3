import { PLATFORM_ENTITIES } from '@samverkan/shared';
import { IssuerEntity } from './issuer.entity';
import { KeyLogEntryEntity } from './key-log.entity';
import { MemberEntity } from './member.entity';
import { NamesVersionEntity } from './names-version.entity';
import { OrganisationEntity } from './organisation.entity';
import { RootKeyEntity } from './root-key.entity';
import { ShiftEntity } from './shift.entity';
import { UnitKeyEntity } from './unit-key.entity';
import { UnitEntity } from './unit.entity';
import { DEVICE_ENTITIES } from '../devices/entities';

export {
  IssuerEntity,
  KeyLogEntryEntity,
  MemberEntity,
  NamesVersionEntity,
  OrganisationEntity,
  RootKeyEntity,
  ShiftEntity,
  UnitEntity,
  UnitKeyEntity,
};

export const DIRECTORY_ENTITIES = [
  ...PLATFORM_ENTITIES,
  OrganisationEntity,
  RootKeyEntity,
  UnitEntity,
  MemberEntity,
  ShiftEntity,
  UnitKeyEntity,
  KeyLogEntryEntity,
  IssuerEntity,
  NamesVersionEntity,
  ...DEVICE_ENTITIES,
];
