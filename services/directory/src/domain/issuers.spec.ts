import { generateKeyPairSync } from 'node:crypto';
import { ProblemError } from '@samverkan/shared';
import { DirectoryProblems as P } from './errors';
import { checkOrganisationsFound, newIssuer, patchedIssuer } from './issuers';

const ORG = '10000000-0000-4000-8000-000000000581';
const ID = '44000000-0000-4000-8000-000000000001';

function refusal(fn: () => unknown): ProblemError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProblemError);
    return err as ProblemError;
  }
  throw new Error('expected a refusal');
}

const pem = (type: 'ed25519' | 'ec') =>
  generateKeyPairSync(type as 'ed25519', type === 'ec' ? ({ namedCurve: 'P-256' } as never) : {})
    .publicKey.export({ type: 'spki', format: 'pem' })
    .toString();

describe('issuer rules', () => {
  it('takes a JWKS issuer only over https, and stores no PEM for it', () => {
    const jwks = {
      issuer: 'https://idp.example',
      organisationIds: [ORG, ORG],
      keySource: 'jwks' as const,
    };
    expect(newIssuer(ID, { ...jwks, publicKeyPem: pem('ed25519') })).toMatchObject({
      organisationIds: [ORG],
      publicKeyPem: null,
      status: 'active',
    });
    expect(refusal(() => newIssuer(ID, { ...jwks, issuer: 'http://idp.example' })).definition).toBe(
      P.issuerInvalid,
    );
  });

  it('gives a PEM key the algorithms of its type and refuses others or a private key', () => {
    const input = { issuer: 'dev', organisationIds: [ORG], keySource: 'pem' as const };
    expect(newIssuer(ID, { ...input, publicKeyPem: pem('ed25519') }).algorithms).toEqual(['EdDSA']);
    expect(
      refusal(() => newIssuer(ID, { ...input, publicKeyPem: pem('ec'), algorithms: ['RS256'] }))
        .definition,
    ).toBe(P.issuerInvalid);
    const privatePem = generateKeyPairSync('ed25519')
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    expect(refusal(() => newIssuer(ID, { ...input, publicKeyPem: privatePem })).definition).toBe(
      P.keyPrivateMaterial,
    );
  });

  it('patches only the fields given and needs every organisation registered', () => {
    const row = {
      ...newIssuer(ID, {
        issuer: 'https://idp.example',
        organisationIds: [ORG],
        keySource: 'jwks',
      }),
      createdAt: new Date(),
      updatedAt: new Date(),
    };
    expect(patchedIssuer(row, { status: 'disabled' })).toMatchObject({
      status: 'disabled',
      organisationIds: [ORG],
    });
    expect(() => checkOrganisationsFound([ORG, ORG], 1)).not.toThrow();
    expect(refusal(() => checkOrganisationsFound([ORG], 0)).definition).toBe(P.issuerInvalid);
  });
});
