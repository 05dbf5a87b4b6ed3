import { describe, expect, it } from '@jest/globals';
import { sharingAdvice, type SharingParty } from './sharing';

const ngo: SharingParty = {
  unitId: 'n',
  name: 'Novahuset stödsamtal',
  organisationKind: 'ngo',
  role: 'recipient',
};
const social: SharingParty = {
  unitId: 's',
  name: 'Frideborg',
  organisationKind: 'social_services',
  role: 'copy',
};

describe('the sharing rules as the form explains them', () => {
  it('an NGO needs consent: blocking without it, explained with it', () => {
    const without = sharingAdvice({ legalBasis: 'legal_duty', ageBand: 'adult', parties: [ngo] });
    expect(without).toEqual([
      { blocking: true, key: 'sharing.ngoNeedsConsent', params: { unit: 'Novahuset stödsamtal' } },
    ]);
    const withConsent = sharingAdvice({ legalBasis: 'consent', ageBand: 'adult', parties: [ngo] });
    expect(withConsent.every((a) => !a.blocking)).toBe(true);
  });

  it('a child needs a social services unit as recipient or copy', () => {
    expect(
      sharingAdvice({ legalBasis: 'consent', ageBand: 'child', parties: [ngo] }).some(
        (a) => a.blocking && a.key === 'sharing.childNeedsSocialServices',
      ),
    ).toBe(true);
    expect(
      sharingAdvice({ legalBasis: 'consent', ageBand: 'child', parties: [ngo, social] }).some(
        (a) => a.blocking,
      ),
    ).toBe(false);
  });

  it('acute protection needs a justification that is not blank', () => {
    const blank = sharingAdvice({
      legalBasis: 'acute_protection',
      ageBand: 'adult',
      justification: '  ',
      parties: [social],
    });
    expect(blank).toContainEqual({ blocking: true, key: 'sharing.justificationNeeded' });
    const given = sharingAdvice({
      legalBasis: 'acute_protection',
      ageBand: 'adult',
      justification: 'Omedelbar fara för liv',
      parties: [social],
    });
    expect(given.some((a) => a.blocking)).toBe(false);
  });
});
