//! Encaisse desktop shell: wires the core to the window. No business rules here.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod bank;
mod commands;
mod dossiers;
mod dto;
mod mail;
mod proof;
mod single;
mod state;

fn main() {
    // Named so, a command line waiting for the ledger says who holds it.
    encaisse::writers::set_program("la fenêtre Encaisse");
    encaisse::store::tune_allocator();
    // `--ledger`, else ENCAISSE_LEDGER, else the dossier opened last, else
    // the default ledger.
    let explicit = encaisse::paths::ledger_arg(std::env::args().skip(1)).or_else(|| {
        std::env::var_os(encaisse::paths::LEDGER_ENV)
            .filter(|v| !v.is_empty())
            .map(Into::into)
            .or_else(dossiers::last_opened)
    });
    let path = encaisse::paths::ledger_path(explicit);
    // One window per ledger: a second launch brings the first forward.
    let single::Instance::First(listener) = single::claim(&path) else {
        return;
    };
    tauri::Builder::default()
        .manage(state::App::open(path))
        .setup(move |app| {
            dossiers::keep_claim(app.handle(), listener);
            mail::start_background_sender(app.handle().clone());
            proof::start_daily_backup(app.handle().clone());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            bank::pick_bank_files,
            bank::bank_import,
            bank::bank_pending,
            bank::bank_confirm_sure,
            bank::bank_confirm,
            bank::bank_set_aside,
            bank::pick_einvoice_files,
            bank::einvoice_import,
            dossiers::portfolio,
            dossiers::dossier_open,
            dossiers::dossier_new,
            dossiers::dossier_add_file,
            dossiers::dossier_locate,
            dossiers::dossier_remove,
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
            commands::aging_policy,
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
            commands::reminder_days,
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

#[cfg(test)]
mod tests {
    /// Every command the window can call is also listed in build.rs and
    /// allowed by the capability file: one forgotten is refused at run time
    /// ("Command not found") although it compiles.
    #[test]
    fn every_command_is_declared_and_allowed() {
        let main = include_str!("main.rs");
        let start = main.find("generate_handler![").expect("the handler list");
        let end = start + main[start..].find(']').expect("its end");
        let handlers: Vec<&str> = main[start..end]
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter_map(|w| w.rsplit_once("::").map(|(_, name)| name))
            .collect();
        assert!(handlers.len() > 80, "{}", handlers.len());
        let build = include_str!("../build.rs");
        let capabilities = include_str!("../capabilities/main.json");
        for name in handlers {
            assert!(
                build.contains(&format!("\"{name}\",")),
                "{name} missing from build.rs"
            );
            let permission = format!("\"allow-{}\"", name.replace('_', "-"));
            assert!(
                capabilities.contains(&permission),
                "{permission} missing from capabilities/main.json"
            );
        }
    }
}
