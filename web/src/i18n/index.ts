import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { en } from './en';
import { sv, type MessageKey, type Messages } from './sv';
import { translator as translate, type Translate } from './translate';

export type Locale = 'sv' | 'en';
export const LOCALES: Locale[] = ['sv', 'en'];
const catalogues: Record<Locale, Messages> = { sv, en };

/** The language people chose last time (a preference, nothing secret); Swedish by default. */
export function initialLocale(): Locale {
  const saved = globalThis.localStorage?.getItem('samverkan.locale');
  return saved === 'en' ? 'en' : 'sv';
}

export function saveLocale(locale: Locale): void {
  globalThis.localStorage?.setItem('samverkan.locale', locale);
  document.documentElement.lang = locale;
}

export type { Translate };

export function translator(locale: Locale): Translate {
  return translate(locale, catalogues[locale]);
}

export interface I18n {
  locale: Locale;
  t: Translate;
  setLocale(locale: Locale): void;
}

export const I18nContext = createContext<I18n>({
  locale: 'sv',
  t: translator('sv'),
  setLocale: () => undefined,
});

export function useI18n(): I18n {
  return useContext(I18nContext);
}

export type { MessageKey };
