import { ProblemError } from '@samverkan/shared';
import {
  LEGAL_BASES,
  checkSharingRules,
  type SharingRecipient,
  type SharingRequest,
} from './sharing-rules';

const SENDER = 'unit-police';

function problemOf(fn: () => unknown): ProblemError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProblemError) {
      return err;
    }
    throw err;
  }
  throw new Error('expected a ProblemError, but nothing was thrown');
}

const social: SharingRecipient = {
  unitId: 'unit-frideborg',
  organisationKind: 'social_services',
  role: 'recipient',
};
const ngo = (role: 'recipient' | 'copy' = 'copy'): SharingRecipient => ({
  unitId: 'unit-novahuset',
  organisationKind: 'ngo',
  role,
});
const copy = (
  unitId: string,
  organisationKind: SharingRecipient['organisationKind'] = 'healthcare',
) => ({ unitId, organisationKind, role: 'copy' }) as const;

function request(changes: Partial<SharingRequest> = {}): SharingRequest {
  return {
    legalBasis: 'legal_duty',
    ageBand: 'adult',
    justified: false,
    recipients: [social],
    senderUnitId: SENDER,
    ...changes,
  };
}

function expectRule(req: SharingRequest, slug: string, status = 422): ProblemError {
  const problem = problemOf(() => checkSharingRules(req));
  expect(problem.definition.slug).toBe(slug);
  expect(problem.statusCode).toBe(status);
  return problem;
}

describe('checkSharingRules', () => {
  it('accepts an ordinary referral to one social services unit', () => {
    expect(() => checkSharingRules(request())).not.toThrow();
  });

  describe('NGOs need consent', () => {
    it.each(LEGAL_BASES.filter((b) => b !== 'consent'))(
      'refuses an NGO copy under %s, naming the unit',
      (legalBasis) => {
        const problem = expectRule(
          request({ legalBasis, justified: true, recipients: [social, ngo()] }),
          'legal-basis-requires-consent',
        );
        expect(problem.detail).toContain('unit-novahuset');
        expect(problem.extensions).toEqual({ unitId: 'unit-novahuset' });
      },
    );

    it('refuses an NGO as recipient without consent', () => {
      expectRule(request({ recipients: [ngo('recipient')] }), 'legal-basis-requires-consent');
    });

    it('accepts NGOs as recipient or copy with consent', () => {
      expect(() =>
        checkSharingRules(request({ legalBasis: 'consent', recipients: [ngo('recipient')] })),
      ).not.toThrow();
      expect(() =>
        checkSharingRules(request({ legalBasis: 'consent', recipients: [social, ngo('copy')] })),
      ).not.toThrow();
    });
  });

  describe('a child needs social services (duty to report)', () => {
    it('refuses a child referral without a social services unit', () => {
      const problem = expectRule(
        request({
          ageBand: 'child',
          recipients: [
            { unitId: 'unit-youth-clinic', organisationKind: 'healthcare', role: 'recipient' },
          ],
        }),
        'child-needs-social-services',
      );
      expect(problem.detail).toContain('social services');
    });

    it('accepts social services as recipient or as copy', () => {
      expect(() => checkSharingRules(request({ ageBand: 'child' }))).not.toThrow();
      expect(() =>
        checkSharingRules(
          request({
            ageBand: 'child',
            recipients: [
              { unitId: 'unit-youth-clinic', organisationKind: 'healthcare', role: 'recipient' },
              { ...social, role: 'copy' },
            ],
          }),
        ),
      ).not.toThrow();
    });

    it.each(['adult', 'unknown'] as const)('does not require it for age band %s', (ageBand) => {
      expect(() =>
        checkSharingRules(
          request({
            ageBand,
            recipients: [
              { unitId: 'unit-youth-clinic', organisationKind: 'healthcare', role: 'recipient' },
            ],
          }),
        ),
      ).not.toThrow();
    });

    it('does not let a regional coordinator stand in for social services', () => {
      expectRule(
        request({
          ageBand: 'child',
          recipients: [
            { unitId: 'unit-coord', organisationKind: 'regional_coordinator', role: 'recipient' },
          ],
        }),
        'child-needs-social-services',
      );
    });
  });

  describe('acute_protection needs a justification', () => {
    it('refuses acute_protection without one', () => {
      const problem = expectRule(
        request({ legalBasis: 'acute_protection', justified: false }),
        'justification-required',
      );
      expect(problem.errors?.[0]?.field).toBe('body.justification');
    });

    it('accepts one (sealed by the sender: the rule only knows that it exists)', () => {
      expect(() =>
        checkSharingRules(request({ legalBasis: 'acute_protection', justified: true })),
      ).not.toThrow();
    });

    it('does not ask for one under other legal bases', () => {
      expect(() => checkSharingRules(request({ legalBasis: 'child_protection' }))).not.toThrow();
    });
  });

  describe('who can be addressed (422 referral-units-invalid)', () => {
    it.each([
      ['no recipient', [copy('unit-a')]],
      ['two recipients', [social, { ...copy('unit-a'), role: 'recipient' as const }]],
      ['nobody at all', []],
    ])('refuses %s', (_what, recipients) => {
      expectRule(request({ recipients }), 'referral-units-invalid');
    });

    it('refuses the sender as recipient', () => {
      const problem = expectRule(
        request({ recipients: [{ ...social, unitId: SENDER }] }),
        'referral-units-invalid',
      );
      expect(problem.extensions).toEqual({ unitId: SENDER });
    });

    it('refuses the sender as a copy', () => {
      expectRule(
        request({ recipients: [social, copy(SENDER, 'police')] }),
        'referral-units-invalid',
      );
    });

    it('refuses a copy that is the recipient', () => {
      const problem = expectRule(
        request({ recipients: [social, { ...social, role: 'copy' }] }),
        'referral-units-invalid',
      );
      expect(problem.detail).toContain('unit-frideborg');
    });

    it('refuses duplicate copies', () => {
      expectRule(
        request({ recipients: [social, copy('unit-a'), copy('unit-a')] }),
        'referral-units-invalid',
      );
    });

    it('accepts 20 copies and refuses 21', () => {
      const copies = (n: number) => Array.from({ length: n }, (_, i) => copy(`unit-${i}`));
      expect(() =>
        checkSharingRules(request({ recipients: [social, ...copies(20)] })),
      ).not.toThrow();
      expectRule(request({ recipients: [social, ...copies(21)] }), 'referral-units-invalid');
    });

    it('refuses an inactive unit and accepts an explicitly active one', () => {
      expectRule(
        request({ recipients: [social, { ...copy('unit-a'), status: 'inactive' }] }),
        'referral-units-invalid',
      );
      expect(() =>
        checkSharingRules(request({ recipients: [{ ...social, status: 'active' }] })),
      ).not.toThrow();
    });

    it('reports addressing before the legal basis', () => {
      expectRule(
        request({ recipients: [ngo('recipient'), { ...ngo('copy') }] }),
        'referral-units-invalid',
      );
    });
  });
});
