import envSchema from 'env-schema';
import fs from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';

/**
 * Platform configuration, read from the environment and validated once at start. Every variable
 * is documented in `.env.example`. Behaviour never branches on NODE_ENV: each switch is its own
 * variable.
 */
export interface PlatformConfig {
  PORT: number;
  HOST: string;
  LOG_LEVEL: string;
  SAMVERKAN_DATA_DIR: string;
  DATABASE_URL?: string;
  DATABASE_POOL_SIZE: number;
  NATS_URL?: string;
  EVENTS_SUBJECT_PREFIX: string;
  EVENTS_STREAM_PREFIX: string;
  OUTBOX_POLL_INTERVAL_MS: number;
  AUTH_AUDIENCE: string;
  AUTH_DEV_ISSUER: boolean;
  AUTH_ISSUERS?: string;
  /** the longest lifetime (`exp` − `iat`) a token may have */
  AUTH_MAX_TOKEN_LIFETIME_SECONDS: number;
  /** how far the hub's and an issuer's clocks may disagree (`exp`, `nbf`, `iat`) */
  AUTH_CLOCK_SKEW_SECONDS: number;
  /**
   * a PEM file of CA certificates trusted, besides the public ones, when an issuer's JWKS is
   * fetched (an internal CA; the tests' local CA)
   */
  AUTH_JWKS_CA_FILE?: string;
  /**
   * the proxies whose X-Forwarded-For is believed (addresses or CIDR ranges, comma-separated);
   * empty: none, the client address is the socket's
   */
  TRUSTED_PROXIES?: string;
  HUB_ORGANISATION_ID: string;
  RATE_LIMIT_MAX: number;
  RATE_LIMIT_WINDOW_MS: number;
  BODY_LIMIT_BYTES: number;
  REQUEST_TIMEOUT_MS: number;
  SEED_DEMO_DATA: boolean;
  AUDIT_CHECKPOINT_INTERVAL_MS: number;
  /** port of the Prometheus metrics listener; 0 serves no metrics */
  METRICS_PORT: number;
  METRICS_HOST: string;
  METRICS_TOKEN?: string;
  AUDIT_KEYS_DIR?: string;
  DELIVERY_PRUNE_INTERVAL_MS: number;
  AUDIT_CHAIN_POLL_INTERVAL_MS: number;
  OUTBOX_RETENTION_HOURS: number;
  PROCESSED_EVENTS_RETENTION_HOURS: number;
  IDEMPOTENCY_RETENTION_HOURS: number;
}

/** The hub operator's organisation in the demo directory; its `hub_admin` users run the hub. */
export const DEFAULT_HUB_ORGANISATION_ID = '00000000-0000-4000-8000-000000000001';

/**
 * Intervals and windows run as Node timers, which take at most 2^31 − 1 ms: a longer one fires
 * after 1 ms, every ms. Each setting has a sensible upper bound well below that.
 */
const DAY_MS = 86_400_000;

export const platformConfigSchema = {
  type: 'object',
  properties: {
    PORT: { type: 'integer', minimum: 0, maximum: 65535, default: 3000 },
    HOST: { type: 'string', default: '127.0.0.1' },
    LOG_LEVEL: {
      type: 'string',
      enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      default: 'info',
    },
    SAMVERKAN_DATA_DIR: { type: 'string', minLength: 1, default: './data' },
    DATABASE_URL: { type: 'string', pattern: '^postgres(ql)?://' },
    DATABASE_POOL_SIZE: { type: 'integer', minimum: 1, maximum: 100, default: 10 },
    NATS_URL: { type: 'string', pattern: '^(nats|tls|ws|wss)://' },
    EVENTS_SUBJECT_PREFIX: { type: 'string', pattern: '^[a-zA-Z0-9_-]+$', default: 'samverkan' },
    EVENTS_STREAM_PREFIX: { type: 'string', pattern: '^[A-Za-z0-9_-]+$', default: 'SAMVERKAN' },
    OUTBOX_POLL_INTERVAL_MS: { type: 'integer', minimum: 10, maximum: 60000, default: 250 },
    AUTH_AUDIENCE: { type: 'string', minLength: 1, default: 'samverkan' },
    AUTH_DEV_ISSUER: { type: 'boolean', default: false },
    AUTH_ISSUERS: { type: 'string' },
    AUTH_MAX_TOKEN_LIFETIME_SECONDS: {
      type: 'integer',
      minimum: 60,
      maximum: 604800,
      default: 43200,
    },
    AUTH_CLOCK_SKEW_SECONDS: { type: 'integer', minimum: 0, maximum: 600, default: 60 },
    AUTH_JWKS_CA_FILE: { type: 'string', minLength: 1 },
    TRUSTED_PROXIES: { type: 'string' },
    HUB_ORGANISATION_ID: {
      type: 'string',
      pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
      default: DEFAULT_HUB_ORGANISATION_ID,
    },
    RATE_LIMIT_MAX: { type: 'integer', minimum: 1, default: 1200 },
    RATE_LIMIT_WINDOW_MS: { type: 'integer', minimum: 100, maximum: DAY_MS, default: 60000 },
    BODY_LIMIT_BYTES: { type: 'integer', minimum: 1024, maximum: 52428800, default: 1048576 },
    REQUEST_TIMEOUT_MS: { type: 'integer', minimum: 1000, maximum: 600_000, default: 30000 },
    SEED_DEMO_DATA: { type: 'boolean', default: false },
    // How often each service signs and publishes the head of its hash chains (when it moved).
    AUDIT_CHECKPOINT_INTERVAL_MS: {
      type: 'integer',
      minimum: 1000,
      maximum: DAY_MS,
      default: 600000,
    },
    METRICS_PORT: { type: 'integer', minimum: 0, maximum: 65535, default: 9464 },
    METRICS_HOST: { type: 'string', minLength: 1, default: '127.0.0.1' },
    METRICS_TOKEN: { type: 'string', minLength: 16 },
    // Where services keep the audit keys they generate (default <SAMVERKAN_DATA_DIR>/audit-keys).
    AUDIT_KEYS_DIR: { type: 'string', minLength: 1 },
    // Pruning of the tables that only serve delivery (docs/audit.md, "Delivery tables").
    DELIVERY_PRUNE_INTERVAL_MS: {
      type: 'integer',
      minimum: 1000,
      maximum: DAY_MS,
      default: 3600000,
    },
    AUDIT_CHAIN_POLL_INTERVAL_MS: { type: 'integer', minimum: 10, maximum: 60_000, default: 250 },
    OUTBOX_RETENTION_HOURS: { type: 'integer', minimum: 1, default: 168 },
    PROCESSED_EVENTS_RETENTION_HOURS: { type: 'integer', minimum: 24, default: 336 },
    IDEMPOTENCY_RETENTION_HOURS: { type: 'integer', minimum: 24, default: 48 },
  },
} as const;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

interface EnvSchemaError {
  instancePath?: string;
  message?: string;
  params?: { allowedValues?: unknown[] };
}

/** env-schema's message, with the accepted values spelled out where the schema lists them. */
function describeEnvErrors(err: unknown, data: Record<string, unknown>): string {
  const errors = (err as { errors?: EnvSchemaError[] }).errors;
  if (!Array.isArray(errors) || errors.length === 0) {
    return (err as Error).message.replace(/env\//g, '').replace(/\//g, '.');
  }
  return errors
    .map((e) => {
      const name = (e.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
      if (Array.isArray(e.params?.allowedValues)) {
        return `${name} must be one of ${e.params.allowedValues.join(', ')} (got "${String(data[name])}")`;
      }
      return `${name} ${e.message ?? 'is invalid'}`.trim();
    })
    .join('; ');
}

/**
 * Validates `env` against the platform schema merged with a service's own properties.
 * Throws a ConfigError naming the offending variable.
 */
export function loadConfig<T extends PlatformConfig = PlatformConfig>(
  env: Record<string, string | undefined> = process.env,
  extra: { properties?: Record<string, unknown>; defaults?: Record<string, unknown> } = {},
): T {
  const schema = {
    ...platformConfigSchema,
    properties: { ...platformConfigSchema.properties, ...(extra.properties ?? {}) },
  };
  // Empty strings count as unset so that `FOO=` in an env file falls back to the default.
  const data: Record<string, unknown> = { ...(extra.defaults ?? {}) };
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') {
      data[key] = value;
    }
  }
  let config: T;
  try {
    // env: false — read only `data` (the env given), never process.env behind the caller's back.
    config = envSchema<T>({ schema, data, dotenv: false, env: false });
  } catch (err) {
    throw new ConfigError(`Invalid configuration: ${describeEnvErrors(err, data)}`);
  }
  config.SAMVERKAN_DATA_DIR = path.resolve(config.SAMVERKAN_DATA_DIR);
  parseTrustedProxies(config.TRUSTED_PROXIES);
  if (config.AUTH_JWKS_CA_FILE !== undefined && !fs.existsSync(config.AUTH_JWKS_CA_FILE)) {
    throw new ConfigError(
      `Invalid configuration: AUTH_JWKS_CA_FILE names no file (${config.AUTH_JWKS_CA_FILE})`,
    );
  }
  if (config.AUTH_ISSUERS !== undefined) {
    try {
      JSON.parse(config.AUTH_ISSUERS);
    } catch {
      throw new ConfigError('Invalid configuration: AUTH_ISSUERS must be a JSON array of issuers');
    }
  }
  return config;
}

const PROXY_PRESETS = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * TRUSTED_PROXIES as Fastify's `trustProxy` takes it: the addresses and CIDR ranges (or the
 * presets loopback, linklocal, uniquelocal) whose X-Forwarded-For is believed. Empty or unset:
 * none — the client address is the socket's, so a caller cannot pick its own by sending a header.
 */
export function parseTrustedProxies(value: string | undefined): string[] {
  const entries = (value ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  for (const entry of entries) {
    const [address, bits, extra] = entry.split('/');
    const family = isIP(address ?? '');
    const prefixOk =
      bits === undefined ||
      (/^[0-9]{1,3}$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32));
    if (!PROXY_PRESETS.has(entry) && (family === 0 || !prefixOk || extra !== undefined)) {
      throw new ConfigError(
        `Invalid configuration: TRUSTED_PROXIES entry "${entry}" is not an IP address, a CIDR range or one of ${[...PROXY_PRESETS].join(', ')}`,
      );
    }
  }
  return entries;
}

/** A service's database URL: `<SERVICE>_DATABASE_URL` wins over the shared `DATABASE_URL`. */
export function serviceDatabaseUrl(
  config: PlatformConfig,
  service: string,
  env: Record<string, string | undefined> = process.env,
): string | undefined {
  const own = env[`${service.toUpperCase()}_DATABASE_URL`];
  return own !== undefined && own !== '' ? own : config.DATABASE_URL;
}
