import {
  chainHash,
  DEMO_ORGANISATIONS as O,
  DEV_ISSUER,
  DEMO_UNITS as U,
  GENESIS_HASH,
  generateRootKey,
  generateUnitEncryptionKey,
  generateUnitSigningKey,
  signUnitKey,
  type KeyPairJwk,
} from '@samverkan/shared';
import { CompactSign, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { DataSource } from 'typeorm';
import type { DirectoryContext } from '../src/services/context';
import { createKeysService, type KeysService } from '../src/services/keys.service';
import { createOrganisationsService } from '../src/services/organisations.service';
import { createUnitsService } from '../src/services/units.service';
import { buildDirectory, type TestDirectory } from './helpers/build';
import { expectProblem } from './helpers/problems';

let dir: TestDirectory;
/** Our own connection to the directory's database: to look at rows, and to play the attacker. */
let ds: DataSource;
/** The directory's own key-log verification, run over that connection. */
let keys: KeysService;
let norrkopingRoot: KeyPairJwk;

beforeAll(async () => {
  dir = await buildDirectory();
  ds = dir.app.directory.context.dataSource;
  const ctx = {
    dataSource: ds,
    audit: dir.app.directory.context.audit,
    events: undefined,
  } as unknown as DirectoryContext;
  keys = createKeysService(ctx, createOrganisationsService(ctx), createUnitsService(ctx));
  norrkopingRoot = dir.keys.roots[O.norrkoping]!;
});
afterAll(async () => {
  await dir?.close();
});

const count = async (sql: string, params: unknown[] = []): Promise<number> => {
  // Audit entries are chained right after commit: link what waits, so the chain holds them all.
  await dir.app.directory.context.audit.chainPending();
  return Number((await ds.query(sql, params))[0].n);
};

async function signedEnc(
  unit: string,
  org: string,
  root: Pick<KeyPairJwk, 'kid' | 'privateJwk'> = norrkopingRoot,
) {
  const key = await generateUnitEncryptionKey();
  return { key, signed: await signUnitKey(root, { unit, org, use: 'enc', jwk: key.publicJwk }) };
}

/** A statement signed like signUnitKey does, but with any payload. */
async function signRaw(
  root: Pick<KeyPairJwk, 'kid' | 'privateJwk'>,
  payload: unknown,
): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'EdDSA', kid: root.kid, typ: 'unit-key+jws' })
    .sign(await importJWK(root.privateJwk, 'EdDSA'));
}

const publish = (unitId: string, signed: string, user = 'norrkoping.admin') =>
  dir.as(user).post(`/v1/units/${unitId}/keys`, { signed });

describe('publishing unit keys', () => {
  it('publishes a key signed by the organisation root key', async () => {
    const { key, signed } = await signedEnc(U.frideborg, O.norrkoping);
    const res = await publish(U.frideborg, signed);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      kid: key.kid,
      unitId: U.frideborg,
      organisationId: O.norrkoping,
      use: 'enc',
      alg: 'ECDH-ES+A256KW',
      jwk: { kty: 'OKP', crv: 'X25519', x: key.publicJwk.x, kid: key.kid },
      signed,
      rootKid: norrkopingRoot.kid,
      status: 'active',
      retiredAt: null,
      revokedAt: null,
      revocationReason: null,
    });

    const unitKeys = await dir.as('police.officer').get(`/v1/units/${U.frideborg}/keys`);
    expect(unitKeys.statusCode).toBe(200);
    expect(unitKeys.json().items[0].kid).toBe(key.kid); // newest first
    const active = await dir.as('police.officer').get(`/v1/keys?units=${U.frideborg}`);
    expect(active.json().units[0].keys.map((k: { kid: string }) => k.kid)).toContain(key.kid);
  });

  it('publishes a signing key too', async () => {
    const key = await generateUnitSigningKey();
    const signed = await signUnitKey(norrkopingRoot, {
      unit: U.elsa,
      org: O.norrkoping,
      use: 'sig',
      jwk: key.publicJwk,
    });
    const res = await publish(U.elsa, signed, 'hub.admin');
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      kid: key.kid,
      use: 'sig',
      alg: 'EdDSA',
      jwk: { crv: 'Ed25519' },
    });
  });

  it('refuses a key signed by a root key that is not registered', async () => {
    const stranger = await generateRootKey();
    const { signed } = await signedEnc(U.frideborg, O.norrkoping, stranger);
    const res = await publish(U.frideborg, signed);
    expectProblem(res, 422, 'key-signature-invalid');
    expect(res.json().code).toBe('DIRECTORY_KEY_SIGNATURE_INVALID');
  });

  it("refuses a key signed with the registered root key's kid but another private key", async () => {
    const impostor = await generateRootKey();
    const { signed } = await signedEnc(U.frideborg, O.norrkoping, {
      kid: norrkopingRoot.kid,
      privateJwk: impostor.privateJwk,
    });
    expectProblem(await publish(U.frideborg, signed), 422, 'key-signature-invalid');
  });

  it("refuses a key signed by Norrköping's root key for a police unit", async () => {
    const { signed } = await signedEnc(U.policeTraffickingOst, O.policeOst);
    const res = await publish(U.policeTraffickingOst, signed, 'hub.admin');
    expectProblem(res, 422, 'key-wrong-organisation');
    expect(res.json().code).toBe('DIRECTORY_KEY_WRONG_ORGANISATION');
  });

  it('refuses a statement naming another organisation than the unit’s', async () => {
    const { signed } = await signedEnc(U.frideborg, O.policeOst);
    expectProblem(await publish(U.frideborg, signed), 422, 'key-wrong-organisation');
  });

  it('refuses a statement naming another unit of the same organisation', async () => {
    const { signed } = await signedEnc(U.elsa, O.norrkoping);
    const res = await publish(U.frideborg, signed);
    expectProblem(res, 422, 'key-unit-mismatch');
    expect(res.json().code).toBe('DIRECTORY_KEY_UNIT_MISMATCH');
  });

  it.each([
    [
      'an EC P-256 key',
      async () => ({
        ...(await exportJWK((await generateKeyPair('ES256', { extractable: true })).publicKey)),
      }),
    ],
    [
      'an X25519 key with x of the wrong length',
      async () => ({ kty: 'OKP', crv: 'X25519', x: 'AAAA' }),
    ],
    [
      'an Ed25519 key published for encryption',
      async () => (await generateUnitSigningKey()).publicJwk,
    ],
    [
      'a kid that is not the thumbprint',
      async () => ({ ...(await generateUnitEncryptionKey()).publicJwk, kid: 'my-key-1' }),
    ],
  ])('refuses %s as malformed', async (_label, makeJwk) => {
    const signed = await signRaw(norrkopingRoot, {
      unit: U.frideborg,
      org: O.norrkoping,
      use: 'enc',
      jwk: (await makeJwk()) as JWK,
      iat: 1,
    });
    const res = await publish(U.frideborg, signed);
    expectProblem(res, 422, 'key-malformed');
    expect(res.json().code).toBe('DIRECTORY_KEY_MALFORMED');
  });

  it.each([
    ['text that is not a JWS', 'not-a-jws'],
    ['a JWS with a payload that is not JSON', 'eyJhbGciOiJFZERTQSJ9.bm90IGpzb24.c2ln'],
    ['a JSON document without a private key', '{"kty":"OKP"}'],
  ])('refuses %s as malformed', async (_label, signed) => {
    expectProblem(await publish(U.frideborg, signed), 422, 'key-malformed');
  });

  describe('a private key sent by mistake', () => {
    let leaked: KeyPairJwk;
    beforeAll(async () => {
      leaked = await generateUnitEncryptionKey();
    });

    it('is refused inside a signed statement, and not stored', async () => {
      const signed = await signRaw(norrkopingRoot, {
        unit: U.frideborg,
        org: O.norrkoping,
        use: 'enc',
        jwk: leaked.privateJwk,
        iat: 1,
      });
      const res = await publish(U.frideborg, signed);
      expectProblem(res, 422, 'key-private-material');
      expect(res.json().code).toBe('DIRECTORY_KEY_PRIVATE_MATERIAL');
    });

    it.each([
      ['an extra member of the statement', (jwk: JWK) => ({ backup: leaked.privateJwk, jwk })],
      [
        'an extra member of the public JWK',
        (jwk: JWK) => ({ jwk: { ...jwk, priv: leaked.privateJwk } }),
      ],
      [
        'a member nested in an array',
        (jwk: JWK) => ({ jwk, notes: [{ keys: [leaked.privateJwk] }] }),
      ],
    ])('is refused when hidden in %s, and not stored', async (_label, hide) => {
      const { key } = await signedEnc(U.frideborg, O.norrkoping);
      const signed = await signRaw(norrkopingRoot, {
        unit: U.frideborg,
        org: O.norrkoping,
        use: 'enc',
        iat: 1,
        ...hide(key.publicJwk),
      });
      expectProblem(await publish(U.frideborg, signed), 422, 'key-private-material');
      expect(
        await count('SELECT count(*) AS n FROM directory.unit_keys WHERE kid = $1', [key.kid]),
      ).toBe(0);
    });

    it('is refused when hidden in a root key registration, and not stored', async () => {
      const root = await generateRootKey();
      const res = await dir.as('hub.admin').post(`/v1/organisations/${O.novahuset}/root-keys`, {
        jwk: { ...root.publicJwk, backup: leaked.privateJwk },
        fingerprint: root.kid,
      });
      expectProblem(res, 422, 'key-private-material');
    });

    it('is refused when the private JWK itself is pasted as `signed`, and not stored', async () => {
      const res = await publish(U.frideborg, JSON.stringify(leaked.privateJwk));
      expectProblem(res, 422, 'key-private-material');
      const pretty = await publish(U.frideborg, `  ${JSON.stringify(leaked.privateJwk, null, 2)}`);
      expectProblem(pretty, 422, 'key-private-material');
    });

    it('left no trace of the private key anywhere in the directory', async () => {
      const d = `%${leaked.privateJwk.d}%`;
      expect(
        await count(
          `SELECT count(*) AS n FROM directory.unit_keys WHERE jwk::text LIKE $1 OR signed LIKE $1 OR kid = $2`,
          [d, leaked.kid],
        ),
      ).toBe(0);
      expect(
        await count(
          `SELECT count(*) AS n FROM directory.key_log WHERE document::text LIKE $1 OR kid = $2`,
          [d, leaked.kid],
        ),
      ).toBe(0);
      expect(
        await count(`SELECT count(*) AS n FROM directory.audit_log WHERE detail::text LIKE $1`, [
          d,
        ]),
      ).toBe(0);
      expect(
        await count(`SELECT count(*) AS n FROM directory.outbox WHERE payload::text LIKE $1`, [d]),
      ).toBe(0);
    });
  });

  it.each([
    ['a payload member', { comment: 'any text, published for ever' }, {}],
    ['a JWK member', {}, { x5c: ['MIIB'] }],
  ])(
    'refuses a statement with %s outside the documented shape',
    async (_label, extra, jwkExtra) => {
      const key = await generateUnitEncryptionKey();
      const signed = await signRaw(norrkopingRoot, {
        unit: U.frideborg,
        org: O.norrkoping,
        use: 'enc',
        jwk: { ...key.publicJwk, ...jwkExtra },
        iat: 1,
        ...extra,
      });
      expectProblem(await publish(U.frideborg, signed), 422, 'key-malformed');
      expect(
        await count('SELECT count(*) AS n FROM directory.unit_keys WHERE kid = $1', [key.kid]),
      ).toBe(0);
    },
  );

  it('refuses a root key with members outside a public JWK', async () => {
    const root = await generateRootKey();
    const res = await dir.as('hub.admin').post(`/v1/organisations/${O.novahuset}/root-keys`, {
      jwk: { ...root.publicJwk, note: 'x' },
      fingerprint: root.kid,
    });
    expectProblem(res, 422, 'root-key-malformed');
  });

  it('refuses a key published twice with 409', async () => {
    const { signed } = await signedEnc(U.buyersClinic, O.norrkoping);
    expect((await publish(U.buyersClinic, signed)).statusCode).toBe(201);
    const again = await publish(U.buyersClinic, signed);
    expectProblem(again, 409, 'key-exists');
    expect(again.json().code).toBe('DIRECTORY_KEY_EXISTS');
  });

  it('refuses a key signed by a revoked root key', async () => {
    const root = await generateRootKey();
    expect(
      (
        await dir.as('hub.admin').post(`/v1/organisations/${O.novahuset}/root-keys`, {
          jwk: root.publicJwk,
          fingerprint: root.kid,
        })
      ).statusCode,
    ).toBe(201);
    expect(
      (
        await dir
          .as('hub.admin')
          .post(`/v1/organisations/${O.novahuset}/root-keys/${root.kid}/revoke`, { reason: 'test' })
      ).statusCode,
    ).toBe(200);
    const { signed } = await signedEnc(U.novahuset, O.novahuset, root);
    expectProblem(
      await publish(U.novahuset, signed, 'novahuset.admin'),
      422,
      'key-signature-invalid',
    );
  });

  it("refuses another organisation's admin with 403", async () => {
    const { signed } = await signedEnc(U.frideborg, O.norrkoping);
    expectProblem(await publish(U.frideborg, signed, 'police.admin'), 403, 'forbidden');
  });
});

describe('rotation', () => {
  it('keeps two keys active during an overlap, retires and revokes, and never deletes', async () => {
    const unit = U.youthClinic;
    const root = dir.keys.roots[O.region]!;
    const rows = () => count('SELECT count(*) AS n FROM directory.unit_keys');
    const activeKids = async () =>
      (
        (await dir.as('police.officer').get(`/v1/keys?units=${unit}`)).json().units[0]
          .keys as Array<{ kid: string }>
      ).map((k) => k.kid);
    const before = await rows();

    const oldKey = await generateUnitEncryptionKey();
    const newKey = await generateUnitEncryptionKey();
    for (const key of [oldKey, newKey]) {
      const signed = await signUnitKey(root, {
        unit,
        org: O.region,
        use: 'enc',
        jwk: key.publicJwk,
      });
      expect((await publish(unit, signed, 'hub.admin')).statusCode).toBe(201);
    }
    expect(await rows()).toBe(before + 2);
    expect(await activeKids()).toEqual(expect.arrayContaining([oldKey.kid, newKey.kid]));

    const retired = await dir.as('hub.admin').post(`/v1/units/${unit}/keys/${oldKey.kid}/retire`);
    expect(retired.statusCode).toBe(200);
    expect(retired.json()).toMatchObject({ kid: oldKey.kid, status: 'retired', revokedAt: null });
    expect(Date.parse(retired.json().retiredAt)).not.toBeNaN();
    expect(await activeKids()).not.toContain(oldKey.kid);
    expect(await activeKids()).toContain(newKey.kid);
    // retired keys stay readable for old envelopes
    const retiredList = (
      await dir.as('police.officer').get(`/v1/units/${unit}/keys?status=retired`)
    ).json().items;
    expect(retiredList.map((k: { kid: string }) => k.kid)).toEqual([oldKey.kid]);
    expectProblem(
      await dir.as('hub.admin').post(`/v1/units/${unit}/keys/${oldKey.kid}/retire`),
      409,
      'key-state-conflict',
    );

    const revoked = await dir
      .as('hub.admin')
      .post(`/v1/units/${unit}/keys/${oldKey.kid}/revoke`, { reason: 'Datorn stals' });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json()).toMatchObject({
      kid: oldKey.kid,
      status: 'revoked',
      revocationReason: 'Datorn stals',
      retiredAt: retired.json().retiredAt,
    });
    expect(Date.parse(revoked.json().revokedAt)).not.toBeNaN();

    const retireRevoked = await dir
      .as('hub.admin')
      .post(`/v1/units/${unit}/keys/${oldKey.kid}/retire`);
    expectProblem(retireRevoked, 409, 'key-state-conflict');
    expect(retireRevoked.json().code).toBe('DIRECTORY_KEY_STATE_CONFLICT');
    expectProblem(
      await dir
        .as('hub.admin')
        .post(`/v1/units/${unit}/keys/${oldKey.kid}/revoke`, { reason: 'igen' }),
      409,
      'key-state-conflict',
    );

    // an active key may be revoked directly
    const direct = await dir
      .as('hub.admin')
      .post(`/v1/units/${unit}/keys/${newKey.kid}/revoke`, { reason: 'Misstänkt läcka' });
    expect(direct.json()).toMatchObject({
      status: 'revoked',
      retiredAt: null,
      revocationReason: 'Misstänkt läcka',
    });

    // nothing is ever deleted; the revocation is kept
    expect(await rows()).toBe(before + 2);
    const all = (await dir.as('police.officer').get(`/v1/units/${unit}/keys`)).json()
      .items as Array<{ kid: string; status: string; revokedAt: string }>;
    expect(all.find((k) => k.kid === oldKey.kid)).toMatchObject({
      status: 'revoked',
      revokedAt: revoked.json().revokedAt,
    });
    const revokedList = (
      await dir.as('police.officer').get(`/v1/units/${unit}/keys?status=revoked`)
    ).json().items;
    expect(revokedList.map((k: { kid: string }) => k.kid).sort()).toEqual(
      [oldKey.kid, newKey.kid].sort(),
    );
    // a revoked key cannot come back by publishing it again
    const republish = await signUnitKey(root, {
      unit,
      org: O.region,
      use: 'enc',
      jwk: oldKey.publicJwk,
    });
    expectProblem(await publish(unit, republish, 'hub.admin'), 409, 'key-exists');
  });

  it('answers 404 for an unknown key and 403 for another organisation', async () => {
    expectProblem(
      await dir.as('norrkoping.admin').post(`/v1/units/${U.frideborg}/keys/nosuchkid/retire`),
      404,
      'key-not-found',
    );
    const seeded = dir.keys.units[U.frideborg]!.enc.kid;
    // The kid exists, but under another unit.
    expectProblem(
      await dir.as('norrkoping.admin').post(`/v1/units/${U.elsa}/keys/${seeded}/retire`),
      404,
      'key-not-found',
    );
    expectProblem(
      await dir.as('police.admin').post(`/v1/units/${U.frideborg}/keys/${seeded}/retire`),
      403,
      'forbidden',
    );
    expectProblem(
      await dir
        .as('police.admin')
        .post(`/v1/units/${U.frideborg}/keys/${seeded}/revoke`, { reason: 'x' }),
      403,
      'forbidden',
    );
    expect(
      (await dir.as('police.officer').get(`/v1/units/${U.frideborg}/keys?status=active`))
        .json()
        .items.map((k: { kid: string }) => k.kid),
    ).toContain(seeded);
  });
});

interface KeyLogEntry {
  seq: number;
  at: string;
  action: string;
  organisationId: string;
  unitId: string | null;
  kid: string;
  use: string | null;
  document: Record<string, unknown>;
  actor: string;
  actorIssuer: string | null;
  prevHash: string;
  hash: string;
}

async function readKeyLog(limit = 7): Promise<KeyLogEntry[]> {
  const entries: KeyLogEntry[] = [];
  let after = 0;
  for (let pages = 0; pages < 1000; pages += 1) {
    const res = await dir
      .as('frideborg.caseworker')
      .get(`/v1/key-log?after=${after}&limit=${limit}`);
    expect(res.statusCode).toBe(200);
    const page = res.json() as { items: KeyLogEntry[]; nextAfter: number | null };
    expect(page.items.length).toBeLessThanOrEqual(limit);
    entries.push(...page.items);
    if (page.nextAfter === null) {
      return entries;
    }
    expect(page.nextAfter).toBe(page.items[page.items.length - 1]!.seq);
    after = page.nextAfter;
  }
  throw new Error('the key log does not end');
}

/** What a client does with the key log: replay it and recompute every link. */
function replay(entries: KeyLogEntry[]): { valid: boolean; firstInvalidSeq: number | null } {
  let prev = GENESIS_HASH;
  for (const [i, e] of entries.entries()) {
    // docs/envelope.md §11: `actorIssuer` is hashed only when it was recorded.
    const { prevHash, hash, actorIssuer, ...rest } = e;
    const content = actorIssuer === null ? rest : { ...rest, actorIssuer };
    if (e.seq !== i + 1 || prevHash !== prev || chainHash(prev, content) !== hash) {
      return { valid: false, firstInvalidSeq: i + 1 };
    }
    prev = hash;
  }
  return { valid: true, firstInvalidSeq: null };
}

describe('the key log', () => {
  it('records every key change in order, with dense seq and hash links a client can replay', async () => {
    const { key, signed } = await signedEnc(U.socialjour, O.norrkoping);
    await publish(U.socialjour, signed);
    await dir.as('norrkoping.admin').post(`/v1/units/${U.socialjour}/keys/${key.kid}/retire`);
    await dir
      .as('norrkoping.admin')
      .post(`/v1/units/${U.socialjour}/keys/${key.kid}/revoke`, { reason: 'rotation klar' });

    const log = await readKeyLog();
    const all = (await dir.as('police.officer').get('/v1/key-log?limit=500')).json()
      .items as KeyLogEntry[];
    expect(log).toEqual(all);
    expect(log.map((e) => e.seq)).toEqual(log.map((_e, i) => i + 1));
    expect(log[0]!.prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < log.length; i += 1) {
      expect(log[i]!.prevHash).toBe(log[i - 1]!.hash);
    }
    expect(replay(log)).toEqual({ valid: true, firstInvalidSeq: null });
    expect(await count('SELECT count(*) AS n FROM directory.key_log')).toBe(log.length);

    // Every key change is there: the seed's root keys and unit keys, and the rotation just made.
    expect(log.filter((e) => e.action === 'root_key_registered').length).toBeGreaterThanOrEqual(
      Object.keys(O).length,
    );
    expect(log.filter((e) => e.action === 'key_published').length).toBeGreaterThanOrEqual(
      2 * Object.keys(U).length,
    );
    expect(log.filter((e) => e.kid === key.kid)).toEqual([
      expect.objectContaining({
        action: 'key_published',
        unitId: U.socialjour,
        organisationId: O.norrkoping,
        use: 'enc',
        actor: 'norrkoping.admin',
        actorIssuer: DEV_ISSUER,
        document: { signed },
      }),
      expect.objectContaining({ action: 'key_retired', unitId: U.socialjour, use: 'enc' }),
      expect.objectContaining({
        action: 'key_revoked',
        unitId: U.socialjour,
        use: 'enc',
        document: expect.objectContaining({ reason: 'rotation klar' }),
      }),
    ]);
    const rootEntry = log.find(
      (e) => e.action === 'root_key_registered' && e.kid === norrkopingRoot.kid,
    )!;
    expect(rootEntry).toMatchObject({
      organisationId: O.norrkoping,
      unitId: null,
      use: null,
      document: { jwk: expect.objectContaining({ x: norrkopingRoot.publicJwk.x }) },
    });
    expect((rootEntry.document.jwk as JWK).d).toBeUndefined();

    const tail = (await dir.as('police.officer').get(`/v1/key-log?after=${log.length - 2}`)).json();
    expect(tail).toEqual({ items: log.slice(-2), nextAfter: null });
    expect((await dir.as('police.officer').get(`/v1/key-log?after=${log.length}`)).json()).toEqual({
      items: [],
      nextAfter: null,
    });
  });

  it('is verified intact by the directory', async () => {
    const result = await keys.verifyKeyLog();
    const entries = await count('SELECT count(*) AS n FROM directory.key_log');
    expect(result).toMatchObject({
      valid: true,
      entries,
      headSeq: entries,
      firstInvalidSeq: null,
      reason: null,
    });
  });

  it('refuses UPDATE, DELETE and TRUNCATE while its append-only trigger is on', async () => {
    await expect(
      ds.query(`UPDATE directory.key_log SET actor = 'mallory' WHERE seq = 1`),
    ).rejects.toThrow(/append-only/);
    await expect(ds.query(`DELETE FROM directory.key_log WHERE seq = 1`)).rejects.toThrow(
      /append-only/,
    );
    await expect(ds.query(`TRUNCATE directory.key_log`)).rejects.toThrow(/append-only/);
    expect((await keys.verifyKeyLog()).valid).toBe(true);
  });

  describe('tampering by someone able to disable the trigger', () => {
    let middle: number;
    beforeAll(async () => {
      middle = Math.floor((await count('SELECT count(*) AS n FROM directory.key_log')) / 2);
      await ds.query('ALTER TABLE directory.key_log DISABLE TRIGGER key_log_append_only');
      await ds.query('CREATE TABLE directory.key_log_saved AS SELECT * FROM directory.key_log');
    });
    afterAll(async () => {
      await ds.query('ALTER TABLE directory.key_log ENABLE TRIGGER key_log_append_only');
    });
    const restore = async () => {
      await ds.query('DELETE FROM directory.key_log');
      await ds.query('INSERT INTO directory.key_log SELECT * FROM directory.key_log_saved');
      expect((await keys.verifyKeyLog()).valid).toBe(true);
    };

    it("detects an edited entry's document (a swapped key)", async () => {
      const evil = await generateUnitEncryptionKey();
      await ds.query(`UPDATE directory.key_log SET document = $1 WHERE seq = $2`, [
        JSON.stringify({ signed: `forged.${evil.kid}.sig` }),
        middle,
      ]);
      const result = await keys.verifyKeyLog();
      expect(result).toMatchObject({ valid: false, firstInvalidSeq: middle, headSeq: middle - 1 });
      expect(result.reason).toMatch(new RegExp(`${middle}`));
      // a client replaying the published log sees the same
      expect(replay(await readKeyLog(50))).toEqual({ valid: false, firstInvalidSeq: middle });
      await restore();
    });

    it('detects an edited entry even when its own hash is recomputed', async () => {
      const [row] = await ds.query(`SELECT * FROM directory.key_log WHERE seq = $1`, [middle]);
      const forgedActor = 'mallory';
      const content = {
        seq: middle,
        at: new Date(row.at).toISOString(),
        action: row.action,
        organisationId: row.organisation_id,
        unitId: row.unit_id,
        kid: row.kid,
        use: row.use,
        document: row.document,
        actor: forgedActor,
        ...(row.actor_issuer ? { actorIssuer: row.actor_issuer } : {}),
      };
      await ds.query(`UPDATE directory.key_log SET actor = $1, hash = $2 WHERE seq = $3`, [
        forgedActor,
        chainHash(row.prev_hash, content),
        middle,
      ]);
      expect(await keys.verifyKeyLog()).toMatchObject({
        valid: false,
        firstInvalidSeq: middle + 1,
      });
      await restore();
    });

    it('detects a deleted entry in the middle', async () => {
      await ds.query(`DELETE FROM directory.key_log WHERE seq = $1`, [middle]);
      const result = await keys.verifyKeyLog();
      expect(result).toMatchObject({ valid: false, firstInvalidSeq: middle });
      expect(replay(await readKeyLog(50)).valid).toBe(false);
      await restore();
    });

    it('detects a deleted last entry as a cut-off tail, against the recorded head and a checkpoint', async () => {
      const intact = await keys.verifyKeyLog();
      const checkpoint = (await keys.checkpointKeyLog()).checkpoint;
      expect(checkpoint).toMatchObject({ chain: 'key_log', seq: intact.headSeq });
      await ds.query(
        `DELETE FROM directory.key_log WHERE seq = (SELECT max(seq) FROM directory.key_log)`,
      );
      const truncated = await keys.verifyKeyLog();
      expect(truncated).toMatchObject({
        valid: false,
        truncated: true,
        entries: intact.entries - 1,
        firstInvalidSeq: intact.headSeq,
      });
      // A client that pinned the checkpoint sees the rollback through the API as well.
      const res = await dir
        .as('police.officer')
        .get(`/v1/key-log/verify?pinSeq=${checkpoint.seq}&pinHash=${checkpoint.headHash}`);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ valid: false, pin: { status: 'rolled_back' } });
      await restore();
      expect(await keys.verifyKeyLog(checkpoint)).toMatchObject({
        valid: true,
        pin: { status: 'consistent' },
      });
      const page = await dir.as('police.officer').get('/v1/key-log/checkpoints');
      expect(page.statusCode).toBe(200);
      expect(page.json().items[0]).toEqual(checkpoint);
      expect(page.json().currentKid).toBe(checkpoint.kid);
      await ds.query('DROP TABLE directory.key_log_saved');
    });
  });
});
