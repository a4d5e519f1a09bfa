//! Writes the shell completions (bash, zsh, fish) and the man page of
//! `encaisse-cli` from the declaration of its command line (`src/args.rs`):
//! into `OUT_DIR`, and beside the binary in `target/<profile>/encaisse-cli-assets/`
//! where the .deb takes them (`tauri.conf.json`).

use std::path::{Path, PathBuf};

#[allow(dead_code)]
mod args {
    include!("src/args.rs");
}

fn main() -> std::io::Result<()> {
    println!("cargo:rerun-if-changed=src/args.rs");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    write_all(&out)?;
    // OUT_DIR is target/<profile>/build/encaisse-cli-<hash>/out.
    if let Some(profile) = out.ancestors().nth(3) {
        write_all(&profile.join("encaisse-cli-assets"))?;
    }
    Ok(())
}

fn write_all(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut command = args::command();
    for shell in [
        clap_complete::Shell::Bash,
        clap_complete::Shell::Zsh,
        clap_complete::Shell::Fish,
    ] {
        clap_complete::generate_to(shell, &mut command, "encaisse-cli", dir)?;
    }
    let mut page = Vec::new();
    clap_mangen::Man::new(args::command()).render(&mut page)?;
    std::fs::write(dir.join("encaisse-cli.1"), page)
}
