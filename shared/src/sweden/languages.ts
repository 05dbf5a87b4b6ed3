/**
 * Language codes accepted for directory input (e.g. the languages an agency
 * can serve clients in): every ISO 639-1 two-letter code, plus ISO 639-3
 * codes for languages relevant in Sweden that have no ISO 639-1 code.
 *
 * Codes are matched exactly and must be lower case.
 */

/** ISO 639-1 two-letter codes (current; the withdrawn iw, in, ji, mo and sh are left out). */
const ISO_639_1 = [
  'aa', 'ab', 'ae', 'af', 'ak', 'am', 'an', 'ar', 'as', 'av', 'ay', 'az',
  'ba', 'be', 'bg', 'bh', 'bi', 'bm', 'bn', 'bo', 'br', 'bs',
  'ca', 'ce', 'ch', 'co', 'cr', 'cs', 'cu', 'cv', 'cy',
  'da', 'de', 'dv', 'dz',
  'ee', 'el', 'en', 'eo', 'es', 'et', 'eu',
  'fa', 'ff', 'fi', 'fj', 'fo', 'fr', 'fy',
  'ga', 'gd', 'gl', 'gn', 'gu', 'gv',
  'ha', 'he', 'hi', 'ho', 'hr', 'ht', 'hu', 'hy', 'hz',
  'ia', 'id', 'ie', 'ig', 'ii', 'ik', 'io', 'is', 'it', 'iu',
  'ja', 'jv',
  'ka', 'kg', 'ki', 'kj', 'kk', 'kl', 'km', 'kn', 'ko', 'kr', 'ks', 'ku', 'kv', 'kw', 'ky',
  'la', 'lb', 'lg', 'li', 'ln', 'lo', 'lt', 'lu', 'lv',
  'mg', 'mh', 'mi', 'mk', 'ml', 'mn', 'mr', 'ms', 'mt', 'my',
  'na', 'nb', 'nd', 'ne', 'ng', 'nl', 'nn', 'no', 'nr', 'nv', 'ny',
  'oc', 'oj', 'om', 'or', 'os',
  'pa', 'pi', 'pl', 'ps', 'pt',
  'qu',
  'rm', 'rn', 'ro', 'ru', 'rw',
  'sa', 'sc', 'sd', 'se', 'sg', 'si', 'sk', 'sl', 'sm', 'sn', 'so', 'sq', 'sr', 'ss', 'st', 'su', 'sv', 'sw',
  'ta', 'te', 'tg', 'th', 'ti', 'tk', 'tl', 'tn', 'to', 'tr', 'ts', 'tt', 'tw', 'ty',
  'ug', 'uk', 'ur', 'uz',
  've', 'vi', 'vo',
  'wa', 'wo',
  'xh',
  'yi', 'yo',
  'za', 'zh', 'zu',
] as const;

/**
 * ISO 639-3 codes for languages spoken in Sweden that have no ISO 639-1 code:
 * national minority languages (Meänkieli, Romani varieties, Sami languages
 * other than Northern Sami 'se'), Swedish Sign Language, and common
 * migration languages.
 */
const ISO_639_3_SWEDEN = [
  // Meänkieli (Tornedalen Finnish)
  'fit',
  // Romani (macrolanguage) and varieties spoken in Sweden
  'rom', 'rmy', 'rmf', 'rmu', 'rmn', 'rmo',
  // Sami languages (Northern Sami is 'se' in ISO 639-1)
  'sma', 'sju', 'sje', 'smj', 'smn', 'sms',
  // Swedish Sign Language
  'swl',
  // Persian and Afghan languages
  'prs', 'haz',
  // Kurdish and Zaza
  'ckb', 'kmr', 'sdh', 'zza',
  // Aramaic / Syriac
  'aii', 'tru', 'syc',
  // Chinese varieties
  'cmn', 'yue',
] as const;

export const LANGUAGE_CODES: ReadonlySet<string> = new Set<string>([...ISO_639_1, ...ISO_639_3_SWEDEN]);

/** True when `code` is an accepted lower-case ISO 639-1 code or one of the listed ISO 639-3 codes. */
export function isLanguageCode(code: string): boolean {
  return typeof code === 'string' && LANGUAGE_CODES.has(code);
}
