import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { JWK } from 'jose';
import type { PersonRef } from './crypto/device-keys';
import { importDeviceKeys } from './crypto/device-keys';
import type { ActingDevice, SeenBoxes } from './devices';
import { KeyStoreError } from './errors';

/**
 * This CLI's own device (Node only): the private halves of its device keys, the id the hub gave
 * at enrolment, and what it saw of each unit's newest key box. A file of mode 0600 beside the key
 * store; its keys never leave this machine (a browser keeps non-extractable CryptoKeys instead).
 */
export interface StoredDevice {
  version: 1;
  /** the hub's device id, once enrolled */
  id?: string;
  url: string;
  label: string;
  person: PersonRef;
  keys: { enc: JWK; sig: JWK };
  seen: SeenBoxes;
}

export function readDeviceStore(file: string): StoredDevice | undefined {
  if (!fs.existsSync(file)) {
    return undefined;
  }
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as StoredDevice;
  } catch {
    throw new KeyStoreError(`the device file ${file} is not JSON`);
  }
}

/** Writes atomically with mode 0600. */
export function writeDeviceStore(file: string, device: StoredDevice): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(device, null, 2)}\n`, { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}

/** The stored device as the SDK acts through it (its keys imported for use). */
export async function actingDevice(stored: StoredDevice): Promise<ActingDevice> {
  if (!stored.id) {
    throw new KeyStoreError('this device is not enrolled yet: run `samverkan device enrol`');
  }
  return { id: stored.id, keys: await importDeviceKeys(stored.keys) };
}
