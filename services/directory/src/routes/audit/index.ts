import { auditEntryView, CommonProblems, hasRole, ProblemError } from '@samverkan/shared';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Auditors read the entries of their own organisation; hub administrators read all. */
export async function auditRoutes(app: FastifyInstance): Promise<void> {
  const { contract, context } = app.directory;

  async function requireAuditor(request: FastifyRequest, action: string): Promise<void> {
    const p = request.principal;
    if (!p.hubAdmin && !hasRole(p, 'auditor')) {
      await context.audit.append({
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
    ...contract.route('GET', '/v1/audit/directory'),
    handler: async (request) => {
      await requireAuditor(request, 'audit.read');
      const q = request.query as {
        after?: number;
        limit?: number;
        outcome?: 'allowed' | 'denied';
        action?: string;
      };
      const limit = q.limit ?? 100;
      const rows = await context.audit.list({
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
    ...contract.route('GET', '/v1/audit/directory/verify'),
    handler: async (request) => {
      await requireAuditor(request, 'audit.verify');
      return context.audit.verify();
    },
  });
}
