/**
 * This browser as a device (docs/architecture.md#keys-and-trust), with the SDK's code and nothing
 * of its own: `generateDeviceKeys` makes non-extractable X25519/Ed25519 keys, kept in IndexedDB;
 * `enrolDevice` registers their public halves (pending); after a colleague approves it,
 * `fetchKeyBoxes` opens the unit keys sealed to this device, which are then imported as
 * non-extractable CryptoKeys for the SDK's agency (open and seal referrals, messages and field
 * requests). Loaded lazily after sign-in, so the sign-in page stays small.
 */
import type { JWK } from 'jose';
import { importJWK, type CryptoKey } from 'jose';
import { createAgency, type Agency, type UnitKeySource } from '@samverkan/sdk/src/agency';
import { createSamverkanClient, data, type SamverkanClient } from '@samverkan/sdk/src/client';
import {
  approveDevice,
  enrolDevice,
  fetchKeyBoxes,
  listMyDevices,
  listUnitDevices,
  ownShortCode,
  recoverUnitKeys,
  revokeDevice,
  rotateUnitKeys,
  type ActingDevice,
  type Device,
  type SeenBoxes,
  type UnitDevices,
} from '@samverkan/sdk/src/devices';
import {
  deviceShortCode,
  generateDeviceKeys,
  type DeviceKeys,
  type PersonRef,
} from '@samverkan/sdk/src/crypto/device-keys';
import { rootKeyFingerprint } from '@samverkan/sdk/src/crypto/directory-keys';
import type { PrivateKeyRef } from '@samverkan/sdk/src/crypto/envelope';
import type { KeyPairJwk } from '@samverkan/sdk/src/crypto/unit-keys';
import type { UnitKeyRing } from '@samverkan/sdk/src/key-store';
import { idbGet, idbPut } from './idb';

export type { Agency, Device, UnitDevices };

/** A key file the admin picked that cannot be used (shown to them, nothing sent). */
export class KeyFileError extends Error {
  override readonly name = 'KeyFileError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
export { deviceShortCode };

/** What this browser keeps for one person (issuer + subject) in IndexedDB. */
interface StoredPerson {
  version: 1;
  person: PersonRef;
  /** trusted root fingerprints per organisation: own organisation on first use, then the boxes' */
  pins: Record<string, string[]>;
  device?: {
    id?: string;
    label: string;
    /** CryptoKeys created non-extractable: the page can use them, never read them */
    keys: DeviceKeys;
    seen: SeenBoxes;
  };
}

interface UnitKeys {
  organisationId: string;
  signing: PrivateKeyRef;
  decryption: PrivateKeyRef[];
}

export interface DeviceStatus {
  deviceId?: string;
  shortCode?: string;
  label?: string;
  /** per unit of this person: pending, approved or revoked */
  units: Array<{ unitId: string; status: string }>;
  /** units whose keys this browser holds now */
  unitsWithKeys: string[];
  /** own organisation's root fingerprints, for comparing with the organisation admin */
  ownRootFingerprints: string[];
  error?: string;
}

function personKey(p: PersonRef): string {
  return `${p.iss}\n${p.sub}`;
}

function browserLabel(): string {
  const ua = navigator.userAgent;
  const browser = /Firefox\//.test(ua)
    ? 'Firefox'
    : /Edg\//.test(ua)
      ? 'Edge'
      : /Chrom(e|ium)\//.test(ua)
        ? 'Chromium'
        : /Safari\//.test(ua)
          ? 'Safari'
          : 'webbläsare';
  const phone = /Mobile|Android|iPhone/.test(ua) || matchMedia('(max-width: 600px)').matches;
  return `${browser}${phone ? ' (mobil)' : ''}`;
}

/** Imports a unit's private JWK as a non-extractable CryptoKey; the JWK is dropped after. */
async function nonExtractable(pair: KeyPairJwk, alg: string): Promise<PrivateKeyRef> {
  return {
    kid: pair.kid,
    privateKey: (await importJWK(pair.privateJwk, alg, { extractable: false })) as CryptoKey,
  };
}

export class BrowserDevice {
  readonly client: SamverkanClient;
  private stored!: StoredPerson;
  private units = new Map<string, UnitKeys>();
  private agencies = new Map<string, Agency>();
  status: DeviceStatus = { units: [], unitsWithKeys: [], ownRootFingerprints: [] };

  constructor(
    token: () => string,
    readonly person: PersonRef,
    readonly organisationId: string,
    /** whether this person may hold unit keys (a case-handling member of some unit) */
    readonly handlesCases: boolean,
  ) {
    this.client = createSamverkanClient({ url: location.origin, token });
  }

  /** Loads what this browser keeps for the person; pins the own organisation's root (first use). */
  async load(): Promise<void> {
    this.stored = (await idbGet<StoredPerson>('devices', personKey(this.person))) ?? {
      version: 1,
      person: this.person,
      pins: {},
    };
    await this.pinOwnRoot();
  }

  private async save(): Promise<void> {
    await idbPut('devices', personKey(this.person), this.stored);
  }

  get pins(): Record<string, string[]> {
    return this.stored.pins;
  }

  private async pinOwnRoot(): Promise<void> {
    const own = this.stored.pins[this.organisationId];
    if (own?.length) {
      this.status.ownRootFingerprints = own;
      return;
    }
    const roots = await data(
      this.client.directory.GET('/v1/organisations/{id}/root-keys', {
        params: { path: { id: this.organisationId } },
      }),
    );
    const fingerprints: string[] = [];
    for (const root of roots.items.filter((r) => r.status === 'active')) {
      fingerprints.push(await rootKeyFingerprint(root.jwk as JWK));
    }
    this.stored.pins[this.organisationId] = fingerprints;
    this.status.ownRootFingerprints = fingerprints;
    await this.save();
  }

  private mergePins(pins: Record<string, string[]>): void {
    for (const [org, fingerprints] of Object.entries(pins)) {
      this.stored.pins[org] = [...new Set([...(this.stored.pins[org] ?? []), ...fingerprints])];
    }
  }

  /**
   * Trusts another organisation's root key on first use, after the person compared its
   * fingerprint with that organisation out of band — what `samverkan keys pin` does in the CLI.
   * The fingerprint must be one the browser itself computed from a key the directory serves.
   */
  async pinRoot(organisationId: string, fingerprint: string): Promise<void> {
    this.mergePins({ [organisationId]: [fingerprint] });
    await this.save();
    // Agencies verified keys against the old pins: make them afresh.
    this.agencies.clear();
  }

  /**
   * An organisation's root keys as the directory serves them, each with its fingerprint computed
   * here from the key (never the served text), and whether this browser trusts it.
   */
  async rootKeys(
    organisationId: string,
  ): Promise<Array<{ fingerprint: string; status: string; pinned: boolean }>> {
    const roots = await data(
      this.client.directory.GET('/v1/organisations/{id}/root-keys', {
        params: { path: { id: organisationId } },
      }),
    );
    const pins = this.stored.pins[organisationId] ?? [];
    const out: Array<{ fingerprint: string; status: string; pinned: boolean }> = [];
    for (const r of roots.items) {
      const fingerprint = await rootKeyFingerprint(r.jwk as JWK);
      out.push({ fingerprint, status: r.status, pinned: pins.includes(fingerprint) });
    }
    return out;
  }

  /** The root fingerprints this browser trusts for an organisation. */
  pinned(organisationId: string): string[] {
    return this.stored.pins[organisationId] ?? [];
  }

  /** The device as the SDK acts through it (its keys stay CryptoKeys). */
  acting(): ActingDevice | undefined {
    const d = this.stored.device;
    return d?.id ? { id: d.id, keys: d.keys } : undefined;
  }

  /**
   * First sign-in: make this browser's keys (kept before the hub hears of them, so a lost answer
   * loses nothing) and enrol it for the person's units. Later: nothing to do.
   */
  async enrol(): Promise<void> {
    if (!this.handlesCases) {
      return;
    }
    if (!this.stored.device) {
      this.stored.device = {
        label: browserLabel(),
        keys: await generateDeviceKeys({ extractable: false }),
        seen: {},
      };
      await this.save();
    }
    const device = this.stored.device;
    if (!device.id) {
      // An earlier enrolment whose answer was lost is found among the person's devices.
      const mine = await listMyDevices(this.client);
      const found = mine.find((d) => d.encryptionKey.kid === device.keys.encryption.kid);
      const enrolled =
        found ?? (await enrolDevice(this.client, device.keys, { label: device.label })).device;
      device.id = enrolled.id;
      await this.save();
    }
    this.status.deviceId = device.id;
    this.status.label = device.label;
    this.status.shortCode = await ownShortCode(device.keys, this.person);
  }

  /**
   * Asks the hub how this device stands and opens every key box it has (DPoP-bound, checked
   * against the pinned roots, replay refused). Unit keys become non-extractable CryptoKeys.
   */
  async sync(): Promise<DeviceStatus> {
    const acting = this.acting();
    if (!acting) {
      return this.status;
    }
    const mine = await listMyDevices(this.client);
    const me = mine.find((d) => d.id === acting.id);
    this.status.units = (me?.units ?? []).map((u) => ({ unitId: u.unitId, status: u.status }));
    const approved = this.status.units.filter((u) => u.status === 'approved').map((u) => u.unitId);
    if (approved.length === 0) {
      this.units.clear();
      this.agencies.clear();
      this.status.unitsWithKeys = [];
      return this.status;
    }
    // Each box fetch is audited: fetch again only when the approvals changed (or on a reload).
    const held = [...this.units.keys()].sort().join();
    if (held !== '' && held === [...approved].sort().join()) {
      return this.status;
    }
    const opened = await fetchKeyBoxes(this.client, acting, {
      pins: this.stored.pins,
      seen: this.stored.device!.seen,
    });
    this.units.clear();
    this.agencies.clear();
    for (const unit of opened.units) {
      this.mergePins(unit.pins);
      this.units.set(unit.unitId, await this.importRing(unit.ring));
    }
    this.stored.device!.seen = opened.seen;
    await this.save();
    this.status.unitsWithKeys = [...this.units.keys()];
    return this.status;
  }

  private async importRing(ring: UnitKeyRing): Promise<UnitKeys> {
    const sig = ring.sig.at(-1)!;
    return {
      organisationId: ring.organisationId ?? '',
      signing: await nonExtractable(sig, 'EdDSA'),
      decryption: await Promise.all(ring.enc.map((k) => nonExtractable(k, 'ECDH-ES+A256KW'))),
    };
  }

  hasKeys(unitId: string): boolean {
    return this.units.has(unitId);
  }

  private keySource(): UnitKeySource {
    return {
      pins: this.stored.pins,
      unitKeys: (unitId) => {
        const keys = this.units.get(unitId);
        if (!keys) {
          throw new Error(`this browser holds no keys of unit ${unitId}`);
        }
        return keys;
      },
    };
  }

  /** The SDK's agency acting as one of this device's units (undefined without its keys). */
  agency(unitId: string): Agency | undefined {
    if (!this.units.has(unitId)) {
      return undefined;
    }
    let agency = this.agencies.get(unitId);
    if (!agency) {
      agency = createAgency({ client: this.client, keys: this.keySource(), unitId });
      this.agencies.set(unitId, agency);
    }
    return agency;
  }

  // ----- approving others ---------------------------------------------------------------------

  /** A unit's devices, as its approvers (with this device's proof) or its organisation admin see them. */
  unitDevices(unitId: string): Promise<UnitDevices> {
    return listUnitDevices(this.client, unitId, this.units.has(unitId) ? this.acting() : undefined);
  }

  /**
   * The unit's private keys as JWKs for sealing a box to another device, only for that moment:
   * this device's own box opened again, or the unit's recovery key typed by the organisation admin.
   */
  private async ringFor(unitId: string, recoverySecret?: string): Promise<UnitKeyRing> {
    if (recoverySecret) {
      const recovered = await recoverUnitKeys(this.client, {
        unitId,
        secret: recoverySecret,
        pins: this.stored.pins,
      });
      this.mergePins(recovered.pins);
      await this.save();
      return recovered.ring;
    }
    const acting = this.acting();
    if (!acting || !this.units.has(unitId)) {
      throw new Error(`this browser holds no keys of unit ${unitId}`);
    }
    const opened = await fetchKeyBoxes(this.client, acting, {
      pins: this.stored.pins,
      seen: this.stored.device!.seen,
    });
    const unit = opened.units.find((u) => u.unitId === unitId);
    if (!unit) {
      throw new Error(`this browser holds no keys of unit ${unitId}`);
    }
    return unit.ring;
  }

  /**
   * Approves a pending device after the approver typed the code shown on it: the SDK recomputes
   * the code from the keys the hub serves and refuses a mismatch, then seals the unit keys to it.
   */
  async approve(input: {
    unitId: string;
    deviceId: string;
    shortCode: string;
    recoverySecret?: string;
  }): Promise<Device> {
    const ring = await this.ringFor(input.unitId, input.recoverySecret);
    const acting = input.recoverySecret ? undefined : this.acting();
    return approveDevice(this.client, {
      deviceId: input.deviceId,
      unitId: input.unitId,
      shortCode: input.shortCode,
      ring,
      pins: this.stored.pins,
      ...(acting ? { acting } : {}),
    });
  }

  revoke(deviceId: string, unitId: string, reason: string): Promise<Device> {
    return revokeDevice(this.client, deviceId, { unitId, reason });
  }

  /**
   * The organisation admin rotates a unit's keys, as `samverkan unit rotate` does: the root key
   * (from the file the admin picked, read in this page only) must be one of the organisation's
   * active roots in the directory; the unit's current keys come from its recovery key (the
   * admin holds no unit keys); the SDK makes new keys, signs them with the root, publishes them,
   * retires the old ones (kept in the ring for old referrals) and seals the new ring for the
   * unit's approved devices and its recovery key. Nothing private reaches the hub.
   */
  async rotate(input: {
    unitId: string;
    organisationId: string;
    root: { kid: string; publicJwk: JWK; privateJwk: JWK };
    recoverySecret: string;
  }): Promise<{ retired: string[]; stored: number; skipped: string[]; encKid: string }> {
    const roots = await data(
      this.client.directory.GET('/v1/organisations/{id}/root-keys', {
        params: { path: { id: input.organisationId } },
      }),
    );
    const given = await rootKeyFingerprint(input.root.publicJwk);
    const active: string[] = [];
    for (const r of roots.items.filter((r) => r.status === 'active')) {
      active.push(await rootKeyFingerprint(r.jwk as JWK));
    }
    if (!active.includes(given)) {
      throw new KeyFileError(
        'root_key_not_active',
        `the root key in the file (${given}) is not an active root key of the organisation`,
      );
    }
    const ring = await this.ringFor(input.unitId, input.recoverySecret);
    const rotated = await rotateUnitKeys(this.client, {
      unitId: input.unitId,
      organisationId: input.organisationId,
      root: { kid: input.root.kid, privateJwk: input.root.privateJwk },
      ring,
      pins: this.stored.pins,
    });
    return {
      retired: rotated.retired,
      stored: rotated.stored,
      skipped: rotated.skipped,
      encKid: rotated.ring.enc.at(-1)!.kid,
    };
  }
}
