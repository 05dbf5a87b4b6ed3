import type dns from 'node:dns';
import http from 'node:http';
import {
  checkDestination,
  checkDestinationUrl,
  DestinationRefusedError,
  guardedLookup,
  isPublicAddress,
  type DestinationPolicy,
} from './ssrf-guard';

const strict: DestinationPolicy = { allowHttp: false, allowPrivate: false };
const lookupTo =
  (...addresses: string[]) =>
  async (): Promise<dns.LookupAddress[]> =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

function refusal(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof DestinationRefusedError ? err.reason : 'other';
  }
  return undefined;
}

describe('SSRF guard', () => {
  it.each([
    '127.0.0.1',
    '127.8.9.10',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'fc00::1',
    'fd12:3456::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '2002:7f00:1::',
    '64:ff9b::a00:1',
    'not-an-ip',
  ])('refuses %s', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8'])(
    'allows the public address %s',
    (address) => {
      expect(isPublicAddress(address)).toBe(true);
    },
  );

  it('wants https unless http is allowed', () => {
    expect(refusal(() => checkDestinationUrl('http://example.org/hook', strict))).toBe(
      'scheme_not_allowed',
    );
    expect(refusal(() => checkDestinationUrl('ftp://example.org/hook', strict))).toBe(
      'scheme_not_allowed',
    );
    expect(
      refusal(() => checkDestinationUrl('http://example.org/hook', { ...strict, allowHttp: true })),
    ).toBeUndefined();
  });

  it('refuses credentials, garbage and private literals in the URL', () => {
    expect(refusal(() => checkDestinationUrl('https://u:p@example.org/', strict))).toBe(
      'credentials_in_url',
    );
    expect(refusal(() => checkDestinationUrl('not a url', strict))).toBe('malformed_url');
    expect(refusal(() => checkDestinationUrl('https://[::1]:8443/x', strict))).toBe(
      'address_not_allowed',
    );
    expect(refusal(() => checkDestinationUrl('https://127.0.0.1/x', strict))).toBe(
      'address_not_allowed',
    );
    expect(
      refusal(() => checkDestinationUrl('https://127.0.0.1/x', { ...strict, allowPrivate: true })),
    ).toBeUndefined();
  });

  it('refuses a name that resolves to a private address, or to a mix', async () => {
    await expect(
      checkDestination('https://intranet.example/', strict, lookupTo('10.0.0.5')),
    ).rejects.toMatchObject({ reason: 'address_not_allowed' });
    await expect(
      checkDestination('https://mixed.example/', strict, lookupTo('8.8.8.8', '127.0.0.1')),
    ).rejects.toMatchObject({ reason: 'address_not_allowed' });
    await expect(
      checkDestination('https://public.example/', strict, lookupTo('8.8.8.8')),
    ).resolves.toBeInstanceOf(URL);
    await expect(
      checkDestination('https://nowhere.example/', strict, async () => {
        throw new Error('ENOTFOUND');
      }),
    ).rejects.toMatchObject({ reason: 'host_not_found' });
  });

  it('checks again when connecting: a host rebound to loopback is not reached', async () => {
    const server = http.createServer((_req, res) => res.end('reached'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const attempt = (policy: DestinationPolicy) =>
        new Promise<string>((resolve, reject) => {
          const req = http.request(
            {
              host: 'rebound.example',
              port,
              path: '/',
              lookup: guardedLookup(policy, lookupTo('127.0.0.1')),
              agent: false,
            },
            (res) => {
              res.resume();
              resolve(String(res.statusCode));
            },
          );
          req.on('error', reject);
          req.end();
        });
      await expect(attempt({ allowHttp: true, allowPrivate: false })).rejects.toMatchObject({
        reason: 'address_not_allowed',
      });
      await expect(attempt({ allowHttp: true, allowPrivate: true })).resolves.toBe('200');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
