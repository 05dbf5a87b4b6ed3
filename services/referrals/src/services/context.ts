import {
  CommandPipeline,
  type AuditLog,
  type PlatformMetrics,
  type ServiceEvents,
} from '@samverkan/shared';
import type { DataSource } from 'typeorm';
import type { DeadlineConfig } from '../domain/deadlines';
import type { DirectoryReadModel } from '../read-model/directory-read-model';

import type { AuditActor, AuditTarget, ProblemError } from '@samverkan/shared';

export type { AuditTarget, PendingEvent } from '@samverkan/shared';

export interface ReferralsContext {
  /** Prometheus counters (escalations); absent in tools that run without an app */
  metrics?: PlatformMetrics;
  dataSource: DataSource;
  events: ServiceEvents;
  audit: AuditLog;
  directory: DirectoryReadModel;
  deadlines: DeadlineConfig;
  envelopeMaxBytes: number;
  /** REFERRALS_FIELD_REQUEST_CLAIM_WINDOW; undefined: a field request escalates at needed-by */
  fieldRequestClaimWindowMs?: number;
}

const pipelines = new WeakMap<ReferralsContext, CommandPipeline>();

/** The service's write pipeline (shared/src/pipeline), one per context. */
export function pipelineOf(ctx: ReferralsContext): CommandPipeline {
  let pipeline = pipelines.get(ctx);
  if (!pipeline) {
    pipeline = new CommandPipeline(ctx, (event) =>
      ctx.events.outbox.envelope(event.type, event.data),
    );
    pipelines.set(ctx, pipeline);
  }
  return pipeline;
}

/**
 * Refuses before anything is read or locked, on the service's pipeline (`CommandPipeline.deny`):
 * one INSERT of a denied audit entry, then the 403 or the problem given.
 */
export function deny(
  ctx: ReferralsContext,
  actor: AuditActor,
  target: AuditTarget,
  refusal?: string | ProblemError,
): Promise<never> {
  return pipelineOf(ctx).deny(actor, target, refusal);
}
