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
      // A placeholder {n} or a plural {n, plural, …}: the same names either way.
      const names = (s: string) => [...new Set([...s.matchAll(/\{(\w+)(?:\}|, plural,)/g)].map((m) => m[1]))].sort();
      expect(names(en[key]), key).toEqual(names(fr[key]));
    }
  });
  it('fills placeholders and switches language', () => {
    setLang('fr');
    expect(t('invoices.count', { count: 3, total: '4 980,60 €' })).toBe('3 factures, reste dû 4 980,60 €');
    setLang('en');
    expect(t('nav.aging')).toBe('Aged balance');
    setLang('fr');
  });
  it('write real plurals, never "(s)"', () => {
    for (const [key, value] of [...Object.entries(fr), ...Object.entries(en)]) {
      expect(value, key).not.toMatch(/\(s\)|\(e\)|\(es\)/);
    }
    setLang('fr');
    expect(t('invoices.count', { count: 1, total: '10,00 €' })).toBe('1 facture, reste dû 10,00 €');
    expect(t('invoices.count', { count: '0', total: '0,00 €' })).toBe('0 facture, reste dû 0,00 €');
    expect(t('reminders.count', { count: '40', total: '1 €' })).toBe('40 factures impayées, 1 €');
    expect(t('mail.summary', { count: 1, clients: 2 })).toBe('1 e-mail à 2 clients');
    expect(t('outbox.held', { count: 1 })).toMatch(/^1 e-mail attend votre décision/);
    setLang('en');
    expect(t('invoices.count', { count: 1, total: '€10.00' })).toBe('1 invoice, still due €10.00');
    expect(t('invoices.count', { count: 0, total: '€0.00' })).toBe('0 invoices, still due €0.00');
    expect(t('mail.summary', { count: 3, clients: 1 })).toBe('3 e-mails to 1 client');
    setLang('fr');
  });
  it('write a count as numbers are written in the language', () => {
    setLang('fr');
    expect(t('invoices.count', { count: 100000, total: '1 €' })).toBe('100\u202f000 factures, reste dû 1 €');
    expect(t('invoices.count', { count: '2106', total: '1 €' })).toBe('2\u202f106 factures, reste dû 1 €');
    setLang('en');
    expect(t('invoices.count', { count: 2106, total: '€1.00' })).toBe('2,106 invoices, still due €1.00');
    setLang('fr');
  });
});
