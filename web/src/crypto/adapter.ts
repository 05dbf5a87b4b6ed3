/**
 * The one place the web app asks for cryptography: whether this browser holds a unit's keys,
 * opening an envelope (referral, message, field request) with every check the SDK makes, and
 * sealing one. The implementation is the SDK's isomorphic client crypto (envelope v2, jose on
 * WebCrypto) and its device keys — a browser is a device: non-extractable keys in IndexedDB, unit
 * keys reaching it only as boxes sealed to it after a colleague approved it (device-crypto.ts,
 * loaded lazily after sign-in). There is no envelope code in the web app itself.
 */
import type { Agency, BrowserDevice, DeviceStatus } from './device-crypto';

export type EnvelopeKind = 'referral' | 'field_request' | 'message';

export interface UnitKeyStatus {
  unitId: string;
  /** this device can open envelopes addressed to the unit */
  canOpen: boolean;
}

export interface OpenedDocument {
  document: Record<string, unknown>;
  /** the sending (or requesting) unit, as it signed */
  senderUnitId: string;
  /** when the sender signed it (seconds) */
  signedAt: number;
}

/**
 * Why an envelope could not be trusted: the SDK's error code (`record_mismatch`,
 * `signature_invalid`, `untrusted_key`, `decryption_failed`, …) and the metadata member concerned.
 * Every screen shows it as a warning and offers no action on the item.
 */
export class EnvelopeWarning extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly field?: string,
    /** `root_not_pinned` / `untrusted_key`: the organisation whose root this browser lacks */
    readonly organisationId?: string,
    /** …and its root fingerprints as the directory serves them (to compare, never to trust) */
    readonly fingerprints?: string[],
  ) {
    super(message);
  }
}

export function asEnvelopeWarning(err: unknown): EnvelopeWarning | undefined {
  const e = err as {
    name?: string;
    code?: unknown;
    message?: string;
    field?: unknown;
    organisationId?: unknown;
    fingerprints?: unknown;
  };
  if (
    e &&
    typeof e.code === 'string' &&
    (e.name === 'SamverkanCryptoError' || e.name === 'EnvelopeError' || e.name === 'KeyTrustError')
  ) {
    return new EnvelopeWarning(
      e.code,
      e.message ?? e.code,
      typeof e.field === 'string' ? e.field : undefined,
      typeof e.organisationId === 'string' ? e.organisationId : undefined,
      Array.isArray(e.fingerprints) ? e.fingerprints.map(String) : undefined,
    );
  }
  return undefined;
}

export interface CryptoAdapter {
  /** whether this device holds the private keys of each unit */
  unitKeys(unitIds: string[]): Promise<UnitKeyStatus[]>;
  /**
   * Opens an envelope for one of the caller's units and checks the hub's clear record of the item
   * against what the sender signed; undefined when the device has no keys of the unit. Throws
   * EnvelopeWarning when it does not open or does not verify. `record` is what the hub shows in
   * clear: the `Referral`, the `FieldRequest`, or for a message `{ referralId, messageId,
   * senderUnitId, recipientUnitIds }` (every other party of its referral).
   */
  open(
    kind: EnvelopeKind,
    envelope: unknown,
    unitId: string,
    record: Record<string, unknown>,
  ): Promise<OpenedDocument | undefined>;
  /**
   * The SDK's agency for one of the caller's units: seal and send referrals, forwards, messages
   * and field requests, read threads. Undefined when this device has no keys of the unit.
   */
  agency(unitId: string): Agency | undefined;
  /** this browser as a device, once signed in (undefined before) */
  device(): BrowserDevice | undefined;
  /** the device's state for the screens (code, approvals, units with keys) */
  status(): DeviceStatus | undefined;
}

/** A browser that is not (yet) an enrolled device with unit keys. */
export const deviceWithoutKeys: CryptoAdapter = {
  async unitKeys(unitIds) {
    return unitIds.map((unitId) => ({ unitId, canOpen: false }));
  },
  async open() {
    return undefined;
  },
  agency() {
    return undefined;
  },
  device() {
    return undefined;
  },
  status() {
    return undefined;
  },
};

/** The adapter over this browser's device (device-crypto.ts). */
export function deviceAdapter(device: BrowserDevice): CryptoAdapter {
  return {
    async unitKeys(unitIds) {
      return unitIds.map((unitId) => ({ unitId, canOpen: device.hasKeys(unitId) }));
    },
    async open(kind, envelope, unitId, record) {
      const agency = device.agency(unitId);
      if (!agency) {
        return undefined;
      }
      const rid = String(
        kind === 'message' ? record.referralId : (record.id ?? record.referralId ?? ''),
      );
      try {
        const opened = await agency.open<Record<string, unknown>>(envelope, { rid, kind });
        const { compareRecord } = await import('@samverkan/sdk/src/crypto/envelope');
        compareRecord(opened, {
          ...record,
          ...(kind === 'field_request' ? { fieldRequestId: record.id } : {}),
        });
        return {
          document: opened.document,
          senderUnitId: opened.aad.from,
          signedAt: opened.aad.iat,
        };
      } catch (err) {
        throw asEnvelopeWarning(err) ?? err;
      }
    },
    agency: (unitId) => device.agency(unitId),
    device: () => device,
    status: () => device.status,
  };
}

export let cryptoAdapter: CryptoAdapter = deviceWithoutKeys;

const listeners = new Set<() => void>();

/** Where the device module installs itself once this browser is a device. */
export function installCrypto(adapter: CryptoAdapter): void {
  cryptoAdapter = adapter;
  for (const l of listeners) {
    l();
  }
}

/** Called whenever the device's state changes (approved, keys arrived, revoked). */
export function onCryptoChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function cryptoChanged(): void {
  for (const l of listeners) {
    l();
  }
}

/**
 * Signs this browser in as a device: loads (or makes and enrols) its keys, opens its key boxes,
 * and installs the adapter. Re-run to pick up an approval or a revocation.
 */
export async function startDevice(input: {
  token: () => string;
  person: { iss: string; sub: string };
  organisationId: string;
  handlesCases: boolean;
}): Promise<BrowserDevice> {
  const { BrowserDevice } = await import('./device-crypto');
  const device = new BrowserDevice(
    input.token,
    input.person,
    input.organisationId,
    input.handlesCases,
  );
  await device.load();
  await device.enrol();
  await device.sync();
  installCrypto(deviceAdapter(device));
  return device;
}
