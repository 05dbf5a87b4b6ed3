/**
 * Unit keys on people's devices (issue 13), through the API with real cryptography, against a hub
 * that is honest and against one that misbehaves (a fetch between the SDK and the hub that
 * rewrites answers, as a compromised hub could): a swapped device key is caught by the short
 * code, a box served to the wrong device does not open, a revoked device is refused and gets
 * nothing new after the rotation, an old box replayed after the rotation is detected.
 */
import { DEMO_ORGANISATIONS as O, DEMO_UNITS as U, DEMO_USERS } from '@samverkan/shared';
import { generateDeviceKeys as makeKeys } from '../src/crypto/device-keys';
import {
  approveDevice,
  createAgency,
  deviceHeaders,
  createRecoveryKey,
  createSamverkanClient,
  enrolDevice,
  fetchKeyBoxes,
  fromDevKeyStore,
  generateDeviceKeys,
  listMyDevices,
  listUnitDevices,
  ownShortCode,
  recoverUnitKeys,
  revokeDevice,
  rotateUnitKeys,
  SamverkanCryptoError,
  SamverkanProblemError,
  type ActingDevice,
  type KeyStoreContent,
  type SamverkanClient,
  type SeenBoxes,
  type UnitKeyRing,
} from '../src';
import { referralDocument, ROUTING, startHub, type RunningHub } from './helpers/hub';

let running: RunningHub;
let dev: KeyStoreContent;

const COLLEAGUE = {
  sub: 'frideborg.colleague',
  org: O.norrkoping,
  units: [U.frideborg],
  roles: ['caseworker' as const],
};

function mint(claims: (typeof DEMO_USERS)[string]): Promise<string> {
  return running.hub.app.platform.devIssuer!.mint(claims, {
    audience: running.hub.config.AUTH_AUDIENCE,
  });
}

/** A client whose answers pass through `rewrite` first: the hub as an attacker could run it. */
function client(
  claims: (typeof DEMO_USERS)[string],
  rewrite?: (path: string, method: string, body: any) => any,
): SamverkanClient {
  let token: string | undefined;
  const tampering: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const request = input instanceof Request ? input : new Request(input, init);
    const path = new URL(request.url).pathname;
    if (!rewrite) {
      return response;
    }
    const body = await response
      .clone()
      .json()
      .catch(() => undefined);
    const changed = rewrite(path, request.method, body);
    // What the hub makes up, it serves as a success.
    return changed === undefined
      ? response
      : new Response(JSON.stringify(changed), {
          status: 200,
          headers: { 'content-type': 'application/json' },
        });
  };
  return createSamverkanClient({
    url: running.url,
    token: async () => (token ??= await mint(claims)),
    fetch: tampering,
  });
}

async function eventually<T>(work: () => Promise<T>, tries = 60): Promise<T> {
  for (let i = 1; ; i += 1) {
    try {
      return await work();
    } catch (err) {
      if (i >= tries) {
        throw err;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function expectCrypto(pending: Promise<unknown>, code: string) {
  const err = await pending.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SamverkanCryptoError);
  expect((err as SamverkanCryptoError).code).toBe(code);
}

async function expectProblem(pending: Promise<unknown>, status: number, slug: string) {
  const err = await pending.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SamverkanProblemError);
  expect((err as SamverkanProblemError).status).toBe(status);
  expect((err as SamverkanProblemError).slug).toBe(slug);
}

function storeWith(unitId: string, ring: UnitKeyRing, pins: Record<string, string[]>) {
  return { version: 1 as const, roots: {}, units: { [unitId]: ring }, pins };
}

const police = () =>
  createAgency({
    client: client(DEMO_USERS['police.officer']!),
    keys: dev,
    unitId: U.policeTraffickingOst,
  });

async function sendToFrideborg(marker: string) {
  // The referrals service learns of rotated keys from events: retry until it has.
  return eventually(() =>
    police().sendReferral({
      recipientUnitId: U.frideborg,
      document: referralDocument(marker),
      meta: ROUTING,
    }),
  );
}

const admin = () => client(DEMO_USERS['norrkoping.admin']!);
const caseworker = (rewrite?: Parameters<typeof client>[1]) =>
  client(DEMO_USERS['frideborg.caseworker']!, rewrite);
const colleague = (rewrite?: Parameters<typeof client>[1]) => client(COLLEAGUE, rewrite);
/** The organisation's root pinned on a new device (compared with the admin at enrolment). */
const ownRootPin = () => ({ [O.norrkoping]: dev.pins[O.norrkoping]! });

let colleagueDevice: ActingDevice;
let colleagueRing: UnitKeyRing;
let colleaguePins: Record<string, string[]>;
let colleagueSeen: SeenBoxes;
let laptop: ActingDevice;
let laptopRing: UnitKeyRing;
let laptopPins: Record<string, string[]>;
let laptopBoxes: any;
let colleagueBoxes: any;
let before: { id: string };

beforeAll(async () => {
  running = await startHub();
  dev = fromDevKeyStore(running.hub.keys);
  const res = await running.hub
    .as('norrkoping.admin')
    .post(`/v1/units/${U.frideborg}/members`, { userId: COLLEAGUE.sub, roles: ['caseworker'] });
  expect(res.statusCode).toBe(201);
  before = await sendToFrideborg('BEFORE-ENROLMENT');
});

afterAll(async () => {
  await running?.close();
});

describe('devices holding unit keys', () => {
  it('the organisation admin approves a colleague’s first device (non-extractable keys)', async () => {
    const keys = await generateDeviceKeys();
    expect(keys.encryption.privateKey.extractable).toBe(false);
    expect(keys.signing.privateKey.extractable).toBe(false);
    const { device, shortCode } = await enrolDevice(colleague(), keys, { label: 'Webbläsare' });
    expect(device.units).toEqual([
      expect.objectContaining({ unitId: U.frideborg, status: 'pending', binding: null }),
    ]);
    expect(shortCode).toMatch(/^\d{5} \d{5} \d{5} \d{5}$/);
    colleagueDevice = { id: device.id, keys };

    const approved = await approveDevice(admin(), {
      deviceId: device.id,
      unitId: U.frideborg,
      shortCode,
      ring: dev.units[U.frideborg]!,
      pins: dev.pins,
    });
    expect(approved.units[0]).toMatchObject({
      status: 'approved',
      approvedBy: { subject: 'norrkoping.admin' },
      approvedByDevice: null,
    });

    const opened = await fetchKeyBoxes(
      colleague((path, _m, body) => {
        if (path === '/v1/key-boxes') {
          colleagueBoxes = body;
        }
        return undefined;
      }),
      colleagueDevice,
      { pins: ownRootPin() },
    );
    expect(opened.units).toHaveLength(1);
    colleagueRing = opened.units[0]!.ring;
    colleaguePins = { ...opened.units[0]!.pins, ...ownRootPin() };
    colleagueSeen = opened.seen;
    expect(colleagueRing.enc.map((k) => k.kid)).toEqual(
      dev.units[U.frideborg]!.enc.map((k) => k.kid),
    );
  });

  it('refuses to approve when the hub swaps in a key of its own: the short code differs', async () => {
    laptop = { id: '', keys: await generateDeviceKeys() };
    const enrolled = await enrolDevice(caseworker(), laptop.keys, { label: 'Ny laptop' });
    laptop.id = enrolled.device.id;
    const hubKey = (await makeKeys()).encryption.publicJwk;

    const swapping = colleague((path, method, body) =>
      path === `/v1/units/${U.frideborg}/devices` && method === 'GET'
        ? {
            ...body,
            items: body.items.map((d: any) =>
              d.deviceId === laptop.id ? { ...d, encryptionKey: hubKey } : d,
            ),
          }
        : undefined,
    );
    await expectCrypto(
      approveDevice(swapping, {
        deviceId: laptop.id,
        unitId: U.frideborg,
        shortCode: enrolled.shortCode,
        ring: colleagueRing,
        pins: colleaguePins,
        acting: colleagueDevice,
      }),
      'short_code_mismatch',
    );
    // A code read wrongly is refused the same way.
    await expectCrypto(
      approveDevice(colleague(), {
        deviceId: laptop.id,
        unitId: U.frideborg,
        shortCode: '00000 00000 00000 00000',
        ring: colleagueRing,
        pins: colleaguePins,
        acting: colleagueDevice,
      }),
      'short_code_mismatch',
    );
    const mine = await listMyDevices(caseworker());
    expect(mine.find((d) => d.id === laptop.id)!.units[0]!.status).toBe('pending');
  });

  it('a colleague approves after comparing the code; the new device reads a referral sent before it was enrolled', async () => {
    const code = await ownShortCode(laptop.keys, {
      iss: await tokenIssuer(),
      sub: 'frideborg.caseworker',
    });
    const approved = await approveDevice(colleague(), {
      deviceId: laptop.id,
      unitId: U.frideborg,
      shortCode: code,
      ring: colleagueRing,
      pins: colleaguePins,
      acting: colleagueDevice,
    });
    expect(approved.units[0]).toMatchObject({
      status: 'approved',
      approvedBy: { subject: COLLEAGUE.sub },
      approvedByDevice: colleagueDevice.id,
    });

    const opened = await fetchKeyBoxes(
      caseworker((path, _m, body) => {
        if (path === '/v1/key-boxes') {
          laptopBoxes = body;
        }
        return undefined;
      }),
      laptop,
      { pins: ownRootPin() },
    );
    laptopRing = opened.units[0]!.ring;
    laptopPins = { ...opened.units[0]!.pins, ...ownRootPin() };
    expect(opened.units[0]!.approvedBy.sub).toBe(COLLEAGUE.sub);

    const agency = createAgency({
      client: caseworker(),
      keys: storeWith(U.frideborg, laptopRing, laptopPins),
      unitId: U.frideborg,
    });
    const read = await agency.openReferral<{ person: { givenName: string } }>(before.id);
    expect(read.document.person.givenName).toBe('BEFORE-ENROLMENT');

    const listing = await listUnitDevices(colleague(), U.frideborg, colleagueDevice);
    expect(listing.items.find((d) => d.deviceId === laptop.id)).toMatchObject({
      status: 'approved',
      approvedBy: { subject: COLLEAGUE.sub },
      boxedAt: expect.any(String),
    });
  });

  it('a box served to the wrong device cannot be opened', async () => {
    const misrouting = caseworker((path) =>
      path === '/v1/key-boxes' ? { ...laptopBoxes, items: colleagueBoxes.items } : undefined,
    );
    await expectCrypto(
      fetchKeyBoxes(misrouting, laptop, { pins: ownRootPin() }),
      'box_not_for_this_device',
    );
  });

  it('a stolen bearer token alone gets no boxes', async () => {
    const token = await mint(DEMO_USERS['frideborg.caseworker']!);
    const plain = await fetch(`${running.url}/v1/key-boxes`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(plain.status).toBe(401);
    expect(((await plain.json()) as any).type).toBe('urn:samverkan:problem:device-proof-invalid');

    // A proof signed with a key of the thief's own: not an enrolled device of this person.
    const thief = await generateDeviceKeys();
    const sc = createSamverkanClient({ url: running.url, token });
    const h = await deviceHeaders(sc, thief, 'GET', '/v1/key-boxes');
    const foreign = await fetch(`${running.url}/v1/key-boxes`, {
      headers: { authorization: h.authorization, dpop: h.DPoP },
    });
    expect(foreign.status).toBe(403);
    expect(((await foreign.json()) as any).type).toBe('urn:samverkan:problem:device-not-enrolled');

    // The laptop's own proof, captured and sent again: refused as replayed.
    const real = await deviceHeaders(sc, laptop.keys, 'GET', '/v1/key-boxes');
    const first = await fetch(`${running.url}/v1/key-boxes`, {
      headers: { authorization: real.authorization, dpop: real.DPoP },
    });
    expect(first.status).toBe(200);
    const again = await fetch(`${running.url}/v1/key-boxes`, {
      headers: { authorization: real.authorization, dpop: real.DPoP },
    });
    expect(again.status).toBe(401);
    expect(((await again.json()) as any).detail).toMatch(/already used/);
  });

  it('revocation stops the boxes at once and asks for a rotation; the admin rotates', async () => {
    const revoked = await revokeDevice(colleague(), laptop.id, { reason: 'Laptop borttappad' });
    expect(revoked.units[0]).toMatchObject({
      status: 'revoked',
      revokedBy: { subject: COLLEAGUE.sub },
    });
    await expectProblem(
      fetchKeyBoxes(caseworker(), laptop, { pins: ownRootPin() }),
      403,
      'device-revoked',
    );
    const pending = await listUnitDevices(admin(), U.frideborg);
    expect(pending.rotationRequired).toBe(true);

    const rotated = await rotateUnitKeys(admin(), {
      unitId: U.frideborg,
      organisationId: O.norrkoping,
      root: dev.roots[O.norrkoping]!,
      ring: dev.units[U.frideborg]!,
      pins: dev.pins,
    });
    dev.units[U.frideborg] = rotated.ring;
    expect(rotated.rotationRequired).toBe(false);
    // the colleague's device and the unit's recovery key (the demo seeds one); not the revoked laptop
    expect(rotated.stored).toBe(2);
    expect((await listUnitDevices(admin(), U.frideborg)).rotationRequired).toBe(false);
  });

  it('a referral sent after the rotation is unreadable on the revoked device, readable on the colleague’s', async () => {
    const after = await sendToFrideborg('AFTER-ROTATION');

    const revokedAgency = createAgency({
      client: caseworker(),
      keys: storeWith(U.frideborg, laptopRing, laptopPins),
      unitId: U.frideborg,
    });
    await expect(revokedAgency.openReferral(after.id)).rejects.toBeInstanceOf(SamverkanCryptoError);

    // A hub that keeps serving the revoked device has only its old box to give: detected as stale.
    const stillServing = caseworker((path) => (path === '/v1/key-boxes' ? laptopBoxes : undefined));
    await expectCrypto(fetchKeyBoxes(stillServing, laptop, { pins: ownRootPin() }), 'box_stale');

    const opened = await fetchKeyBoxes(colleague(), colleagueDevice, {
      pins: colleaguePins,
      seen: colleagueSeen,
    });
    const newRing = opened.units[0]!.ring;
    expect(newRing.enc).toHaveLength(2); // the new key and the retired one, for old referrals
    const agency = createAgency({
      client: colleague(),
      keys: storeWith(U.frideborg, newRing, colleaguePins),
      unitId: U.frideborg,
    });
    expect(
      (await agency.openReferral<{ person: { givenName: string } }>(after.id)).document.person
        .givenName,
    ).toBe('AFTER-ROTATION');
    expect(
      (await agency.openReferral<{ person: { givenName: string } }>(before.id)).document.person
        .givenName,
    ).toBe('BEFORE-ENROLMENT');

    // The colleague's old box replayed after the rotation: detected.
    const replaying = colleague((path) => (path === '/v1/key-boxes' ? colleagueBoxes : undefined));
    await expectCrypto(
      fetchKeyBoxes(replaying, colleagueDevice, { pins: colleaguePins, seen: opened.seen }),
      'box_stale',
    );
  });

  it('a recovery key restores the unit keys for the organisation admin; the hub cannot use it', async () => {
    const { secret, kid } = await createRecoveryKey(admin(), {
      unitId: U.frideborg,
      organisationId: O.norrkoping,
      ring: dev.units[U.frideborg]!,
      pins: dev.pins,
    });
    expect(secret).toMatch(/^SVRK1-/);
    const listing = await listUnitDevices(admin(), U.frideborg);
    expect(listing.recoveryKey).toMatchObject({ kid, boxedAt: expect.any(String) });
    expect(JSON.stringify(listing)).not.toContain(secret.slice(6, 30));

    const recovered = await recoverUnitKeys(admin(), {
      unitId: U.frideborg,
      secret,
      pins: ownRootPin(),
    });
    expect(recovered.ring.enc.map((k) => k.kid)).toEqual(
      dev.units[U.frideborg]!.enc.map((k) => k.kid),
    );
    // A wrong secret (one character changed) is refused locally.
    const typo = secret.slice(0, 10) + (secret[10] === 'A' ? 'B' : 'A') + secret.slice(11);
    await expect(
      recoverUnitKeys(admin(), { unitId: U.frideborg, secret: typo, pins: ownRootPin() }),
    ).rejects.toBeInstanceOf(SamverkanCryptoError);
    // Only the organisation admin fetches the recovery box.
    await expectProblem(
      recoverUnitKeys(colleague(), { unitId: U.frideborg, secret, pins: ownRootPin() }),
      403,
      'forbidden',
    );
  });

  it('removing a member revokes their devices for the unit', async () => {
    const removed = await fetch(`${running.url}/v1/units/${U.frideborg}/members/${COLLEAGUE.sub}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${await mint(DEMO_USERS['norrkoping.admin']!)}` },
    });
    expect(removed.status).toBe(204);
    await expectProblem(
      fetchKeyBoxes(colleague(), colleagueDevice, { pins: colleaguePins }),
      403,
      'device-revoked',
    );
    const listing = await listUnitDevices(admin(), U.frideborg);
    expect(listing.items.find((d) => d.deviceId === colleagueDevice.id)).toMatchObject({
      status: 'revoked',
      revocationReason: 'removed from the unit',
    });
    expect(listing.rotationRequired).toBe(true);
  });

  it('every enrolment, approval, box fetch, revocation and recovery is in the audit log', async () => {
    const token = await mint(DEMO_USERS['hub.admin']!);
    const entries = await fetch(`${running.url}/v1/audit/directory?limit=500`, {
      headers: { authorization: `Bearer ${token}` },
    }).then((r) => r.json() as Promise<any>);
    const actions = new Set(
      entries.items.filter((e: any) => e.outcome === 'allowed').map((e: any) => e.action),
    );
    for (const action of [
      'device.enrol',
      'device.approve',
      'device.key_boxes_fetch',
      'device.revoke',
      'unit.key_boxes_store',
      'unit.recovery_key_set',
      'unit.recovery_box_fetch',
    ]) {
      expect(actions).toContain(action);
    }
    const denied = entries.items
      .filter((e: any) => e.outcome === 'denied')
      .map((e: any) => e.action);
    expect(denied).toContain('device.key_boxes_fetch');
  });
});

async function tokenIssuer(): Promise<string> {
  const { decodeJwt } = await import('jose');
  return decodeJwt(await mint(DEMO_USERS['frideborg.caseworker']!)).iss!;
}
