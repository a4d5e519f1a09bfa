import { describe, expect, it } from 'vitest';
import { formatAmount, formatDate, formatMoney, formatMonies, money, plainCents } from './format';

describe('French formats', () => {
  it('groups thousands with a narrow no-break space and uses a decimal comma', () => {
    expect(formatAmount('1234.56')).toBe('1\u202F234,56');
    expect(formatAmount('-1234567.5')).toBe('-1\u202F234\u202F567,50');
    expect(formatAmount('0.00')).toBe('0,00');
    expect(formatAmount('-0.00')).toBe('0,00');
  });
  it('writes whole cents exactly, sign and all', () => {
    expect(plainCents(123456)).toBe('1234.56');
    expect(plainCents(-5)).toBe('-0.05');
    expect(plainCents(0)).toBe('0.00');
    expect(plainCents(-100)).toBe('-1.00');
    // 2^53 - 1 cents: still exact.
    expect(plainCents(9007199254740991)).toBe('90071992547409.91');
    expect(formatMoney(money(-1999, 'EUR'))).toBe('-19,99\u00A0€');
  });
  it('puts the currency symbol after the amount', () => {
    expect(formatMoney({ amount: '17.98', currency: 'EUR' })).toBe('17,98\u00A0€');
    expect(formatMoney({ amount: '40.00', currency: 'CHF' })).toBe('40,00\u00A0CHF');
    expect(formatMonies([])).toBe('0,00\u00A0€');
  });
  it('shows dates as dd/mm/yyyy', () => {
    expect(formatDate('2026-11-22')).toBe('22/11/2026');
    expect(formatDate('')).toBe('');
  });
  it('leaves text that is not an amount untouched rather than inventing a figure', () => {
    expect(formatAmount('abc')).toBe('abc');
  });
});

import { sumAmounts } from './format';
describe('selection totals', () => {
  it('add exactly, without floating-point drift', () => {
    expect(sumAmounts(['0.10', '0.20'])).toBe('0.30');
    expect(sumAmounts(['1200.00', '-0.05', '3780.65'])).toBe('4980.60');
    expect(sumAmounts([])).toBe('0.00');
  });
});
