// A small typed dictionary rather than a library: keys are checked by the
// compiler in both languages, and nothing is loaded at run time.
import { en } from './en';
import { fr, type Key } from './fr';

export type Lang = 'fr' | 'en';
const dictionaries: Record<Lang, Record<Key, string>> = { fr, en };

function initialLang(): Lang {
  try {
    return localStorage.getItem('encaisse.lang') === 'en' ? 'en' : 'fr';
  } catch {
    return 'fr';
  }
}

export const locale = $state({ lang: initialLang() });

export function setLang(lang: Lang) {
  locale.lang = lang;
  try {
    localStorage.setItem('encaisse.lang', lang);
  } catch {
    /* storage unavailable: the choice lasts for this run */
  }
}

/** The string for `key` in the current language, with {placeholders} filled. */
export function t(key: Key, vars: Record<string, string | number> = {}): string {
  const text = dictionaries[locale.lang][key] ?? fr[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name: string) => (name in vars ? String(vars[name]) : `{${name}}`));
}

export type { Key };
