import { ProblemError } from '@samverkan/shared';
import { DirectoryProblems as P } from './errors';
import {
  checkPlace,
  distinctNameAmong,
  MAX_PARENT_DEPTH,
  patchedOrganisation,
  validOrganisationNumber,
  type Place,
} from './organisations';
import type { OrganisationEntity } from '../entities/organisation.entity';

const id = (n: number) => `10000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const place = (over: Partial<Place> = {}): Place => ({
  id: id(1),
  countyCode: '05',
  municipalityCode: '0581',
  policeRegion: 'ost',
  parentId: null,
  ...over,
});

function refusal(fn: () => unknown): ProblemError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProblemError);
    return err as ProblemError;
  }
  throw new Error('expected a refusal');
}

describe('organisation rules', () => {
  it('accepts a consistent place and refuses each inconsistency', () => {
    expect(() => checkPlace(place(), [])).not.toThrow();
    expect(refusal(() => checkPlace(place({ countyCode: '99' }), [])).definition).toBe(
      P.countyUnknown,
    );
    expect(refusal(() => checkPlace(place({ municipalityCode: '0180' }), [])).definition).toBe(
      P.countyMismatch,
    );
    expect(refusal(() => checkPlace(place({ policeRegion: 'syd' }), [])).definition).toBe(
      P.policeRegionMismatch,
    );
  });

  it('needs the parent to exist and its chain not to loop back', () => {
    const withParent = place({ parentId: id(2) });
    expect(() => checkPlace(withParent, [{ id: id(2), parentId: null }])).not.toThrow();
    expect(refusal(() => checkPlace(withParent, [])).detail).toContain(id(2));
    expect(
      refusal(() =>
        checkPlace(withParent, [
          { id: id(2), parentId: id(3) },
          { id: id(3), parentId: id(1) },
        ]),
      ).detail,
    ).toContain('loop');
    expect(refusal(() => checkPlace(place({ parentId: id(1) }), [])).definition).toBe(
      P.parentInvalid,
    );
    // A chain deeper than the limit is taken for a loop.
    const deep = Array.from({ length: MAX_PARENT_DEPTH + 2 }, (_, i) => ({
      id: id(2 + i),
      parentId: id(3 + i),
    }));
    expect(refusal(() => checkPlace(withParent, deep)).detail).toContain('loop');
  });

  it('refuses a name that reads as another organisation’s', () => {
    expect(distinctNameAmong('  Frideborg  ', [{ name: 'Kvinnojouren' }])).toBe('Frideborg');
    expect(refusal(() => distinctNameAmong('FRIDEB0RG', [{ name: 'Frideborg' }])).definition).toBe(
      P.nameConfusable,
    );
    expect(refusal(() => distinctNameAmong('  ', [])).definition).toBe(P.nameConfusable);
  });

  it('normalises organisation numbers and refuses a wrong check digit', () => {
    expect(validOrganisationNumber('212000-0464')).toBe('2120000464');
    expect(refusal(() => validOrganisationNumber('212000-0465')).definition).toBe(
      P.organisationNumberInvalid,
    );
  });

  it('patches only the fields given', () => {
    const org = { ...place(), name: 'A', website: 'https://a.example' } as OrganisationEntity;
    expect(patchedOrganisation(org, { website: null })).toMatchObject({ name: 'A', website: null });
    expect(org.website).toBe('https://a.example');
  });
});
