import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig, type PlatformConfig } from '@samverkan/shared';
import type { RetryPolicy } from './retry-schedule';
import { SecretBox } from './secret-box';
import type { DestinationPolicy } from './ssrf-guard';

/** The webhook module's settings (`NOTIFICATIONS_WEBHOOK_*`), validated at start. */
export interface WebhookConfig {
  destinations: DestinationPolicy;
  retry: RetryPolicy;
  /** failed attempts in a row (across deliveries) that disable an endpoint */
  disableAfterFailures: number;
  timeoutMs: number;
  pollIntervalMs: number;
  batchSize: number;
  /** how long a claimed delivery stays with the worker that claimed it (crash recovery) */
  leaseMs: number;
  /** how long the previous secret still signs after a rotation */
  rotationOverlapMs: number;
  /** finished deliveries (and their attempts) older than this leave the log */
  logRetentionMs: number;
  secretBox: SecretBox;
  /** where the sealing key came from: configuration, or the key file in the data folder */
  secretKeySource: 'config' | 'data-dir';
}

interface Raw extends PlatformConfig {
  NOTIFICATIONS_WEBHOOK_ALLOW_HTTP: boolean;
  NOTIFICATIONS_WEBHOOK_ALLOW_PRIVATE: boolean;
  NOTIFICATIONS_WEBHOOK_MAX_ATTEMPTS: number;
  NOTIFICATIONS_WEBHOOK_RETRY_BASE_MS: number;
  NOTIFICATIONS_WEBHOOK_RETRY_MAX_MS: number;
  NOTIFICATIONS_WEBHOOK_RETRY_AFTER_MAX_MS: number;
  NOTIFICATIONS_WEBHOOK_DISABLE_AFTER_FAILURES: number;
  NOTIFICATIONS_WEBHOOK_TIMEOUT_MS: number;
  NOTIFICATIONS_WEBHOOK_POLL_MS: number;
  NOTIFICATIONS_WEBHOOK_BATCH_SIZE: number;
  NOTIFICATIONS_WEBHOOK_ROTATION_OVERLAP_MS: number;
  NOTIFICATIONS_WEBHOOK_LOG_RETENTION_DAYS: number;
  NOTIFICATIONS_WEBHOOK_SECRET_KEY?: string;
}

const KEY_FILE = 'notifications-webhook-secret.key';

export function loadWebhookConfig(
  env: Record<string, string | undefined> = process.env,
): WebhookConfig {
  const raw = loadConfig<Raw>(env, {
    properties: {
      NOTIFICATIONS_WEBHOOK_ALLOW_HTTP: { type: 'boolean', default: false },
      NOTIFICATIONS_WEBHOOK_ALLOW_PRIVATE: { type: 'boolean', default: false },
      NOTIFICATIONS_WEBHOOK_MAX_ATTEMPTS: { type: 'integer', minimum: 1, maximum: 50, default: 8 },
      NOTIFICATIONS_WEBHOOK_RETRY_BASE_MS: {
        type: 'integer',
        minimum: 1,
        maximum: 3_600_000,
        default: 30_000,
      },
      NOTIFICATIONS_WEBHOOK_RETRY_MAX_MS: {
        type: 'integer',
        minimum: 1,
        maximum: 7 * 86_400_000,
        default: 6 * 3_600_000,
      },
      NOTIFICATIONS_WEBHOOK_RETRY_AFTER_MAX_MS: {
        type: 'integer',
        minimum: 0,
        maximum: 7 * 86_400_000,
        default: 6 * 3_600_000,
      },
      NOTIFICATIONS_WEBHOOK_DISABLE_AFTER_FAILURES: {
        type: 'integer',
        minimum: 1,
        maximum: 10_000,
        default: 25,
      },
      NOTIFICATIONS_WEBHOOK_TIMEOUT_MS: {
        type: 'integer',
        minimum: 100,
        maximum: 120_000,
        default: 10_000,
      },
      NOTIFICATIONS_WEBHOOK_POLL_MS: {
        type: 'integer',
        minimum: 10,
        maximum: 60_000,
        default: 1000,
      },
      NOTIFICATIONS_WEBHOOK_BATCH_SIZE: { type: 'integer', minimum: 1, maximum: 500, default: 20 },
      NOTIFICATIONS_WEBHOOK_ROTATION_OVERLAP_MS: {
        type: 'integer',
        minimum: 0,
        maximum: 30 * 86_400_000,
        default: 86_400_000,
      },
      NOTIFICATIONS_WEBHOOK_LOG_RETENTION_DAYS: {
        type: 'integer',
        minimum: 1,
        maximum: 3650,
        default: 30,
      },
      NOTIFICATIONS_WEBHOOK_SECRET_KEY: { type: 'string', minLength: 43 },
    },
  });
  return {
    destinations: {
      allowHttp: raw.NOTIFICATIONS_WEBHOOK_ALLOW_HTTP,
      allowPrivate: raw.NOTIFICATIONS_WEBHOOK_ALLOW_PRIVATE,
    },
    retry: {
      maxAttempts: raw.NOTIFICATIONS_WEBHOOK_MAX_ATTEMPTS,
      baseDelayMs: raw.NOTIFICATIONS_WEBHOOK_RETRY_BASE_MS,
      maxDelayMs: raw.NOTIFICATIONS_WEBHOOK_RETRY_MAX_MS,
      maxRetryAfterMs: raw.NOTIFICATIONS_WEBHOOK_RETRY_AFTER_MAX_MS,
    },
    disableAfterFailures: raw.NOTIFICATIONS_WEBHOOK_DISABLE_AFTER_FAILURES,
    timeoutMs: raw.NOTIFICATIONS_WEBHOOK_TIMEOUT_MS,
    pollIntervalMs: raw.NOTIFICATIONS_WEBHOOK_POLL_MS,
    batchSize: raw.NOTIFICATIONS_WEBHOOK_BATCH_SIZE,
    leaseMs: raw.NOTIFICATIONS_WEBHOOK_TIMEOUT_MS * 3,
    rotationOverlapMs: raw.NOTIFICATIONS_WEBHOOK_ROTATION_OVERLAP_MS,
    logRetentionMs: raw.NOTIFICATIONS_WEBHOOK_LOG_RETENTION_DAYS * 86_400_000,
    secretBox: secretBox(raw),
    secretKeySource: raw.NOTIFICATIONS_WEBHOOK_SECRET_KEY !== undefined ? 'config' : 'data-dir',
  };
}

/**
 * The key endpoint secrets are sealed with: `NOTIFICATIONS_WEBHOOK_SECRET_KEY` (base64 of 32
 * bytes; set it — the same on every replica — when running distributed), otherwise one kept in
 * the data folder, made on first start, readable by this user only (embedded mode).
 */
function secretBox(raw: Raw): SecretBox {
  try {
    if (raw.NOTIFICATIONS_WEBHOOK_SECRET_KEY !== undefined) {
      return SecretBox.fromBase64(raw.NOTIFICATIONS_WEBHOOK_SECRET_KEY);
    }
    const file = path.join(raw.SAMVERKAN_DATA_DIR, KEY_FILE);
    if (!fs.existsSync(file)) {
      fs.mkdirSync(raw.SAMVERKAN_DATA_DIR, { recursive: true });
      try {
        fs.writeFileSync(file, `${SecretBox.generateKey()}\n`, { mode: 0o600, flag: 'wx' });
      } catch (err) {
        // Another replica on the same folder made it first: use theirs.
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw err;
        }
      }
    }
    return SecretBox.fromBase64(fs.readFileSync(file, 'utf8').trim());
  } catch (err) {
    throw new ConfigError(
      `Invalid configuration: NOTIFICATIONS_WEBHOOK_SECRET_KEY: ${(err as Error).message}`,
    );
  }
}
