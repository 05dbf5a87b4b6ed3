/**
 * The SDK against a real hub on a real port: keys fetched and root-checked, a referral sealed,
 * sent, read and decrypted by its recipient with signature, aud, aad and sub checked, tampering
 * refused, a thread message, and the hub's refusals as typed problem errors.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO_AUDIT_UNITS, DEMO_ORGANISATIONS, DEMO_UNITS } from '@samverkan/shared';
import {
  createAgency,
  createSamverkanClient,
  data,
  fromDevKeyStore,
  HubUnavailableError,
  readKeyStore,
  registerUnitKeys,
  SamverkanCryptoError,
  SamverkanProblemError,
  writeKeyStore,
  type KeyStoreContent,
} from '../src';
import { referralDocument, ROUTING, startHub, type RunningHub } from './helpers/hub';

const U = DEMO_UNITS;
let running: RunningHub;
let keys: KeyStoreContent;

beforeAll(async () => {
  running = await startHub();
  keys = fromDevKeyStore(running.hub.keys);
});

afterAll(async () => {
  await running?.close();
});

function agency(user: Parameters<RunningHub['token']>[0], unitId: string, store = keys) {
  const client = createSamverkanClient({ url: running.url, token: () => running.token(user) });
  return createAgency({ client, keys: store, unitId });
}

describe('referral round trip through the SDK', () => {
  it('seals for the verified keys, sends, and the recipient opens and verifies it', async () => {
    const police = agency('police.officer', U.policeTraffickingOst);
    const coordinator = agency('coordinator.ostergotland', U.coordinator);

    const sent = await police.sendReferral({
      recipientUnitId: U.coordinator,
      document: referralDocument('SDK-ROUND-TRIP'),
      meta: ROUTING,
    });
    expect(sent).toMatchObject({ status: 'sent', senderUnitId: U.policeTraffickingOst });
    expect(JSON.stringify(sent)).not.toContain('SDK-ROUND-TRIP');

    const opened = await coordinator.openReferral(sent.id);
    expect(opened.document).toEqual(referralDocument('SDK-ROUND-TRIP'));
    expect(opened.claims).toMatchObject({
      iss: U.policeTraffickingOst,
      aud: [U.coordinator],
      sub: sent.id,
    });
    expect(opened.aad).toMatchObject({
      rid: sent.id,
      from: U.policeTraffickingOst,
      to: [U.coordinator],
    });

    // The sender can read what it sent (its own unit is a recipient of the envelope).
    expect((await police.openReferral(sent.id)).document).toEqual(
      referralDocument('SDK-ROUND-TRIP'),
    );

    // A thread message each way, decrypted and checked against its id and sender.
    await coordinator.postMessage(sent.id, 'Received; calling Novahuset now.');
    await police.postMessage(sent.id, 'Thanks. Interpreter for Romanian needed.');
    const thread = await police.readMessages(sent.id);
    expect(thread.map((m) => [m.senderUnitId, m.text])).toEqual([
      [U.coordinator, 'Received; calling Novahuset now.'],
      [U.policeTraffickingOst, 'Thanks. Interpreter for Romanian needed.'],
    ]);

    // The coordinator forwards; each leg is sealed for its recipient only.
    const forwarded = await coordinator.forwardReferral(sent.id, [
      { recipientUnitId: U.frideborg },
      { recipientUnitId: U.novahuset },
    ]);
    expect(forwarded.original.status).toBe('forwarded');
    const toNovahuset = forwarded.forwards.find((f) => f.recipientUnitId === U.novahuset)!;
    const novahuset = agency('novahuset.caseworker', U.novahuset);
    expect((await novahuset.openReferral(toNovahuset.id)).document).toEqual(
      referralDocument('SDK-ROUND-TRIP'),
    );
  });

  it('seals a justification and a decline note for the parties; the hub gets no clear text', async () => {
    const police = agency('police.officer', U.policeTraffickingOst);
    const frideborg = agency('frideborg.caseworker', U.frideborg);
    const sent = await police.sendReferral({
      recipientUnitId: U.frideborg,
      document: referralDocument('SDK-JUSTIFIED'),
      meta: { ...ROUTING, legalBasis: 'acute_protection', urgency: 'acute' },
      justification: 'Risk to life tonight; no time to ask for consent',
    });
    expect(sent.justificationMessageId).toEqual(expect.any(String));
    const declined = await frideborg.declineReferral(sent.id, 'other', 'Outside our area');
    expect(declined).toMatchObject({ status: 'declined', declineReason: 'other' });
    const thread = await police.readMessages(sent.id);
    expect(thread.map((m) => [m.id, m.verified, m.text, m.verified && m.purpose])).toEqual([
      [
        sent.justificationMessageId,
        true,
        'Risk to life tonight; no time to ask for consent',
        'justification',
      ],
      [declined.declineNoteMessageId, true, 'Outside our area', 'decline_note'],
    ]);
  });

  it('a coordinator forwarding an acute_protection referral seals its justification for each leg', async () => {
    const police = agency('police.officer', U.policeTraffickingOst);
    const coordinator = agency('coordinator.ostergotland', U.coordinator);
    const sent = await police.sendReferral({
      recipientUnitId: U.coordinator,
      document: referralDocument('SDK-FORWARD-JUSTIFIED'),
      meta: { ...ROUTING, legalBasis: 'acute_protection', urgency: 'acute' },
      justification: 'Threats tonight; she asked us to act now',
    });
    const forwarded = await coordinator.forwardReferral(sent.id, [
      { recipientUnitId: U.frideborg },
    ]);
    const leg = forwarded.forwards[0]!;
    expect(leg.justificationMessageId).toEqual(expect.any(String));
    const thread = await agency('frideborg.caseworker', U.frideborg).readMessages(leg.id);
    expect(thread).toEqual([
      expect.objectContaining({
        id: leg.justificationMessageId,
        senderUnitId: U.coordinator,
        verified: true,
        purpose: 'justification',
        text: 'Threats tonight; she asked us to act now',
      }),
    ]);
  });

  it("the sending organisation's auditor opens the justification; another organisation's gets 404", async () => {
    const police = agency('police.officer', U.policeTraffickingOst);
    const text = 'She fears for her life tonight; the trafficker knows where she sleeps';
    const sent = await police.sendReferral({
      recipientUnitId: U.frideborg,
      document: referralDocument('SDK-AUDITED'),
      meta: { ...ROUTING, legalBasis: 'acute_protection', urgency: 'acute' },
      justification: text,
    });
    const auditor = agency('police.auditor', DEMO_AUDIT_UNITS.policeOst);
    await expect(auditor.openJustificationAsAuditor(sent.id)).resolves.toMatchObject({
      referralId: sent.id,
      senderUnitId: U.policeTraffickingOst,
      messageId: sent.justificationMessageId,
      text,
    });
    // An auditor reads the justification, never the referral itself.
    await expect(auditor.openReferral(sent.id)).rejects.toMatchObject({ status: 404 });
    const other = agency('norrkoping.auditor', DEMO_AUDIT_UNITS.norrkoping);
    await expect(other.openJustificationAsAuditor(sent.id)).rejects.toMatchObject({
      status: 404,
    });
    // The parties still read it on the thread (sealed for them and the audit unit).
    const thread = await agency('frideborg.caseworker', U.frideborg).readMessages(sent.id);
    expect(thread).toEqual([expect.objectContaining({ verified: true, text })]);
  });

  it('refuses an envelope whose ciphertext, aad or signature was altered', async () => {
    const police = agency('police.officer', U.policeTraffickingOst);
    const coordinator = agency('coordinator.ostergotland', U.coordinator);
    const sent = await police.sendReferral({
      recipientUnitId: U.coordinator,
      document: referralDocument('TAMPER'),
      meta: ROUTING,
    });
    const { envelope } = await data(
      coordinator.client.referrals.GET('/v1/referrals/{id}/envelope', {
        params: { path: { id: sent.id } },
      }),
    );
    const flip = (b64: string) => (b64[0] === 'A' ? 'B' : 'A') + b64.slice(1);

    await expect(
      coordinator.open(
        { ...envelope, ciphertext: flip(envelope.ciphertext) },
        { rid: sent.id, kind: 'referral' },
      ),
    ).rejects.toMatchObject({ name: 'SamverkanCryptoError', code: 'decryption_failed' });

    // The hub dropping a recipient from the aad is detected: the aad is authenticated.
    const aad = JSON.parse(Buffer.from(envelope.aad, 'base64url').toString());
    const forged = Buffer.from(
      JSON.stringify({ ...aad, to: [U.coordinator, U.frideborg] }),
    ).toString('base64url');
    await expect(
      coordinator.open({ ...envelope, aad: forged }, { rid: sent.id, kind: 'referral' }),
    ).rejects.toBeInstanceOf(SamverkanCryptoError);

    // Opened as another referral id: refused before decryption.
    await expect(
      coordinator.open(envelope, { rid: U.frideborg, kind: 'referral' }),
    ).rejects.toMatchObject({ code: 'wrong_referral' });

    // A client whose pinned roots differ from what the directory serves (the hub swapped in a
    // root of its own, say) refuses the sender's keys instead of verifying against them.
    const distrustful = agency('coordinator.ostergotland', U.coordinator, {
      ...keys,
      pins: Object.fromEntries(Object.keys(keys.pins).map((org) => [org, ['not-the-root']])),
    });
    await expect(distrustful.openReferral(sent.id)).rejects.toMatchObject({
      name: 'SamverkanCryptoError',
      code: 'untrusted_key',
    });
  });

  it('refuses a referral document that breaks its JSON Schema before anything is sent', async () => {
    const police = agency('police.officer', U.policeTraffickingOst);
    await expect(
      police.sendReferral({
        recipientUnitId: U.coordinator,
        document: { version: 1, person: { ageBand: 'grown-up' } },
        meta: ROUTING,
      }),
    ).rejects.toMatchObject({ name: 'SamverkanCryptoError', code: 'invalid_document' });
  });
});

describe('key rotation', () => {
  it("still verifies envelopes signed with the sender's retired key, and seals to the new keys", async () => {
    const police = agency('police.officer', U.policeTraffickingOst);
    const before = await police.sendReferral({
      recipientUnitId: U.coordinator,
      document: referralDocument('BEFORE-ROTATION'),
      meta: ROUTING,
    });

    // The police organisation's admin rotates the unit's keys with the organisation root key.
    const admin = createSamverkanClient({
      url: running.url,
      token: () => running.token('police.admin'),
    });
    const rotated = await registerUnitKeys(admin, keys.roots[DEMO_ORGANISATIONS.policeOst]!, {
      unitId: U.policeTraffickingOst,
      organisationId: DEMO_ORGANISATIONS.policeOst,
    });
    const old = keys.units[U.policeTraffickingOst]!;
    for (const kid of [old.sig[0]!.kid, old.enc[0]!.kid]) {
      await data(
        admin.directory.POST('/v1/units/{id}/keys/{kid}/retire', {
          params: { path: { id: U.policeTraffickingOst, kid } },
        }),
      );
    }
    const rotatedStore: KeyStoreContent = {
      ...keys,
      units: {
        ...keys.units,
        [U.policeTraffickingOst]: {
          enc: [...old.enc, rotated.enc],
          sig: [...old.sig, rotated.sig],
        },
      },
    };

    const coordinator = agency('coordinator.ostergotland', U.coordinator);
    expect((await coordinator.openReferral(before.id)).claims.iss).toBe(U.policeTraffickingOst);

    const after = await agency('police.officer', U.policeTraffickingOst, rotatedStore).sendReferral(
      {
        recipientUnitId: U.coordinator,
        document: referralDocument('AFTER-ROTATION'),
        meta: ROUTING,
      },
    );
    expect((await coordinator.openReferral(after.id)).document).toEqual(
      referralDocument('AFTER-ROTATION'),
    );
    const { envelope } = await data(
      coordinator.client.referrals.GET('/v1/referrals/{id}/envelope', {
        params: { path: { id: after.id } },
      }),
    );
    const kids = envelope.recipients.map((r: { header: { kid: string } }) => r.header.kid);
    expect(kids).toContain(rotated.enc.kid);
    expect(kids).not.toContain(old.enc[0]!.kid);
  });
});

describe('errors', () => {
  it('surfaces problem+json as a typed SamverkanProblemError', async () => {
    const client = createSamverkanClient({
      url: running.url,
      token: await running.token('frideborg.caseworker'),
    });
    const err = await data(
      client.referrals.GET('/v1/referrals/{id}', {
        params: { path: { id: '99999999-0000-4000-8000-000000000000' } },
      }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SamverkanProblemError);
    expect(err).toMatchObject({ status: 404, slug: expect.any(String), code: expect.any(String) });

    const anonymous = createSamverkanClient({ url: running.url });
    await expect(
      data(anonymous.directory.GET('/v1/units', { params: { query: {} } })),
    ).rejects.toMatchObject({ name: 'SamverkanProblemError', status: 401 });

    const invalid = await data(
      client.referrals.GET('/v1/referrals', {
        params: { query: { box: 'sideways' as 'inbox', unit: U.frideborg } },
      }),
    ).catch((e: unknown) => e);
    expect(invalid).toMatchObject({ status: 400 });
    expect((invalid as SamverkanProblemError).errors.length).toBeGreaterThan(0);
  });

  it('names an unreachable hub as HubUnavailableError', async () => {
    const client = createSamverkanClient({ url: 'http://127.0.0.1:9', token: 't' });
    await expect(
      data(client.directory.GET('/v1/units', { params: { query: {} } })),
    ).rejects.toBeInstanceOf(HubUnavailableError);
  });
});

describe('key store on disk', () => {
  it('is written with mode 0600 and opens only with its passphrase when wrapped', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samverkan-sdk-'));
    try {
      const plain = path.join(dir, 'plain.json');
      writeKeyStore(plain, keys);
      expect(fs.statSync(plain).mode & 0o777).toBe(0o600);
      expect(readKeyStore(plain)).toEqual(keys);

      const wrapped = path.join(dir, 'wrapped.json');
      writeKeyStore(wrapped, keys, { passphrase: 'correct horse battery staple' });
      expect(fs.statSync(wrapped).mode & 0o777).toBe(0o600);
      const raw = fs.readFileSync(wrapped, 'utf8');
      const someKey = Object.values(keys.units)[0]!.enc[0]!.privateJwk.d!;
      expect(raw).not.toContain(someKey);
      expect(readKeyStore(wrapped, { passphrase: 'correct horse battery staple' })).toEqual(keys);
      expect(() => readKeyStore(wrapped, { passphrase: 'wrong' })).toThrow(/passphrase/);
      expect(() => readKeyStore(wrapped)).toThrow(/passphrase-protected/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
