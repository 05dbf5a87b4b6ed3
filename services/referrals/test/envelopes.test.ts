/**
 * The server's envelope checks (docs/envelope.md): it cannot decrypt, so it checks the shape, the size,
 * that the routing data bound in the `aad` is the request's, and that every active key of every
 * addressed unit (and the sender's) has a recipient entry — naming the unit and kid that is
 * missing, also right after a key rotation. Each refusal writes nothing.
 */
import { randomUUID } from 'node:crypto';
import {
  DEMO_ORGANISATIONS as O,
  DEMO_UNITS as U,
  EnvelopeError,
  generateUnitEncryptionKey,
  openEnvelope,
  signUnitKey,
  type GeneralJweEnvelope,
} from '@samverkan/shared';
import { eventually } from '@samverkan/shared/src/testing';
import { agencyClient, referralDocument } from './helpers/agency-client';
import { buildHub, type TestHub } from './helpers/build';
import { sealRaw, withoutRecipient } from './helpers/envelopes';
import { expectProblem, inject, referralRows, tokenFor } from './helpers/requests';

const MAX_BYTES = 20_000;

let hub: TestHub;
let police: ReturnType<typeof agencyClient>;

beforeAll(async () => {
  // app.ts reads the limit from the environment when the plugin registers.
  process.env.REFERRALS_ENVELOPE_MAX_BYTES = String(MAX_BYTES);
  try {
    hub = await buildHub();
  } finally {
    delete process.env.REFERRALS_ENVELOPE_MAX_BYTES;
  }
  police = agencyClient(hub, 'police.officer', U.policeTraffickingOst);
});
afterAll(async () => {
  await hub?.close();
});

const b64 = (value: string | Buffer) => Buffer.from(value).toString('base64url');
const kidOf = (unitId: string) => hub.keys.units[unitId]!.enc.kid;

/** A valid referral from the police to Frideborg, to be spoiled by each test. */
async function validBody(
  to: { recipientUnitId: string; copyUnitIds?: string[] } = { recipientUnitId: U.frideborg },
) {
  return police.referral(to, referralDocument('envelope'));
}

async function send(body: unknown) {
  return hub.as('police.officer').post('/v1/referrals', body);
}

it('takes a well-formed envelope below the size limit (201)', async () => {
  const body = await validBody({ recipientUnitId: U.frideborg, copyUnitIds: [U.socialjour] });
  const res = await send(body);
  expect(res.statusCode).toBe(201);
  expect(res.json().envelopeSizeBytes).toBe(Buffer.byteLength(JSON.stringify(body.envelope)));
  expect(res.json().envelopeSizeBytes).toBeLessThan(MAX_BYTES);
});

describe('shape', () => {
  it.each([
    ['a string', () => 'eyJhbGciOi...'],
    ['an array', () => []],
    ['null', () => null],
    ['a compact JWE', () => 'a.b.c.d.e'],
  ])('refuses an envelope that is %s (400 from the schema)', async (_what, make) => {
    const body = await validBody();
    const res = await send({ ...body, envelope: make() });
    expectProblem(res, 400, 'validation-error');
    expect(await referralRows(hub, body.id)).toBe(0);
  });

  it.each(['protected', 'aad', 'iv', 'ciphertext', 'tag', 'recipients'])(
    'refuses an envelope without %s (400 from the schema)',
    async (member) => {
      const body = await validBody();
      const envelope: Record<string, unknown> = { ...body.envelope };
      delete envelope[member];
      const res = await send({ ...body, envelope });
      expectProblem(res, 400, 'validation-error');
      expect(await referralRows(hub, body.id)).toBe(0);
    },
  );

  it.each<[string, (e: GeneralJweEnvelope) => unknown]>([
    ['an extra top-level member', (e) => ({ ...e, unprotected: { kid: 'x' } })],
    ['no recipients', (e) => ({ ...e, recipients: [] })],
    [
      'a recipient without epk',
      (e) => ({
        ...e,
        recipients: [{ ...e.recipients[0], header: { alg: 'ECDH-ES+A256KW', kid: 'k' } }],
      }),
    ],
    [
      'a recipient with another alg',
      (e) => ({
        ...e,
        recipients: e.recipients.map((r) => ({ ...r, header: { ...r.header, alg: 'RSA-OAEP' } })),
      }),
    ],
    ['a ciphertext that is not base64url', (e) => ({ ...e, ciphertext: `${e.ciphertext}+/=` })],
  ])('refuses an envelope with %s (400 from the schema)', async (_what, spoil) => {
    const body = await validBody();
    const res = await send({ ...body, envelope: spoil(body.envelope) });
    expectProblem(res, 400, 'validation-error');
    expect(await referralRows(hub, body.id)).toBe(0);
  });

  it.each<[string, (e: GeneralJweEnvelope) => GeneralJweEnvelope]>([
    ['an iv that is not 96 bits', (e) => ({ ...e, iv: b64(Buffer.alloc(8, 1)) })],
    ['a tag that is not 128 bits', (e) => ({ ...e, tag: b64(Buffer.alloc(12, 1)) })],
    ['a protected header that is not JSON', (e) => ({ ...e, protected: b64('not json') })],
    [
      'another content encryption',
      (e) => ({ ...e, protected: b64('{"cty":"referral+jwt","enc":"A128GCM"}') }),
    ],
    [
      'an unknown content type',
      (e) => ({ ...e, protected: b64('{"cty":"text/plain","enc":"A256GCM"}') }),
    ],
    [
      'a message instead of a referral',
      (e) => ({ ...e, protected: b64('{"cty":"referral-message+jwt","enc":"A256GCM"}') }),
    ],
    ['an aad that is not JSON', (e) => ({ ...e, aad: b64('rid=1') })],
    [
      'an aad that is not canonical',
      (e) => ({
        ...e,
        aad: b64(JSON.stringify(JSON.parse(Buffer.from(e.aad, 'base64url').toString()), null, 1)),
      }),
    ],
    [
      'an aad without iat',
      (e) => {
        const { iat: _iat, ...rest } = JSON.parse(
          Buffer.from(e.aad, 'base64url').toString(),
        ) as Record<string, unknown>;
        return { ...e, aad: b64(JSON.stringify(Object.fromEntries(Object.entries(rest).sort()))) };
      },
    ],
    [
      'a duplicated recipient entry',
      (e) => ({ ...e, recipients: [...e.recipients, e.recipients[0]!] }),
    ],
    [
      'an unexpected recipient header member',
      (e) => ({
        ...e,
        recipients: e.recipients.map((r) => ({
          ...r,
          header: { ...r.header, jku: 'https://attacker.example/keys' },
        })),
      }),
    ],
    [
      'a private key as epk',
      (e) => ({
        ...e,
        recipients: e.recipients.map((r) => ({
          ...r,
          header: { ...r.header, epk: { ...r.header.epk, d: b64(Buffer.alloc(32, 7)) } },
        })),
      }),
    ],
  ])('refuses an envelope with %s (422 envelope-malformed)', async (_what, spoil) => {
    const body = await validBody();
    const res = await send({ ...body, envelope: spoil(body.envelope) });
    expectProblem(res, 422, 'envelope-malformed');
    expect(await referralRows(hub, body.id)).toBe(0);
  });

  it('refuses a body that is not JSON (400 malformed-body)', async () => {
    const res = await inject(hub, {
      method: 'POST',
      url: '/v1/referrals',
      token: await tokenFor(hub, 'police.officer'),
      headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      payload: '{"id": "1", "envelope": {',
    });
    expectProblem(res, 400, 'malformed-body');
  });

  it('refuses an envelope above the configured limit (413 envelope-too-large)', async () => {
    const document = referralDocument('large');
    (document.situation as Record<string, unknown>).summary = 'x'.repeat(9_000);
    const body = await police.referral({ recipientUnitId: U.frideborg }, document);
    expect(Buffer.byteLength(JSON.stringify(body.envelope))).toBeGreaterThan(MAX_BYTES);
    const res = await send(body);
    expectProblem(res, 413, 'envelope-too-large');
    expect(await referralRows(hub, body.id)).toBe(0);
  });
});

describe('routing data bound in the aad', () => {
  it.each<[string, (id: string) => Promise<GeneralJweEnvelope>]>([
    [
      'another referral id',
      () => sealRaw(hub, { rid: randomUUID(), from: U.policeTraffickingOst, to: [U.frideborg] }),
    ],
    [
      'another sender unit',
      (id) => sealRaw(hub, { rid: id, from: U.policeResponseNorrkoping, to: [U.frideborg] }),
    ],
    [
      'an added recipient',
      (id) =>
        sealRaw(hub, { rid: id, from: U.policeTraffickingOst, to: [U.frideborg, U.novahuset] }),
    ],
    [
      'another recipient',
      (id) => sealRaw(hub, { rid: id, from: U.policeTraffickingOst, to: [U.socialjour] }),
    ],
  ])('refuses an envelope sealed for %s (422 envelope-aad-mismatch)', async (_what, seal) => {
    const body = await validBody();
    const res = await send({ ...body, envelope: await seal(body.id) });
    expectProblem(res, 422, 'envelope-aad-mismatch');
    expect(await referralRows(hub, body.id)).toBe(0);
  });

  it('refuses a request that adds a copy unit the envelope does not name', async () => {
    const body = await validBody();
    const res = await send({ ...body, copyUnitIds: [U.socialjour] });
    expectProblem(res, 422, 'envelope-aad-mismatch');
    expect(await referralRows(hub, body.id)).toBe(0);
  });

  it("refuses an existing referral's envelope replayed under a new id", async () => {
    const first = await validBody();
    expect((await send(first)).statusCode).toBe(201);
    const replay = { ...(await validBody()), envelope: first.envelope };
    expectProblem(await send(replay), 422, 'envelope-aad-mismatch');
    expect(await referralRows(hub, replay.id)).toBe(0);
  });
});

describe('clear metadata bound in the aad (envelope version 2)', () => {
  it.each([
    ['category', 'other'],
    ['urgency', 'acute'],
    ['ageBand', 'unknown'],
    ['gender', 'male'],
    ['citizenshipGroup', 'non_eu'],
    ['municipalityCode', '0580'],
    ['legalBasis', 'legal_duty'],
  ])(
    'refuses a body whose %s differs from the signed one (422, naming the field)',
    async (field, value) => {
      const body = await validBody();
      const res = await send({ ...body, [field]: value });
      expectProblem(res, 422, 'envelope-aad-mismatch');
      expect(res.json()).toMatchObject({
        field,
        errors: [{ field, message: expect.any(String) }],
      });
      expect(res.json().detail).toContain(field);
      expect(await referralRows(hub, body.id)).toBe(0);
    },
  );

  it('refuses a body that hides a copy unit the envelope names (422 copyUnitIds)', async () => {
    const body = await validBody({ recipientUnitId: U.frideborg, copyUnitIds: [U.socialjour] });
    const res = await send({ ...body, copyUnitIds: [] });
    expectProblem(res, 422, 'envelope-aad-mismatch');
    expect(res.json().field).toBe('copyUnitIds');
  });

  it('refuses a version 1 envelope for a new referral', async () => {
    const body = await validBody();
    const v1 = structuredClone(body.envelope);
    const aad = JSON.parse(Buffer.from(v1.aad, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    v1.protected = b64('{"cty":"referral+jwt","enc":"A256GCM"}');
    v1.aad = b64(
      JSON.stringify({
        from: aad.senderUnitId,
        iat: aad.iat,
        rid: aad.referralId,
        to: [aad.recipientUnitId],
      }),
    );
    const res = await send({ ...body, envelope: v1 });
    expectProblem(res, 422, 'envelope-malformed');
    expect(res.json().detail).toMatch(/Version 1 envelopes are no longer accepted/);
  });
});

describe('recipient entries and signing time (hostile senders)', () => {
  it('refuses a recipient entry for a key of a unit that is not addressed (422 envelope-key-unexpected)', async () => {
    const body = await validBody();
    const umeaKey = hub.keys.units[U.umeaSocial]!.enc;
    const envelope = await sealRaw(hub, {
      rid: body.id,
      from: U.policeTraffickingOst,
      to: [U.frideborg],
      recipientKeys: {
        [U.frideborg]: [hub.keys.units[U.frideborg]!.enc.publicJwk, umeaKey.publicJwk],
      },
    });
    const res = await send({ ...body, envelope });
    expectProblem(res, 422, 'envelope-key-unexpected');
    expect(res.json().unexpectedKids).toEqual([umeaKey.kid]);
    expect(await referralRows(hub, body.id)).toBe(0);
  });

  it('refuses garbage key material: a wrapped key that is not 40 bytes, an epk that is no X25519 key', async () => {
    const body = await validBody();
    const shortKey = structuredClone(body.envelope);
    shortKey.recipients[0]!.encrypted_key = b64(Buffer.alloc(8, 1));
    expectProblem(await send({ ...body, envelope: shortKey }), 422, 'envelope-malformed');
    const badEpk = structuredClone(body.envelope);
    badEpk.recipients[0]!.header.epk = { kty: 'OKP', crv: 'X25519', x: b64('short') };
    expectProblem(await send({ ...body, envelope: badEpk }), 422, 'envelope-malformed');
    expect(await referralRows(hub, body.id)).toBe(0);
  });

  it.each([
    ['0 (1970)', () => 0],
    ['two days ago', () => Math.floor(Date.now() / 1000) - 2 * 86400],
    ['an hour ahead', () => Math.floor(Date.now() / 1000) + 3600],
  ])('refuses an iat of %s (422 envelope-iat-implausible)', async (_what, iat) => {
    const body = await validBody();
    const envelope = await sealRaw(hub, {
      rid: body.id,
      from: U.policeTraffickingOst,
      to: [U.frideborg],
      iat: iat(),
    });
    const res = await send({ ...body, envelope });
    expectProblem(res, 422, 'envelope-iat-implausible');
    expect(await referralRows(hub, body.id)).toBe(0);
  });
});

describe('recipient keys', () => {
  it("refuses an envelope without the recipient's key, naming the unit and kid (422 envelope-key-missing)", async () => {
    const body = await validBody();
    const envelope = withoutRecipient(body.envelope, kidOf(U.frideborg));
    const res = await send({ ...body, envelope });
    expectProblem(res, 422, 'envelope-key-missing');
    expect(res.json().missingKeys).toEqual([{ unitId: U.frideborg, kid: kidOf(U.frideborg) }]);
    expect(res.json().detail).toContain(U.frideborg);
    expect(res.json().detail).toContain(kidOf(U.frideborg));
    expect(await referralRows(hub, body.id)).toBe(0);
  });

  it("refuses an envelope without the sender's own key, naming the sender unit", async () => {
    const body = await validBody({ recipientUnitId: U.frideborg, copyUnitIds: [U.socialjour] });
    const envelope = withoutRecipient(body.envelope, kidOf(U.policeTraffickingOst));
    const res = await send({ ...body, envelope });
    expectProblem(res, 422, 'envelope-key-missing');
    expect(res.json().missingKeys).toEqual([
      { unitId: U.policeTraffickingOst, kid: kidOf(U.policeTraffickingOst) },
    ]);
  });

  it('refuses an envelope sealed to a stranger’s key in place of the copy unit’s', async () => {
    const body = await validBody({ recipientUnitId: U.frideborg, copyUnitIds: [U.socialjour] });
    const envelope = await sealRaw(hub, {
      rid: body.id,
      from: U.policeTraffickingOst,
      to: [U.frideborg, U.socialjour],
      recipientKeys: { [U.socialjour]: [hub.keys.units[U.umeaSocial]!.enc.publicJwk] },
    });
    const res = await send({ ...body, envelope });
    expectProblem(res, 422, 'envelope-key-missing');
    expect(res.json().missingKeys).toEqual([{ unitId: U.socialjour, kid: kidOf(U.socialjour) }]);
    expect(await referralRows(hub, body.id)).toBe(0);
  });

  it('cannot be opened by a unit it is not addressed to', async () => {
    const body = await validBody();
    expect((await send(body)).statusCode).toBe(201);
    const umea = hub.keys.units[U.umeaSocial]!;
    const sig = [hub.keys.units[U.policeTraffickingOst]!.sig.publicJwk];

    const notOurs = openEnvelope(body.envelope, {
      unitId: U.umeaSocial,
      decryptionKeys: [{ kid: umea.enc.kid, privateJwk: umea.enc.privateJwk }],
      senderSigningKeys: sig,
    });
    await expect(notOurs).rejects.toBeInstanceOf(EnvelopeError);
    await expect(notOurs).rejects.toMatchObject({ code: 'not_a_recipient' });

    // Claiming Frideborg's kid does not help without Frideborg's private key.
    const forged = openEnvelope(body.envelope, {
      unitId: U.umeaSocial,
      decryptionKeys: [{ kid: kidOf(U.frideborg), privateJwk: umea.enc.privateJwk }],
      senderSigningKeys: sig,
    });
    await expect(forged).rejects.toMatchObject({ code: 'decryption_failed' });

    // Frideborg itself opens it.
    const frideborg = hub.keys.units[U.frideborg]!;
    const opened = await openEnvelope(body.envelope, {
      unitId: U.frideborg,
      decryptionKeys: [{ kid: frideborg.enc.kid, privateJwk: frideborg.enc.privateJwk }],
      senderSigningKeys: sig,
      expected: { rid: body.id, kind: 'referral' },
    });
    expect(opened.document).toEqual(referralDocument('envelope'));
  });
});

describe('after a key rotation', () => {
  let newKid: string;

  beforeAll(async () => {
    const key = await generateUnitEncryptionKey();
    newKid = key.kid;
    const signed = await signUnitKey(hub.keys.roots[O.coordinator]!, {
      unit: U.coordinator,
      org: O.coordinator,
      use: 'enc',
      jwk: key.publicJwk,
    });
    const published = await hub.as('hub.admin').post(`/v1/units/${U.coordinator}/keys`, { signed });
    expect(published.statusCode).toBe(201);
    // The referrals service learns of it through the directory's key_rotated event.
    await eventually(async () => {
      const [row] = (await hub.referrals.context.dataSource.query(
        'SELECT active_encryption_kids AS kids FROM referrals.directory_units WHERE unit_id = $1',
        [U.coordinator],
      )) as Array<{ kids: string[] }>;
      return row?.kids.includes(newKid) ? true : undefined;
    }, 15_000);
  });

  it('refuses an envelope sealed with the old key set, naming the new kid', async () => {
    const id = randomUUID();
    const stale = await sealRaw(hub, {
      rid: id,
      from: U.policeTraffickingOst,
      to: [U.coordinator],
    });
    const body = {
      ...(await police.referral({ recipientUnitId: U.coordinator }, referralDocument('stale'))),
      id,
      envelope: stale,
    };
    const res = await send(body);
    expectProblem(res, 422, 'envelope-key-missing');
    expect(res.json().missingKeys).toEqual([{ unitId: U.coordinator, kid: newKid }]);
    expect(res.json().detail).toContain(newKid);
    expect(await referralRows(hub, id)).toBe(0);
  });

  it('takes an envelope sealed to the current keys, which the old key still opens', async () => {
    const body = await police.referral(
      { recipientUnitId: U.coordinator },
      referralDocument('fresh'),
    );
    const kids = body.envelope.recipients.map((r) => r.header.kid);
    expect(kids).toEqual(expect.arrayContaining([newKid, kidOf(U.coordinator)]));
    expect((await send(body)).statusCode).toBe(201);
    const opened = await agencyClient(hub, 'coordinator.ostergotland', U.coordinator).open(body.id);
    expect(opened.document).toEqual(referralDocument('fresh'));
  });
});
