//! The structured creditor reference (ISO 11649, "RF…") that each
//! communication asking for payment carries, in its QR code and printed
//! beside it, and that a bank statement line naming it is matched by.
//!
//! The reference is a function of the communication alone: its client and
//! the set of its invoices. The body is the client's id in base 35 (the
//! digits and the letters A to Y), a `Z`, then 51 bits of the SHA-256 of the
//! sorted invoice ids as ten base-35 characters: at most 16 characters, so
//! the whole reference stays within the standard's 25. A letter shown in a
//! preview and the same letter sent carry the same reference; the ledger
//! keeps each sent communication's reference with its invoices
//! (`payment_reference`, written and read in `lines`), so a transfer that names it is placed on exactly
//! those invoices.

use sha2::{Digest, Sha256};

const DIGITS: &[u8; 35] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXY";
const HASH_CHARS: usize = 10;
const HASH_BITS: u32 = 51;

/// What a reference says: whose it is and a fingerprint of its invoices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Decoded {
    pub client_id: i64,
    pub fingerprint: u64,
}

impl Decoded {
    /// The reference, without spaces.
    pub fn reference(&self) -> String {
        body_of(self.client_id, self.fingerprint)
    }
}

/// The 51-bit fingerprint of a set of invoices, in any order.
pub fn fingerprint(invoice_ids: &[i64]) -> u64 {
    let mut ids = invoice_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut hash = Sha256::new();
    for id in ids {
        hash.update(id.to_be_bytes());
    }
    let digest = hash.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first) >> (64 - HASH_BITS)
}

/// The reference of a communication to `client_id` about `invoice_ids`,
/// written without spaces: `RF` + two check digits + the body.
pub fn of(client_id: i64, invoice_ids: &[i64]) -> String {
    body_of(client_id, fingerprint(invoice_ids))
}

fn body_of(client_id: i64, fingerprint: u64) -> String {
    let mut body = base35(client_id.max(0) as u64, 0);
    body.push('Z');
    body.push_str(&base35(fingerprint, HASH_CHARS));
    with_check_digits(&body)
}

/// `RF18539007547034` → `RF18 5390 0754 7034`, as it is printed.
pub fn grouped(reference: &str) -> String {
    let chars: Vec<char> = reference.chars().collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The references of Encaisse found in a bank line's text (spaces, dashes
/// and case ignored), each with valid check digits.
pub fn found_in(text: &str) -> Vec<Decoded> {
    let squeezed = super::matching::squeeze(text);
    let bytes = squeezed.as_bytes();
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(start) = find(&bytes[at..], b"RF").map(|i| i + at) {
        at = start + 1;
        if let Some(decoded) = read_at(&squeezed[start..]) {
            if !out.contains(&decoded) {
                out.push(decoded);
            }
        }
    }
    out
}

/// Reads the reference `text` starts with, if it is one of ours.
fn read_at(text: &str) -> Option<Decoded> {
    let bytes = text.as_bytes();
    if bytes.len() < 4 || !bytes[2].is_ascii_digit() || !bytes[3].is_ascii_digit() {
        return None;
    }
    let body = &bytes[4..];
    let z = body.iter().take(6).position(|&b| b == b'Z')?;
    if z == 0 || body.len() < z + 1 + HASH_CHARS {
        return None;
    }
    let client = from_base35(&body[..z])?;
    let hash = from_base35(&body[z + 1..z + 1 + HASH_CHARS])?;
    let reference = &text[..4 + z + 1 + HASH_CHARS];
    if !is_valid(reference) || hash >> HASH_BITS != 0 {
        return None;
    }
    Some(Decoded {
        client_id: i64::try_from(client).ok()?,
        fingerprint: hash,
    })
}

/// Whether `reference` (no spaces) has the check digits ISO 11649 asks.
pub fn is_valid(reference: &str) -> bool {
    let bytes = reference.as_bytes();
    if bytes.len() < 5 || bytes.len() > 25 || &bytes[..2] != b"RF" {
        return false;
    }
    if !bytes.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let moved = [&bytes[4..], &bytes[..4]].concat();
    remainder(&moved) == Some(1)
}

fn with_check_digits(body: &str) -> String {
    let moved = format!("{body}RF00");
    let check = 98 - remainder(moved.as_bytes()).unwrap_or(0);
    format!("RF{check:02}{body}")
}

/// The text read as a number (A = 10 … Z = 35), modulo 97.
fn remainder(text: &[u8]) -> Option<u64> {
    let mut rest = 0u64;
    for &b in text {
        let value = match b {
            b'0'..=b'9' => (b - b'0') as u64,
            b'A'..=b'Z' => (b - b'A') as u64 + 10,
            _ => return None,
        };
        rest = if value < 10 {
            (rest * 10 + value) % 97
        } else {
            (rest * 100 + value) % 97
        };
    }
    Some(rest)
}

fn base35(mut n: u64, width: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 35) as usize]);
        n /= 35;
        if n == 0 {
            break;
        }
    }
    while out.len() < width {
        out.push(b'0');
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

fn from_base35(text: &[u8]) -> Option<u64> {
    let mut n: u64 = 0;
    for &b in text {
        let digit = DIGITS.iter().position(|&d| d == b)? as u64;
        n = n.checked_mul(35)?.checked_add(digit)?;
    }
    Some(n)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A sent communication's reference and the invoices it asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remembered {
    pub client_id: i64,
    pub fingerprint: u64,
    pub invoice_ids: Vec<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standards_example_has_valid_check_digits() {
        // ISO 11649's own example.
        assert!(is_valid("RF18539007547034"));
        assert!(!is_valid("RF19539007547034"));
        assert_eq!(with_check_digits("539007547034"), "RF18539007547034");
        assert_eq!(grouped("RF18539007547034"), "RF18 5390 0754 7034");
    }

    #[test]
    fn a_reference_is_read_back_from_a_bank_text() {
        let r = of(4_321, &[17, 3, 99]);
        assert!(is_valid(&r), "{r}");
        assert!(r.len() <= 25);
        assert_eq!(
            r,
            of(4_321, &[99, 17, 3]),
            "the order of the invoices does not matter"
        );
        let text = format!(
            "VIR SEPA DUPONT SARL / {} / MERCI",
            grouped(&r).to_lowercase()
        );
        assert_eq!(
            found_in(&text),
            vec![Decoded {
                client_id: 4_321,
                fingerprint: fingerprint(&[3, 17, 99])
            }]
        );
        // One character changed: the check digits refuse it.
        let mut wrong = r.clone().into_bytes();
        let last = wrong.len() - 1;
        wrong[last] = if wrong[last] == b'0' { b'1' } else { b'0' };
        assert!(found_in(&String::from_utf8(wrong).unwrap()).is_empty());
        assert!(found_in("RF18539007547034").is_empty(), "not one of ours");
    }
}
