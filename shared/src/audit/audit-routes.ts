import type { FastifyInstance, FastifyRequest } from 'fastify';
import { hasRole } from '../auth/principal';
import type { OpenApiContract } from '../contracts/openapi-contract';
import { CommonProblems, ProblemError } from '../errors/problem';
import { auditEntryView, type AuditLog } from './audit-log';

/**
 * `GET /v1/audit/<service>` and `GET /v1/audit/<service>/verify`, the same in every service:
 * auditors read the entries of their own organisation (as actor or as owner of the object), hub
 * administrators read all; anyone else is refused, and the refusal is itself audited.
 */
export async function registerAuditRoutes(
  app: FastifyInstance,
  options: { service: string; contract: OpenApiContract; audit: AuditLog },
): Promise<void> {
  const { service, contract, audit } = options;

  async function requireAuditor(request: FastifyRequest, action: string): Promise<void> {
    const p = request.principal;
    if (!p.hubAdmin && !hasRole(p, 'auditor')) {
      await audit.append({
        actor: p,
        action,
        objectType: 'audit_log',
        outcome: 'denied',
        objectOrg: p.org,
      });
      throw new ProblemError(CommonProblems.forbidden, 'Only auditors read the audit log');
    }
  }

  app.route({
    ...contract.route('GET', `/v1/audit/${service}`),
    handler: async (request) => {
      await requireAuditor(request, 'audit.read');
      const q = request.query as {
        after?: number;
        limit?: number;
        outcome?: 'allowed' | 'denied';
        action?: string;
      };
      const limit = q.limit ?? 100;
      const rows = await audit.list({
        after: q.after,
        limit,
        outcome: q.outcome,
        action: q.action,
        organisationId: request.principal.hubAdmin ? undefined : request.principal.org,
      });
      return {
        items: rows.map(auditEntryView),
        nextAfter: rows.length === limit ? rows[rows.length - 1]!.seq : null,
      };
    },
  });

  app.route({
    ...contract.route('GET', `/v1/audit/${service}/verify`),
    handler: async (request) => {
      await requireAuditor(request, 'audit.verify');
      return audit.verify();
    },
  });
}
