import { ProblemError } from '@samverkan/shared';
import { RecordsProblems } from './records.errors';

/**
 * What a purged envelope becomes: `{ "purged": "<when>" }`. The column stays NOT NULL and the
 * row keeps its clear metadata, so statistics and the audit log's parties are unchanged.
 */
export function purgedAt(envelope: Record<string, unknown>): string | null {
  return typeof envelope.purged === 'string' && !('protected' in envelope) ? envelope.purged : null;
}

/** 410 `content-purged` when the envelope is gone (docs/retention.md). */
export function contentPurgedProblem(envelope: Record<string, unknown>): ProblemError | null {
  const at = purgedAt(envelope);
  return at
    ? new ProblemError(
        RecordsProblems.contentPurged,
        `The sealed content was purged at ${at}, after its retention period (docs/retention.md); the parties' own case systems hold the record`,
        { extensions: { purgedAt: at } },
      )
    : null;
}
