import { ProblemError, type AuditTarget, type Principal } from '@samverkan/shared';
import { WebhookProblems as P } from './errors';
import type { WebhooksRepository } from './repository';
import type { WebhooksContext } from './webhooks.service';

/** An `org_admin` of the organisation. */
export function isOrgAdmin(principal: Principal, organisationId: string): boolean {
  return principal.org === organisationId && principal.roles.includes('org_admin');
}

/** The audited object of a webhook action. */
export const endpointTarget = (
  action: string,
  e: { id?: string; organisationId?: string },
): AuditTarget => ({
  action,
  objectType: 'webhook_endpoint',
  objectId: e.id ?? null,
  objectOrg: e.organisationId ?? null,
});

/**
 * Who may manage webhooks: only an `org_admin` of the organisation a unit belongs to (per the
 * directory read model) manages that unit's endpoints; anyone else asking about an endpoint learns
 * nothing, not even that it exists (404). Every refusal is audited, before anything is locked.
 */
export function createWebhookAccess(ctx: WebhooksContext, repo: WebhooksRepository) {
  const deny = (
    principal: Principal,
    t: AuditTarget,
    problem: ConstructorParameters<typeof ProblemError>[0],
  ) => ctx.pipeline.deny(principal, t, new ProblemError(problem));

  return {
    /** An endpoint the caller administers, or a 404 (audited). */
    async administered(principal: Principal, id: string, action: string) {
      const endpoint = await repo.endpoint(id);
      if (!endpoint || !isOrgAdmin(principal, endpoint.organisationId)) {
        await deny(principal, endpointTarget(action, { id }), P.endpointNotFound);
      }
      return endpoint!;
    },

    /** Only an `org_admin` lists or creates endpoints (403, audited). */
    async orgAdmin(principal: Principal, action: string): Promise<void> {
      if (!principal.roles.includes('org_admin')) {
        await deny(
          principal,
          endpointTarget(action, { organisationId: principal.org }),
          P.notOrgAdmin,
        );
      }
    },

    /** The active unit an `org_admin` of its organisation creates an endpoint for. */
    async administeredUnit(principal: Principal, unitId: string, t: AuditTarget) {
      const unit = (await ctx.directory.units(ctx.dataSource.manager, [unitId])).get(unitId);
      if (!unit || unit.status !== 'active') {
        await deny(principal, t, P.unitUnknown);
      }
      if (!isOrgAdmin(principal, unit!.organisationId)) {
        await deny(principal, t, P.notOrgAdmin);
      }
      return unit!;
    },
  };
}

export type WebhookAccess = ReturnType<typeof createWebhookAccess>;
