import { decodeJwt, type JWK } from 'jose';
import { verifyKeysResponse, type DirectoryUnitKeySet } from './crypto/directory-keys';
import {
  createDpopProof,
  DeviceCryptoError,
  deviceShortCode,
  generateRecoveryKey,
  openKeyBox,
  parseRecoveryKey,
  recoveryHolder,
  sealKeyBox,
  shortCodesMatch,
  signDeviceBinding,
  verifyDeviceBinding,
  type DeviceKeys,
  type PersonRef,
  type UnitKeyRingJwk,
} from './crypto/device-keys';
import type { KeyPairJwk } from './crypto/unit-keys';
import { registerUnitKeys } from './agency';
import { data, type SamverkanClient } from './client';
import { SamverkanCryptoError } from './errors';
import type { components } from './generated/directory';
import type { UnitKeyRing } from './key-store';

/**
 * People's devices (docs/architecture.md#keys-and-trust): enrol this device, approve another
 * after comparing the short code, fetch and open this device's key boxes, revoke, rotate a unit's
 * keys and reseal them for the remaining devices, and the unit recovery key. All cryptography is
 * local (shared/src/crypto/device-keys.ts); the hub only stores what it cannot open.
 */
type D = components['schemas'];
export type Device = D['Device'];
export type UnitDevices = D['UnitDevices'];
export type UnitDevice = D['UnitDevice'];

/** This device as the SDK acts through it: the id the hub gave and its own key pairs. */
export interface ActingDevice {
  id: string;
  keys: DeviceKeys;
}

/** What a device remembers of each unit's newest box, to refuse an older one served later. */
export type SeenBoxes = Record<string, { iat: number; kids: string[] }>;

function asSdkError(err: unknown): unknown {
  if (err instanceof DeviceCryptoError) {
    return new SamverkanCryptoError(err.code, err.message);
  }
  return err;
}

async function local<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw asSdkError(err);
  }
}

/** The person of the client's token: issuer and subject. */
export async function tokenPerson(client: SamverkanClient): Promise<PersonRef> {
  const token = await client.token();
  if (!token) {
    throw new SamverkanCryptoError('no_token', 'a token is needed to act as a person');
  }
  const claims = decodeJwt(token);
  if (typeof claims.iss !== 'string' || typeof claims.sub !== 'string') {
    throw new SamverkanCryptoError('no_token', 'the token has no issuer or subject');
  }
  return { iss: claims.iss, sub: claims.sub };
}

/**
 * Headers for one request made through a device: the bearer token (fixed for this request, so
 * the proof's `ath` matches it) and a fresh DPoP proof for the method and path.
 */
export async function deviceHeaders(
  client: SamverkanClient,
  keys: DeviceKeys,
  method: string,
  path: string,
): Promise<{ authorization: string; DPoP: string }> {
  const token = await client.token();
  if (!token) {
    throw new SamverkanCryptoError('no_token', 'a token is needed to act through a device');
  }
  const proof = await createDpopProof({
    signing: keys.signing,
    method,
    url: new URL(path, client.url).toString(),
    accessToken: token,
  });
  return { authorization: `Bearer ${token}`, DPoP: proof };
}

/** The short code this device's owner reads out: computed from the device's own keys. */
export function ownShortCode(keys: DeviceKeys, person: PersonRef): Promise<string> {
  return deviceShortCode({
    encryptionJwk: keys.encryption.publicJwk,
    signingJwk: keys.signing.publicJwk,
    person,
  });
}

/** Registers this device's public keys (`POST /v1/devices`), proving possession with DPoP. */
export async function enrolDevice(
  client: SamverkanClient,
  keys: DeviceKeys,
  input: { label: string; unitIds?: string[] },
): Promise<{ device: Device; shortCode: string }> {
  const headers = await deviceHeaders(client, keys, 'POST', '/v1/devices');
  const device = await data(
    client.directory.POST('/v1/devices', {
      headers,
      body: {
        label: input.label,
        encryptionKey: keys.encryption.publicJwk as D['PublicJwk'],
        signingKey: keys.signing.publicJwk as D['PublicJwk'],
        ...(input.unitIds ? { unitIds: input.unitIds } : {}),
      },
    }),
  );
  const shortCode = await ownShortCode(keys, {
    iss: device.person.issuer,
    sub: device.person.subject,
  });
  return { device, shortCode };
}

export async function listMyDevices(client: SamverkanClient): Promise<Device[]> {
  return (await data(client.directory.GET('/v1/devices'))).items;
}

/** A unit's devices, as its approvers and organisation admin see them. */
export async function listUnitDevices(
  client: SamverkanClient,
  unitId: string,
  acting?: ActingDevice,
): Promise<UnitDevices> {
  const path = `/v1/units/${unitId}/devices`;
  const h = acting ? await deviceHeaders(client, acting.keys, 'GET', path) : undefined;
  return data(
    client.directory.GET('/v1/units/{id}/devices', {
      params: { path: { id: unitId } },
      ...(h ? { headers: h } : {}),
    }),
  );
}

/**
 * A unit's keys as the directory serves them, each checked against its organisation's root
 * signature and the pins: the signing keys (active and retired, to verify boxes and bindings) and
 * the kids of the active keys (a box must hold all of them).
 */
export async function verifiedUnitKeys(
  client: SamverkanClient,
  unitId: string,
  pins: Record<string, string[]>,
  requirePinnedRoots = true,
): Promise<{ organisationId: string; signingKeys: JWK[]; activeKids: string[] }> {
  const active = (await data(
    client.directory.GET('/v1/keys', { params: { query: { units: unitId } } }),
  )) as { units: DirectoryUnitKeySet[] };
  const set = active.units.find((u) => u.unitId === unitId);
  if (!set) {
    throw new SamverkanCryptoError('unknown_unit', `the directory has no keys for unit ${unitId}`);
  }
  const retired = await data(
    client.directory.GET('/v1/units/{id}/keys', {
      params: { path: { id: unitId }, query: { status: 'retired' } },
    }),
  );
  const verified = await verifyKeysResponse(
    {
      units: [
        {
          ...set,
          keys: [
            ...set.keys,
            ...(retired.items.filter((k) => k.use === 'sig') as DirectoryUnitKeySet['keys']),
          ],
        },
      ],
    },
    { trustedRootFingerprints: pins, requirePinnedRoots },
  ).catch((err: Error) => {
    throw new SamverkanCryptoError('untrusted_key', err.message);
  });
  return {
    organisationId: set.organisationId,
    signingKeys: verified.get(unitId)!.signingKeys,
    activeKids: set.keys.map((k) => k.kid),
  };
}

function ringOf(ring: UnitKeyRing): UnitKeyRingJwk {
  return { enc: ring.enc, sig: ring.sig };
}

function currentSigning(ring: UnitKeyRing): KeyPairJwk {
  const sig = ring.sig.at(-1);
  if (!sig) {
    throw new SamverkanCryptoError(
      'no_unit_keys',
      'the key store holds no signing key of the unit',
    );
  }
  return sig;
}

export interface ApproveDeviceInput {
  deviceId: string;
  unitId: string;
  /** the code as read from the new device's screen */
  shortCode: string;
  /** the unit's private keys as this approver holds them (current and retired) */
  ring: UnitKeyRing;
  /** root fingerprints this approver trusts; passed on to the device inside the box */
  pins: Record<string, string[]>;
  /** the approver's own approved device (omit when approving as the organisation admin) */
  acting?: ActingDevice;
}

/**
 * Approves a pending device: recomputes the short code from the keys the hub serves and refuses
 * unless it equals the code read from the new device (a hub that swapped in its own key is caught
 * here), then seals the unit's keys to the device and signs the binding.
 */
export async function approveDevice(
  client: SamverkanClient,
  input: ApproveDeviceInput,
): Promise<Device> {
  const listing = await listUnitDevices(client, input.unitId, input.acting);
  const target = listing.items.find((d) => d.deviceId === input.deviceId);
  if (!target) {
    throw new SamverkanCryptoError(
      'unknown_device',
      `device ${input.deviceId} is not enrolled for unit ${input.unitId}`,
    );
  }
  const person = { iss: target.person.issuer, sub: target.person.subject };
  const computed = await local(() =>
    deviceShortCode({ encryptionJwk: target.encryptionKey, signingJwk: target.signingKey, person }),
  );
  if (!shortCodesMatch(input.shortCode, computed)) {
    throw new SamverkanCryptoError(
      'short_code_mismatch',
      `the code of device ${input.deviceId} is not the one shown on the new device: do not approve it (the keys the hub serves are not that device's)`,
    );
  }
  const approver = await tokenPerson(client);
  const signing = currentSigning(input.ring);
  const holder = {
    id: input.deviceId,
    encryptionKid: String(target.encryptionKey.kid),
    signingKid: String(target.signingKey.kid),
  };
  const { binding, box } = await local(async () => ({
    binding: await signDeviceBinding(
      { kid: signing.kid, privateKey: signing.privateJwk },
      {
        iss: input.unitId,
        org: listing.organisationId,
        sub: input.deviceId,
        cnf: { enc: holder.encryptionKid, sig: holder.signingKid },
        person,
        approvedBy: approver,
        ...(input.acting ? { approvedByDevice: input.acting.id } : {}),
      },
    ),
    box: await sealKeyBox({
      unitId: input.unitId,
      organisationId: listing.organisationId,
      holder,
      holderEncryptionJwk: target.encryptionKey,
      person,
      keys: ringOf(input.ring),
      pins: input.pins,
      unitSigningKey: { kid: signing.kid, privateKey: signing.privateJwk },
    }),
  }));
  const path = `/v1/devices/${input.deviceId}/approve`;
  const h = input.acting ? await deviceHeaders(client, input.acting.keys, 'POST', path) : undefined;
  return data(
    client.directory.POST('/v1/devices/{id}/approve', {
      params: { path: { id: input.deviceId } },
      ...(h ? { headers: h } : {}),
      body: { unitId: input.unitId, binding, box },
    }),
  );
}

export interface OpenedUnitKeys {
  unitId: string;
  ring: UnitKeyRing;
  pins: Record<string, string[]>;
  approvedBy: PersonRef;
}

/**
 * Fetches this device's key boxes (with a DPoP proof) and opens each locally: sealed to this
 * device, signed by a root-verified signing key of the unit, binding this device, holding every
 * active key of the unit, and no older than what this device saw before. Returns the unit key
 * rings to put in the key store, and the updated `seen` record to keep.
 */
export async function fetchKeyBoxes(
  client: SamverkanClient,
  device: ActingDevice,
  options: { pins: Record<string, string[]>; seen?: SeenBoxes },
): Promise<{
  units: OpenedUnitKeys[];
  seen: SeenBoxes;
  statuses: Array<{ unitId: string; status: string }>;
}> {
  const h = await deviceHeaders(client, device.keys, 'GET', '/v1/key-boxes');
  const res = await data(
    client.directory.GET('/v1/key-boxes', {
      headers: h,
    }),
  );
  if (res.deviceId !== device.id) {
    throw new SamverkanCryptoError(
      'box_not_for_this_device',
      `the hub answered for device ${res.deviceId}, not this device (${device.id})`,
    );
  }
  const seen: SeenBoxes = { ...(options.seen ?? {}) };
  const units: OpenedUnitKeys[] = [];
  const holder = {
    id: device.id,
    encryptionKid: device.keys.encryption.kid,
    signingKid: device.keys.signing.kid,
  };
  for (const item of res.items) {
    const trusted = await verifiedUnitKeys(client, item.unitId, options.pins);
    const before = seen[item.unitId];
    const opened = await local(() =>
      openKeyBox(item.box, {
        holder,
        holderEncryptionKey: device.keys.encryption.privateKey,
        unitId: item.unitId,
        unitSigningKeys: trusted.signingKeys,
        activeKids: trusted.activeKids,
        heldKids: before?.kids,
        notBefore: before?.iat,
      }),
    );
    const binding = await local(() =>
      verifyDeviceBinding(item.binding, trusted.signingKeys, { unitId: item.unitId, holder }),
    );
    seen[item.unitId] = {
      iat: opened.claims.iat,
      kids: [...opened.keys.enc, ...opened.keys.sig].map((k) => k.kid),
    };
    units.push({
      unitId: item.unitId,
      ring: { organisationId: trusted.organisationId, enc: opened.keys.enc, sig: opened.keys.sig },
      pins: opened.claims.pins ?? {},
      approvedBy: binding.approvedBy,
    });
  }
  return { units, seen, statuses: res.units };
}

/** Revokes a device for one unit or all; say why (kept in the audit trail, not in events). */
export async function revokeDevice(
  client: SamverkanClient,
  deviceId: string,
  input: { reason: string; unitId?: string },
): Promise<Device> {
  return data(
    client.directory.POST('/v1/devices/{id}/revoke', {
      params: { path: { id: deviceId } },
      body: input,
    }),
  );
}

/**
 * Seals a unit's key ring for every holder that should have it now: the approved devices whose
 * binding verifies against the unit's root-checked signing keys (a device the hub slipped in
 * without a valid binding gets nothing) and the recovery key; stores the boxes.
 */
export async function resealForHolders(
  client: SamverkanClient,
  input: {
    unitId: string;
    ring: UnitKeyRing;
    pins: Record<string, string[]>;
    acting?: ActingDevice;
  },
): Promise<{ stored: number; rotationRequired: boolean; deviceIds: string[]; skipped: string[] }> {
  const listing = await listUnitDevices(client, input.unitId, input.acting);
  const trusted = await verifiedUnitKeys(client, input.unitId, input.pins);
  const signing = currentSigning(input.ring);
  const boxes: Array<{ holder: 'device' | 'recovery'; holderId: string; box: string }> = [];
  const skipped: string[] = [];
  for (const d of listing.items.filter((x) => x.status === 'approved')) {
    const holder = {
      id: d.deviceId,
      encryptionKid: String(d.encryptionKey.kid),
      signingKid: String(d.signingKey.kid),
    };
    const person = { iss: d.person.issuer, sub: d.person.subject };
    try {
      await verifyDeviceBinding(d.binding ?? '', trusted.signingKeys, {
        unitId: input.unitId,
        holder,
        person,
      });
    } catch {
      skipped.push(d.deviceId);
      continue;
    }
    boxes.push({
      holder: 'device',
      holderId: d.deviceId,
      box: await local(() =>
        sealKeyBox({
          unitId: input.unitId,
          organisationId: listing.organisationId,
          holder,
          holderEncryptionJwk: d.encryptionKey,
          person,
          keys: ringOf(input.ring),
          pins: input.pins,
          unitSigningKey: { kid: signing.kid, privateKey: signing.privateJwk },
        }),
      ),
    });
  }
  const recovery = listing.recoveryKey;
  if (recovery) {
    const holder = recoveryHolder(recovery.kid);
    const ok = await verifyDeviceBinding(recovery.binding, trusted.signingKeys, {
      unitId: input.unitId,
      holder,
    }).then(
      () => true,
      () => false,
    );
    if (ok) {
      boxes.push({
        holder: 'recovery',
        holderId: recovery.kid,
        box: await local(() =>
          sealKeyBox({
            unitId: input.unitId,
            organisationId: listing.organisationId,
            holder,
            holderEncryptionJwk: recovery.jwk,
            keys: ringOf(input.ring),
            pins: input.pins,
            unitSigningKey: { kid: signing.kid, privateKey: signing.privateJwk },
          }),
        ),
      });
    } else {
      skipped.push(holder.id);
    }
  }
  if (boxes.length === 0) {
    const state = await listUnitDevices(client, input.unitId, input.acting);
    return { stored: 0, rotationRequired: state.rotationRequired, deviceIds: [], skipped };
  }
  const path = `/v1/units/${input.unitId}/key-boxes`;
  const h = input.acting ? await deviceHeaders(client, input.acting.keys, 'POST', path) : undefined;
  const res = await data(
    client.directory.POST('/v1/units/{id}/key-boxes', {
      params: { path: { id: input.unitId } },
      ...(h ? { headers: h } : {}),
      body: { boxes },
    }),
  );
  return {
    stored: res.stored,
    rotationRequired: res.rotationRequired,
    deviceIds: boxes.filter((b) => b.holder === 'device').map((b) => b.holderId),
    skipped,
  };
}

/**
 * Rotates a unit's keys after a revocation (the organisation admin, who holds the root key): new
 * encryption and signing keys signed by the root and published, the previous active ones retired
 * (kept in the ring for old referrals), and the new ring sealed for the remaining devices and
 * the recovery key. A revoked device holds none of the new keys, so nothing sent afterwards opens
 * with what it has. Returns the new ring for the caller's key store.
 */
export async function rotateUnitKeys(
  client: SamverkanClient,
  input: {
    unitId: string;
    organisationId: string;
    root: Pick<KeyPairJwk, 'kid' | 'privateJwk'>;
    ring: UnitKeyRing;
    pins: Record<string, string[]>;
  },
): Promise<{
  ring: UnitKeyRing;
  retired: string[];
  stored: number;
  rotationRequired: boolean;
  skipped: string[];
}> {
  const before = await data(
    client.directory.GET('/v1/units/{id}/keys', {
      params: { path: { id: input.unitId }, query: { status: 'active' } },
    }),
  );
  const generated = await registerUnitKeys(client, input.root, {
    unitId: input.unitId,
    organisationId: input.organisationId,
  });
  const retired: string[] = [];
  for (const key of before.items) {
    await data(
      client.directory.POST('/v1/units/{id}/keys/{kid}/retire', {
        params: { path: { id: input.unitId, kid: key.kid } },
      }),
    );
    retired.push(key.kid);
  }
  const ring: UnitKeyRing = {
    organisationId: input.organisationId,
    enc: [...input.ring.enc, generated.enc],
    sig: [...input.ring.sig, generated.sig],
  };
  const sealed = await resealForHolders(client, { unitId: input.unitId, ring, pins: input.pins });
  return {
    ring,
    retired,
    stored: sealed.stored,
    rotationRequired: sealed.rotationRequired,
    skipped: sealed.skipped,
  };
}

/**
 * Makes a unit recovery key: the secret is returned once, to be printed or written down and kept
 * offline; the hub gets its public half, a binding and a box sealed to it, and cannot use them.
 */
export async function createRecoveryKey(
  client: SamverkanClient,
  input: {
    unitId: string;
    organisationId: string;
    ring: UnitKeyRing;
    pins: Record<string, string[]>;
    acting?: ActingDevice;
  },
): Promise<{ secret: string; kid: string }> {
  const recovery = await generateRecoveryKey();
  const holder = recoveryHolder(recovery.kid);
  const signing = currentSigning(input.ring);
  const approver = await tokenPerson(client);
  const { binding, box } = await local(async () => ({
    binding: await signDeviceBinding(
      { kid: signing.kid, privateKey: signing.privateJwk },
      {
        iss: input.unitId,
        org: input.organisationId,
        sub: holder.id,
        cnf: { enc: recovery.kid },
        approvedBy: approver,
        ...(input.acting ? { approvedByDevice: input.acting.id } : {}),
      },
    ),
    box: await sealKeyBox({
      unitId: input.unitId,
      organisationId: input.organisationId,
      holder,
      holderEncryptionJwk: recovery.publicJwk,
      keys: ringOf(input.ring),
      pins: input.pins,
      unitSigningKey: { kid: signing.kid, privateKey: signing.privateJwk },
    }),
  }));
  const path = `/v1/units/${input.unitId}/recovery-key`;
  const h = input.acting ? await deviceHeaders(client, input.acting.keys, 'POST', path) : undefined;
  await data(
    client.directory.POST('/v1/units/{id}/recovery-key', {
      params: { path: { id: input.unitId } },
      ...(h ? { headers: h } : {}),
      body: {
        jwk: { kty: 'OKP', crv: 'X25519', x: String(recovery.publicJwk.x) },
        binding,
        box,
      },
    }),
  );
  return { secret: recovery.secret, kid: recovery.kid };
}

/**
 * The organisation admin restores a unit's keys with its recovery key (every device lost): the
 * box is fetched (audited), opened locally with the secret and checked like a device's box.
 * Approve a new device with the returned ring (approveDevice), then rotate if a device was lost
 * to someone else.
 */
export async function recoverUnitKeys(
  client: SamverkanClient,
  input: { unitId: string; secret: string; pins: Record<string, string[]> },
): Promise<OpenedUnitKeys> {
  const recovery = await local(() => parseRecoveryKey(input.secret));
  const res = await data(
    client.directory.GET('/v1/units/{id}/recovery-key', { params: { path: { id: input.unitId } } }),
  );
  if (res.kid !== recovery.kid) {
    throw new SamverkanCryptoError(
      'recovery_key_mismatch',
      `this is not the unit's current recovery key (the hub holds ${res.kid})`,
    );
  }
  const trusted = await verifiedUnitKeys(client, input.unitId, input.pins);
  const holder = recoveryHolder(recovery.kid);
  const opened = await local(() =>
    openKeyBox(res.box, {
      holder,
      holderEncryptionKey: recovery.privateJwk,
      unitId: input.unitId,
      unitSigningKeys: trusted.signingKeys,
      activeKids: trusted.activeKids,
    }),
  );
  return {
    unitId: input.unitId,
    ring: { organisationId: trusted.organisationId, enc: opened.keys.enc, sig: opened.keys.sig },
    pins: opened.claims.pins ?? {},
    approvedBy: { iss: res.createdBy.issuer, sub: res.createdBy.subject },
  };
}

export { generateDeviceKeys, exportDeviceKeys, importDeviceKeys } from './crypto/device-keys';
