import { loadConfig, type PlatformConfig } from '@samverkan/shared';

/** How long the notifications service keeps notifications (docs/retention.md). */
export interface NotificationsRetention {
  /** notifications older than this are deleted, read or not */
  days: number;
  purgeIntervalMs: number;
}

interface Raw extends PlatformConfig {
  NOTIFICATIONS_RETENTION_DAYS: number;
  NOTIFICATIONS_PURGE_INTERVAL_MS: number;
}

export function loadNotificationsRetention(
  env: Record<string, string | undefined> = process.env,
): NotificationsRetention {
  const raw = loadConfig<Raw>(env, {
    properties: {
      NOTIFICATIONS_RETENTION_DAYS: { type: 'integer', minimum: 1, maximum: 36_500, default: 90 },
      NOTIFICATIONS_PURGE_INTERVAL_MS: {
        type: 'integer',
        minimum: 1000,
        maximum: 86_400_000,
        default: 3_600_000,
      },
    },
  });
  return {
    days: raw.NOTIFICATIONS_RETENTION_DAYS,
    purgeIntervalMs: raw.NOTIFICATIONS_PURGE_INTERVAL_MS,
  };
}
