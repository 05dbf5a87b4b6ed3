import {
  COUNTIES,
  POLICE_REGIONS,
  countyName,
  isCountyCode,
  isPoliceRegion,
  policeRegionOfCounty,
  type PoliceRegion,
} from './counties';

describe('COUNTIES', () => {
  it('lists the 21 counties with unique two-digit codes', () => {
    expect(COUNTIES).toHaveLength(21);
    expect(new Set(COUNTIES.map((c) => c.code)).size).toBe(21);
    for (const c of COUNTIES) {
      expect(c.code).toMatch(/^\d{2}$/);
    }
  });

  it('has the expected codes', () => {
    expect(COUNTIES.map((c) => c.code)).toEqual([
      '01',
      '03',
      '04',
      '05',
      '06',
      '07',
      '08',
      '09',
      '10',
      '12',
      '13',
      '14',
      '17',
      '18',
      '19',
      '20',
      '21',
      '22',
      '23',
      '24',
      '25',
    ]);
  });

  it('maps every county to a known police region', () => {
    const slugs = new Set(POLICE_REGIONS.map((r) => r.slug));
    for (const c of COUNTIES) {
      expect(slugs.has(c.policeRegion)).toBe(true);
      expect(policeRegionOfCounty(c.code)).toBe(c.policeRegion);
    }
  });

  it('gives every police region at least one county', () => {
    for (const r of POLICE_REGIONS) {
      expect(COUNTIES.some((c) => c.policeRegion === r.slug)).toBe(true);
    }
  });

  it('groups counties into police regions as the Police Authority does', () => {
    const byRegion: Record<string, string[]> = {};
    for (const c of COUNTIES) {
      (byRegion[c.policeRegion] ??= []).push(c.code);
    }
    expect(byRegion).toEqual({
      nord: ['22', '23', '24', '25'],
      mitt: ['03', '19', '21'],
      stockholm: ['01', '09'],
      ost: ['04', '05', '06'],
      vast: ['13', '14'],
      syd: ['07', '08', '10', '12'],
      bergslagen: ['17', '18', '20'],
    });
  });
});

describe('POLICE_REGIONS', () => {
  it('lists the seven regions with their names', () => {
    expect(POLICE_REGIONS.map((r) => r.slug).sort()).toEqual([
      'bergslagen',
      'mitt',
      'nord',
      'ost',
      'stockholm',
      'syd',
      'vast',
    ]);
    expect(POLICE_REGIONS.find((r) => r.slug === 'ost')?.name).toBe('Polisregion Öst');
    expect(POLICE_REGIONS.find((r) => r.slug === 'vast')?.name).toBe('Polisregion Väst');
    for (const r of POLICE_REGIONS) {
      expect(r.name).toMatch(/^Polisregion /);
    }
  });

  it('recognises region slugs', () => {
    const region: PoliceRegion = 'bergslagen';
    expect(isPoliceRegion(region)).toBe(true);
    expect(isPoliceRegion('Nord')).toBe(false);
    expect(isPoliceRegion('north')).toBe(false);
  });
});

describe('county look-ups', () => {
  it('knows county names', () => {
    expect(countyName('01')).toBe('Stockholm');
    expect(countyName('05')).toBe('Östergötland');
    expect(countyName('14')).toBe('Västra Götaland');
    expect(countyName('25')).toBe('Norrbotten');
  });

  it('gives police regions', () => {
    expect(policeRegionOfCounty('05')).toBe('ost');
    expect(policeRegionOfCounty('09')).toBe('stockholm');
    expect(policeRegionOfCounty('20')).toBe('bergslagen');
  });

  it('rejects unknown codes', () => {
    for (const code of ['02', '11', '15', '16', '26', '00', '1', '001', 'AB', '']) {
      expect(isCountyCode(code)).toBe(false);
      expect(countyName(code)).toBeUndefined();
      expect(policeRegionOfCounty(code)).toBeUndefined();
    }
  });
});
