import { cleanName, nameSkeleton } from './names';

describe('cleanName', () => {
  it('removes bidi controls and zero-width characters, folds compatibility forms', () => {
    expect(cleanName('Region\u202ekoordinatorn')).toBe('Regionkoordinatorn');
    expect(cleanName('\u2066Regionkoordinatorn\u2069\u200b')).toBe('Regionkoordinatorn');
    expect(cleanName('Ｒｅｇｉｏｎ  koordinatorn ')).toBe('Region koordinatorn');
    expect(cleanName('Kvinnoboendet Elsa')).toBe('Kvinnoboendet Elsa');
  });
});

describe('nameSkeleton', () => {
  const target = nameSkeleton('Regionkoordinatorn Östergötland');
  it.each([
    ['the same name', 'Regionkoordinatorn Östergötland'],
    ['another case and spacing', 'REGIONKOORDINATORN  östergötland'],
    ['a Cyrillic о and а', 'Regionkооrdinatоrn Östergötlаnd'],
    ['an invisible bidi character', 'Region\u2067koordinatorn Östergötland'],
    ['punctuation and no diacritics', 'Region-koordinatorn, Ostergotland'],
    ['a digit for a letter', 'Regi0nkoordinatorn Östergötland'],
  ])('gives %s the same skeleton', (_label, name) => {
    expect(nameSkeleton(name)).toBe(target);
  });

  it('tells different names apart', () => {
    expect(nameSkeleton('Novahuset')).not.toBe(nameSkeleton('Regionkoordinatorn'));
    expect(nameSkeleton('Frideborg')).not.toBe(nameSkeleton('Socialjouren Norrköping'));
  });
});
