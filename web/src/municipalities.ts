/**
 * Municipalities by name: SCB's 290 kommunkoder with their names, from the shared list the
 * services validate against (shared/src/sweden/municipalities.ts). The list is loaded on first
 * use as a chunk of its own (ui/municipality.tsx), so the first load of the app does not carry it.
 */
import type { Translate } from './i18n';

export interface MunicipalityList {
  /** sorted by name as Swedish sorts (Å, Ä, Ö last) */
  readonly sorted: ReadonlyArray<{ readonly code: string; readonly name: string }>;
  readonly byCode: ReadonlyMap<string, string>;
}

export function municipalityList(
  all: ReadonlyArray<{ readonly code: string; readonly name: string }>,
): MunicipalityList {
  return {
    sorted: [...all].sort((a, b) => a.name.localeCompare(b.name, 'sv')),
    byCode: new Map(all.map((m) => [m.code, m.name])),
  };
}

/** 'Norrköping' for '0581'; an unknown code (or the list not loaded yet) as "kommunkod 0581". */
export function municipalityText(
  t: Translate,
  code: string,
  list: MunicipalityList | undefined,
): string {
  return list?.byCode.get(code) ?? t('referral.municipalityUnknown', { code });
}
