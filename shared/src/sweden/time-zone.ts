/**
 * IANA time zone validation, backed by the runtime's ICU data.
 */

let supported: ReadonlySet<string> | undefined;

function supportedTimeZones(): ReadonlySet<string> {
  if (supported === undefined) {
    let values: string[] = [];
    try {
      values = Intl.supportedValuesOf('timeZone');
    } catch {
      // Runtime without Intl.supportedValuesOf: rely on the DateTimeFormat fallback.
    }
    supported = new Set(values);
  }
  return supported;
}

/**
 * True when `tz` is an IANA time zone name the runtime knows, e.g.
 * 'Europe/Stockholm' or 'UTC'. Names are matched case-sensitively in their
 * canonical spelling; offsets such as '+01:00' are not accepted.
 */
export function isIanaTimeZone(tz: string): boolean {
  if (typeof tz !== 'string' || tz.length === 0 || tz !== tz.trim()) {
    return false;
  }
  if (supportedTimeZones().has(tz)) {
    return true;
  }
  // Intl.supportedValuesOf lists canonical zones only; links such as 'UTC',
  // 'Etc/UTC' or 'Asia/Calcutta' are still valid IANA names.
  if (!/^[A-Za-z][A-Za-z0-9_+\-]*(\/[A-Za-z0-9_+\-]+)*$/.test(tz)) {
    return false;
  }
  try {
    const resolved = new Intl.DateTimeFormat('en', { timeZone: tz }).resolvedOptions().timeZone;
    // DateTimeFormat accepts names case-insensitively; require the canonical spelling.
    return resolved === tz || resolved.toLowerCase() !== tz.toLowerCase();
  } catch {
    return false;
  }
}
