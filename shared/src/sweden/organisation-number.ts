/**
 * Swedish organisationsnummer (organisation number) validation.
 *
 * Format: ten digits, conventionally written NNNNNN-NNNN. The tenth digit is a
 * Luhn (mod 10) check digit over the first nine. For legal entities the third
 * digit is at least 2 (which distinguishes them from personal identity numbers,
 * whose third digit is a month's first digit, 0 or 1).
 */

const FORMAT = /^(\d{6})-?(\d{4})$/;

/**
 * The Luhn check digit for nine digits: weights 2,1,2,1,… from the left,
 * two-digit products have their digits summed, and the check digit brings the
 * total up to a multiple of ten.
 */
export function luhnCheckDigit(nineDigits: string): number {
  if (!/^\d{9}$/.test(nineDigits)) {
    throw new RangeError('luhnCheckDigit expects exactly nine digits');
  }
  let sum = 0;
  for (let i = 0; i < 9; i++) {
    let d = nineDigits.charCodeAt(i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) {
        d -= 9;
      }
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/**
 * The organisation number as ten digits without a hyphen, or undefined when
 * the input is not a valid organisation number. Surrounding whitespace is
 * ignored; a single hyphen is accepted only after the sixth digit.
 */
export function normaliseOrganisationNumber(input: string): string | undefined {
  if (typeof input !== 'string') {
    return undefined;
  }
  const match = FORMAT.exec(input.trim());
  if (!match) {
    return undefined;
  }
  const digits = `${match[1]}${match[2]}`;
  if (digits.charCodeAt(2) - 48 < 2) {
    return undefined;
  }
  if (luhnCheckDigit(digits.slice(0, 9)) !== digits.charCodeAt(9) - 48) {
    return undefined;
  }
  return digits;
}

/** True when `input` is a valid Swedish organisation number (with or without the hyphen). */
export function isValidOrganisationNumber(input: string): boolean {
  return normaliseOrganisationNumber(input) !== undefined;
}
