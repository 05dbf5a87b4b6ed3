import type { FastifyInstance, FastifyRequest } from 'fastify';
import { hasRole } from '../auth/principal';
import type { OpenApiContract } from '../contracts/openapi-contract';
import { CommonProblems, ProblemError } from '../errors/problem';
import { AUDIT_CHAIN, auditEntryView, type AuditLog } from './audit-log';
import { checkpointPage, pinnedCheckpoint } from './chain-checkpoints';

/**
 * `GET /v1/audit/<service>`, `GET /v1/audit/<service>/verify` and `GET|POST
 * /v1/audit/<service>/checkpoints`, the same in every service: auditors read the entries of their
 * own organisation (as actor or as a party of the object), hub administrators read all; anyone
 * else is refused, and the refusal is itself audited. Verification and checkpoints cover the whole
 * chain: they hold only numbers and hashes.
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
      return audit.verify(pinnedCheckpoint(request.query as { pinSeq?: number; pinHash?: string }));
    },
  });

  app.route({
    ...contract.route('GET', `/v1/audit/${service}/checkpoints`),
    handler: async (request) => {
      await requireAuditor(request, 'audit.checkpoints_read');
      const q = request.query as { before?: number; limit?: number };
      const limit = q.limit ?? 100;
      const rows = await audit.checkpoints.list(AUDIT_CHAIN, { before: q.before, limit });
      return checkpointPage(audit.checkpoints, rows, limit);
    },
  });

  app.route({
    ...contract.route('POST', `/v1/audit/${service}/checkpoints`),
    handler: async (request, reply) => {
      await requireAuditor(request, 'audit.checkpoint');
      const { checkpoint } = await audit.checkpoint();
      return reply.code(201).send(checkpoint);
    },
  });
}
