import { describe, expect, it } from 'vitest';
import { en } from './en';
import { fr } from './fr';
import { setLang, t } from './index.svelte';

describe('locale files', () => {
  it('have the same keys and no empty string', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(fr).sort());
    for (const [key, value] of [...Object.entries(fr), ...Object.entries(en)]) {
      expect(value.trim(), key).not.toBe('');
    }
  });
  it('use the same placeholders in both languages', () => {
    for (const key of Object.keys(fr) as (keyof typeof fr)[]) {
      const names = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
      expect(names(en[key]), key).toEqual(names(fr[key]));
    }
  });
  it('fills placeholders and switches language', () => {
    setLang('fr');
    expect(t('invoices.count', { count: 3, total: '4 980,60 €' })).toBe('3 facture(s), reste dû 4 980,60 €');
    setLang('en');
    expect(t('nav.aging')).toBe('Aged balance');
    setLang('fr');
  });
});
