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

/**
 * Plural forms written in the dictionaries as
 * `{count, plural, one {# facture} other {# factures}}` (`=0 {…}` for an
 * exact number): the form is chosen by `Intl.PluralRules` of the language,
 * `#` is the number. French counts 0 and 1 as one ("0 facture").
 */
function plurals(text: string, vars: Record<string, string | number>, lang: Lang): string {
  const head = /\{(\w+),\s*plural,/y;
  let out = '';
  let i = 0;
  while (i < text.length) {
    head.lastIndex = i;
    const m = text[i] === '{' ? head.exec(text) : null;
    if (!m) {
      out += text[i];
      i += 1;
      continue;
    }
    const name = m[1];
    let j = head.lastIndex;
    const forms: Record<string, string> = {};
    while (j < text.length && text[j] !== '}') {
      while (text[j] === ' ') j += 1;
      let selector = '';
      while (j < text.length && text[j] !== ' ' && text[j] !== '{') selector += text[j++];
      while (text[j] === ' ') j += 1;
      if (text[j] !== '{') break;
      let depth = 1;
      let body = '';
      j += 1;
      while (j < text.length && depth > 0) {
        if (text[j] === '{') depth += 1;
        if (text[j] === '}') depth -= 1;
        if (depth > 0) body += text[j];
        j += 1;
      }
      forms[selector] = body;
      while (text[j] === ' ') j += 1;
    }
    const raw = vars[name];
    const n = Number(String(raw ?? '').replace(/[\s\u202f\u00a0]/g, ''));
    const form = forms[`=${n}`] ?? forms[new Intl.PluralRules(lang).select(n)] ?? forms.other ?? '';
    // `#` is the count written as numbers are in the language: 2 106, 2,106.
    const shown = Number.isFinite(n) && String(raw ?? '').trim() !== '' ? new Intl.NumberFormat(lang).format(n) : String(raw ?? '');
    out += form.replace(/#/g, shown);
    i = j + 1;
  }
  return out;
}

/** The string for `key` in the current language, plurals chosen and {placeholders} filled. */
export function t(key: Key, vars: Record<string, string | number> = {}): string {
  const lang = dictionaries[locale.lang][key] !== undefined ? locale.lang : 'fr';
  const text = plurals(dictionaries[lang][key] ?? key, vars, lang);
  return text.replace(/\{(\w+)\}/g, (_, name: string) => (name in vars ? String(vars[name]) : `{${name}}`));
}

export type { Key };
