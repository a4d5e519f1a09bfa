// Application-wide UI state: the current screen, the "as of" date, messages.
import type { AppInfoDto } from './bindings/AppInfoDto';

export type Screen =
  | 'dashboard'
  | 'reminders'
  | 'outbox'
  | 'clients'
  | 'client'
  | 'invoices'
  | 'payments'
  | 'aging'
  | 'templates'
  | 'settings'
  | 'import'
  | 'portfolio'
  | 'about';

export const ui = $state({
  screen: 'dashboard' as Screen,
  /** The day the figures are computed for (AAAA-MM-JJ). */
  asOf: '',
  today: '',
  /** The client file shown; `null` for a new client. */
  clientId: null as number | null,
  invoiceSearch: '',
  info: null as AppInfoDto | null,
  /** Bumped after any change to the ledger so screens reload. */
  version: 0,
  notice: '' as string,
  error: '' as string,
  /** The core's code of the error shown ("company_incomplete" leads to Paramètres). */
  errorCode: '' as string,
});

export function go(screen: Screen, params: { clientId?: number | null; invoiceSearch?: string } = {}) {
  if (params.clientId !== undefined) ui.clientId = params.clientId;
  if (params.invoiceSearch !== undefined) ui.invoiceSearch = params.invoiceSearch;
  ui.screen = screen;
  ui.notice = '';
  ui.error = '';
  ui.errorCode = '';
}

export function changed() {
  ui.version += 1;
}

export function showError(e: unknown) {
  const message = e && typeof e === 'object' && 'message' in e ? String((e as { message: unknown }).message) : String(e);
  ui.error = message;
  ui.errorCode = e && typeof e === 'object' && 'code' in e ? String((e as { code: unknown }).code) : '';
}

/** Runs `work` with `setBusy(true)` meanwhile; an error is shown, not thrown. */
export async function guarded(setBusy: (busy: boolean) => void, work: () => Promise<void>) {
  setBusy(true);
  try {
    await work();
  } catch (e) {
    showError(e);
  } finally {
    setBusy(false);
  }
}

export function notify(message: string) {
  ui.notice = message;
  ui.error = '';
  ui.errorCode = '';
}
