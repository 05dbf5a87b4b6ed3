import { ProblemError } from '@samverkan/shared';
import type { OrganisationEntity } from '../entities/organisation.entity';
import type { UnitEntity } from '../entities/unit.entity';
import { DirectoryProblems as P } from './errors';
import {
  appliedInput,
  checkOnCallUnit,
  checkOneAuditUnit,
  checkOrganisationTakesUnits,
  checkUnitFields,
  finishedUnit,
  newUnit,
} from './units';

const ORG = '10000000-0000-4000-8000-000000000581';
const OTHER = '20000000-0000-4000-8000-000000000005';
const UNIT = '11000000-0000-4000-8000-000000000001';
const org = { id: ORG, name: 'Norrköpings kommun', kind: 'social_services', status: 'active' };

function refusal(fn: () => unknown): ProblemError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProblemError);
    return err as ProblemError;
  }
  throw new Error('expected a refusal');
}

const unit = (over: Partial<UnitEntity> = {}) =>
  appliedInput(
    newUnit(UNIT, ORG) as UnitEntity,
    {
      name: 'Socialjouren',
      coverage: ['0581', '0580', '0581'],
      languages: ['sv', 'en'],
      capabilities: [],
      ageBands: [],
      genders: [],
      openingHours: { timeZone: 'Europe/Stockholm', open247: true, weekly: [] },
      ...over,
    } as never,
  );

describe('unit rules', () => {
  it('applies the input with each list value once, sorted, and derives counties and search text', () => {
    const u = unit();
    expect(u).toMatchObject({
      coverage: ['0580', '0581'],
      languages: ['en', 'sv'],
      status: 'active',
    });
    const done = finishedUnit(u, 'Socialjouren', org as OrganisationEntity);
    expect(done.counties).toEqual(['05']);
    expect(done.searchText).toBe('Socialjouren  Norrköpings kommun');
  });

  it('refuses unknown codes, an unknown time zone and two periods opening at once', () => {
    expect(() => checkUnitFields(unit())).not.toThrow();
    expect(refusal(() => checkUnitFields({ ...unit(), coverage: ['9999'] })).definition).toBe(
      P.municipalityUnknown,
    );
    expect(refusal(() => checkUnitFields({ ...unit(), languages: ['xx-yy'] })).definition).toBe(
      P.languageUnknown,
    );
    expect(refusal(() => checkUnitFields({ ...unit(), timeZone: 'Mars/Olympus' })).definition).toBe(
      P.timeZoneUnknown,
    );
    const twice = { day: 'mon', opens: '08:00', closes: '12:00' } as never;
    expect(
      refusal(() => checkUnitFields({ ...unit(), weeklyHours: [twice, twice] })).definition,
    ).toBe(P.openingHoursInvalid);
  });

  it('routes escalations only to another active service unit of the same organisation', () => {
    const u = { onCallUnitId: OTHER, organisationId: ORG };
    const active = { status: 'active', organisationId: ORG, purpose: 'service' } as const;
    expect(() => checkOnCallUnit({ ...u, onCallUnitId: null }, null)).not.toThrow();
    expect(() => checkOnCallUnit(u, active)).not.toThrow();
    for (const onCall of [
      null,
      { ...active, status: 'inactive' as const },
      { ...active, organisationId: OTHER },
      { ...active, purpose: 'audit' as const },
    ]) {
      expect(refusal(() => checkOnCallUnit(u, onCall)).definition).toBe(P.onCallUnitInvalid);
    }
  });

  it('takes units only in an active organisation, and one audit unit each', () => {
    expect(refusal(() => checkOrganisationTakesUnits(null, ORG)).definition).toBe(
      P.organisationNotFound,
    );
    expect(
      refusal(() =>
        checkOrganisationTakesUnits({ ...org, status: 'inactive' } as OrganisationEntity, ORG),
      ).definition,
    ).toBe(P.organisationInactive);
    expect(() => checkOneAuditUnit({ purpose: 'service' }, org, true)).not.toThrow();
    expect(refusal(() => checkOneAuditUnit({ purpose: 'audit' }, org, true)).definition).toBe(
      P.auditUnitExists,
    );
  });
});
