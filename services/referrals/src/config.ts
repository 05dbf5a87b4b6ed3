import { ConfigError, loadConfig, type PlatformConfig } from '@samverkan/shared';
import { DEFAULT_DEADLINES, parseDeadlineConfig, type DeadlineConfig } from './domain/deadlines';

/** The referrals service's own settings, validated at start like the platform's. */
export interface ReferralsConfig {
  deadlines: DeadlineConfig;
  envelopeMaxBytes: number;
  deadlineCheckMs: number;
}

interface Raw extends PlatformConfig {
  REFERRALS_ACKNOWLEDGE_DEADLINES?: string;
  REFERRALS_ENVELOPE_MAX_BYTES: number;
  REFERRALS_DEADLINE_CHECK_MS: number;
}

export function loadReferralsConfig(
  env: Record<string, string | undefined> = process.env,
): ReferralsConfig {
  const raw = loadConfig<Raw>(env, {
    properties: {
      REFERRALS_ACKNOWLEDGE_DEADLINES: { type: 'string' },
      REFERRALS_ENVELOPE_MAX_BYTES: {
        type: 'integer',
        minimum: 4096,
        maximum: 52428800,
        default: 1_600_000,
      },
      REFERRALS_DEADLINE_CHECK_MS: {
        type: 'integer',
        minimum: 100,
        maximum: 3_600_000,
        default: 5000,
      },
    },
  });
  let deadlines = DEFAULT_DEADLINES;
  if (raw.REFERRALS_ACKNOWLEDGE_DEADLINES !== undefined) {
    try {
      deadlines = parseDeadlineConfig(raw.REFERRALS_ACKNOWLEDGE_DEADLINES);
    } catch (err) {
      throw new ConfigError(`Invalid configuration: ${(err as Error).message}`);
    }
  }
  return {
    deadlines,
    envelopeMaxBytes: raw.REFERRALS_ENVELOPE_MAX_BYTES,
    deadlineCheckMs: raw.REFERRALS_DEADLINE_CHECK_MS,
  };
}
