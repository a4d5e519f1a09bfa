// The only door to the backend. Components import these typed functions,
// never `invoke` itself, so a test can swap this module for a fake.

import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type { AgedBalance } from './bindings/AgedBalance';
import type { AgedInvoice } from './bindings/AgedInvoice';
import type { AgingPolicy } from './bindings/AgingPolicy';
import type { Allocation } from './bindings/Allocation';
import type { AppInfoDto } from './bindings/AppInfoDto';
import type { ClientDto } from './bindings/ClientDto';
import type { ClientSummary } from './bindings/ClientSummary';
import type { Company } from './bindings/Company';
import type { CsvColumnDto } from './bindings/CsvColumnDto';
import type { CsvSampleDto } from './bindings/CsvSampleDto';
import type { DashboardDto } from './bindings/DashboardDto';
import type { DayWorkDto } from './bindings/DayWorkDto';
import type { LettersSavedDto } from './bindings/LettersSavedDto';
import type { TemplateInfoDto } from './bindings/TemplateInfoDto';
import type { TemplatePreviewDto } from './bindings/TemplatePreviewDto';
import type { PortfolioDto } from './bindings/PortfolioDto';
import type { RatesImportDto } from './bindings/RatesImportDto';
import type { RateTablesDto } from './bindings/RateTablesDto';
import type { Reliability } from './bindings/Reliability';
import type { ScenarioDto } from './bindings/ScenarioDto';
import type { TimelineEvent } from './bindings/TimelineEvent';
import type { WaiversDto } from './bindings/WaiversDto';
import type { FollowUpFilterDto } from './bindings/FollowUpFilterDto';
import type { FollowUpPage } from './bindings/FollowUpPage';
import type { ImportOutcome } from './bindings/ImportOutcome';
import type { ImportPreview } from './bindings/ImportPreview';
import type { ImportRecord } from './bindings/ImportRecord';
import type { Freshness } from './bindings/Freshness';
import type { OpeningDecisionDto } from './bindings/OpeningDecisionDto';
import type { InvoiceFilterDto } from './bindings/InvoiceFilterDto';
import type { InvoicePage } from './bindings/InvoicePage';
import type { IpcError } from './bindings/IpcError';
import type { MatchOutcomeDto } from './bindings/MatchOutcomeDto';
import type { NewPaymentDto } from './bindings/NewPaymentDto';
import type { Payment } from './bindings/Payment';
import type { ProgressDto } from './bindings/ProgressDto';
import type { TermsDto } from './bindings/TermsDto';
import type { SmtpSettingsDto } from './bindings/SmtpSettingsDto';
import type { SmtpStatusDto } from './bindings/SmtpStatusDto';
import type { EmailBatchDto } from './bindings/EmailBatchDto';
import type { SendOutcomeDto } from './bindings/SendOutcomeDto';
import type { OutboxEntry } from './bindings/OutboxEntry';
import type { Evidence } from './bindings/Evidence';
import type { ChainReportDto } from './bindings/ChainReportDto';
import type { BackupStatusDto } from './bindings/BackupStatusDto';
import type { BackupDoneDto } from './bindings/BackupDoneDto';
import type { RestoreDoneDto } from './bindings/RestoreDoneDto';
import type { DossierDto } from './bindings/DossierDto';
import type { HandoverView } from './bindings/HandoverView';
import type { BankFileDto } from './bindings/BankFileDto';
import type { BankPendingDto } from './bindings/BankPendingDto';
import type { BankConfirmedDto } from './bindings/BankConfirmedDto';
import type { EInvoiceDoneDto } from './bindings/EInvoiceDoneDto';

export type * from './bindings/IpcError';

/** Turns whatever the backend threw into an `IpcError`. */
export function asIpcError(e: unknown): IpcError {
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) return e as IpcError;
  return { code: 'internal', message: String(e) };
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw asIpcError(e);
  }
}

export const api = {
  appInfo: () => call<AppInfoDto>('app_info'),
  dashboard: (asOf: string) => call<DashboardDto>('dashboard', { asOf }),
  agedBalance: (asOf: string) => call<AgedBalance>('aged_balance', { asOf }),
  agingPolicy: () => call<AgingPolicy>('aging_policy'),
  agedInvoices: (clientId: number, asOf: string) => call<AgedInvoice[]>('aged_invoices', { clientId, asOf }),
  setAgingBounds: (bounds: string) => call<null>('set_aging_bounds', { bounds }),
  exportAgingCsv: (asOf: string) => call<string | null>('export_aging_csv', { asOf }),
  exportAgingPdf: (asOf: string) => call<string | null>('export_aging_pdf', { asOf }),
  clients: (asOf: string, search: string | null) => call<ClientSummary[]>('clients', { asOf, search }),
  client: (id: number) => call<ClientDto>('client', { id }),
  saveClient: (client: ClientDto) => call<number>('save_client', { client }),
  invoices: (filter: InvoiceFilterDto) => call<InvoicePage>('invoices', { filter }),
  payments: (clientId: number | null) => call<Payment[]>('payments', { clientId }),
  recordPayment: (payment: NewPaymentDto) => call<MatchOutcomeDto>('record_payment', { payment }),
  markPaid: (invoiceId: number, date: string, method: string) => call<number>('mark_paid', { invoiceId, date, method }),
  allocate: (paymentId: number, invoiceId: number, amount: string, date: string) =>
    call<number>('allocate', { paymentId, invoiceId, amount, date }),
  undoAllocation: (allocationId: number, date: string) => call<number>('undo_allocation', { allocationId, date }),
  allocations: (invoiceId: number | null, paymentId: number | null) =>
    call<Allocation[]>('allocations', { invoiceId, paymentId }),
  company: () => call<Company>('company'),
  saveCompany: (company: Company) => call<null>('save_company', { company }),
  loadDemo: (asOf: string) => call<null>('load_demo', { asOf }),
  pickImportFile: () => call<string | null>('pick_import_file'),
  pickBankFiles: () => call<string[]>('pick_bank_files'),
  bankImport: (paths: string[]) => call<BankFileDto[]>('bank_import', { paths }),
  bankPending: () => call<BankPendingDto>('bank_pending'),
  bankConfirmSure: () => call<BankConfirmedDto>('bank_confirm_sure'),
  bankConfirm: (lineId: number, clientId: number, invoiceIds: number[]) =>
    call<string>('bank_confirm', { lineId, clientId, invoiceIds }),
  bankSetAside: (lineId: number) => call<null>('bank_set_aside', { lineId }),
  pickEinvoiceFiles: () => call<string[]>('pick_einvoice_files'),
  einvoiceImport: (paths: string[]) => call<EInvoiceDoneDto[]>('einvoice_import', { paths }),
  portfolio: (asOf: string) => call<PortfolioDto>('portfolio', { asOf }),
  dossierOpen: (name: string) => call<null>('dossier_open', { name }),
  dossierNew: (name: string) => call<null>('dossier_new', { name }),
  dossierAddFile: () => call<string | null>('dossier_add_file'),
  dossierLocate: (name: string) => call<boolean>('dossier_locate', { name }),
  dossierRemove: (name: string) => call<null>('dossier_remove', { name }),
  csvSample: (path: string) => call<CsvSampleDto>('csv_sample', { path }),
  importAnalyze: (path: string, kind: 'fec' | 'csv', mapping: CsvColumnDto[]) =>
    call<ImportPreview>('import_analyze', { path, kind, mapping }),
  importCommit: (terms: TermsDto[], openings: OpeningDecisionDto[]) =>
    call<ImportOutcome>('import_commit', { terms, openings }),
  importHistory: () => call<ImportRecord[]>('import_history'),
  freshness: (asOf: string) => call<Freshness>('freshness', { asOf }),
  cancelWork: () => call<null>('cancel_work'),
  followUp: (asOf: string, filter: FollowUpFilterDto) => call<FollowUpPage>('follow_up', { asOf, filter }),
  dayWork: (asOf: string) => call<DayWorkDto>('day_work', { asOf }),
  recordSelection: (invoiceIds: number[], date: string, note: string) =>
    call<number[]>('record_selection', { invoiceIds, date, note }),
  setLevel: (invoiceIds: number[], step: string, date: string, note: string) =>
    call<number[]>('set_level', { invoiceIds, step, date, note }),
  recordCall: (clientId: number, step: number, date: string, outcome: string, note: string) =>
    call<number>('record_call', { clientId, step, date, outcome, note }),
  addPromise: (clientId: number, amount: string, madeOn: string, due: string, note: string) =>
    call<number>('add_promise', { clientId, amount, madeOn, due, note }),
  addDispute: (invoiceId: number, amount: string, reason: string, date: string) =>
    call<number>('add_dispute', { invoiceId, amount, reason, date }),
  addPause: (scope: 'invoice' | 'client' | 'all', id: number | null, until: string, reason: string) =>
    call<number>('add_pause', { scope, id, until, reason }),
  saveLetters: (invoiceIds: number[], asOf: string, merged: boolean) =>
    call<LettersSavedDto | null>('save_letters', { invoiceIds, asOf, merged }),
  templates: () => call<TemplateInfoDto[]>('templates'),
  templateSource: (language: string, key: string, kind: string) => call<string>('template_source', { language, key, kind }),
  previewTemplate: (language: string, key: string, asOf: string, source: string) =>
    call<TemplatePreviewDto>('preview_template', { language, key, asOf, source }),
  saveTemplate: (language: string, key: string, kind: string, source: string) =>
    call<null>('save_template', { language, key, kind, source }),
  resetTemplate: (language: string, key: string, kind: string) => call<null>('reset_template', { language, key, kind }),
  setRegisteredPost: (reminderId: number, number: string, acknowledgedOn: string) =>
    call<null>('set_registered_post', { reminderId, number, acknowledgedOn }),
  windowOffsets: () => call<string[]>('window_offsets'),
  setWindowOffsets: (dx: string, dy: string) => call<null>('set_window_offsets', { dx, dy }),
  windowTestPrint: () => call<string | null>('window_test_print'),
  setReminderDays: (days: string) => call<number[]>('set_reminder_days', { days }),
  reminderDays: () => call<number[]>('reminder_days'),
  reliability: (clientId: number, asOf: string) => call<Reliability>('reliability', { clientId, asOf }),
  setScore: (clientId: number, score: string, note: string) => call<null>('set_score', { clientId, score, note }),
  timeline: (clientId: number, asOf: string) => call<TimelineEvent[]>('timeline', { clientId, asOf }),
  scenarios: () => call<ScenarioDto[]>('scenarios'),
  saveScenarios: (scenarios: ScenarioDto[]) => call<null>('save_scenarios', { scenarios }),
  resetScenarios: () => call<null>('reset_scenarios'),
  rateTables: () => call<RateTablesDto>('rate_tables'),
  saveRateTables: (rates: RateTablesDto) => call<null>('save_rate_tables', { rates }),
  resetRateTables: () => call<null>('reset_rate_tables'),
  ratesImportPreview: (table: string, path: string) => call<RatesImportDto>('rates_import_preview', { table, path }),
  clientWaivers: (clientId: number) => call<WaiversDto>('client_waivers', { clientId }),
  setClientWaivers: (clientId: number, waiveInterest: boolean, waiveIndemnity: boolean) =>
    call<null>('set_client_waivers', { clientId, waiveInterest, waiveIndemnity }),
  smtpSettings: () => call<SmtpStatusDto>('smtp_settings'),
  saveSmtpSettings: (settings: SmtpSettingsDto, password: string) => call<string>('save_smtp_settings', { settings, password }),
  testSmtp: (settings: SmtpSettingsDto, password: string) => call<string>('test_smtp', { settings, password }),
  emailPreview: (invoiceIds: number[], asOf: string) => call<EmailBatchDto>('email_preview', { invoiceIds, asOf }),
  sendEmails: (invoiceIds: number[], asOf: string) => call<SendOutcomeDto>('send_emails', { invoiceIds, asOf }),
  saveEmails: (invoiceIds: number[], asOf: string) => call<LettersSavedDto | null>('save_emails', { invoiceIds, asOf }),
  outbox: () => call<OutboxEntry[]>('outbox'),
  outboxDecide: (id: number, decision: 'retry' | 'cancel' | 'confirm') => call<null>('outbox_decide', { id, decision }),
  outboxSendNow: () => call<SendOutcomeDto>('outbox_send_now'),
  evidenceLog: (clientId: number | null) => call<Evidence[]>('evidence_log', { clientId }),
  verifyLedger: () => call<ChainReportDto>('verify_ledger'),
  saveHeadReceipt: () => call<string | null>('save_head_receipt'),
  backupStatus: () => call<BackupStatusDto>('backup_status'),
  setBackupKeep: (keep: string) => call<null>('set_backup_keep', { keep }),
  backupNow: (asOf: string) => call<BackupDoneDto | null>('backup_now', { asOf }),
  restoreBackup: () => call<RestoreDoneDto | null>('restore_backup'),
  exportTables: (asOf: string) => call<string | null>('export_tables', { asOf }),
  litigationFile: (clientId: number, asOf: string) => call<DossierDto | null>('litigation_file', { clientId, asOf }),
  handOver: (clientId: number, invoiceIds: number[], agency: string, kind: string, date: string, feeTerms: string, note: string) =>
    call<number>('hand_over', { clientId, invoiceIds, agency, kind, date, feeTerms, note }),
  endHandover: (id: number, date: string, outcome: 'recovered' | 'returned') => call<null>('end_handover', { id, date, outcome }),
  handovers: (clientId: number | null, asOf: string) => call<HandoverView[]>('handovers', { clientId, asOf }),
  onOutbox: (handler: () => void): Promise<UnlistenFn> => listen('outbox', () => handler()),
  onBackup: (handler: () => void): Promise<UnlistenFn> => listen('backup', () => handler()),
  onProgress: (handler: (p: ProgressDto) => void): Promise<UnlistenFn> =>
    listen<ProgressDto>('progress', (event) => handler(event.payload)),
};

export type Api = typeof api;
