import pino from 'pino';
import { Writable } from 'node:stream';
import { loggerOptions } from './logger';

function capture(): { logger: pino.Logger; lines: () => string } {
  let out = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out += chunk.toString();
      cb();
    },
  });
  const options = loggerOptions('info', false) as pino.LoggerOptions;
  return { logger: pino(options, stream), lines: () => out };
}

describe('log redaction', () => {
  it('never writes tokens, keys or envelopes', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        req: {
          headers: {
            authorization: 'Bearer eyJsecret.token.here',
            'idempotency-key': 'k-123456789',
          },
        },
        envelope: { ciphertext: 'CIPHERTEXT-1' },
        referral: { jwe: 'JWE-2', envelope: 'ENV-3' },
        key: { d: 'PRIVATE-4', x: 'public-x' },
        body: { anything: 'BODY-5' },
        token: 'TOKEN-6',
      },
      'request',
    );
    const text = lines();
    for (const secret of [
      'eyJsecret',
      'CIPHERTEXT-1',
      'JWE-2',
      'ENV-3',
      'PRIVATE-4',
      'BODY-5',
      'TOKEN-6',
      'k-123456789',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('[redacted]');
    expect(text).toContain('public-x');
  });
});
