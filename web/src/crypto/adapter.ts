/**
 * The one place the web app asks for cryptography: opening a referral's or field request's
 * envelope, sealing a new one, and whether this browser holds the unit's keys.
 *
 * The implementation must be the SDK's isomorphic client crypto (envelope v2, jose on WebCrypto)
 * and the device keys of the device-keys work (a browser is a device: non-extractable keys,
 * unit keys reaching it only as boxes sealed to it after a colleague approves it) — never a second
 * envelope implementation here. Until that lands this browser is a device without unit keys, and
 * every screen that needs plaintext says so instead of showing anything.
 */
export interface UnitKeyStatus {
  unitId: string;
  /** this device can open envelopes addressed to the unit */
  canOpen: boolean;
}

export interface OpenedDocument {
  document: Record<string, unknown>;
  senderUnitId: string;
}

export interface CryptoAdapter {
  /** whether this device holds the private keys of each unit */
  unitKeys(unitIds: string[]): Promise<UnitKeyStatus[]>;
  /** opens an envelope for one of the caller's units; undefined when the device has no keys */
  open(
    kind: 'referral' | 'field_request' | 'message',
    envelope: unknown,
    unitId: string,
  ): Promise<OpenedDocument | undefined>;
}

/** A browser that is not (yet) an enrolled device with unit keys. */
export const deviceWithoutKeys: CryptoAdapter = {
  async unitKeys(unitIds) {
    return unitIds.map((unitId) => ({ unitId, canOpen: false }));
  },
  async open() {
    return undefined;
  },
};

export let cryptoAdapter: CryptoAdapter = deviceWithoutKeys;

/** Where the device-keys module installs itself once this browser is an approved device. */
export function installCrypto(adapter: CryptoAdapter): void {
  cryptoAdapter = adapter;
}
