import type { FastifyServerOptions } from 'fastify';
import { currentTraceId } from './trace-context';

/**
 * Log settings: secrets and anything that could carry encrypted content are redacted wherever
 * they appear; pretty output only on a TTY.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'headers.authorization',
  'authorization',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'secret',
  '*.secret',
  'envelope',
  '*.envelope',
  'jwe',
  '*.jwe',
  'ciphertext',
  '*.ciphertext',
  'encrypted_key',
  '*.encrypted_key',
  'privateJwk',
  '*.privateJwk',
  'privateKey',
  '*.privateKey',
  'd',
  '*.d',
  'body',
  '*.body',
];

export function loggerOptions(
  level: string,
  pretty = Boolean(process.stdout.isTTY),
): FastifyServerOptions['logger'] {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    // The W3C trace id of the request or event being handled, on every line logged for it.
    mixin: () => {
      const traceId = currentTraceId();
      return traceId ? { traceId } : {};
    },
    ...(pretty && level !== 'silent'
      ? {
          transport: {
            target: 'pino-pretty',
            options: { translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' },
          },
        }
      : {}),
  };
}
