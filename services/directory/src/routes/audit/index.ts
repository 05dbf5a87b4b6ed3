import { registerAuditRoutes } from '@samverkan/shared';
import type { FastifyInstance } from 'fastify';

/** Auditors read the entries of their own organisation; hub administrators read all. */
export async function auditRoutes(app: FastifyInstance): Promise<void> {
  const { contract, context } = app.directory;
  await registerAuditRoutes(app, { service: 'directory', contract, audit: context.audit });
}
