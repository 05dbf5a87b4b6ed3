import { COUNTIES } from './counties';
import {
  MUNICIPALITIES,
  countyOfMunicipality,
  isMunicipalityCode,
  municipalityName,
} from './municipalities';

describe('MUNICIPALITIES', () => {
  it('lists exactly 290 municipalities with unique codes', () => {
    expect(MUNICIPALITIES).toHaveLength(290);
    expect(new Set(MUNICIPALITIES.map((m) => m.code)).size).toBe(290);
  });

  it('has unique, non-empty names', () => {
    const names = MUNICIPALITIES.map((m) => m.name);
    expect(names.every((n) => n.trim() === n && n.length > 0)).toBe(true);
    expect(new Set(names).size).toBe(290);
  });

  it('uses four-digit codes', () => {
    for (const m of MUNICIPALITIES) {
      expect(m.code).toMatch(/^\d{4}$/);
    }
  });

  it('prefixes every code with an existing county code', () => {
    const counties = new Set(COUNTIES.map((c) => c.code));
    for (const m of MUNICIPALITIES) {
      expect(counties.has(m.code.slice(0, 2))).toBe(true);
    }
  });

  it('has at least one municipality in every county', () => {
    const prefixes = new Set(MUNICIPALITIES.map((m) => m.code.slice(0, 2)));
    for (const c of COUNTIES) {
      expect(prefixes.has(c.code)).toBe(true);
    }
  });

  it('has the expected number of municipalities per county', () => {
    const counts: Record<string, number> = {};
    for (const m of MUNICIPALITIES) {
      const county = m.code.slice(0, 2);
      counts[county] = (counts[county] ?? 0) + 1;
    }
    expect(counts).toEqual({
      '01': 26,
      '03': 8,
      '04': 9,
      '05': 13,
      '06': 13,
      '07': 8,
      '08': 12,
      '09': 1,
      '10': 5,
      '12': 33,
      '13': 6,
      '14': 49,
      '17': 16,
      '18': 12,
      '19': 10,
      '20': 15,
      '21': 10,
      '22': 7,
      '23': 8,
      '24': 15,
      '25': 14,
    });
  });

  it('is frozen', () => {
    expect(Object.isFrozen(MUNICIPALITIES)).toBe(true);
    expect(Object.isFrozen(MUNICIPALITIES[0])).toBe(true);
  });
});

describe('municipality look-ups', () => {
  it('knows well-known codes', () => {
    expect(municipalityName('0581')).toBe('Norrköping');
    expect(municipalityName('0580')).toBe('Linköping');
    expect(municipalityName('2480')).toBe('Umeå');
    expect(municipalityName('0180')).toBe('Stockholm');
    expect(municipalityName('1480')).toBe('Göteborg');
    expect(municipalityName('1280')).toBe('Malmö');
    expect(municipalityName('0980')).toBe('Gotland');
    expect(municipalityName('0330')).toBe('Knivsta');
  });

  it('accepts existing codes', () => {
    expect(isMunicipalityCode('0114')).toBe(true);
    expect(isMunicipalityCode('0581')).toBe(true);
    expect(isMunicipalityCode('2584')).toBe(true);
  });

  it('rejects unknown or malformed codes', () => {
    for (const code of ['9999', '0100', '0185', '581', '00581', ' 0581', 'abcd', '']) {
      expect(isMunicipalityCode(code)).toBe(false);
      expect(municipalityName(code)).toBeUndefined();
      expect(countyOfMunicipality(code)).toBeUndefined();
    }
  });

  it('gives the county of a municipality', () => {
    expect(countyOfMunicipality('0581')).toBe('05');
    expect(countyOfMunicipality('0114')).toBe('01');
    expect(countyOfMunicipality('2480')).toBe('24');
    expect(countyOfMunicipality('1480')).toBe('14');
  });
});
