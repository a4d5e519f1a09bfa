// The sentence shown after a round of sending, from what the core reports.
import type { SendOutcomeDto } from './bindings/SendOutcomeDto';
import { t } from './i18n/index.svelte';

export function sendSummary(r: SendOutcomeDto): string {
  const nothing = [r.sent, r.waiting, r.failed, r.cancelled, r.held].every((n) => n === 0);
  if (nothing && r.skipped.length === 0 && !r.stopped) return t('mail.resultNone');
  const parts = r.sent === 0 ? [] : [t('mail.result', { sent: r.sent })];
  if (r.waiting > 0) parts.push(t('mail.resultWaiting', { waiting: r.waiting }));
  if (r.failed > 0) parts.push(t('mail.resultFailed', { failed: r.failed }));
  if (r.cancelled > 0) parts.push(t('mail.resultCancelled', { cancelled: r.cancelled }));
  if (r.held > 0) parts.push(t('mail.resultHeld', { held: r.held }));
  if (r.skipped.length > 0) parts.push(t('mail.resultSkipped', { list: r.skipped.map(([who, why]) => `${who} (${why})`).join(', ') }));
  if (r.stopped) parts.push(r.stopped);
  return parts.join(' ');
}
