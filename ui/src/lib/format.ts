// Presentation only: French number and date formats. Amounts arrive as exact
// decimal strings ("-1234.56") or as whole cents (the core's `*_cents`
// fields, integers exact far beyond any ledger); they are never turned into
// floats with decimals.

import type { Money as Amount } from './bindings/Money';

const SYMBOLS: Record<string, string> = { EUR: '€', GBP: '£', USD: '$' };

/** "-1234.56" → "-1 234,56" (narrow no-break space between thousands). */
export function formatAmount(amount: string): string {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(amount.trim());
  if (!match) return amount;
  const [, sign, units, decimals = ''] = match;
  const grouped = units.replace(/\B(?=(\d{3})+(?!\d))/g, '\u202F');
  const cents = (decimals + '00').slice(0, 2);
  const isZero = /^0+$/.test(units) && /^0*$/.test(decimals);
  return `${isZero ? '' : sign}${grouped},${cents}`;
}

/** Whole cents as the plain decimal text of an amount: -123456 → "-1234.56". */
export function plainCents(cents: number): string {
  const abs = Math.abs(cents);
  return `${cents < 0 ? '-' : ''}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** Cents and a currency, as an amount to show. */
export function money(cents: number, currency: string): Amount {
  return { amount: plainCents(cents), currency };
}

/** An amount with its currency: "1 234,56 €". */
export function formatMoney(m: Amount | undefined | null): string {
  if (!m) return '';
  return `${formatAmount(m.amount)}\u00A0${SYMBOLS[m.currency] ?? m.currency}`;
}

/** Euros given as a plain decimal string. */
export function formatEuros(amount: string): string {
  return formatMoney({ amount, currency: 'EUR' });
}

/** Several currencies: "1 200,00 € + 300,00 $". */
export function formatMonies(list: Amount[]): string {
  if (list.length === 0) return formatEuros('0.00');
  return list.map(formatMoney).join(' + ');
}

/** "2026-11-22" → "22/11/2026". */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '';
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  return m ? `${m[3]}/${m[2]}/${m[1]}` : iso;
}

/** True when the amount string is negative. */
export function isNegative(amount: string): boolean {
  return amount.trim().startsWith('-') && !/^-0+(\.0+)?$/.test(amount.trim());
}

/** Exact sum of decimal strings ("12.30" + "-0.05" → "12.25"), via integer cents. */
export function sumAmounts(amounts: string[]): string {
  let cents = 0n;
  for (const a of amounts) {
    const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(a.trim());
    if (!m) continue;
    const value = BigInt(m[2]) * 100n + BigInt(((m[3] ?? '') + '00').slice(0, 2));
    cents += m[1] === '-' ? -value : value;
  }
  const sign = cents < 0n ? '-' : '';
  const abs = cents < 0n ? -cents : cents;
  return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}
