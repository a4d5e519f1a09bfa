//! Counted words, as French writes them: "1 facture", "0 facture",
//! "3 factures" (0 and 1 take the singular); English: "1 invoice",
//! "0 invoices". No "(s)" in anything Encaisse says.

/// `n` and the French noun phrase agreeing with it.
pub fn fr(n: impl Into<i128>, singular: &str, plural: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n.abs() <= 1 { singular } else { plural })
}

/// `n` and the English noun phrase agreeing with it.
pub fn en(n: impl Into<i128>, singular: &str, plural: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n.abs() == 1 { singular } else { plural })
}

#[cfg(test)]
mod tests {
    #[test]
    fn french_counts_zero_and_one_in_the_singular_english_only_one() {
        assert_eq!(super::fr(0u64, "facture", "factures"), "0 facture");
        assert_eq!(super::fr(1u32, "facture", "factures"), "1 facture");
        assert_eq!(super::fr(2i64, "facture", "factures"), "2 factures");
        assert_eq!(super::en(0u64, "invoice", "invoices"), "0 invoices");
        assert_eq!(super::en(1u64, "invoice", "invoices"), "1 invoice");
    }
}
