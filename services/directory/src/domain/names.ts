import unhomoglyph from 'unhomoglyph';

/**
 * Characters that show nothing or reorder what is shown: format characters (zero-width joiners,
 * bidi controls such as U+202E and U+2066–2069) and every default-ignorable code point (variation
 * selectors, soft hyphen, …). A name carrying one looks like another name it is not.
 */
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/gu;

/**
 * The form in which an organisation or unit name is stored and shown: NFKC (compatibility forms
 * such as full-width letters folded), invisible and bidi characters removed, runs of white space
 * as one space, trimmed.
 */
export function cleanName(raw: string): string {
  return raw.normalize('NFKC').replace(INVISIBLE, '').replace(/\s+/gu, ' ').trim();
}

/**
 * What a name looks like, in the spirit of the Unicode TR39 skeleton: each character mapped to
 * the one it is confusable with (Unicode's confusables data, through `unhomoglyph`), case,
 * diacritics, spaces and punctuation dropped. Two names with the same skeleton can be mistaken
 * for each other by a reader ("Regionkoordinatorn" with a Cyrillic "о", "Region-koordinatorn").
 */
export function nameSkeleton(name: string): string {
  // Lower case first: the confusables data maps a capital I to l, which would set "Region"
  // apart from "REGION"; then again, for what the mapping yields.
  return unhomoglyph(cleanName(name).normalize('NFD').replace(/\p{M}/gu, '').toLowerCase())
    .toLowerCase()
    .replace(/[\s\p{P}\p{S}]/gu, '')
    .normalize('NFC');
}
