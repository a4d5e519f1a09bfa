//! The house plan holds: the core's domains (the folders of `src/`) depend
//! on one another one way only, bottom up, as ARCHITECTURE.md draws them;
//! and the pure rules read no SQL.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The domains, bottom up: each may use those before it, never those after.
const DOMAINS: [&str; 10] = [
    "books",
    "bank",
    "einvoice",
    "follow_up",
    "documents",
    "sending",
    "proof",
    "reports",
    "dossiers",
    "demo",
];

/// Files of rules that must stay free of SQL.
const PURE: [&str; 7] = [
    "bank/matching.rs",
    "bank/reference.rs",
    "documents/girocode.rs",
    "follow_up/engine.rs",
    "follow_up/charges.rs",
    "documents/letters.rs",
    "documents/pdf.rs",
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its unit tests (which may use anything).
fn code_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    match text.find("#[cfg(test)]") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// Every module name of the core → its domain, from the folders.
fn domain_of_module() -> BTreeMap<String, &'static str> {
    let mut map = BTreeMap::new();
    for domain in DOMAINS {
        map.insert(domain.to_string(), domain);
        let dir = src().join(domain);
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_stem().unwrap().to_string_lossy().to_string();
            if name != "mod" {
                // The root names every module once (`encaisse::money`).
                if let Some(other) = map.insert(name.clone(), domain) {
                    panic!("two modules named {name}, in {other}/ and {domain}/");
                }
            }
        }
    }
    map
}

/// The modules a piece of code names through `crate::…`.
fn named_modules(code: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `use crate::{a::X, b}`: each first segment.
            let end = group.find('}').unwrap_or(group.len());
            for part in group[..end].split(',') {
                let first: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                names.push(first);
            }
        } else {
            names.push(
                rest.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect(),
            );
        }
    }
    names
}

#[test]
fn every_domain_uses_only_the_domains_below_it() {
    let of = domain_of_module();
    let rank = |d: &str| DOMAINS.iter().position(|x| *x == d).unwrap();
    let mut wrong = Vec::new();
    for domain in DOMAINS {
        let mut files = Vec::new();
        rust_files(&src().join(domain), &mut files);
        assert!(!files.is_empty(), "{domain} has no files");
        for file in files {
            for name in named_modules(&code_of(&file)) {
                if let Some(&used) = of.get(&name) {
                    if rank(used) > rank(domain) {
                        wrong.push(format!(
                            "{} uses crate::{name} ({used}, above {domain})",
                            file.strip_prefix(src()).unwrap().display()
                        ));
                    }
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "arrows pointing up:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn every_file_of_the_core_lives_in_a_domain() {
    let mut loose = Vec::new();
    for entry in std::fs::read_dir(src()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if path.is_dir() {
            assert!(
                DOMAINS.contains(&name.as_str()),
                "src/{name}/ is not a domain of ARCHITECTURE.md"
            );
        } else if name != "lib.rs" {
            loose.push(name);
        }
    }
    assert!(loose.is_empty(), "files outside any domain: {loose:?}");
    let plan =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ARCHITECTURE.md"))
            .expect("ARCHITECTURE.md");
    for domain in DOMAINS {
        assert!(
            plan.contains(&format!("`{domain}/`")),
            "ARCHITECTURE.md says nothing of {domain}/"
        );
    }
}

#[test]
fn the_pure_rules_read_no_sql() {
    for file in PURE {
        let code = code_of(&src().join(file));
        for sql in [
            "rusqlite",
            "impl Ledger",
            "store::Ledger",
            ".conn",
            "SELECT ",
            "INSERT ",
        ] {
            assert!(!code.contains(sql), "{file} holds SQL ({sql})");
        }
    }
}
