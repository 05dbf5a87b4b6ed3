import { Webhook } from 'standardwebhooks';
import { generateSecret, signPayload } from './signing';

describe('webhook signing', () => {
  const payload = JSON.stringify({ type: 'referral.sent', data: { referralId: 'x' } });

  it('makes secrets in the whsec_ form, each different', () => {
    const a = generateSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(generateSecret()).not.toBe(a);
  });

  it('signs so that the standardwebhooks library verifies', () => {
    const secret = generateSecret();
    const headers = signPayload('msg_1', new Date(), payload, [secret]);
    expect(headers['webhook-id']).toBe('msg_1');
    expect(new Webhook(secret).verify(payload, { ...headers })).toEqual(JSON.parse(payload));
  });

  it('carries one signature per secret during a rotation, each verifying with its own', () => {
    const oldSecret = generateSecret();
    const newSecret = generateSecret();
    const headers = signPayload('msg_2', new Date(), payload, [newSecret, oldSecret]);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(oldSecret).verify(payload, { ...headers })).not.toThrow();
    expect(() => new Webhook(newSecret).verify(payload, { ...headers })).not.toThrow();
    expect(() => new Webhook(generateSecret()).verify(payload, { ...headers })).toThrow();
  });

  it('fails verification when the body was changed', () => {
    const secret = generateSecret();
    const headers = signPayload('msg_3', new Date(), payload, [secret]);
    expect(() => new Webhook(secret).verify(`${payload} `, { ...headers })).toThrow();
  });

  it('refuses to sign without a secret', () => {
    expect(() => signPayload('m', new Date(), payload, [])).toThrow();
  });
});
