import { describe, expect, it } from '@jest/globals';
import { MUNICIPALITIES } from '@samverkan/shared/src/sweden/municipalities';
import { en } from './i18n/en';
import { sv } from './i18n/sv';
import { translator as translate } from './i18n/translate';
import { municipalityList, municipalityText } from './municipalities';

const list = municipalityList(MUNICIPALITIES);
const translator = (locale: 'sv' | 'en') => translate(locale, locale === 'sv' ? sv : en);

describe('municipalities by name', () => {
  it('names a code (Norrköping, not 0581), every one of the 290', () => {
    const t = translator('sv');
    expect(municipalityText(t, '0581', list)).toBe('Norrköping');
    expect(municipalityText(t, '2584', list)).toBe('Kiruna');
    expect(list.sorted).toHaveLength(290);
    for (const m of MUNICIPALITIES) {
      expect(municipalityText(t, m.code, list)).toBe(m.name);
    }
  });

  it('says what an unknown code (or the list still loading) is, in words', () => {
    expect(municipalityText(translator('sv'), '9999', list)).toBe('kommunkod 9999');
    expect(municipalityText(translator('sv'), '0581', undefined)).toBe('kommunkod 0581');
    expect(municipalityText(translator('en'), '9999', list)).toBe('municipality code 9999');
  });

  it('offers the names in Swedish order (Å, Ä, Ö after Z)', () => {
    const names = list.sorted.map((m) => m.name);
    expect(names[0]).toBe('Ale');
    expect(names.at(-1)).toBe('Övertorneå');
    expect(names.indexOf('Åre')).toBeGreaterThan(names.indexOf('Ystad'));
    expect(names.indexOf('Älmhult')).toBeGreaterThan(names.indexOf('Åtvidaberg'));
  });
});
