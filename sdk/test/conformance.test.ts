/**
 * The envelope conformance kit (sdk/conformance/vectors.json, docs/envelope.md) proven in two
 * implementations: this SDK, and Python's jwcrypto (sdk/conformance/jwcrypto_vectors.py, written
 * from the spec alone). Both reach every expected outcome; envelopes sealed by either open in the
 * other, in both directions.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { JWK } from 'jose';
import { jwcryptoPython } from '@samverkan/shared/src/testing/preflight';
import {
  compareRecord,
  envelopeRoutingInfo,
  EnvelopeError,
  KeyTrustError,
  openEnvelope,
  referralMetadata,
  sealEnvelope,
  verifyUnitKeySet,
  type DirectoryUnitKeySet,
  type EnvelopeKind,
} from '../src';

const dir = path.resolve(__dirname, '..', 'conformance');
const vectorsFile = path.join(dir, 'vectors.json');
const script = path.join(dir, 'jwcrypto_vectors.py');

interface Outcome {
  ok: boolean;
  error?: string;
  field?: string;
  document?: unknown;
  metadata?: unknown;
}
interface Case {
  name: string;
  opener: string;
  expected: { kind: EnvelopeKind; rid: string };
  envelope: unknown;
  record: Record<string, unknown>;
  directory?: { units: DirectoryUnitKeySet[] };
  outcome: Outcome;
}
interface Vectors {
  pins: Record<string, string[]>;
  directory: { units: DirectoryUnitKeySet[] };
  privateKeys: Record<string, { enc: JWK & { kid: string }; sig: JWK & { kid: string } }>;
  cases: Case[];
}

const vectors = JSON.parse(fs.readFileSync(vectorsFile, 'utf8')) as Vectors;

/** What a recipient does with the SDK: every check of docs/envelope.md, in order. */
async function openWithSdk(c: Case): Promise<Outcome> {
  const directory = c.directory ?? vectors.directory;
  const own = vectors.privateKeys[c.opener]!.enc;
  try {
    const opened = await openEnvelope(c.envelope, {
      unitId: c.opener,
      decryptionKeys: [{ kid: own.kid, privateJwk: own }],
      senderSigningKeys: async (aad) => {
        const set = directory.units.find((u) => u.unitId === aad.from);
        if (!set) {
          throw new KeyTrustError(aad.from, undefined, 'no keys');
        }
        const verified = await verifyUnitKeySet(set, {
          trustedRootFingerprints: vectors.pins,
          requirePinnedRoots: true,
        });
        return verified.signingKeys;
      },
      expected: c.expected,
    });
    compareRecord(opened, c.record);
    return { ok: true, document: opened.document, metadata: opened.metadata ?? null };
  } catch (err) {
    if (err instanceof EnvelopeError) {
      return { ok: false, error: err.code, ...(err.field ? { field: err.field } : {}) };
    }
    if (err instanceof KeyTrustError) {
      return { ok: false, error: 'untrusted_key' };
    }
    throw err;
  }
}

function python(args: string[], input?: string): unknown {
  return JSON.parse(
    execFileSync(jwcryptoPython(), [script, ...args, vectorsFile], {
      encoding: 'utf8',
      input,
      maxBuffer: 64 * 1024 * 1024,
    }),
  );
}

const summary = (o: Outcome) => ({ ok: o.ok, error: o.error, field: o.field });

it('has valid cases of every kind and a refusal for every check', () => {
  const names = vectors.cases.map((c) => c.name).join('\n');
  for (const needed of [/copy units/, /forwarded/, /message/, /field request/, /version 1/]) {
    expect(names).toMatch(needed);
  }
  const errors = new Set(vectors.cases.filter((c) => !c.outcome.ok).map((c) => c.outcome.error));
  expect([...errors].sort()).toEqual(
    [
      'aad_mismatch',
      'decryption_failed',
      'not_a_recipient',
      'record_mismatch',
      'untrusted_key',
      'wrong_kind',
    ].sort(),
  );
});

describe.each(vectors.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
  it('the SDK reaches the expected outcome', async () => {
    const outcome = await openWithSdk(c);
    expect(summary(outcome)).toEqual(summary(c.outcome));
    if (c.outcome.ok) {
      expect(outcome.document).toEqual(c.outcome.document);
      expect(outcome.metadata).toEqual(c.outcome.metadata);
    }
  });
});

describe("Python's jwcrypto", () => {
  it('reaches the expected outcome of every vector (envelopes the SDK sealed)', () => {
    const outcomes = python(['open']) as Outcome[];
    expect(outcomes.map(summary)).toEqual(vectors.cases.map((c) => summary(c.outcome)));
    vectors.cases.forEach((c, i) => {
      if (c.outcome.ok) {
        expect(outcomes[i]!.document).toEqual(c.outcome.document);
      }
    });
  });

  it('seals envelopes that the hub accepts in shape and the SDK opens and verifies', async () => {
    const sealed = python(['seal']) as Case[];
    expect(sealed.length).toBe(vectors.cases.filter((c) => c.outcome.metadata).length);
    for (const c of sealed) {
      const info = envelopeRoutingInfo(c.envelope);
      expect(info.version).toBe(2);
      const outcome = await openWithSdk(c);
      expect({ name: c.name, ...summary(outcome) }).toEqual({ name: c.name, ok: true });
      expect(outcome.document).toEqual(c.outcome.document);
    }
  });

  it('opens an envelope the SDK seals now, and refuses it when the hub changes the record', async () => {
    const police = vectors.directory.units[0]!;
    const coordinator = vectors.directory.units[3]!;
    const sigKey = vectors.privateKeys[police.unitId]!.sig;
    const encOf = (set: DirectoryUnitKeySet) =>
      set.keys.filter((k) => k.use === 'enc').map((k) => k.jwk);
    const meta = referralMetadata({
      id: '30000000-0000-4000-8000-0000000000ff',
      senderUnitId: police.unitId,
      recipientUnitId: coordinator.unitId,
      category: 'trafficking_sexual',
      urgency: 'urgent',
      ageBand: 'child',
      gender: 'unknown',
      citizenshipGroup: 'non_eu',
      municipalityCode: '0581',
      legalBasis: 'legal_duty',
    });
    const document = {
      version: 1,
      person: { ageBand: 'child' },
      situation: { summary: 'Sealed by the SDK in this test run.' },
      requests: ['support_talks'],
      consent: { given: false },
      senderContact: { role: 'officer' },
    };
    const { jwe } = await sealEnvelope({
      meta,
      document,
      sender: { signingKey: { kid: sigKey.kid, privateJwk: sigKey } },
      recipients: [{ unitId: coordinator.unitId, encryptionKeys: encOf(coordinator) }],
      senderEncryptionKeys: encOf(police),
    });
    const base = {
      name: 'fresh',
      opener: coordinator.unitId,
      expected: { kind: 'referral', rid: meta.referralId },
      envelope: jwe,
    };
    const record = { ...meta, id: meta.referralId };
    expect(python(['open-one'], JSON.stringify({ ...base, record }))).toMatchObject({
      ok: true,
      document,
    });
    expect(
      python(['open-one'], JSON.stringify({ ...base, record: { ...record, ageBand: 'adult' } })),
    ).toEqual({ ok: false, error: 'record_mismatch', field: 'ageBand' });
  });
});
