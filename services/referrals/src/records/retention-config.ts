import { ConfigError, loadConfig, type PlatformConfig } from '@samverkan/shared';

/**
 * How long the referrals service keeps what (docs/retention.md gives the defaults' reasoning).
 * Days count from when a referral reached its final state (closed, declined, withdrawn or
 * forwarded) or an operation ended (completed or cancelled).
 */
export interface RetentionConfig {
  /** a referral's envelope and message thread */
  contentDays: number;
  /** the sealed part (address, details) of an operation's field requests */
  fieldRequestDays: number;
  /** a referral's timeline (who did what, when); the clear metadata the statistics count stays */
  timelineDays: number;
  /** how often the purger runs */
  purgeIntervalMs: number;
}

export const DEFAULT_RETENTION: RetentionConfig = {
  contentDays: 90,
  fieldRequestDays: 30,
  timelineDays: 5 * 365,
  purgeIntervalMs: 3_600_000,
};

interface Raw extends PlatformConfig {
  REFERRALS_RETENTION_CONTENT_DAYS: number;
  REFERRALS_RETENTION_FIELD_REQUEST_DAYS: number;
  REFERRALS_RETENTION_TIMELINE_DAYS: number;
  REFERRALS_PURGE_INTERVAL_MS: number;
}

export function loadRetentionConfig(
  env: Record<string, string | undefined> = process.env,
): RetentionConfig {
  const raw = loadConfig<Raw>(env, {
    properties: {
      REFERRALS_RETENTION_CONTENT_DAYS: {
        type: 'integer',
        minimum: 1,
        maximum: 36_500,
        default: DEFAULT_RETENTION.contentDays,
      },
      REFERRALS_RETENTION_FIELD_REQUEST_DAYS: {
        type: 'integer',
        minimum: 1,
        maximum: 36_500,
        default: DEFAULT_RETENTION.fieldRequestDays,
      },
      REFERRALS_RETENTION_TIMELINE_DAYS: {
        type: 'integer',
        minimum: 1,
        maximum: 36_500,
        default: DEFAULT_RETENTION.timelineDays,
      },
      REFERRALS_PURGE_INTERVAL_MS: {
        type: 'integer',
        minimum: 1000,
        maximum: 86_400_000,
        default: DEFAULT_RETENTION.purgeIntervalMs,
      },
    },
  });
  if (raw.REFERRALS_RETENTION_TIMELINE_DAYS < raw.REFERRALS_RETENTION_CONTENT_DAYS) {
    throw new ConfigError(
      'Invalid configuration: REFERRALS_RETENTION_TIMELINE_DAYS must not be shorter than REFERRALS_RETENTION_CONTENT_DAYS',
    );
  }
  return {
    contentDays: raw.REFERRALS_RETENTION_CONTENT_DAYS,
    fieldRequestDays: raw.REFERRALS_RETENTION_FIELD_REQUEST_DAYS,
    timelineDays: raw.REFERRALS_RETENTION_TIMELINE_DAYS,
    purgeIntervalMs: raw.REFERRALS_PURGE_INTERVAL_MS,
  };
}
