/**
 * Filling in a message's parameters (kept apart from the Preact context in index.ts, so that the
 * unit tests run it as the app does).
 */
import type { MessageKey, Messages } from './sv';

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

/**
 * A message with its parameters filled in: `{name}` is the value; `{name|one|other}` is the form
 * the language's plural rules (`Intl.PluralRules`) pick for the number, `#` in it the number
 * ("{adults|# vuxen|# vuxna}": 1 vuxen, 2 vuxna).
 */
export function translator(locale: string, messages: Messages): Translate {
  const plural = new Intl.PluralRules(locale);
  return (key, params) =>
    messages[key]
      .replace(
        /\{(\w+)\|([^|{}]*)\|([^|{}]*)\}/g,
        (m, name: string, one: string, other: string) => {
          const n = Number(params?.[name]);
          if (!params || !(name in params) || Number.isNaN(n)) {
            return m;
          }
          return (plural.select(n) === 'one' ? one : other).replace(/#/g, String(params[name]));
        },
      )
      .replace(/\{(\w+)\}/g, (_m, name: string) =>
        params && name in params ? String(params[name]) : `{${name}}`,
      );
}
