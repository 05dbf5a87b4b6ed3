import { ProblemError, type Principal } from '@samverkan/shared';
import { type EntityManager } from 'typeorm';
import { ReferralProblems as P } from '../domain/errors';
import { operationAccess } from '../domain/operation-access';
import { findFieldRequest } from './field-requests.repository';
import { findOperation, participantsOf } from './operations.repository';
import { deny, type ReferralsContext } from '../services/context';

export type { OperationAccess } from '../domain/operation-access';

/**
 * Access to operations, shared with the field-request service so that the two cannot drift
 * apart. Seeing an operation: members of its organiser, coordinator and invited units, officers
 * of the organiser's organisation (they make field requests), and the organisation
 * administrators of those units. Anyone else gets 404, so operation ids cannot be probed.
 */
export function createOperationAccess(ctx: ReferralsContext) {
  async function verifiedUnits(principal: Principal, manager?: EntityManager): Promise<string[]> {
    // The service's one rule (read-model/directory-read-model.ts `actingUnits`).
    return ctx.directory.actingUnits(principal, manager);
  }

  const accessTo = operationAccess;

  /** Loads an operation the caller may see, or answers 404 (and audits the refusal). */
  async function visibleOperation(principal: Principal, id: string, action: string) {
    const units = await verifiedUnits(principal);
    const db = ctx.dataSource.manager;
    const op = await findOperation(db, id);
    const participants = op ? await participantsOf(db, id) : [];
    const access = op ? accessTo(principal, units, op, participants) : undefined;
    if (!op || !access?.canSee) {
      await deny(
        ctx,
        principal,
        { action, objectType: 'operation', objectId: id },
        new ProblemError(P.operationNotFound),
      );
    }
    return { op: op!, participants, access: access! };
  }

  return { verifiedUnits, accessTo, visibleOperation };
}

export type OperationAccessRules = ReturnType<typeof createOperationAccess>;

/** The audit target of an operation action. */
export function operationTarget(
  action: string,
  id: string,
  principal: Principal,
  detail?: Record<string, unknown>,
) {
  return {
    action,
    objectType: 'operation',
    objectId: id,
    objectOrg: principal.org,
    ...(detail ? { detail } : {}),
  };
}

/** An operation the caller may see and runs (officer or coordinator of the organiser unit), or 403. */
export async function requireOrganiser(
  ctx: ReferralsContext,
  rules: OperationAccessRules,
  principal: Principal,
  id: string,
  action: string,
) {
  const seen = await rules.visibleOperation(principal, id, action);
  if (!seen.access.organiser) {
    await deny(
      ctx,
      principal,
      operationTarget(action, id, principal),
      new ProblemError(P.notOperationOrganiser),
    );
  }
  return seen;
}

/** The audit target of a field-request action. */
export function fieldRequestTarget(
  action: string,
  id: string,
  principal: Principal,
  detail?: Record<string, unknown>,
) {
  return {
    action,
    objectType: 'field_request',
    objectId: id,
    objectOrg: principal.org,
    ...(detail ? { detail } : {}),
  };
}

/** Access to field requests: whoever may see the request's operation. */
export function createFieldRequestAccess(ctx: ReferralsContext, rules: OperationAccessRules) {
  /** A field request whose operation the caller may see, or 404 (audited). */
  async function visible(principal: Principal, id: string, action: string) {
    const request = await findFieldRequest(ctx.dataSource.manager, id);
    if (!request) {
      return deny(
        ctx,
        principal,
        { action, objectType: 'field_request', objectId: id },
        new ProblemError(P.fieldRequestNotFound),
      );
    }
    try {
      const seen = await rules.visibleOperation(principal, request.operationId, action);
      return { request, ...seen };
    } catch (err) {
      if (err instanceof ProblemError && err.definition === P.operationNotFound) {
        throw new ProblemError(P.fieldRequestNotFound);
      }
      throw err;
    }
  }

  return { visible };
}

export type FieldRequestAccess = ReturnType<typeof createFieldRequestAccess>;
