//! PDF reports (A4) with an embedded font, so accents, € and « » render in
//! every viewer and the text stays extractable (`pdftotext`).
//!
//! Fonts: DejaVu Sans (free licence, `assets/fonts/LICENSE-DejaVu.txt`),
//! parsed once per process and subset into each document.

use std::sync::OnceLock;

use printpdf::{
    Color, FontId, Line, LinePoint, Mm, Op, ParsedFont, PdfDocument, PdfFontHandle, PdfPage,
    PdfSaveOptions, Point, Pt, Rgb, TextItem,
};

use crate::aging::AgedBalance;
use crate::dates::{self, Date};
use crate::error::{Error, Result};
use crate::model::Company;
use crate::money::format_cents_fr;

static REGULAR: OnceLock<ParsedFont> = OnceLock::new();
static BOLD: OnceLock<ParsedFont> = OnceLock::new();

fn parse(bytes: &[u8]) -> ParsedFont {
    ParsedFont::from_bytes(bytes, 0, &mut Vec::new()).expect("the embedded DejaVu font parses")
}

fn regular() -> &'static ParsedFont {
    REGULAR.get_or_init(|| parse(include_bytes!("../assets/fonts/DejaVuSans.ttf")))
}

fn bold() -> &'static ParsedFont {
    BOLD.get_or_init(|| parse(include_bytes!("../assets/fonts/DejaVuSans-Bold.ttf")))
}

/// The regular face, parsed once.
pub fn regular_font() -> &'static ParsedFont {
    regular()
}

/// The bold face, parsed once.
pub fn bold_font() -> &'static ParsedFont {
    bold()
}

/// Width of `text` set in `font` at `size` points, in millimetres.
pub fn text_width(font: &ParsedFont, text: &str, size: f32) -> f32 {
    let upm = font.font_metrics.units_per_em.max(1) as f32;
    let units: u32 = text
        .chars()
        .map(|c| {
            font.lookup_glyph_index(c as u32)
                .map(|g| font.get_horizontal_advance(g) as u32)
                .unwrap_or(0)
        })
        .sum();
    units as f32 / upm * size * 25.4 / 72.0
}

/// Cuts `text` with an ellipsis so it fits `width` millimetres.
pub fn fit(font: &ParsedFont, text: &str, size: f32, width: f32) -> String {
    if text_width(font, text, size) <= width {
        return text.to_string();
    }
    let mut out: String = text.to_string();
    while !out.is_empty() && text_width(font, &format!("{out}…"), size) > width {
        out.pop();
    }
    format!("{}…", out.trim_end())
}

/// A page being laid out, coordinates in millimetres from the top-left corner.
pub struct Canvas {
    pub width: f32,
    pub height: f32,
    ops: Vec<Op>,
    regular: FontId,
    bold: FontId,
}

/// Horizontal alignment of a text run.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

impl Canvas {
    /// Writes `text` with its baseline at `y` mm from the top.
    pub fn text(&mut self, x: f32, y: f32, size: f32, is_bold: bool, align: Align, text: &str) {
        let (font, id) = if is_bold {
            (bold(), &self.bold)
        } else {
            (regular(), &self.regular)
        };
        let x = match align {
            Align::Left => x,
            Align::Right => x - text_width(font, text, size),
        };
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFont {
                font: PdfFontHandle::External(id.clone()),
                size: Pt(size),
            },
            Op::SetTextCursor {
                pos: Point {
                    x: Mm(x).into(),
                    y: Mm(self.height - y).into(),
                },
            },
            Op::ShowText {
                items: vec![TextItem::Text(text.to_string())],
            },
            Op::EndTextSection,
        ]);
    }

    /// A straight line from (x1, y1) to (x2, y2), mm from the top-left.
    pub fn segment(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, thickness: f32, grey: f32) {
        let point = |x: f32, y: f32| LinePoint {
            p: Point {
                x: Mm(x).into(),
                y: Mm(self.height - y).into(),
            },
            bezier: false,
        };
        self.ops.extend([
            Op::SetOutlineColor {
                col: Color::Rgb(Rgb {
                    r: grey,
                    g: grey,
                    b: grey,
                    icc_profile: None,
                }),
            },
            Op::SetOutlineThickness { pt: Pt(thickness) },
            Op::DrawLine {
                line: Line {
                    points: vec![point(x1, y1), point(x2, y2)],
                    is_closed: false,
                },
            },
        ]);
    }

    /// A horizontal rule.
    pub fn rule(&mut self, x1: f32, x2: f32, y: f32, thickness: f32, grey: f32) {
        self.segment(x1, y, x2, y, thickness, grey);
    }
}

/// A document of pages drawn in order.
pub struct Document {
    doc: PdfDocument,
    regular: FontId,
    bold: FontId,
    pages: Vec<(f32, f32, Vec<Op>)>,
}

impl Document {
    pub fn new(title: &str) -> Document {
        let mut doc = PdfDocument::new(title);
        let regular = doc.add_font(regular());
        let bold = doc.add_font(bold());
        Document {
            doc,
            regular,
            bold,
            pages: Vec::new(),
        }
    }

    /// A blank page of `width` × `height` mm.
    pub fn page(&self, width: f32, height: f32) -> Canvas {
        Canvas {
            width,
            height,
            ops: Vec::new(),
            regular: self.regular.clone(),
            bold: self.bold.clone(),
        }
    }

    pub fn push(&mut self, canvas: Canvas) {
        self.pages.push((canvas.width, canvas.height, canvas.ops));
    }

    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// The finished PDF, its streams compressed.
    pub fn finish(self) -> Vec<u8> {
        self.save(true)
    }

    /// The finished PDF with its streams left uncompressed: about twice as
    /// fast to write and 2–3 times larger. For batches of letters, where the
    /// time of a print run counts more than the size of each file.
    pub fn finish_uncompressed(self) -> Vec<u8> {
        self.save(false)
    }

    fn save(mut self, compress: bool) -> Vec<u8> {
        let pages = self
            .pages
            .drain(..)
            .map(|(w, h, ops)| PdfPage::new(Mm(w), Mm(h), ops))
            .collect();
        self.doc.with_pages(pages).save(
            &PdfSaveOptions {
                subset_fonts: true,
                optimize: compress,
                ..Default::default()
            },
            &mut Vec::new(),
        )
    }
}

impl AgedBalance {
    /// The aged balance as an A4 landscape PDF: one line per client, the
    /// header repeated on every page, totals per currency, page numbers.
    pub fn to_pdf(&self, company: &Company, printed_on: Date) -> Result<Vec<u8>> {
        const W: f32 = 297.0;
        const H: f32 = 210.0;
        const LEFT: f32 = 12.0;
        const RIGHT: f32 = W - 12.0;
        const ROW: f32 = 5.2;
        const SIZE: f32 = 7.5;
        let title = format!("Balance âgée au {}", dates::format_fr(self.as_of));
        let mut doc = Document::new(&title);
        let amount_columns = self.labels.len() + 2;
        let name_width = 78.0;
        let column = (RIGHT - LEFT - name_width) / amount_columns as f32;
        let mut headers: Vec<String> = self.labels.clone();
        headers.push("Non lettré".into());
        headers.push("Total".into());
        let lines: Vec<(&crate::aging::AgingRow, bool)> = self
            .rows
            .iter()
            .map(|r| (r, false))
            .chain(self.totals.iter().map(|r| (r, true)))
            .collect();
        let per_page = ((H - 40.0 - 18.0) / ROW) as usize;
        let page_total = lines.len().div_ceil(per_page).max(1);
        let mut chunks: Vec<&[(&crate::aging::AgingRow, bool)]> = lines.chunks(per_page).collect();
        if chunks.is_empty() {
            chunks.push(&[]);
        }
        for (page_index, chunk) in chunks.iter().enumerate() {
            let mut page = doc.page(W, H);
            let who = if company.legal_name.is_empty() {
                String::new()
            } else {
                format!("{} {}", company.legal_name, company.legal_form)
                    .trim()
                    .to_string()
            };
            page.text(LEFT, 16.0, 14.0, true, Align::Left, &title);
            page.text(LEFT, 22.0, 8.5, false, Align::Left, &who);
            page.text(
                RIGHT,
                16.0,
                8.0,
                false,
                Align::Right,
                &format!("Édité le {}", dates::format_fr(printed_on)),
            );
            let mut y = 34.0;
            page.text(LEFT, y, SIZE, true, Align::Left, "Client");
            for (i, h) in headers.iter().enumerate() {
                page.text(
                    LEFT + name_width + column * (i as f32 + 1.0) - 1.0,
                    y,
                    SIZE,
                    true,
                    Align::Right,
                    h,
                );
            }
            page.rule(LEFT, RIGHT, y + 1.6, 0.8, 0.2);
            y += ROW + 0.6;
            for (row, is_total) in chunk.iter() {
                let name = if *is_total {
                    format!("Total {}", row.currency)
                } else {
                    format!("{} ({})", row.client_name, row.client_code)
                };
                let font = if *is_total { bold() } else { regular() };
                if *is_total {
                    page.rule(LEFT, RIGHT, y - ROW + 1.3, 0.6, 0.2);
                }
                page.text(
                    LEFT,
                    y,
                    SIZE,
                    *is_total,
                    Align::Left,
                    &fit(font, &name, SIZE, name_width - 2.0),
                );
                let mut cells: Vec<i64> = row.buckets.clone();
                cells.push(row.unapplied);
                cells.push(row.total.cents);
                for (i, cents) in cells.iter().enumerate() {
                    let text = if *cents == 0 && !*is_total {
                        String::new()
                    } else {
                        format_cents_fr(*cents)
                    };
                    page.text(
                        LEFT + name_width + column * (i as f32 + 1.0) - 1.0,
                        y,
                        SIZE,
                        *is_total || i == cells.len() - 1,
                        Align::Right,
                        &text,
                    );
                }
                if !*is_total {
                    page.rule(LEFT, RIGHT, y + 1.4, 0.2, 0.85);
                }
                y += ROW;
            }
            page.text(
                RIGHT,
                H - 8.0,
                7.0,
                false,
                Align::Right,
                &format!("Page {} / {page_total}", page_index + 1),
            );
            page.text(
                LEFT,
                H - 8.0,
                7.0,
                false,
                Align::Left,
                "Montants TTC restant dus, par retard depuis l'échéance — Encaisse",
            );
            doc.push(page);
        }
        if doc.page_count() == 0 {
            return Err(Error::invalid("PDF", "aucune page"));
        }
        Ok(doc.finish())
    }
}
