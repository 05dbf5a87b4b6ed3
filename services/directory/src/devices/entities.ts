import { DeviceProofEntity } from './device-proof.entity';
import { DeviceUnitEntity } from './device-unit.entity';
import { DeviceEntity } from './device.entity';
import { KeyBoxEntity } from './key-box.entity';
import { RecoveryKeyEntity } from './recovery-key.entity';

export { DeviceEntity, DeviceProofEntity, DeviceUnitEntity, KeyBoxEntity, RecoveryKeyEntity };

export const DEVICE_ENTITIES = [
  DeviceEntity,
  DeviceUnitEntity,
  KeyBoxEntity,
  RecoveryKeyEntity,
  DeviceProofEntity,
];
