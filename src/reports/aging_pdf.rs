//! The aged balance as a PDF, written with the documents' PDF writer.

use crate::books::dates::{self, Date};
use crate::books::error::{Error, Result};
use crate::books::model::Company;
use crate::books::money::format_cents_fr;
use crate::documents::pdf::{bold_font, fit, regular_font, Align, Document};

use super::aging::AgedBalance;

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
                let font = if *is_total {
                    bold_font()
                } else {
                    regular_font()
                };
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
