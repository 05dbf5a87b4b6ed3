import { ProblemError } from '@samverkan/shared';
import type { KeyLogEntryEntity } from '../entities/key-log.entity';
import type { RootKeyEntity } from '../entities/root-key.entity';
import type { UnitKeyEntity } from '../entities/unit-key.entity';
import { DirectoryEvents as E } from '../events/directory-events';
import type { PendingEvent } from '../services/context';
import { DirectoryProblems as P } from './errors';
import type { PublicOkpJwk, VerifiedUnitKey } from './unit-keys';

/**
 * The rules of root keys and unit keys, as pure decisions: each takes what was loaded (under
 * FOR UPDATE where it changes a row) and either refuses with a 4xx `ProblemError` or answers the
 * row to write, its key-log entry and its event. The commands (keys/commands.ts) load, authorize
 * (keys/access.ts), call these and persist through keys/repository.ts.
 */

type Actor = { iss: string; sub: string };

/** A key-log entry before it is linked (seq, at, prevHash and hash are the chain's). */
export type KeyLogDraft = Pick<
  KeyLogEntryEntity,
  'action' | 'organisationId' | 'unitId' | 'kid' | 'use' | 'document' | 'actor' | 'actorIssuer'
>;

export type UnitKeyAction = 'key_retired' | 'key_revoked';

export interface KeyDecision<Row> {
  row: Row;
  log: KeyLogDraft;
  event: PendingEvent;
}

// --- root keys -----------------------------------------------------------------------------

/**
 * A hub administrator registers an organisation's root key after comparing its fingerprint with
 * the organisation out of band; the fingerprint sent must match the key.
 */
export function decideRegisterRootKey(input: {
  organisationId: string;
  jwk: PublicOkpJwk;
  fingerprint: string;
  exists: boolean;
  actor: Actor;
  now: Date;
}): KeyDecision<RootKeyEntity> {
  const { organisationId, jwk, actor } = input;
  if (input.fingerprint !== jwk.kid) {
    throw new ProblemError(
      P.rootKeyFingerprintMismatch,
      'Compare the fingerprint with the organisation again',
    );
  }
  if (input.exists) {
    throw new ProblemError(P.rootKeyExists);
  }
  return {
    row: {
      kid: jwk.kid,
      organisationId,
      jwk: { ...jwk },
      status: 'active',
      registeredAt: input.now,
      registeredBy: actor.sub,
      registeredByIssuer: actor.iss,
      revokedAt: null,
      revocationReason: null,
    },
    log: {
      action: 'root_key_registered',
      organisationId,
      unitId: null,
      kid: jwk.kid,
      // `use` is the unit key use; root key entries carry null (KeyLogEntry in the contract).
      use: null,
      document: { jwk: { ...jwk } },
      actor: actor.sub,
      actorIssuer: actor.iss,
    },
    event: {
      type: E.rootKeyRegistered,
      data: { organisationId, kid: jwk.kid, fingerprint: jwk.kid },
    },
  };
}

/** On the root key read under FOR UPDATE: revoked once, never again. */
export function decideRevokeRootKey(input: {
  organisationId: string;
  kid: string;
  locked: RootKeyEntity | null;
  reason: string;
  actor: Actor;
  now: Date;
}): KeyDecision<RootKeyEntity> {
  const { organisationId, kid, locked, actor } = input;
  if (!locked) {
    throw new ProblemError(
      P.rootKeyNotFound,
      `Organisation ${organisationId} has no root key ${kid}`,
    );
  }
  if (locked.status === 'revoked') {
    throw new ProblemError(P.rootKeyRevoked);
  }
  return {
    row: { ...locked, status: 'revoked', revokedAt: input.now, revocationReason: input.reason },
    log: {
      action: 'root_key_revoked',
      organisationId,
      unitId: null,
      kid,
      use: null,
      document: { reason: input.reason },
      actor: actor.sub,
      actorIssuer: actor.iss,
    },
    event: { type: E.rootKeyRevoked, data: { organisationId, kid, fingerprint: kid } },
  };
}

// --- unit keys -----------------------------------------------------------------------------

/**
 * The unit's key-rotated event, with the unit's active keys after the change (read in the
 * change's transaction, in the order the database sorts their ids).
 */
export function keyRotatedEvent(
  key: UnitKeyEntity,
  change: string,
  activeAfter: Array<Pick<UnitKeyEntity, 'kid' | 'use'>>,
): PendingEvent {
  return {
    type: E.keyRotated,
    data: {
      unitId: key.unitId,
      organisationId: key.organisationId,
      kid: key.kid,
      use: key.use,
      change,
      activeKids: activeAfter.map((r) => r.kid),
      activeEncryptionKids: activeAfter.filter((r) => r.use === 'enc').map((r) => r.kid),
      activeSigningKids: activeAfter.filter((r) => r.use === 'sig').map((r) => r.kid),
    },
  };
}

/** A unit key signed by its organisation's root key (verified before), published once. */
export function decidePublishUnitKey(input: {
  unit: { id: string; organisationId: string };
  verified: VerifiedUnitKey;
  signed: string;
  exists: boolean;
  actor: Actor;
  now: Date;
}): Omit<KeyDecision<UnitKeyEntity>, 'event'> {
  const { unit, verified, actor } = input;
  if (input.exists) {
    throw new ProblemError(P.keyExists, `Key ${verified.jwk.kid} is already published`);
  }
  return {
    row: {
      kid: verified.jwk.kid,
      unitId: unit.id,
      organisationId: unit.organisationId,
      use: verified.use,
      alg: verified.jwk.alg,
      jwk: { ...verified.jwk },
      signed: input.signed,
      rootKid: verified.rootKid,
      status: 'active',
      publishedAt: input.now,
      retiredAt: null,
      revokedAt: null,
      revocationReason: null,
    },
    log: {
      action: 'key_published',
      organisationId: unit.organisationId,
      unitId: unit.id,
      kid: verified.jwk.kid,
      use: verified.use,
      document: { signed: input.signed },
      actor: actor.sub,
      actorIssuer: actor.iss,
    },
  };
}

/**
 * Retires (no longer used for new envelopes, still readable for old ones; only an active key) or
 * revokes (an active or retired key) the unit key read under FOR UPDATE.
 */
export function decideUnitKeyChange(input: {
  unitId: string;
  kid: string;
  locked: UnitKeyEntity | null;
  action: UnitKeyAction;
  reason?: string;
  actor: Actor;
  now: Date;
}): Omit<KeyDecision<UnitKeyEntity>, 'event'> {
  const { unitId, kid, locked, action, actor, now } = input;
  if (!locked) {
    throw new ProblemError(P.keyNotFound, `Unit ${unitId} has no key ${kid}`);
  }
  const allowedFrom: Array<UnitKeyEntity['status']> =
    action === 'key_retired' ? ['active'] : ['active', 'retired'];
  if (!allowedFrom.includes(locked.status)) {
    throw new ProblemError(P.keyStateConflict, `Key ${kid} is ${locked.status}`);
  }
  const row: UnitKeyEntity =
    action === 'key_retired'
      ? { ...locked, status: 'retired', retiredAt: now }
      : {
          ...locked,
          status: 'revoked',
          revokedAt: now,
          revocationReason: input.reason ?? null,
        };
  return {
    row,
    log: {
      action,
      organisationId: row.organisationId,
      unitId,
      kid,
      use: row.use,
      document: { status: row.status, reason: row.revocationReason },
      actor: actor.sub,
      actorIssuer: actor.iss,
    },
  };
}
