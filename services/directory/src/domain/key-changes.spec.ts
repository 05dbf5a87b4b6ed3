import { ProblemError } from '@samverkan/shared';
import type { RootKeyEntity } from '../entities/root-key.entity';
import type { UnitKeyEntity } from '../entities/unit-key.entity';
import { DirectoryProblems as P } from './errors';
import {
  decidePublishUnitKey,
  decideRegisterRootKey,
  decideRevokeRootKey,
  decideUnitKeyChange,
  keyRotatedEvent,
} from './key-changes';
import type { PublicOkpJwk, VerifiedUnitKey } from './unit-keys';

const ORG = '10000000-0000-4000-8000-000000000581';
const UNIT = { id: '11000000-0000-4000-8000-000000000001', organisationId: ORG };
const NOW = new Date('2026-03-02T08:00:00Z');
const actor = { iss: 'https://idp.example', sub: 'admin' };
const jwk = { kty: 'OKP', crv: 'Ed25519', x: 'x', kid: 'root-1' } as unknown as PublicOkpJwk;

function refusal(fn: () => unknown): ProblemError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProblemError);
    return err as ProblemError;
  }
  throw new Error('expected a refusal');
}

const rootInput = {
  organisationId: ORG,
  jwk,
  fingerprint: 'root-1',
  exists: false,
  actor,
  now: NOW,
};

function unitKey(status: UnitKeyEntity['status'], kid = 'k1'): UnitKeyEntity {
  return {
    ...decidePublishUnitKey({
      unit: UNIT,
      verified: {
        jwk: { ...jwk, kid, alg: 'ECDH-ES+A256KW' },
        use: 'enc',
        rootKid: 'root-1',
      } as unknown as VerifiedUnitKey,
      signed: 'signed.jws',
      exists: false,
      actor,
      now: NOW,
    }).row,
    status,
  };
}

describe('key changes', () => {
  it('registers a root key only when the fingerprint compared is the key’s, and only once', () => {
    const d = decideRegisterRootKey(rootInput);
    expect(d.row).toMatchObject({ kid: 'root-1', organisationId: ORG, status: 'active' });
    expect(d.log).toMatchObject({ action: 'root_key_registered', use: null, actor: 'admin' });
    expect(
      refusal(() => decideRegisterRootKey({ ...rootInput, fingerprint: 'other' })).definition,
    ).toBe(P.rootKeyFingerprintMismatch);
    expect(refusal(() => decideRegisterRootKey({ ...rootInput, exists: true })).definition).toBe(
      P.rootKeyExists,
    );
  });

  it('revokes a root key once', () => {
    const row = decideRegisterRootKey(rootInput).row;
    const input = { organisationId: ORG, kid: 'root-1', reason: 'lost', actor, now: NOW };
    const d = decideRevokeRootKey({ ...input, locked: row });
    expect(d.row).toMatchObject({ status: 'revoked', revocationReason: 'lost', revokedAt: NOW });
    expect(d.log).toMatchObject({ action: 'root_key_revoked', document: { reason: 'lost' } });
    expect(
      refusal(() => decideRevokeRootKey({ ...input, locked: d.row as RootKeyEntity })).definition,
    ).toBe(P.rootKeyRevoked);
    expect(refusal(() => decideRevokeRootKey({ ...input, locked: null })).definition).toBe(
      P.rootKeyNotFound,
    );
  });

  it('publishes a unit key once', () => {
    const verified = {
      jwk: { ...jwk, kid: 'k9' },
      use: 'sig',
      rootKid: 'root-1',
    } as unknown as VerifiedUnitKey;
    const input = { unit: UNIT, verified, signed: 's', exists: false, actor, now: NOW };
    expect(decidePublishUnitKey(input).log).toMatchObject({ action: 'key_published', kid: 'k9' });
    expect(refusal(() => decidePublishUnitKey({ ...input, exists: true })).definition).toBe(
      P.keyExists,
    );
  });

  it('retires only an active key and revokes an active or retired one', () => {
    const change = (locked: UnitKeyEntity | null, action: 'key_retired' | 'key_revoked') =>
      decideUnitKeyChange({
        unitId: UNIT.id,
        kid: 'k1',
        locked,
        action,
        reason: 'r',
        actor,
        now: NOW,
      });
    expect(change(unitKey('active'), 'key_retired').row).toMatchObject({
      status: 'retired',
      retiredAt: NOW,
    });
    expect(refusal(() => change(unitKey('retired'), 'key_retired')).definition).toBe(
      P.keyStateConflict,
    );
    expect(change(unitKey('retired'), 'key_revoked').row).toMatchObject({
      status: 'revoked',
      revocationReason: 'r',
    });
    expect(refusal(() => change(unitKey('revoked'), 'key_revoked')).definition).toBe(
      P.keyStateConflict,
    );
    expect(refusal(() => change(null, 'key_revoked')).definition).toBe(P.keyNotFound);
  });

  it('announces a rotation with the unit’s active keys by use', () => {
    const event = keyRotatedEvent(unitKey('retired'), 'retired', [
      { kid: 'a', use: 'enc' },
      { kid: 'b', use: 'sig' },
    ]);
    expect(event.data).toMatchObject({
      kid: 'k1',
      change: 'retired',
      activeKids: ['a', 'b'],
      activeEncryptionKids: ['a'],
      activeSigningKids: ['b'],
    });
  });
});
