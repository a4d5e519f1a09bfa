//! The SEPA credit-transfer QR code (EPC069-12, "GiroCode") a letter asking
//! for payment carries: a banking app reads the company's IBAN, BIC and
//! name, the amount due and the structured reference of the communication
//! (ISO 11649, [`crate::bank::reference`]), and fills the transfer in.
//!
//! A pure function of the payment's facts: the payload as the EPC
//! guideline lays it out (version 002, UTF-8, error correction M), its
//! modules made by the `qrcode` crate, drawn on a [`Canvas`] as one filled
//! path of runs of dark modules, in module units.
//!
//! The crate encodes and places the modules; the mask is chosen here, by
//! the four penalty rules of ISO/IEC 18004 (§ 7.8.3) counted on bit rows
//! and columns. The crate's own choice counts them module by module
//! through its coordinates and took three quarters of a millisecond a
//! code, which more than halved the letters' speed; with this one the
//! letters run at about 2 000 a second, code included (`cargo bench
//! --bench scale -- letters`).

use qrcode::bits;
use qrcode::canvas::{Canvas as Modules, MaskPattern, Module};
use qrcode::{Color, EcLevel};

use super::pdf::Canvas;

/// What the transfer says.
#[derive(Clone, Debug)]
pub struct Transfer<'a> {
    /// The beneficiary: the company's name.
    pub name: &'a str,
    pub iban: &'a str,
    pub bic: &'a str,
    pub amount_cents: i64,
    /// The structured reference, `RF…`, without spaces.
    pub reference: &'a str,
}

/// The largest amount the guideline allows: 999 999 999,99 €.
const LARGEST: i64 = 99_999_999_999;

/// The payload, or `None` when the transfer cannot be one (no IBAN, an
/// amount out of the guideline's range).
pub fn payload(t: &Transfer) -> Option<String> {
    let iban: String = t.iban.chars().filter(|c| !c.is_whitespace()).collect();
    let bic: String = t.bic.chars().filter(|c| !c.is_whitespace()).collect();
    if iban.len() < 15 || iban.len() > 34 || !iban.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let bic = if matches!(bic.len(), 8 | 11) && bic.chars().all(|c| c.is_ascii_alphanumeric()) {
        bic.to_ascii_uppercase()
    } else {
        String::new()
    };
    if t.amount_cents < 1 || t.amount_cents > LARGEST {
        return None;
    }
    // One line each: no line break may come from a field.
    let name: String = t
        .name
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .chars()
        .take(70)
        .collect();
    if name.is_empty() || t.reference.len() > 35 {
        return None;
    }
    let payload = format!(
        "BCD\n002\n1\nSCT\n{bic}\n{name}\n{}\nEUR{}.{:02}\n\n{}",
        iban.to_ascii_uppercase(),
        t.amount_cents / 100,
        t.amount_cents % 100,
        t.reference
    );
    // The guideline's limit.
    (payload.len() <= 331).then_some(payload)
}

/// Draws the code for `t` with its top-left corner at (`x`, `y`) mm,
/// `size` mm wide (without the quiet zone, left white around it); false
/// when there is no code to draw.
pub fn draw(page: &mut Canvas, x: f32, y: f32, size: f32, t: &Transfer) -> bool {
    let Some(payload) = payload(t) else {
        return false;
    };
    let Some((width, colors)) = modules(&payload) else {
        return false;
    };
    let mut runs = Vec::new();
    for row in 0..width {
        let mut col = 0;
        while col < width {
            if colors[row * width + col] {
                let start = col;
                while col < width && colors[row * width + col] {
                    col += 1;
                }
                runs.push((row as u16, start as u16, (col - start) as u16));
            } else {
                col += 1;
            }
        }
    }
    page.fill_grid(x, y, size / width as f32, runs);
    true
}

/// The code's modules, row by row (true: dark), and its width.
fn modules(payload: &str) -> Option<(usize, Vec<bool>)> {
    let bits = bits::encode_auto(payload.as_bytes(), EcLevel::M).ok()?;
    let version = bits.version();
    let (data, ec) =
        qrcode::ec::construct_codewords(&bits.into_bytes(), version, EcLevel::M).ok()?;
    let mut unmasked = Modules::new(version, EcLevel::M);
    unmasked.draw_all_functional_patterns();
    unmasked.draw_data(&data, &ec);
    let width = version.width();
    let w = width as usize;
    if w > 128 {
        return None;
    }
    // The symbol as bit rows and bit columns (bit x of row y: the module
    // at column x, row y): what is dark before masking, and what the mask
    // applies to (the data). The format information, drawn once the mask
    // is chosen, is left out of the count.
    let (mut rows, mut cols) = (vec![0u128; w], vec![0u128; w]);
    let (mut data_rows, mut data_cols) = (vec![0u128; w], vec![0u128; w]);
    for y in 0..w {
        for x in 0..w {
            let (dark, data) = match unmasked.get(x as i16, y as i16) {
                Module::Masked(c) => (c == Color::Dark, false),
                Module::Unmasked(c) => (c == Color::Dark, true),
                Module::Empty => (false, false),
            };
            if dark {
                rows[y] |= 1 << x;
                cols[x] |= 1 << y;
            }
            if data {
                data_rows[y] |= 1 << x;
                data_cols[x] |= 1 << y;
            }
        }
    }
    let mut best: Option<(u32, MaskPattern)> = None;
    let (mut masked_rows, mut masked_cols) = (vec![0u128; w], vec![0u128; w]);
    for (k, pattern) in MASKS.into_iter().enumerate() {
        for i in 0..w {
            masked_rows[i] = rows[i] ^ (mask_line(k, i, w, true) & data_rows[i]);
            masked_cols[i] = cols[i] ^ (mask_line(k, i, w, false) & data_cols[i]);
        }
        let score = penalty(&masked_rows, &masked_cols, w);
        if best.is_none_or(|(b, _)| score < b) {
            best = Some((score, pattern));
        }
    }
    let mut masked = unmasked;
    masked.apply_mask(best?.1);
    let dark = masked
        .into_colors()
        .into_iter()
        .map(|c| c == Color::Dark)
        .collect();
    Some((w, dark))
}

/// The eight masks, in the order of their numbers.
const MASKS: [MaskPattern; 8] = [
    MaskPattern::Checkerboard,
    MaskPattern::HorizontalLines,
    MaskPattern::VerticalLines,
    MaskPattern::DiagonalLines,
    MaskPattern::LargeCheckerboard,
    MaskPattern::Fields,
    MaskPattern::Diamonds,
    MaskPattern::Meadow,
];

/// Whether mask `k` inverts the module at column `x`, row `y` (ISO/IEC
/// 18004, table 10).
fn inverts(k: usize, x: usize, y: usize) -> bool {
    match k {
        0 => (x + y) % 2 == 0,
        1 => y % 2 == 0,
        2 => x % 3 == 0,
        3 => (x + y) % 3 == 0,
        4 => (y / 2 + x / 3) % 2 == 0,
        5 => (x * y) % 2 + (x * y) % 3 == 0,
        6 => ((x * y) % 2 + (x * y) % 3) % 2 == 0,
        _ => ((x + y) % 2 + (x * y) % 3) % 2 == 0,
    }
}

/// Mask `k` along row `i` (bit x: it inverts column x, row i), or along
/// column `i` (bit y: it inverts column i, row y). Every mask repeats
/// every twelve modules along a line: twelve are worked out and copied.
fn mask_line(k: usize, i: usize, w: usize, along_row: bool) -> u128 {
    let mut twelve = 0u128;
    for n in 0..12 {
        let (x, y) = if along_row { (n, i) } else { (i, n) };
        if inverts(k, x, y) {
            twelve |= 1 << n;
        }
    }
    let mut line = twelve;
    let mut filled = 12;
    while filled < w {
        line |= line << filled;
        filled *= 2;
    }
    line & low_bits(w)
}

fn low_bits(n: usize) -> u128 {
    if n >= 128 {
        u128::MAX
    } else {
        (1u128 << n) - 1
    }
}

/// N3: how many dark-light-dark×3-light-dark patterns `line` holds with
/// four light modules before or after (outside the symbol is light).
fn finder_like(r: u128, all: u128) -> u32 {
    let finder = r & !(r >> 1) & (r >> 2) & (r >> 3) & (r >> 4) & !(r >> 5) & (r >> 6);
    let light_before = !(r << 1) & !(r << 2) & !(r << 3) & !(r << 4);
    let light_after = !(r >> 7) & !(r >> 8) & !(r >> 9) & !(r >> 10);
    (finder & (light_before | light_after) & all).count_ones()
}

/// The penalty of a masked symbol given as bit rows and bit columns
/// (ISO/IEC 18004 § 7.8.3): runs of five or more modules of one colour,
/// 2 × 2 blocks, finder-like 1:1:3:1:1 patterns with four light modules on
/// a side, and the imbalance of dark and light.
fn penalty(rows: &[u128], cols: &[u128], w: usize) -> u32 {
    let all = low_bits(w);
    let mut score = 0u32;
    for &line in rows.iter().chain(cols) {
        // N1: a run of L ≥ 5 scores L − 2: one per window of five equal
        // modules in it (L − 4), plus 2 for the run.
        let same = !(line ^ (line >> 1)) & low_bits(w - 1);
        let five = same & (same >> 1) & (same >> 2) & (same >> 3);
        let starts = five & !(five << 1);
        score += five.count_ones() + 2 * starts.count_ones();
        score += 40 * finder_like(line, all);
    }
    // N2: 2 × 2 blocks of one colour.
    for pair in rows.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let same_down = !(a ^ b);
        let same_right = !(a ^ (a >> 1));
        score += 3 * (same_down & (same_down >> 1) & same_right & low_bits(w - 1)).count_ones();
    }
    // N4: balance, 10 points per 5 % away from half dark.
    let dark: u32 = rows.iter().map(|r| r.count_ones()).sum();
    let percent = dark as usize * 100 / (w * w);
    score + 10 * (percent.abs_diff(50) / 5) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transfer(amount_cents: i64) -> Transfer<'static> {
        Transfer {
            name: "Atelier Dupont\r\nBCD",
            iban: "FR76 3000 6000 0112 3456 7890 189",
            bic: "AGRIFRPP",
            amount_cents,
            reference: "RF18539007547034",
        }
    }

    #[test]
    fn the_payload_follows_the_guideline() {
        assert_eq!(
            payload(&transfer(123_456)).unwrap(),
            "BCD\n002\n1\nSCT\nAGRIFRPP\nAtelier Dupont  BCD\nFR7630006000011234567890189\nEUR1234.56\n\nRF18539007547034"
        );
        assert!(payload(&transfer(0)).is_none(), "nothing to pay");
        assert!(payload(&transfer(LARGEST + 1)).is_none(), "over the limit");
        let no_iban = Transfer {
            iban: "",
            ..transfer(100)
        };
        assert!(payload(&no_iban).is_none());
    }

    #[test]
    fn the_penalty_counts_each_rule() {
        let grid = |cells: &[bool], w: usize| {
            let (mut rows, mut cols) = (vec![0u128; w], vec![0u128; w]);
            for (n, &dark) in cells.iter().enumerate() {
                if dark {
                    rows[n / w] |= 1 << (n % w);
                    cols[n % w] |= 1 << (n / w);
                }
            }
            penalty(&rows, &cols, w)
        };
        // A 5 × 5 all-dark grid: every row and column is one run of five
        // (3 each, 30), sixteen 2 × 2 blocks (48), all dark (100 % away
        // from half: 10 steps of 10).
        assert_eq!(grid(&[true; 25], 5), 30 + 48 + 100);
        // A run of seven scores 5.
        let mut seven = vec![false; 49];
        for (n, cell) in seven.iter_mut().enumerate() {
            *cell = (n / 7 + n % 7) % 2 == 0;
        }
        let without = grid(&seven, 7);
        for cell in &mut seven[..7] {
            *cell = true;
        }
        assert!(grid(&seven, 7) > without);
        // A checkerboard has no run, no block, and is balanced.
        let board: Vec<bool> = (0..36).map(|i| (i / 6 + i % 6) % 2 == 0).collect();
        assert_eq!(grid(&board, 6), 0);
        // Finder-like patterns, bit x being column x.
        let pattern = 0b1011101u128;
        let all = low_bits(15);
        assert_eq!(finder_like(pattern, all), 1, "light after");
        assert_eq!(finder_like(pattern << 8, all), 1, "light before");
        assert_eq!(
            finder_like(pattern << 2 | 0b1 | 1 << 10, all),
            0,
            "dark on both sides"
        );
        assert_eq!(finder_like(0b1111111, all), 0, "not the pattern");
    }
}
