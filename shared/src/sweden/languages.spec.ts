import { LANGUAGE_CODES, isLanguageCode } from './languages';

describe('LANGUAGE_CODES', () => {
  it('contains every ISO 639-1 code and only well-formed codes', () => {
    const twoLetter = [...LANGUAGE_CODES].filter((c) => c.length === 2);
    // 183 current ISO 639-1 codes plus 'bh' (Bihari, a collective code still common in data).
    expect(twoLetter).toHaveLength(184);
    for (const code of LANGUAGE_CODES) {
      expect(code).toMatch(/^[a-z]{2,3}$/);
    }
  });

  it('has no three-letter code for a language that has a two-letter one', () => {
    for (const code of ['swe', 'eng', 'ara', 'som', 'tir', 'fin', 'sme', 'fas', 'per']) {
      expect(LANGUAGE_CODES.has(code)).toBe(false);
    }
  });
});

describe('isLanguageCode', () => {
  it('accepts common ISO 639-1 codes', () => {
    for (const code of [
      'sv',
      'en',
      'ar',
      'fi',
      'so',
      'ti',
      'fa',
      'ku',
      'se',
      'uk',
      'ru',
      'es',
      'zh',
      'yi',
      'bs',
    ]) {
      expect(isLanguageCode(code)).toBe(true);
    }
  });

  it('accepts ISO 639-3 codes relevant in Sweden', () => {
    for (const code of ['fit', 'rom', 'rmy', 'smj', 'sma', 'prs', 'ckb', 'kmr', 'swl']) {
      expect(isLanguageCode(code)).toBe(true);
    }
  });

  it('rejects unknown, withdrawn, upper-case or malformed codes', () => {
    for (const code of [
      'xx',
      'qq',
      'iw',
      'in',
      'ji',
      'mo',
      'sh',
      'SV',
      'Sv',
      'sv-SE',
      ' sv',
      's',
      'swe',
      '',
    ]) {
      expect(isLanguageCode(code)).toBe(false);
    }
  });
});
