//! PDF reports and letters (A4) with an embedded font, so accents, € and
//! « » render in every viewer and the text stays extractable (`pdftotext`).
//!
//! Fonts: DejaVu Sans (free licence, `assets/fonts/LICENSE-DejaVu.txt`),
//! parsed once per process. Each face is embedded as a subset of the
//! characters French letters use (`REPERTOIRE`), made and compressed once
//! per process, so a letter costs its layout and a copy of those bytes. A
//! document using a character outside the repertoire (a Polish or Greek
//! name) gets its own subset holding it too.
//!
//! The objects are written by `pdf-writer`, a maintained low-level writer
//! (typed dictionaries, content operators, cross-reference table), rather
//! than by hand: it was adopted on 4 December 2026 because it is faster, not
//! only safer. On the letters benchmark (`cargo bench --bench scale --
//! letters`, 1 000 letters with their QR codes laid out, written and
//! zipped), three runs each on the same machine: 2 156 – 2 261 letters/s
//! with `pdf-writer`, 1 904 – 2 017 with the hand-written writer it
//! replaced (the target is 2 000); the zip is 2 % larger (glyphs written as
//! literal strings instead of hexadecimal). The font subsets stay made
//! once per process: `pdf-writer` writes their dictionaries for each
//! document and copies their compressed streams. `printpdf` is kept only to
//! parse and subset the font.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::sync::{Arc, OnceLock};

use flate2::Compression;
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use printpdf::ParsedFont;

static REGULAR: OnceLock<ParsedFont> = OnceLock::new();
static BOLD: OnceLock<ParsedFont> = OnceLock::new();

fn parse(bytes: &[u8]) -> ParsedFont {
    ParsedFont::from_bytes(bytes, 0, &mut Vec::new()).expect("the embedded DejaVu font parses")
}

fn regular() -> &'static ParsedFont {
    REGULAR.get_or_init(|| parse(include_bytes!("../../assets/fonts/DejaVuSans.ttf")))
}

fn bold() -> &'static ParsedFont {
    BOLD.get_or_init(|| parse(include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf")))
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

/// Points per millimetre.
const PT: f32 = 72.0 / 25.4;

/// What is drawn on a page, in points from the bottom-left corner.
enum Mark {
    Text {
        bold: bool,
        size: f32,
        x: f32,
        y: f32,
        text: String,
    },
    Line {
        from: (f32, f32),
        to: (f32, f32),
        thickness: f32,
        grey: f32,
    },
    /// Black cells of a grid whose top-left corner is at (`x`, `y`), each
    /// `cell` points square: runs of (row, column, length) along the rows,
    /// filled as one path.
    Grid {
        x: f32,
        y: f32,
        cell: f32,
        runs: Vec<(u16, u16, u16)>,
    },
}

/// A page being laid out, coordinates in millimetres from the top-left corner.
pub struct Canvas {
    pub width: f32,
    pub height: f32,
    marks: Vec<Mark>,
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
        let font = if is_bold { bold() } else { regular() };
        let x = match align {
            Align::Left => x,
            Align::Right => x - text_width(font, text, size),
        };
        self.marks.push(Mark::Text {
            bold: is_bold,
            size,
            x: x * PT,
            y: (self.height - y) * PT,
            text: text.to_string(),
        });
    }

    /// A straight line from (x1, y1) to (x2, y2), mm from the top-left.
    pub fn segment(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, thickness: f32, grey: f32) {
        self.marks.push(Mark::Line {
            from: (x1 * PT, (self.height - y1) * PT),
            to: (x2 * PT, (self.height - y2) * PT),
            thickness,
            grey,
        });
    }

    /// Black cells of a grid (a QR code): its top-left corner at (`x`,
    /// `y`) mm, each cell `cell` mm square; `runs` are (row, column,
    /// length) along the rows. Each run is drawn 6 % of a cell longer and
    /// taller than it is: cells that only touch leave light seams on
    /// screen, in which a reader loses the finder patterns.
    pub fn fill_grid(&mut self, x: f32, y: f32, cell: f32, runs: Vec<(u16, u16, u16)>) {
        self.marks.push(Mark::Grid {
            x: x * PT,
            y: (self.height - y) * PT,
            cell: cell * PT,
            runs,
        });
    }

    /// A horizontal rule.
    pub fn rule(&mut self, x1: f32, x2: f32, y: f32, thickness: f32, grey: f32) {
        self.segment(x1, y, x2, y, thickness, grey);
    }
}

/// A document of pages drawn in order.
pub struct Document {
    title: String,
    pages: Vec<Canvas>,
}

impl Document {
    pub fn new(title: &str) -> Document {
        Document {
            title: title.to_string(),
            pages: Vec::new(),
        }
    }

    /// A blank page of `width` × `height` mm.
    pub fn page(&self, width: f32, height: f32) -> Canvas {
        Canvas {
            width,
            height,
            marks: Vec::new(),
        }
    }

    pub fn push(&mut self, canvas: Canvas) {
        self.pages.push(canvas);
    }

    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// The finished PDF. Page contents are compressed at deflate's fastest
    /// level (a batch of letters is a print run to wait for; the best level
    /// would save a tenth of the size at three times the cost); the fonts,
    /// compressed once per process, at its best.
    pub fn finish(mut self) -> Vec<u8> {
        // A PDF has one page at least.
        if self.pages.is_empty() {
            let blank = self.page(210.0, 297.0);
            self.pages.push(blank);
        }
        // The characters each face shows: the shared subset when they all
        // belong to the repertoire, else one made for this document.
        let mut extra: [BTreeSet<char>; 2] = Default::default();
        for page in &self.pages {
            for mark in &page.marks {
                if let Mark::Text { bold, text, .. } = mark {
                    let face = Face::of(*bold);
                    let (shared, font) = (face.shared(), face.font());
                    extra[face.index()].extend(text.chars().filter(|c| {
                        !shared.has(*c) && font.lookup_glyph_index(*c as u32).is_some()
                    }));
                }
            }
        }
        let faces = [Face::Regular, Face::Bold].map(|face| {
            let wanted = &extra[face.index()];
            if wanted.is_empty() {
                face.shared().clone()
            } else {
                Arc::new(Embedded::new(face, wanted))
            }
        });
        let mut pdf = Pdf::with_capacity(64 * 1024);
        pdf.set_version(1, 7);
        // Objects: 1 catalogue, 2 page tree, 3 information, 4–8 and 9–13
        // the two faces, then each page and its content.
        let (catalog, tree, info) = (Ref::new(1), Ref::new(2), Ref::new(3));
        let first_page = 14;
        let page_ref = |n: usize| Ref::new((first_page + 2 * n) as i32);
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree)
            .kids((0..self.pages.len()).map(page_ref))
            .count(self.pages.len() as i32);
        pdf.document_info(info)
            .title(TextStr(&self.title))
            .producer(TextStr("Encaisse"));
        let font_refs = [Ref::new(4), Ref::new(9)];
        for (face, embedded) in faces.iter().enumerate() {
            embedded.write(&mut pdf, 4 + 5 * face as i32);
        }
        for (n, page) in self.pages.iter().enumerate() {
            let id = page_ref(n);
            let contents = Ref::new(id.get() + 1);
            let mut writer = pdf.page(id);
            writer
                .parent(tree)
                .media_box(Rect::new(0.0, 0.0, page.width * PT, page.height * PT))
                .contents(contents);
            writer
                .resources()
                .fonts()
                .pair(Name(b"F1"), font_refs[0])
                .pair(Name(b"F2"), font_refs[1]);
            writer.finish();
            let content = compress(&page.content(&faces), Compression::fast());
            pdf.stream(contents, &content).filter(Filter::FlateDecode);
        }
        pdf.finish()
    }
}

impl Canvas {
    /// The page's content stream.
    fn content(&self, faces: &[Arc<Embedded>; 2]) -> Vec<u8> {
        let mut out = Content::with_capacity(self.marks.len() * 48);
        let mut glyphs: Vec<u8> = Vec::new();
        for mark in &self.marks {
            match mark {
                Mark::Text {
                    bold,
                    size,
                    x,
                    y,
                    text,
                } => {
                    let face = Face::of(*bold);
                    let embedded = &faces[face.index()];
                    glyphs.clear();
                    glyphs.extend(text.chars().flat_map(|c| embedded.glyph(c).to_be_bytes()));
                    out.begin_text()
                        .set_font(Name(FONT_NAMES[face.index()]), *size)
                        .next_line(*x, *y)
                        .show(Str(&glyphs))
                        .end_text();
                }
                Mark::Line {
                    from,
                    to,
                    thickness,
                    grey,
                } => {
                    out.set_stroke_gray(*grey)
                        .set_line_width(*thickness)
                        .move_to(from.0, from.1)
                        .line_to(to.0, to.1)
                        .stroke();
                }
                Mark::Grid { x, y, cell, runs } => {
                    // In cell units, rows going down: small integers.
                    out.save_state()
                        .set_fill_gray(0.0)
                        .transform([*cell, 0.0, 0.0, -*cell, *x, *y]);
                    for &(row, col, len) in runs {
                        out.rect(col as f32, row as f32, len as f32 + 0.06, 1.06);
                    }
                    out.fill_nonzero().restore_state();
                }
            }
        }
        out.finish().into_vec()
    }
}

/// The names of the two faces in each page's resources.
const FONT_NAMES: [&[u8]; 2] = [b"F1", b"F2"];

/// The characters every document may use without a subset of its own:
/// ASCII, the letters of French, and the typography of a letter and of
/// amounts (no-break spaces, quotes, dashes, €). Anything else a document
/// shows gets a subset made for it.
const REPERTOIRE: &str = concat!(
    "àâäçéèêëîïôöùûüÿÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒœÆæ",
    "\u{A0}\u{202F}\u{2009}«»‘’‚“”„–—…€•°ºª²³×÷±§©®™№‰†‹›−¼½¾¹µ¢£¥·¿¡¨´¸",
);

/// The characters of the shared subset.
fn repertoire() -> impl Iterator<Item = char> {
    (' '..='~').chain(REPERTOIRE.chars())
}

#[derive(Clone, Copy)]
enum Face {
    Regular,
    Bold,
}

impl Face {
    fn of(bold: bool) -> Face {
        if bold {
            Face::Bold
        } else {
            Face::Regular
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    fn font(self) -> &'static ParsedFont {
        match self {
            Face::Regular => regular(),
            Face::Bold => bold(),
        }
    }

    fn postscript_name(self) -> &'static str {
        match self {
            Face::Regular => "DejaVuSans",
            Face::Bold => "DejaVuSans-Bold",
        }
    }

    /// The subset of the repertoire, made once per process.
    fn shared(self) -> &'static Arc<Embedded> {
        static SHARED: [OnceLock<Arc<Embedded>>; 2] = [OnceLock::new(), OnceLock::new()];
        SHARED[self.index()].get_or_init(|| Arc::new(Embedded::new(self, &BTreeSet::new())))
    }
}

/// One face as embedded: a subset of the font, and what its five PDF
/// objects (Type 0 font, CID font, descriptor, font file, ToUnicode map)
/// say, the two streams compressed once.
struct Embedded {
    /// Glyph of each character in the subset.
    glyphs: BTreeMap<char, u16>,
    /// The subset's name (`ABCDEF+DejaVuSans`).
    name: String,
    /// Advance widths of glyphs 0…n, in thousandths of an em.
    widths: Vec<f32>,
    ascent: f32,
    descent: f32,
    cap_height: f32,
    stem_v: f32,
    /// The font program, compressed, and its length before.
    program: Vec<u8>,
    program_length: usize,
    /// The ToUnicode map, compressed.
    to_unicode: Vec<u8>,
}

impl Embedded {
    fn new(face: Face, extra: &BTreeSet<char>) -> Embedded {
        let font = face.font();
        let chars: BTreeSet<char> = repertoire().chain(extra.iter().copied()).collect();
        let mut wanted: BTreeMap<u16, String> = BTreeMap::new();
        let mut original: BTreeMap<char, u16> = BTreeMap::new();
        for c in &chars {
            if let Some(gid) = font.lookup_glyph_index(*c as u32) {
                wanted.entry(gid).or_insert_with(|| c.to_string());
                original.insert(*c, gid);
            }
        }
        let subset = printpdf::subset_font(font, &wanted).expect("the DejaVu font subsets");
        let program = slim(&subset.bytes).unwrap_or_else(|| subset.bytes.clone());
        let glyphs: BTreeMap<char, u16> = original
            .iter()
            .filter_map(|(c, gid)| subset.glyph_mapping.get(gid).map(|(new, _)| (*c, *new)))
            .collect();
        // Advance widths in thousandths of an em, for every glyph up to the
        // last one shown (composite parts come after and are never shown).
        let upm = font.font_metrics.units_per_em.max(1) as u32;
        let mut widths: BTreeMap<u16, u32> = BTreeMap::new();
        widths.insert(0, font.get_horizontal_advance(0) as u32 * 1000 / upm);
        for (gid, (new, _)) in &subset.glyph_mapping {
            widths.insert(*new, font.get_horizontal_advance(*gid) as u32 * 1000 / upm);
        }
        let last = widths.keys().last().copied().unwrap_or(0);
        let widths: Vec<f32> = (0..=last)
            .map(|g| widths.get(&g).copied().unwrap_or(0) as f32)
            .collect();
        let tag = subset_tag(face, &glyphs);
        let metrics = &font.font_metrics;
        let scale = |v: f32| (v * 1000.0 / upm as f32).round();
        let ascent = scale(metrics.ascent);
        let mut to_unicode = UnicodeCmap::new(
            Name(b"Adobe-Identity-UCS"),
            SystemInfo {
                registry: Str(b"Adobe"),
                ordering: Str(b"UCS"),
                supplement: 0,
            },
        );
        for (c, gid) in &glyphs {
            to_unicode.pair(*gid, *c);
        }
        Embedded {
            name: format!("{tag}+{}", face.postscript_name()),
            widths,
            ascent,
            descent: -scale(metrics.descent.abs()),
            cap_height: metrics.cap_height.map(scale).unwrap_or(ascent),
            stem_v: match face {
                Face::Regular => 80.0,
                Face::Bold => 140.0,
            },
            program: compress(&program, Compression::best()),
            program_length: program.len(),
            to_unicode: compress(&to_unicode.finish().into_vec(), Compression::best()),
            glyphs,
        }
    }

    fn has(&self, c: char) -> bool {
        self.glyphs.contains_key(&c)
    }

    /// The glyph that shows `c` (0, the blank box, if the font has none).
    fn glyph(&self, c: char) -> u16 {
        self.glyphs.get(&c).copied().unwrap_or(0)
    }

    /// Writes the five objects as numbers `first`…`first + 4`.
    fn write(&self, pdf: &mut Pdf, first: i32) {
        let [font, cid, descriptor, file, to_unicode] =
            [0, 1, 2, 3, 4].map(|n| Ref::new(first + n));
        let name = Name(self.name.as_bytes());
        pdf.type0_font(font)
            .base_font(name)
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid)
            .to_unicode(to_unicode);
        let mut cid_font = pdf.cid_font(cid);
        cid_font
            .subtype(CidFontType::Type2)
            .base_font(name)
            .system_info(SystemInfo {
                registry: Str(b"Adobe"),
                ordering: Str(b"Identity"),
                supplement: 0,
            })
            .font_descriptor(descriptor)
            .default_width(0.0)
            .cid_to_gid_map_predefined(Name(b"Identity"));
        cid_font
            .widths()
            .consecutive(0, self.widths.iter().copied());
        cid_font.finish();
        pdf.font_descriptor(descriptor)
            .name(name)
            .flags(FontFlags::NON_SYMBOLIC)
            .bbox(Rect::new(-1069.0, -463.0, 1975.0, 1232.0))
            .italic_angle(0.0)
            .ascent(self.ascent)
            .descent(self.descent)
            .cap_height(self.cap_height)
            .stem_v(self.stem_v)
            .font_file2(file);
        pdf.stream(file, &self.program)
            .filter(Filter::FlateDecode)
            .pair(Name(b"Length1"), self.program_length as i32);
        pdf.stream(to_unicode, &self.to_unicode)
            .filter(Filter::FlateDecode);
    }
}

/// The font program without what a PDF does not need: the hinting
/// instructions of simple glyphs (screens and printers set text well
/// without them) and the `name` table (the licence's text). About half the
/// size. `None` when the font is not laid out as expected: the subset is
/// then embedded as it is.
fn slim(ttf: &[u8]) -> Option<Vec<u8>> {
    let u16_at = |b: &[u8], at: usize| -> Option<u16> {
        Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
    };
    let u32_at = |b: &[u8], at: usize| -> Option<u32> {
        Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
    };
    let count = u16_at(ttf, 4)? as usize;
    let mut tables: BTreeMap<[u8; 4], Vec<u8>> = BTreeMap::new();
    for n in 0..count {
        let record = 12 + 16 * n;
        let tag: [u8; 4] = ttf.get(record..record + 4)?.try_into().ok()?;
        let offset = u32_at(ttf, record + 8)? as usize;
        let length = u32_at(ttf, record + 12)? as usize;
        tables.insert(tag, ttf.get(offset..offset + length)?.to_vec());
    }
    tables.remove(b"name");
    let head = tables.get(b"head")?;
    let long_offsets = u16_at(head, 50)? == 1;
    let glyph_count = u16_at(tables.get(b"maxp")?, 4)? as usize;
    let (loca, glyf) = (tables.get(b"loca")?, tables.get(b"glyf")?);
    let offset = |n: usize| -> Option<usize> {
        if long_offsets {
            u32_at(loca, 4 * n).map(|o| o as usize)
        } else {
            u16_at(loca, 2 * n).map(|o| o as usize * 2)
        }
    };
    let mut new_glyf = Vec::with_capacity(glyf.len());
    let mut new_loca = Vec::with_capacity(4 * (glyph_count + 1));
    for n in 0..glyph_count {
        new_loca.extend_from_slice(&(new_glyf.len() as u32).to_be_bytes());
        let glyph = glyf.get(offset(n)?..offset(n + 1)?)?;
        let contours = u16_at(glyph, 0).map(|c| c as i16).unwrap_or(-1);
        if glyph.is_empty() || contours < 0 {
            // Empty, or composite (its instructions may call the font's own
            // programs, which stay).
            new_glyf.extend_from_slice(glyph);
        } else {
            let lengths_at = 10 + 2 * contours as usize;
            let instructions = u16_at(glyph, lengths_at)? as usize;
            let rest = glyph.get(lengths_at + 2 + instructions..)?;
            new_glyf.extend_from_slice(&glyph[..lengths_at]);
            new_glyf.extend_from_slice(&[0, 0]);
            new_glyf.extend_from_slice(rest);
        }
        while new_glyf.len() % 4 != 0 {
            new_glyf.push(0);
        }
    }
    new_loca.extend_from_slice(&(new_glyf.len() as u32).to_be_bytes());
    tables.insert(*b"glyf", new_glyf);
    tables.insert(*b"loca", new_loca);
    let head = tables.get_mut(b"head")?;
    head.get_mut(8..12)?.copy_from_slice(&[0; 4]); // checkSumAdjustment, set below
    head.get_mut(50..52)?.copy_from_slice(&1u16.to_be_bytes()); // long offsets
                                                                // The file again: offset table, table records, tables padded to 4 bytes.
    let checksum = |data: &[u8]| -> u32 {
        data.chunks(4).fold(0u32, |sum, chunk| {
            let mut word = [0u8; 4];
            word[..chunk.len()].copy_from_slice(chunk);
            sum.wrapping_add(u32::from_be_bytes(word))
        })
    };
    let count = tables.len();
    let power = (0..16).rev().find(|p| 1usize << p <= count).unwrap_or(0);
    let mut out = Vec::with_capacity(ttf.len());
    out.extend_from_slice(&0x0001_0000u32.to_be_bytes());
    for value in [count, 16 << power, power, 16 * count - (16 << power)] {
        out.extend_from_slice(&(value as u16).to_be_bytes());
    }
    let mut at = 12 + 16 * count;
    let mut head_at = 0;
    for (tag, data) in &tables {
        if tag == b"head" {
            head_at = at;
        }
        out.extend_from_slice(tag);
        out.extend_from_slice(&checksum(data).to_be_bytes());
        out.extend_from_slice(&(at as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        at += data.len().div_ceil(4) * 4;
    }
    for data in tables.values() {
        out.extend_from_slice(data);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    }
    let adjustment = 0xB1B0_AFBAu32.wrapping_sub(checksum(&out));
    out.get_mut(head_at + 8..head_at + 12)?
        .copy_from_slice(&adjustment.to_be_bytes());
    Some(out)
}

/// Six capital letters naming a subset (PDF 32000 §9.6.4), from its glyphs.
fn subset_tag(face: Face, glyphs: &BTreeMap<char, u16>) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325 ^ face.index() as u64;
    for (c, g) in glyphs {
        for byte in (*c as u32).to_le_bytes().into_iter().chain(g.to_le_bytes()) {
            hash = (hash ^ byte as u64).wrapping_mul(0x0100_0000_01b3);
        }
    }
    (0..6)
        .map(|i| (b'A' + ((hash >> (i * 8)) % 26) as u8) as char)
        .collect()
}

/// `data` compressed (zlib) at `level`.
fn compress(data: &[u8], level: Compression) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::with_capacity(data.len() / 2), level);
    encoder.write_all(data).expect("compressing in memory");
    encoder.finish().expect("compressing in memory")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_checksum(bytes: &[u8]) -> u32 {
        bytes.chunks(4).fold(0u32, |sum, chunk| {
            let mut word = [0u8; 4];
            word[..chunk.len()].copy_from_slice(chunk);
            sum.wrapping_add(u32::from_be_bytes(word))
        })
    }

    #[test]
    fn the_slim_font_program_parses_with_the_same_glyphs_and_a_valid_checksum() {
        for font in [regular(), bold()] {
            let wanted: BTreeMap<u16, String> = "Relancé : 1 234,56 € « dû »"
                .chars()
                .filter_map(|c| {
                    font.lookup_glyph_index(c as u32)
                        .map(|g| (g, c.to_string()))
                })
                .collect();
            let subset = printpdf::subset_font(font, &wanted).unwrap();
            let slim = slim(&subset.bytes).expect("the DejaVu subset has the expected tables");
            assert!(
                slim.len() * 3 < subset.bytes.len() * 2,
                "{} bytes of {}",
                slim.len(),
                subset.bytes.len()
            );
            assert_eq!(file_checksum(&slim), 0xB1B0_AFBA);
            let parsed = ParsedFont::from_bytes(&slim, 0, &mut Vec::new()).expect("parses");
            for (original, (new, _)) in &subset.glyph_mapping {
                assert_eq!(
                    parsed.get_horizontal_advance(*new),
                    font.get_horizontal_advance(*original)
                );
            }
        }
    }

    #[test]
    fn a_font_program_laid_out_otherwise_is_embedded_as_it_is() {
        assert!(slim(b"not a font").is_none());
        assert!(slim(&[0, 1, 0, 0, 0, 1, 0, 16, 0, 0, 0, 0]).is_none());
    }

    #[test]
    fn the_repertoire_is_shared_and_other_characters_get_their_own_subset() {
        let shared = Face::Regular.shared();
        assert!(repertoire().all(|c| shared.has(c)), "DejaVu has them all");
        assert!(!shared.has('Ł'));
        let own = Embedded::new(Face::Regular, &BTreeSet::from(['Ł', 'Ω']));
        assert!(own.has('Ł') && own.has('Ω') && own.has('é'));
        assert_ne!(own.glyph('Ł'), 0);
    }
}
