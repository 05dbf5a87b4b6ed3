import {
  isValidOrganisationNumber,
  luhnCheckDigit,
  normaliseOrganisationNumber,
} from './organisation-number';

describe('luhnCheckDigit', () => {
  it('computes the check digit of known numbers', () => {
    expect(luhnCheckDigit('202100007')).toBe(6); // Polismyndigheten 202100-0076
    expect(luhnCheckDigit('212000046')).toBe(4); // 212000-0464
    expect(luhnCheckDigit('556036079')).toBe(3); // 556036-0793
    expect(luhnCheckDigit('000000000')).toBe(0);
  });

  it('rejects input that is not nine digits', () => {
    expect(() => luhnCheckDigit('12345678')).toThrow(RangeError);
    expect(() => luhnCheckDigit('1234567890')).toThrow(RangeError);
    expect(() => luhnCheckDigit('12345678a')).toThrow(RangeError);
  });
});

describe('normaliseOrganisationNumber / isValidOrganisationNumber', () => {
  it('accepts Polismyndigheten 202100-0076 with and without hyphen', () => {
    expect(isValidOrganisationNumber('202100-0076')).toBe(true);
    expect(isValidOrganisationNumber('2021000076')).toBe(true);
  });

  it('strips the hyphen when normalising', () => {
    expect(normaliseOrganisationNumber('202100-0076')).toBe('2021000076');
    expect(normaliseOrganisationNumber('212000-0464')).toBe('2120000464');
    expect(normaliseOrganisationNumber('2120000464')).toBe('2120000464');
  });

  it('rejects a wrong check digit', () => {
    expect(isValidOrganisationNumber('202100-0077')).toBe(false);
    expect(normaliseOrganisationNumber('2021000070')).toBeUndefined();
  });

  it('rejects the wrong number of digits', () => {
    expect(isValidOrganisationNumber('202100007')).toBe(false);
    expect(isValidOrganisationNumber('20210-0076')).toBe(false);
    expect(isValidOrganisationNumber('20210000760')).toBe(false);
    expect(isValidOrganisationNumber('')).toBe(false);
  });

  it('rejects letters and misplaced separators', () => {
    expect(isValidOrganisationNumber('20210A-0076')).toBe(false);
    expect(isValidOrganisationNumber('abcdef-ghij')).toBe(false);
    expect(isValidOrganisationNumber('2021-000076')).toBe(false);
    expect(isValidOrganisationNumber('202100--0076')).toBe(false);
    expect(isValidOrganisationNumber('202100 0076')).toBe(false);
    expect(isValidOrganisationNumber('202100+0076')).toBe(false);
    expect(isValidOrganisationNumber('٢٠٢١٠٠٠٠٧٦')).toBe(false);
  });

  it('rejects a valid Luhn number whose third digit is below 2 (a personal identity number)', () => {
    // 811218-9876 passes the Luhn check but is a personnummer, not an organisation number.
    expect(luhnCheckDigit('811218987')).toBe(6);
    expect(isValidOrganisationNumber('811218-9876')).toBe(false);
  });

  it('ignores surrounding whitespace', () => {
    expect(normaliseOrganisationNumber(' 202100-0076 ')).toBe('2021000076');
  });
});
