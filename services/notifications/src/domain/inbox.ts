import { ProblemError } from '@samverkan/shared';
import { NotificationProblems } from './errors';

/** What a person does to one of their notifications. */
export type InboxAction = 'read' | 'acknowledge' | 'archive';

/** The state of a notification that the inbox's actions change. */
export interface InboxState {
  requiresAck: boolean;
  seenAt: Date | null;
  readAt: Date | null;
  acknowledgedAt: Date | null;
  archivedAt: Date | null;
}

export interface InboxDecision {
  /** the notification's state after the action (an earlier time is never overwritten) */
  state: InboxState;
  /** an acknowledged critical item stops its escalation timers */
  cancelEscalations: boolean;
}

/**
 * The rules of the inbox's actions: each marks the notification seen and read (keeping the first
 * time); acknowledging stops the escalation of a critical item; a critical notification must be
 * acknowledged before it can be archived (409).
 */
export function decideInboxAction(row: InboxState, action: InboxAction, now: Date): InboxDecision {
  if (action === 'archive' && row.requiresAck && !row.acknowledgedAt) {
    throw new ProblemError(
      NotificationProblems.needsAcknowledgement,
      'Acknowledge this critical notification before archiving it.',
    );
  }
  const state: InboxState = {
    requiresAck: row.requiresAck,
    seenAt: row.seenAt ?? now,
    readAt: row.readAt ?? now,
    acknowledgedAt: action === 'acknowledge' ? (row.acknowledgedAt ?? now) : row.acknowledgedAt,
    archivedAt: action === 'archive' ? (row.archivedAt ?? now) : row.archivedAt,
  };
  return { state, cancelEscalations: action === 'acknowledge' && row.requiresAck };
}

/** A bulk mark names its notifications: by id, or all of them (with optional filters). */
export function checkBulkTarget(body: { ids?: string[]; all?: boolean }): void {
  if (!body.ids && body.all !== true) {
    throw new ProblemError(
      NotificationProblems.bulkTargetRequired,
      'Give the ids to mark, or all: true (with optional filters).',
    );
  }
}
