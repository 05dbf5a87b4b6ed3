import { ConfigError, loadConfig, type PlatformConfig } from '@samverkan/shared';
import { DEFAULT_DEADLINES, parseDeadlineConfig, type DeadlineConfig } from './domain/deadlines';
import { ROLLUP_COMPACTION_MS } from './services/rollup-compactor';

/** The referrals service's own settings, validated at start like the platform's. */
export interface ReferralsConfig {
  deadlines: DeadlineConfig;
  envelopeMaxBytes: number;
  deadlineCheckMs: number;
  /** how often the rollup compactor folds the counters' rows (services/rollup-compactor.ts) */
  rollupCompactionMs: number;
  /** how long a field request may stay unclaimed before it escalates (never past needed-by) */
  fieldRequestClaimWindowMs: number | undefined;
}

interface Raw extends PlatformConfig {
  REFERRALS_ACKNOWLEDGE_DEADLINES?: string;
  REFERRALS_ENVELOPE_MAX_BYTES: number;
  REFERRALS_DEADLINE_CHECK_MS: number;
  REFERRALS_ROLLUP_COMPACTION_MS: number;
  REFERRALS_FIELD_REQUEST_CLAIM_WINDOW?: string;
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
      REFERRALS_FIELD_REQUEST_CLAIM_WINDOW: { type: 'string', pattern: '^[0-9]{1,6}[smhd]$' },
      REFERRALS_DEADLINE_CHECK_MS: {
        type: 'integer',
        minimum: 100,
        maximum: 3_600_000,
        default: 5000,
      },
      REFERRALS_ROLLUP_COMPACTION_MS: {
        type: 'integer',
        minimum: 100,
        maximum: 3_600_000,
        default: ROLLUP_COMPACTION_MS,
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
  const window = /^(\d{1,6})([smhd])$/.exec(raw.REFERRALS_FIELD_REQUEST_CLAIM_WINDOW ?? '');
  const unitMs = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
  return {
    fieldRequestClaimWindowMs: window
      ? Number(window[1]) * unitMs[window[2] as keyof typeof unitMs]
      : undefined,
    deadlines,
    envelopeMaxBytes: raw.REFERRALS_ENVELOPE_MAX_BYTES,
    deadlineCheckMs: raw.REFERRALS_DEADLINE_CHECK_MS,
    rollupCompactionMs: raw.REFERRALS_ROLLUP_COMPACTION_MS,
  };
}
