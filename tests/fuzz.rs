//! Fuzzing of every parser and renderer fed from outside: FEC, CSV (and its
//! sample), the rate files, amounts and dates, templates, the backup check.
//!
//! Why a harness of our own: cargo-fuzz needs a nightly toolchain, which
//! the registries this machine reaches do not offer; a mutation loop on the
//! stable toolchain, seeded from the fixtures, runs everywhere CI does.
//! Each target takes mutated copies of its seeds (bytes flipped, inserted,
//! deleted, duplicated, spliced with another seed, separators and quotes
//! and digits injected) and must return — a value or an error — without
//! panicking, and its memory must stay bounded: the test binary counts
//! what is allocated, and no input may make a target hold more than
//! [`MEMORY_BOUND`] above what was live before it. The test command runs a
//! short version; `scripts/fuzz.sh N` runs N iterations per target (release
//! build) and prints the rate and the largest peak.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use crate::common::*;

/// A small deterministic generator (xorshift64*): a failing input is found
/// again from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes that matter to the formats: separators, quotes, signs, digits,
/// line ends, UTF-8 and Latin-1 accents, NUL, template braces.
const TOKENS: &[&[u8]] = &[
    b"\t",
    b"|",
    b";",
    b",",
    b"\"",
    b"\r\n",
    b"\n",
    b"\r",
    b"-",
    b"+",
    b"0",
    b"9",
    b"99999999999999999999",
    b",00",
    b".5",
    b"e308",
    b"\xC3\xA9",
    b"\xE9",
    b"\0",
    b"{{",
    b"}}",
    b"{%",
    b"%}",
    b"20261301",
    b"31/02/2026",
    b"AN",
    b"411",
    b"512",
    b"%PDF",
    b"\xEF\xBB\xBF",
    b" ",
    b"NaN",
    b"-0",
    b"1 000,00",
];

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut data = seeds[rng.below(seeds.len())].clone();
    for _ in 0..1 + rng.below(8) {
        let at = rng.below(data.len() + 1);
        match rng.below(7) {
            0 if !data.is_empty() => {
                let i = rng.below(data.len());
                data[i] ^= 1 << rng.below(8);
            }
            1 => {
                let token = TOKENS[rng.below(TOKENS.len())];
                data.splice(at..at, token.iter().copied());
            }
            2 if !data.is_empty() => {
                let end = (at + rng.below(64)).min(data.len());
                data.drain(at.min(end)..end);
            }
            3 if !data.is_empty() => {
                let from = rng.below(data.len());
                let end = (from + rng.below(256)).min(data.len());
                let piece = data[from..end].to_vec();
                data.splice(at..at, piece);
            }
            4 => {
                let other = &seeds[rng.below(seeds.len())];
                let from = rng.below(other.len() + 1);
                let piece = other[from..(from + rng.below(512)).min(other.len())].to_vec();
                data.splice(at..at, piece);
            }
            5 if !data.is_empty() => {
                let i = rng.below(data.len());
                data[i] = (rng.next() & 0xFF) as u8;
            }
            _ => data.truncate(at),
        }
    }
    data
}

fn iterations() -> usize {
    std::env::var("ENCAISSE_FUZZ_ITERATIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300)
}

/// The most one input may make a target hold above what was live before
/// it. The inputs are the fixtures mutated (a few hundred kilobytes at
/// most): a reader that believes a length field, or expands what it reads,
/// goes far beyond. Generous, because tests running beside the fuzzing in
/// the same process allocate too.
const MEMORY_BOUND: usize = 256 << 20;

/// The allocator of this test binary: the system's, counting what is live
/// and the highest it went since the last [`Counting::reset_peak`].
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

impl Counting {
    fn grew(by: usize) {
        let now = LIVE.fetch_add(by, Ordering::Relaxed) + by;
        PEAK.fetch_max(now, Ordering::Relaxed);
    }

    /// What is live now; the peak starts again from it.
    fn reset_peak() -> usize {
        let now = LIVE.load(Ordering::Relaxed);
        PEAK.store(now, Ordering::Relaxed);
        now
    }
}

// SAFETY: every call goes to the system allocator unchanged; the counters
// are only added to and read.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            Counting::grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            Counting::grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            if new_size >= layout.size() {
                Counting::grew(new_size - layout.size());
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// SQLite allocates on its own (the backup check opens the file): what it
/// holds now, its peak starting again from it.
fn sqlite_reset_peak() -> usize {
    // SAFETY: SQLite's memory statistics are safe to read from any thread.
    unsafe {
        rusqlite::ffi::sqlite3_memory_highwater(1);
        rusqlite::ffi::sqlite3_memory_used().max(0) as usize
    }
}

fn sqlite_peak() -> usize {
    // SAFETY: as above.
    unsafe { rusqlite::ffi::sqlite3_memory_highwater(0).max(0) as usize }
}

#[test]
#[should_panic(expected = "made the target hold")]
fn a_target_that_holds_too_much_memory_fails() {
    fuzz("memory", vec![b"seed".to_vec()], |_| {
        let held = vec![1u8; MEMORY_BOUND + (1 << 20)];
        std::hint::black_box(&held);
    });
}

/// Runs `target` on mutated seeds; a panic, or an input that makes it hold
/// more than [`MEMORY_BOUND`], fails with the input kept to replay.
fn fuzz(name: &str, seeds: Vec<Vec<u8>>, target: impl Fn(&[u8])) {
    let runs = iterations();
    let mut rng = Rng(0x5EED_0000 ^ name.len() as u64 ^ (name.as_bytes()[0] as u64) << 32);
    let started = Instant::now();
    let mut slowest = 0f64;
    let mut largest = 0usize;
    let keep = |i: usize, input: &[u8]| {
        let path = std::env::temp_dir().join(format!("encaisse-fuzz-{name}-{i}.bin"));
        std::fs::write(&path, input).unwrap();
        path
    };
    for i in 0..runs {
        let input = mutate(&mut rng, &seeds);
        let one = Instant::now();
        let before = Counting::reset_peak();
        let sqlite_before = sqlite_reset_peak();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| target(&input)));
        let held = PEAK.load(Ordering::Relaxed).saturating_sub(before)
            + sqlite_peak().saturating_sub(sqlite_before);
        if outcome.is_err() {
            panic!(
                "{name}: input {i} panicked; kept in {}",
                keep(i, &input).display()
            );
        }
        if held > MEMORY_BOUND {
            panic!(
                "{name}: input {i} ({} bytes) made the target hold {} MB; kept in {}",
                input.len(),
                held >> 20,
                keep(i, &input).display()
            );
        }
        largest = largest.max(held);
        slowest = slowest.max(one.elapsed().as_secs_f64());
    }
    if std::env::var_os("ENCAISSE_FUZZ_ITERATIONS").is_some() {
        let secs = started.elapsed().as_secs_f64();
        println!(
            "{name}: {runs} executions in {secs:.1} s ({:.0}/s), slowest {:.3} s, largest peak {:.0} KB",
            runs as f64 / secs,
            slowest,
            largest as f64 / 1024.0
        );
    }
}

fn fixture_bytes() -> Vec<Vec<u8>> {
    [
        "000000000FEC20231231.txt",
        "0000000001FEC20220831.txt",
        "encaisse.csv",
        "rates/ecb-mro-shaped.csv",
        "rates/bdf-taux-legal-shaped.csv",
    ]
    .iter()
    .map(|n| {
        let bytes = read_fixture(n);
        // Seeds stay small: the mutations reach every part of them.
        bytes[..bytes.len().min(16 * 1024)].to_vec()
    })
    .collect()
}

#[test]
fn the_fec_parser_never_panics() {
    fuzz("fec", fixture_bytes(), |b| {
        let _ = encaisse::import::fec::parse("fuzz.txt", b);
    });
}

#[test]
fn the_bank_statement_readers_never_panic() {
    let seeds: Vec<Vec<u8>> = [
        "bank/camt053-v02.xml",
        "bank/camt053-v08.xml",
        "bank/releve-ofx1.ofx",
        "bank/releve-ofx2.ofx",
        "bank/releve-cfonb120.txt",
        "bank/qonto-like.csv",
        "bank/bnp-like.csv",
    ]
    .iter()
    .map(|n| read_fixture(n))
    .collect();
    fuzz("bank", seeds, |b| {
        let statement = encaisse::bank::parse("fuzz", b);
        // What is read is always a credit, each with a positive amount.
        assert!(statement.lines.iter().all(|l| l.amount_cents > 0));
    });
}

#[test]
fn the_e_invoice_readers_never_panic() {
    let seeds: Vec<Vec<u8>> = [
        "einvoice/factur-x-minimum.xml",
        "einvoice/ubl-21-en16931.xml",
    ]
    .iter()
    .map(|n| read_fixture(n))
    .collect();
    fuzz("einvoice", seeds, |b| {
        let _ = encaisse::einvoice::parse("fuzz.xml", b);
    });
}

#[test]
fn the_csv_parser_and_its_sample_never_panic() {
    fuzz("csv", fixture_bytes(), |b| {
        let _ = encaisse::import::csv::sample(b);
        let _ = encaisse::import::csv::parse("fuzz.csv", b, None);
    });
}

#[test]
fn the_rates_file_parser_never_panics() {
    fuzz("rates", fixture_bytes(), |b| {
        let _ = encaisse::rates_file::parse(b);
    });
}

#[test]
fn amounts_and_dates_never_panic() {
    let seeds = vec![
        b"1 234,56".to_vec(),
        b"-0,01".to_vec(),
        b"22/11/2026".to_vec(),
        b"2026-11-22".to_vec(),
        b"20261122".to_vec(),
    ];
    fuzz("scalars", seeds, |b| {
        let text = String::from_utf8_lossy(b);
        let _ = encaisse::money::parse_amount(&text);
        let _ = encaisse::dates::parse_date(&text);
    });
}

#[test]
fn templates_never_panic_and_hostile_ones_are_refused() {
    let seeds: Vec<Vec<u8>> = encaisse::documents::default_templates()
        .into_iter()
        .filter_map(|(l, k, kind)| encaisse::documents::default_source(l, k, kind))
        .map(|s| s.as_bytes().to_vec())
        .chain([
            b"{% for i in range(999999999) %}{{ i }}{% endfor %}".to_vec(),
            b"{{ 'x' * 999999999 }}".to_vec(),
        ])
        .collect();
    let facts = encaisse::documents::sample_facts("fr");
    fuzz("templates", seeds, |b| {
        let source = String::from_utf8_lossy(b);
        let _ = encaisse::documents::render(&source, &facts);
    });
}

#[test]
fn the_backup_check_never_panics_on_a_damaged_file() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.sqlite");
    {
        let ledger = encaisse::Ledger::open(&dir.path().join("l.sqlite")).unwrap();
        two_clients_for_fuzz(&ledger);
        ledger.backup_to(&good, &|_, _| {}).unwrap();
    }
    let seeds = vec![std::fs::read(&good).unwrap()];
    let file = dir.path().join("fuzz.sqlite");
    fuzz("backup", seeds, |b| {
        std::fs::write(&file, b).unwrap();
        let _ = encaisse::backup::check_backup(&file);
    });
}

fn two_clients_for_fuzz(ledger: &encaisse::Ledger) {
    for (code, name) in [("A1", "Alpha"), ("B2", "Bêta")] {
        client_ten_days_late(
            ledger,
            encaisse::model::Client::new(code, name),
            date("2026-11-22"),
        );
    }
}
