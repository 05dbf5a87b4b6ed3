import { loadConfig, type PlatformConfig } from '@samverkan/shared';

/** The notifications service's own settings, validated at start like the platform's. */
export interface NotificationsConfig {
  /** how long a critical item may wait for acknowledgement before it escalates to the on-call unit */
  escalationDelayMs: number;
  /** how much longer before it escalates further, to the regional coordinator */
  coordinatorEscalationDelayMs: number;
  escalationCheckMs: number;
  sseHeartbeatMs: number;
  /** first redelivery delay of a failed event; doubles each time, at most 60 s */
  retryBaseMs: number;
  /**
   * NOTIFICATIONS_CONSUMER_BATCH (1: one transaction per event): how many events, delivered
   * together, each of the service's consumers handles in one transaction over JetStream (the
   * `maxBatch` of a consumer definition that sets none; see `EventConsumerDefinition.maxBatch`).
   * A lone event never waits for others: batches only form from what arrives while the previous
   * batch is being handled.
   */
  consumerBatch: number;
}

interface Raw extends PlatformConfig {
  NOTIFICATIONS_ESCALATION_DELAY_MS: number;
  NOTIFICATIONS_COORDINATOR_ESCALATION_DELAY_MS: number;
  NOTIFICATIONS_ESCALATION_CHECK_MS: number;
  NOTIFICATIONS_SSE_HEARTBEAT_MS: number;
  NOTIFICATIONS_RETRY_BASE_MS: number;
  NOTIFICATIONS_CONSUMER_BATCH: number;
}

export function loadNotificationsConfig(
  env: Record<string, string | undefined> = process.env,
): NotificationsConfig {
  const raw = loadConfig<Raw>(env, {
    properties: {
      NOTIFICATIONS_ESCALATION_DELAY_MS: {
        type: 'integer',
        minimum: 100,
        maximum: 86_400_000,
        default: 15 * 60_000,
      },
      NOTIFICATIONS_COORDINATOR_ESCALATION_DELAY_MS: {
        type: 'integer',
        minimum: 100,
        maximum: 86_400_000,
        default: 15 * 60_000,
      },
      NOTIFICATIONS_ESCALATION_CHECK_MS: {
        type: 'integer',
        minimum: 50,
        maximum: 3_600_000,
        default: 5000,
      },
      NOTIFICATIONS_SSE_HEARTBEAT_MS: {
        type: 'integer',
        minimum: 100,
        maximum: 300_000,
        default: 15_000,
      },
      NOTIFICATIONS_RETRY_BASE_MS: {
        type: 'integer',
        minimum: 10,
        maximum: 60_000,
        default: 500,
      },
      NOTIFICATIONS_CONSUMER_BATCH: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    },
  });
  return {
    escalationDelayMs: raw.NOTIFICATIONS_ESCALATION_DELAY_MS,
    coordinatorEscalationDelayMs: raw.NOTIFICATIONS_COORDINATOR_ESCALATION_DELAY_MS,
    escalationCheckMs: raw.NOTIFICATIONS_ESCALATION_CHECK_MS,
    sseHeartbeatMs: raw.NOTIFICATIONS_SSE_HEARTBEAT_MS,
    retryBaseMs: raw.NOTIFICATIONS_RETRY_BASE_MS,
    consumerBatch: raw.NOTIFICATIONS_CONSUMER_BATCH,
  };
}
