import { IssuerRegistry, parseIssuersConfig, type TrustedIssuer } from './issuer-registry';

const PEM =
  '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n';
const ORG = '40000000-0000-4000-8000-000000000001';

const config = (entries: unknown[]) => JSON.stringify(entries);

describe('parseIssuersConfig', () => {
  it('gives no issuers when AUTH_ISSUERS is unset', () => {
    expect(parseIssuersConfig(undefined)).toEqual([]);
  });

  it('reads a pem issuer and a jwks issuer, with the default algorithms', () => {
    expect(
      parseIssuersConfig(
        config([
          {
            issuer: 'https://idp.example',
            organisationIds: [ORG],
            keySource: 'pem',
            publicKeyPem: PEM,
            algorithms: ['EdDSA'],
          },
          { issuer: 'https://jwks.example', organisationIds: [ORG], keySource: 'jwks' },
        ]),
      ),
    ).toEqual([
      {
        issuer: 'https://idp.example',
        organisationIds: [ORG],
        keySource: 'pem',
        publicKeyPem: PEM,
        kid: null,
        algorithms: ['EdDSA'],
      },
      {
        issuer: 'https://jwks.example',
        organisationIds: [ORG],
        keySource: 'jwks',
        publicKeyPem: null,
        kid: null,
        algorithms: ['EdDSA', 'ES256', 'RS256'],
      },
    ]);
  });

  it.each([['HS256'], ['HS384'], ['HS512'], ['none'], ['None']])('refuses algorithm %s', (alg) => {
    expect(() =>
      parseIssuersConfig(
        config([
          {
            issuer: 'https://idp.example',
            organisationIds: [ORG],
            keySource: 'pem',
            publicKeyPem: PEM,
            algorithms: [alg],
          },
        ]),
      ),
    ).toThrow(/AUTH_ISSUERS\[0\]\.algorithms may only name asymmetric algorithms/);
  });

  it('refuses a symmetric algorithm hidden among asymmetric ones', () => {
    expect(() =>
      parseIssuersConfig(
        config([
          {
            issuer: 'https://idp.example',
            organisationIds: [ORG],
            keySource: 'jwks',
            algorithms: ['RS256', 'HS256'],
          },
        ]),
      ),
    ).toThrow(/algorithms/);
    expect(() =>
      parseIssuersConfig(
        config([{ issuer: 'https://idp.example', organisationIds: [ORG], algorithms: 'RS256' }]),
      ),
    ).toThrow(/algorithms/);
  });

  it('requires publicKeyPem for a pem issuer', () => {
    expect(() =>
      parseIssuersConfig(
        config([{ issuer: 'https://idp.example', organisationIds: [ORG], keySource: 'pem' }]),
      ),
    ).toThrow(/AUTH_ISSUERS\[0\]\.publicKeyPem is required/);
  });

  it('refuses an unknown keySource instead of quietly fetching keys from the issuer', () => {
    expect(() =>
      parseIssuersConfig(
        config([
          {
            issuer: 'https://idp.example',
            organisationIds: [ORG],
            keySource: 'PEM',
            publicKeyPem: PEM,
          },
        ]),
      ),
    ).toThrow(/keySource/);
  });

  it('requires an issuer and a list of organisations (never "*")', () => {
    expect(() =>
      parseIssuersConfig(config([{ organisationIds: [ORG], keySource: 'jwks' }])),
    ).toThrow(/issuer must be a non-empty string/);
    expect(() =>
      parseIssuersConfig(config([{ issuer: '', organisationIds: [ORG], keySource: 'jwks' }])),
    ).toThrow(/issuer/);
    expect(() =>
      parseIssuersConfig(
        config([{ issuer: 'https://idp.example', organisationIds: '*', keySource: 'jwks' }]),
      ),
    ).toThrow(/organisationIds/);
    expect(() =>
      parseIssuersConfig(
        config([{ issuer: 'https://idp.example', organisationIds: [1], keySource: 'jwks' }]),
      ),
    ).toThrow(/organisationIds/);
  });

  it('names the entry at fault', () => {
    expect(() =>
      parseIssuersConfig(
        config([
          { issuer: 'https://ok.example', organisationIds: [ORG], keySource: 'jwks' },
          { issuer: 'https://bad.example', organisationIds: [ORG], keySource: 'pem' },
        ]),
      ),
    ).toThrow(/AUTH_ISSUERS\[1\]/);
  });

  it('refuses what is not a JSON array', () => {
    expect(() => parseIssuersConfig('{}')).toThrow(/must be a JSON array/);
    expect(() => parseIssuersConfig('not json')).toThrow();
  });
});

describe('IssuerRegistry', () => {
  const staticIssuer: TrustedIssuer = {
    issuer: 'urn:static',
    organisationIds: '*',
    keySource: 'pem',
    publicKeyPem: PEM,
    algorithms: ['EdDSA'],
  };

  it('finds static issuers first, then asks its sources in order', async () => {
    const registry = new IssuerRegistry([staticIssuer]);
    const first = jest.fn(async (iss: string) =>
      iss === 'https://a.example' ? { ...staticIssuer, issuer: iss } : undefined,
    );
    const second = jest.fn(async (iss: string) =>
      iss.startsWith('https://')
        ? { ...staticIssuer, issuer: iss, organisationIds: [ORG] }
        : undefined,
    );
    registry.addSource({ find: first });
    registry.addSource({ find: second });

    expect(await registry.find('urn:static')).toBe(staticIssuer);
    expect(first).not.toHaveBeenCalled();
    expect((await registry.find('https://a.example'))?.organisationIds).toBe('*');
    expect(second).not.toHaveBeenCalled();
    expect((await registry.find('https://b.example'))?.organisationIds).toEqual([ORG]);
    expect(await registry.find('urn:nobody')).toBeUndefined();
  });

  it('matches the issuer exactly', async () => {
    const registry = new IssuerRegistry([staticIssuer]);
    expect(await registry.find('urn:static ')).toBeUndefined();
    expect(await registry.find('URN:STATIC')).toBeUndefined();
  });
});

describe('AUTH_ISSUERS: keys over https, a PEM key with its kid', () => {
  const ORG_ID = '00000000-0000-4000-8000-000000000001';
  it.each(['http://127.0.0.1:8443', 'http://localhost', 'http://idp.example'])(
    'refuses a jwks issuer over plain http (%s)',
    (issuer) => {
      expect(() =>
        parseIssuersConfig(
          JSON.stringify([{ issuer, organisationIds: [ORG_ID], keySource: 'jwks' }]),
        ),
      ).toThrow(/https/);
    },
  );

  it('keeps a pem issuer’s kid, and refuses a kid on a jwks issuer', () => {
    const [pem] = parseIssuersConfig(
      JSON.stringify([
        {
          issuer: 'https://idp.example',
          organisationIds: [ORG_ID],
          keySource: 'pem',
          publicKeyPem: 'PEM',
          kid: 'k-2026',
        },
      ]),
    );
    expect(pem!.kid).toBe('k-2026');
    expect(() =>
      parseIssuersConfig(
        JSON.stringify([
          { issuer: 'https://idp.example', organisationIds: [ORG_ID], keySource: 'jwks', kid: 'x' },
        ]),
      ),
    ).toThrow(/kid/);
  });
});
