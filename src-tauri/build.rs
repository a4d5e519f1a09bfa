//! Build script: generates the Tauri context and one permission per app
//! command, so the capability file can allow each command explicitly.

/// Every command the window may call (must match `generate_handler!` in main.rs;
/// a command missing here is refused at run time, which the end-to-end tests catch).
const COMMANDS: &[&str] = &[
    "app_info",
    "dashboard",
    "aged_balance",
    "aged_invoices",
    "set_aging_bounds",
    "export_aging_csv",
    "export_aging_pdf",
    "clients",
    "client",
    "save_client",
    "invoices",
    "payments",
    "record_payment",
    "mark_paid",
    "allocate",
    "undo_allocation",
    "allocations",
    "company",
    "save_company",
    "load_demo",
    "pick_import_file",
    "csv_sample",
    "import_analyze",
    "import_commit",
    "cancel_work",
    "follow_up",
    "day_work",
    "record_selection",
    "set_level",
    "record_call",
    "add_promise",
    "add_dispute",
    "add_pause",
    "set_reminder_days",
    "reliability",
    "set_score",
    "timeline",
    "scenarios",
    "save_scenarios",
    "reset_scenarios",
    "rate_tables",
    "save_rate_tables",
    "reset_rate_tables",
    "set_client_waivers",
    "client_waivers",
    "save_letters",
    "templates",
    "template_source",
    "preview_template",
    "save_template",
    "reset_template",
    "window_offsets",
    "set_window_offsets",
    "window_test_print",
    "set_registered_post",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .config_path("../tauri.conf.json")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    tauri_build::try_build(attributes).expect("tauri build script");
}
