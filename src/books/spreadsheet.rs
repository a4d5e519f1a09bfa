//! Text written into CSV files that a spreadsheet will open: a cell that
//! starts like a formula is defused, so a client named `=HYPERLINK(…)` is
//! shown, never run (OWASP "CSV injection").

use std::borrow::Cow;

/// `text` as a spreadsheet must receive it: a leading `=`, `+`, `-`, `@`,
/// tab or carriage return is preceded by `'`, unless the cell is a number
/// (`-12,50` stays a number).
pub fn cell(text: &str) -> Cow<'_, str> {
    let is_number = text.parse::<f64>().is_ok() || text.replace(',', ".").parse::<f64>().is_ok();
    if !is_number && text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn formulas_are_defused_and_numbers_kept() {
        assert_eq!(cell("=1+1"), "'=1+1");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("\t=cmd"), "'\t=cmd");
        assert_eq!(cell("-12,50"), "-12,50");
        assert_eq!(cell("+33 1 23"), "'+33 1 23");
        assert_eq!(cell("Dupont"), "Dupont");
    }
}
