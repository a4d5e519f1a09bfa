//! Encaisse desktop shell: wires the core to the window. No business rules here.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod dto;
mod mail;
mod proof;
mod single;
mod state;

use tauri::Manager;

fn main() {
    let path = encaisse::paths::ledger_path(encaisse::paths::ledger_arg(std::env::args().skip(1)));
    // One window per ledger: a second launch brings the first forward.
    let single::Instance::First(listener) = single::claim(&path) else {
        return;
    };
    let sender_path = path.clone();
    let backup_path = path.clone();
    tauri::Builder::default()
        .manage(state::App::open(path))
        .setup(move |app| {
            let handle = app.handle().clone();
            listener.serve(move || {
                if let Some(window) = handle.get_webview_window("main") {
                    let _ = window.unminimize();
                    let _ = window.show();
                    let _ = window.set_focus();
                }
            });
            mail::start_background_sender(app.handle().clone(), sender_path);
            proof::start_daily_backup(app.handle().clone(), backup_path);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            proof::evidence_log,
            proof::verify_ledger,
            proof::save_head_receipt,
            proof::backup_status,
            proof::set_backup_keep,
            proof::backup_now,
            proof::restore_backup,
            proof::export_tables,
            proof::litigation_file,
            proof::hand_over,
            proof::end_handover,
            proof::handovers,
            commands::dashboard,
            commands::aged_balance,
            commands::aged_invoices,
            commands::set_aging_bounds,
            commands::export_aging_csv,
            commands::export_aging_pdf,
            commands::clients,
            commands::client,
            commands::save_client,
            commands::invoices,
            commands::payments,
            commands::record_payment,
            commands::mark_paid,
            commands::allocate,
            commands::undo_allocation,
            commands::allocations,
            commands::company,
            commands::save_company,
            commands::load_demo,
            commands::pick_import_file,
            commands::csv_sample,
            commands::import_analyze,
            commands::import_commit,
            commands::import_history,
            commands::freshness,
            commands::cancel_work,
            commands::follow_up,
            commands::day_work,
            commands::record_selection,
            commands::set_level,
            commands::record_call,
            commands::add_promise,
            commands::add_dispute,
            commands::add_pause,
            commands::set_reminder_days,
            commands::reliability,
            commands::set_score,
            commands::timeline,
            commands::scenarios,
            commands::save_scenarios,
            commands::reset_scenarios,
            commands::rate_tables,
            commands::save_rate_tables,
            commands::reset_rate_tables,
            commands::rates_import_preview,
            commands::set_client_waivers,
            commands::client_waivers,
            commands::save_letters,
            commands::templates,
            commands::template_source,
            commands::preview_template,
            commands::save_template,
            commands::reset_template,
            commands::window_offsets,
            commands::set_window_offsets,
            commands::window_test_print,
            commands::set_registered_post,
            mail::smtp_settings,
            mail::save_smtp_settings,
            mail::test_smtp,
            mail::email_preview,
            mail::send_emails,
            mail::save_emails,
            mail::outbox,
            mail::outbox_decide,
            mail::outbox_send_now,
        ])
        .run(tauri::generate_context!("../tauri.conf.json"))
        .expect("Encaisse could not start");
}
