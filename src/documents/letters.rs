//! What the debtor receives (E1–E4): templates filled with the facts of one
//! communication, laid out as an A4 letter for a DL window envelope, zipped
//! one PDF per letter or merged for one print run.
//!
//! Templates are plain text with `{{ placeholders }}` (minijinja, strict:
//! an unknown placeholder is an error with its line, never a blank in a
//! letter). The first line is the subject (`Objet : …`); blank lines separate
//! paragraphs; a line `[tableau des factures]` places the invoice table.
//! Client data enters as values and is never read as template code.

use std::collections::HashMap;
use std::io::Write;

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

use crate::dates::{self, Date};
use crate::engine::Channel;
use crate::error::{Error, Result};
use crate::model::Company;
use crate::money::format_cents_fr;
use crate::pdf::{bold_font, fit, regular_font, text_width, Align, Canvas, Document};

use super::girocode::{self, Transfer};

/// What a template is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export, rename = "TemplateKind"))]
pub enum Kind {
    /// A postal letter (PDF).
    Letter,
    Email,
    /// What to say on a phone call.
    Script,
}

impl Kind {
    pub(super) fn suffix(self) -> &'static str {
        match self {
            Kind::Letter => "lettre",
            Kind::Email => "email",
            Kind::Script => "script",
        }
    }

    /// The kind of document a channel produces.
    pub fn for_channel(channel: Channel) -> Kind {
        match channel {
            Channel::Call => Kind::Script,
            Channel::Email => Kind::Email,
            _ => Kind::Letter,
        }
    }
}

macro_rules! defaults {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!("../../templates/", $path)))),*]
    };
}

/// The templates shipped in `templates/`, by `language/key.kind.txt`.
const DEFAULTS: &[(&str, &str)] = defaults![
    "fr/releve.lettre.txt",
    "fr/releve.email.txt",
    "fr/relance_2.lettre.txt",
    "fr/relance_2.email.txt",
    "fr/relance_3.lettre.txt",
    "fr/relance_3.email.txt",
    "fr/mise_en_demeure.lettre.txt",
    "fr/mise_en_demeure.email.txt",
    "fr/recouvrement.lettre.txt",
    "fr/recouvrement.email.txt",
    "fr/appel.script.txt",
    "fr/appel_courtoisie.script.txt",
    "fr/appel_satisfaction.script.txt",
    "en/releve.lettre.txt",
    "en/releve.email.txt",
    "en/relance_2.lettre.txt",
    "en/relance_2.email.txt",
    "en/relance_3.lettre.txt",
    "en/relance_3.email.txt",
    "en/mise_en_demeure.lettre.txt",
    "en/mise_en_demeure.email.txt",
    "en/recouvrement.lettre.txt",
    "en/recouvrement.email.txt",
    "en/appel.script.txt",
    "en/appel_courtoisie.script.txt",
    "en/appel_satisfaction.script.txt",
];

/// Every default template: (language, key, kind).
pub fn default_templates() -> Vec<(&'static str, &'static str, Kind)> {
    DEFAULTS
        .iter()
        .filter_map(|(path, _)| {
            let (language, file) = path.split_once('/')?;
            let stem = file.strip_suffix(".txt")?;
            let (key, kind) = stem.rsplit_once('.')?;
            let kind = match kind {
                "lettre" => Kind::Letter,
                "email" => Kind::Email,
                _ => Kind::Script,
            };
            Some((language, key, kind))
        })
        .collect()
}

pub(super) fn path_of(language: &str, key: &str, kind: Kind) -> String {
    format!("{language}/{key}.{}.txt", kind.suffix())
}

/// The shipped text of a template.
pub fn default_source(language: &str, key: &str, kind: Kind) -> Option<&'static str> {
    let path = path_of(language, key, kind);
    DEFAULTS.iter().find(|(p, _)| *p == path).map(|(_, s)| *s)
}

/// The line marking where the invoice table goes.
pub const TABLE_MARK: &str = "[tableau des factures]";

// ----- the facts a template sees --------------------------------------

/// The company, as templates name it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Sender {
    pub nom: String,
    pub forme: String,
    pub capital: String,
    pub siren: String,
    pub rcs: String,
    pub tva: String,
    pub adresse: String,
    pub code_postal: String,
    pub ville: String,
    pub email: String,
    pub telephone: String,
    pub iban: String,
    pub bic: String,
    pub signataire: String,
    /// Another way to pay than a transfer ("par chèque à l'ordre de …").
    pub autre_paiement: String,
    /// How to pay, as a sentence ends: "par virement sur le compte IBAN …
    /// (BIC …)", the other means, or both (in the client's language).
    pub moyen_de_paiement: String,
}

/// The client, as templates name it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Recipient {
    pub code: String,
    pub nom: String,
    pub contact: String,
    /// "Madame, Monsieur" (or its English counterpart).
    pub civilite: String,
    pub adresse: String,
    pub code_postal: String,
    pub ville: String,
    pub pays: String,
    pub email: String,
    pub telephone: String,
}

/// One invoice of a letter; amounts already written the French way.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LetterInvoice {
    pub numero: String,
    pub date: String,
    pub echeance: String,
    pub retard: i64,
    pub montant: String,
    pub reste: String,
    pub penalites: String,
    pub indemnite: String,
    #[serde(skip)]
    pub open_cents: i64,
    #[serde(skip)]
    pub interest_cents: i64,
    #[serde(skip)]
    pub indemnity_cents: i64,
}

/// An earlier communication.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Previous {
    pub date: String,
    pub etape: String,
    /// Its level, from 1.
    pub niveau: usize,
    /// How it went, in the client's language ("e-mail", "courrier", "lettre
    /// recommandée avec accusé de réception").
    pub canal: String,
    /// The registered letter's number (LRAR), if any.
    pub lrar: String,
}

/// A payment promise the client did not keep.
#[derive(Clone, Debug, Default, Serialize)]
pub struct BrokenPromise {
    /// The day it was made, and the day the payment was promised for.
    pub faite_le: String,
    pub date: String,
    pub montant: String,
}

/// A call made about these invoices.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CallMade {
    pub date: String,
    /// What came of it, as noted.
    pub resultat: String,
}

/// A dispute on one of these invoices, closed.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DisputeClosed {
    pub date: String,
    pub facture: String,
}

// ----- the recipient block (NF Z 10-011) -----------------------------------

/// At most this many lines in the window of the envelope…
pub const ADDRESS_LINES: usize = 6;
/// …of at most this many characters.
pub const ADDRESS_WIDTH: usize = 38;

/// The country of a client's address: none for France, else its name in
/// capitals as La Poste wants it on the last line ("BELGIQUE").
pub fn country_line(country: &str) -> Option<String> {
    let code = country.trim();
    let upper = code.to_uppercase();
    if upper.is_empty() || upper == "FR" || upper == "FRA" || upper == "FRANCE" {
        return None;
    }
    let name = match upper.as_str() {
        "BE" => "BELGIQUE",
        "CH" => "SUISSE",
        "LU" => "LUXEMBOURG",
        "MC" => "MONACO",
        "DE" => "ALLEMAGNE",
        "ES" => "ESPAGNE",
        "IT" => "ITALIE",
        "PT" => "PORTUGAL",
        "NL" => "PAYS-BAS",
        "AT" => "AUTRICHE",
        "IE" => "IRLANDE",
        "GB" | "UK" => "ROYAUME-UNI",
        "US" => "ÉTATS-UNIS",
        "CA" => "CANADA",
        "DK" => "DANEMARK",
        "SE" => "SUÈDE",
        "FI" => "FINLANDE",
        "NO" => "NORVÈGE",
        "PL" => "POLOGNE",
        "CZ" => "TCHÉQUIE",
        "GR" => "GRÈCE",
        "MA" => "MAROC",
        "TN" => "TUNISIE",
        "DZ" => "ALGÉRIE",
        "SN" => "SÉNÉGAL",
        "CI" => "CÔTE D'IVOIRE",
        _ => return Some(upper),
    };
    Some(name.to_string())
}

/// `text` cut into lines of at most `width` characters at spaces; a word
/// longer than a line is split at its hyphens, else carried whole (a name
/// is never cut).
pub fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let words = text.split_whitespace().flat_map(|word| {
        if word.chars().count() <= width || !word.contains('-') {
            vec![word.to_string()]
        } else {
            let parts: Vec<&str> = word.split_inclusive('-').collect();
            parts.into_iter().map(str::to_string).collect()
        }
    });
    for word in words {
        let glue = !line.is_empty() && !line.ends_with('-');
        let len = line.chars().count() + usize::from(glue) + word.chars().count();
        if !line.is_empty() && len > width {
            lines.push(std::mem::take(&mut line));
        } else if glue {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Why a letter cannot be posted to a client.
pub fn postal_problem(r: &Recipient) -> Option<String> {
    let mut missing = Vec::new();
    if r.adresse.trim().is_empty() {
        missing.push("rue");
    }
    if r.code_postal.trim().is_empty() {
        missing.push("code postal");
    }
    if r.ville.trim().is_empty() {
        missing.push("ville");
    }
    if !missing.is_empty() {
        return Some(format!(
            "adresse postale manquante ({})",
            missing.join(", ")
        ));
    }
    address_block(r, "").err()
}

/// The letters held back, in one sentence: "lettres retenues, adresse
/// postale à compléter : 3 clients (Alpha : adresse postale manquante (rue) ;
/// …)".
pub fn held_back_summary(held: &[(String, String)]) -> String {
    let clients = if held.len() == 1 {
        "1 client".to_string()
    } else {
        format!("{} clients", held.len())
    };
    let list: Vec<String> = held
        .iter()
        .map(|(who, why)| format!("{who} : {why}"))
        .collect();
    format!(
        "non imprimées, adresse postale à compléter dans la fiche client : {clients} ({})",
        list.join(" ; ")
    )
}

/// The lines of the recipient block: the legal name (over two lines when
/// long, never cut), the contact when there is room, the street lines,
/// postcode and CITY, and the country in capitals when abroad — at most
/// [`ADDRESS_LINES`] lines of [`ADDRESS_WIDTH`] characters, each long line
/// wrapped. The bool marks the name's lines (bold).
pub fn address_block(
    r: &Recipient,
    attention: &str,
) -> std::result::Result<Vec<(String, bool)>, String> {
    let name = wrap_words(r.nom.trim(), ADDRESS_WIDTH);
    if name.len() > 2 {
        return Err(format!(
            "raison sociale trop longue pour la fenêtre de l'enveloppe ({} caractères, deux lignes de {ADDRESS_WIDTH} au plus)",
            r.nom.trim().chars().count()
        ));
    }
    let mut rest: Vec<String> = Vec::new();
    for line in r.adresse.lines().filter(|l| !l.trim().is_empty()) {
        rest.extend(wrap_words(line.trim(), ADDRESS_WIDTH));
    }
    rest.extend(wrap_words(
        format!("{} {}", r.code_postal.trim(), r.ville.trim().to_uppercase()).trim(),
        ADDRESS_WIDTH,
    ));
    if let Some(country) = country_line(&r.pays) {
        rest.extend(wrap_words(&country, ADDRESS_WIDTH));
    }
    let contact = if r.contact.trim().is_empty() || attention.is_empty() {
        Vec::new()
    } else {
        wrap_words(&format!("{attention}{}", r.contact.trim()), ADDRESS_WIDTH)
    };
    if name.len() + rest.len() > ADDRESS_LINES {
        return Err(format!(
            "adresse trop longue pour la fenêtre de l'enveloppe ({} lignes, {ADDRESS_LINES} au plus) : raccourcissez-la dans la fiche client",
            name.len() + rest.len()
        ));
    }
    let mut lines: Vec<(String, bool)> = name.into_iter().map(|l| (l, true)).collect();
    // The contact only when the whole block still fits.
    if lines.len() + contact.len() + rest.len() <= ADDRESS_LINES {
        lines.extend(contact.into_iter().map(|l| (l, false)));
    }
    lines.extend(rest.into_iter().map(|l| (l, false)));
    Ok(lines)
}

/// How a communication went, in the client's language.
pub(super) fn channel_words(channel: &str, english: bool) -> &'static str {
    match (channel, english) {
        ("call", false) => "appel",
        ("call", true) => "phone call",
        ("email", false) => "e-mail",
        ("email", true) => "e-mail",
        ("email_and_letter", false) => "courrier et e-mail",
        ("email_and_letter", true) => "letter and e-mail",
        ("registered", false) => "lettre recommandée avec accusé de réception",
        ("registered", true) => "registered letter with acknowledgement of receipt",
        (_, false) => "courrier",
        (_, true) => "letter",
    }
}

/// Everything a template may use (documented in templates/README.md).
#[derive(Clone, Debug, Default, Serialize)]
pub struct LetterFacts {
    pub langue: String,
    pub entreprise: Sender,
    pub client: Recipient,
    pub factures: Vec<LetterInvoice>,
    pub nombre_factures: usize,
    pub total_principal: String,
    pub total_penalites: String,
    pub total_indemnites: String,
    pub total_du: String,
    /// Day of the letter, and the pay-by day.
    pub date: String,
    pub date_limite: String,
    pub delai_jours: i64,
    pub etape: String,
    pub niveau: usize,
    /// The written reminders sent earlier about these invoices, oldest first
    /// (none: a template may not speak of earlier reminders).
    pub relances_precedentes: Vec<Previous>,
    pub derniere_relance: Previous,
    /// Whether there were any.
    pub deja_relance: bool,
    /// The formal notice sent earlier about these invoices, if one was.
    pub mise_en_demeure_precedente: Option<Previous>,
    /// The latest promise of payment the client broke, if any.
    pub promesse_non_tenue: Option<BrokenPromise>,
    /// The latest call made about these invoices, if any.
    pub appel: Option<CallMade>,
    /// The latest dispute on these invoices that was closed, if any.
    pub litige_clos: Option<DisputeClosed>,
    /// This communication goes by registered letter (LRAR).
    pub par_recommande: bool,
    /// How the late-payment interest was worked out, one line per rate and
    /// period: "Pénalités de retard : 12,15 % l'an du 02/10/2026 au
    /// 22/11/2026 (F-1, F-2)". Empty when no interest is claimed.
    pub calcul_penalites: Vec<String>,
    /// The structured reference (ISO 11649) a transfer paying this
    /// communication names, printed in groups of four ("RF47 2N…"); the
    /// letter's QR code carries it.
    pub reference_virement: String,
    #[serde(skip)]
    pub key: String,
    #[serde(skip)]
    pub registered: bool,
    #[serde(skip)]
    pub channel: Option<Channel>,
    #[serde(skip)]
    pub charges_shown: bool,
    #[serde(skip)]
    pub client_id: i64,
    #[serde(skip)]
    pub total_due_cents: i64,
    #[serde(skip)]
    pub invoice_ids: Vec<i64>,
    #[serde(skip)]
    pub day: Option<Date>,
}

/// A rendered template: its subject and its blocks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub blocks: Vec<Block>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    Paragraph(String),
    Table,
}

/// What a template may do is bounded, for a template is text a user
/// writes and Encaisse renders unattended for every letter: the work
/// (instructions), the text produced, and — since no statement but `if`
/// and `for` is allowed, no `*` operator, and no filter or function that
/// makes a text longer than its input many times over — the size of any
/// value. A letter needs none of these; a mistyped or hostile template
/// would otherwise hold the machine's memory (`'x' * 99999999` held 286 MB
/// before the fuzzing found it).
const FUEL: u64 = 2_000_000;
const MAX_OUTPUT: usize = 1 << 20;
const STATEMENTS: [&str; 8] = [
    "if", "elif", "else", "endif", "for", "endfor", "raw", "endraw",
];
const UNBOUNDED: [&str; 8] = [
    "replace",
    "indent",
    "format",
    "pprint",
    "tojson",
    "batch",
    "slice",
    "urlencode",
];

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_keep_trailing_newline(false);
    env.set_fuel(Some(FUEL));
    for filter in UNBOUNDED {
        env.remove_filter(filter);
    }
    for global in ["range", "namespace", "lipsum", "cycler", "joiner", "debug"] {
        env.remove_global(global);
    }
    env
}

/// The template's tags checked before it runs: only the statements of
/// [`STATEMENTS`], and no `*` (a text repeated N times) outside quotes.
fn check_tags(source: &str) -> Result<()> {
    let refuse = |at: usize, what: String| {
        let line = source[..at].matches('\n').count() + 1;
        Err(Error::invalid("modèle", format!("ligne {line} : {what}")))
    };
    let bytes = source.as_bytes();
    let mut i = 0;
    while i + 1 < bytes.len() {
        let open = &bytes[i..i + 2];
        if open != b"{{" && open != b"{%" {
            i += 1;
            continue;
        }
        let statement = open == b"{%";
        let close: &[u8] = if statement { b"%}" } else { b"}}" };
        let start = i;
        i += 2;
        if statement {
            let rest = source[i..].trim_start_matches(['-', '+', ' ', '\t', '\n', '\r']);
            let word: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphabetic() || *c == '_')
                .collect();
            if !STATEMENTS.contains(&word.as_str()) {
                return refuse(
                    start,
                    format!("l'instruction « {word} » n'est pas permise : un modèle n'emploie que if, elif, else et for"),
                );
            }
            if word == "raw" {
                // Raw text up to its end, left as it is.
                match source[i..].find("endraw") {
                    Some(end) => i += end + 6,
                    None => return Ok(()),
                }
                continue;
            }
        }
        let mut quote: Option<u8> = None;
        while i + 1 < bytes.len() && !(quote.is_none() && &bytes[i..i + 2] == close) {
            match (quote, bytes[i]) {
                (None, b'\'' | b'"') => quote = Some(bytes[i]),
                (Some(q), b) if b == q => quote = None,
                (None, b'*') => {
                    return refuse(
                        start,
                        "l'opérateur « * » n'est pas permis dans un modèle".to_string(),
                    )
                }
                _ => {}
            }
            i += 1;
        }
        i += 2;
    }
    Ok(())
}

/// Receives the rendered text, refusing it past [`MAX_OUTPUT`].
struct Capped(Vec<u8>);

impl Write for Capped {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.0.len() + bytes.len() > MAX_OUTPUT {
            return Err(std::io::Error::other("texte trop long"));
        }
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Fills `source` with `facts`. An unknown placeholder or a syntax error is
/// reported with its line.
pub fn render(source: &str, facts: &LetterFacts) -> Result<Rendered> {
    check_tags(source)?;
    let env = environment();
    let template = env
        .template_from_str(source)
        .map_err(|e| template_error(&e))?;
    let mut out = Capped(Vec::new());
    template
        .render_captured_to(facts, &mut out)
        .map_err(|e| template_error(&e))?;
    let text = String::from_utf8_lossy(&out.0).into_owned();
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default();
    let subject = ["Objet :", "Objet:", "Subject:"]
        .iter()
        .find_map(|p| first.strip_prefix(p))
        .map(|s| s.trim().to_string());
    let body: Vec<&str> = match subject {
        Some(_) => lines.collect(),
        None => text.lines().collect(),
    };
    let mut blocks = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let flush = |paragraph: &mut Vec<&str>, blocks: &mut Vec<Block>| {
        if !paragraph.is_empty() {
            blocks.push(Block::Paragraph(paragraph.join("\n")));
            paragraph.clear();
        }
    };
    for line in body {
        if line.trim() == TABLE_MARK {
            flush(&mut paragraph, &mut blocks);
            blocks.push(Block::Table);
        } else if line.trim().is_empty() {
            flush(&mut paragraph, &mut blocks);
        } else {
            paragraph.push(line.trim_end());
        }
    }
    flush(&mut paragraph, &mut blocks);
    Ok(Rendered {
        subject: subject.unwrap_or_default(),
        blocks,
    })
}

fn template_error(e: &minijinja::Error) -> Error {
    let line = e
        .line()
        .map(|l| format!("ligne {l} : "))
        .unwrap_or_default();
    let what = match e.kind() {
        minijinja::ErrorKind::UndefinedError => {
            "champ inconnu (voir la liste des champs dans l'aide des modèles)".to_string()
        }
        minijinja::ErrorKind::SyntaxError => format!(
            "erreur de syntaxe ({})",
            e.detail().unwrap_or("balise mal fermée")
        ),
        minijinja::ErrorKind::WriteFailure => {
            "le modèle produit plus d'un mégaoctet de texte : une lettre n'en demande pas tant"
                .to_string()
        }
        minijinja::ErrorKind::OutOfFuel => {
            "le modèle demande trop de calcul (boucles imbriquées ?)".to_string()
        }
        minijinja::ErrorKind::UnknownFilter | minijinja::ErrorKind::UnknownFunction => format!(
            "{} : filtre ou fonction non permis dans un modèle",
            e.detail().unwrap_or("inconnu")
        ),
        _ => e.detail().unwrap_or("modèle invalide").to_string(),
    };
    Error::invalid("modèle", format!("{line}{what}"))
}

/// Plain text of a rendered template (e-mails, call scripts): the invoice
/// table written as aligned lines.
pub fn to_text(rendered: &Rendered, facts: &LetterFacts) -> String {
    let mut out = Vec::new();
    for block in &rendered.blocks {
        match block {
            Block::Paragraph(p) => out.push(p.clone()),
            Block::Table => {
                let mut lines = Vec::new();
                for f in &facts.factures {
                    lines.push(format!(
                        "- {} du {}, échue le {} ({} j de retard) : reste {}",
                        f.numero, f.date, f.echeance, f.retard, f.reste
                    ));
                }
                lines.push(format!("Total dû : {}", facts.total_du));
                lines.extend(facts.calcul_penalites.iter().cloned());
                out.push(lines.join("\n"));
            }
        }
    }
    out.join("\n\n")
}

// ----- from the ledger to the facts -----------------------------------

/// Where the DL window is, and the offsets set in Paramètres (mm).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct WindowPlacement {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
}

impl Default for WindowPlacement {
    fn default() -> Self {
        WindowPlacement {
            x: 110.0,
            y: 45.0,
            width: 90.0,
            height: 40.0,
        }
    }
}

pub(crate) const WINDOW_OFFSET_SETTING: &str = "window_offset_mm";

pub(crate) fn parse_offsets(text: &str) -> Result<(f32, f32)> {
    let bad = || {
        Error::invalid(
            "décalage de la fenêtre",
            format!("« {text} » : deux nombres de millimètres entre −20 et 20"),
        )
    };
    let (a, b) = text.split_once(',').ok_or_else(bad)?;
    let dx: f32 = a.trim().parse().map_err(|_| bad())?;
    let dy: f32 = b.trim().parse().map_err(|_| bad())?;
    if !(-20.0..=20.0).contains(&dx) || !(-20.0..=20.0).contains(&dy) || dx.is_nan() || dy.is_nan()
    {
        return Err(bad());
    }
    Ok((dx, dy))
}

/// One page to check, against a DL envelope, that the address falls in its
/// window: the window's outline, a sample address, the fold marks.
pub fn window_test_page(window: WindowPlacement) -> Vec<u8> {
    let mut doc = Document::new("Page de test — fenêtre d'enveloppe");
    let mut page = doc.page(W, H);
    let (x, y, w, h) = (window.x, window.y, window.width, window.height);
    page.segment(x, y, x + w, y, 0.5, 0.4);
    page.segment(x + w, y, x + w, y + h, 0.5, 0.4);
    page.segment(x + w, y + h, x, y + h, 0.5, 0.4);
    page.segment(x, y + h, x, y, 0.5, 0.4);
    let mut line = y + 7.0;
    for (text, is_bold) in [
        ("Société Exemple SARL", true),
        ("À l'attention du service comptable", false),
        ("12 avenue des Essais", false),
        ("69000 LYON", false),
    ] {
        page.text(x + 3.0, line, 10.0, is_bold, Align::Left, text);
        line += 4.8;
    }
    page.text(
        LEFT,
        120.0,
        12.0,
        true,
        Align::Left,
        "Page de test de la fenêtre d'enveloppe",
    );
    for (i, text) in [
        "Imprimez cette page, pliez-la aux repères et glissez-la dans une enveloppe à fenêtre (DL).",
        "L'adresse doit apparaître entière dans la fenêtre, avec une marge.",
        "Sinon, réglez le décalage dans Paramètres › Relances (en millimètres, vers la droite et vers le bas).",
    ]
    .iter()
    .enumerate()
    {
        page.text(LEFT, 130.0 + i as f32 * 6.0, 10.0, false, Align::Left, text);
    }
    page.rule(3.0, 8.0, 99.0, 0.4, 0.5);
    page.rule(3.0, 8.0, 198.0, 0.4, 0.5);
    doc.push(page);
    doc.finish()
}

/// Steps whose letters show the late-payment charges.
pub(super) fn shows_charges(key: &str) -> bool {
    matches!(key, "relance_3" | "mise_en_demeure" | "recouvrement")
}

pub(super) fn euros(cents: i64) -> String {
    format!("{}\u{a0}€", format_cents_fr(cents))
}

/// "22 novembre 2026".
pub fn long_date_fr(date: Date) -> String {
    use chrono::Datelike;
    const MONTHS: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    let day = if date.day() == 1 {
        "1er".to_string()
    } else {
        date.day().to_string()
    };
    format!("{day} {} {}", MONTHS[date.month0() as usize], date.year())
}

/// Facts with every field filled, to check an edited template.
pub fn sample_facts(language: &str) -> LetterFacts {
    let invoice = LetterInvoice {
        numero: "FA-2026-0001".into(),
        date: "01/01/2026".into(),
        echeance: "31/01/2026".into(),
        retard: 45,
        montant: euros(120_000),
        reste: euros(120_000),
        penalites: euros(1_798),
        indemnite: euros(4_000),
        open_cents: 120_000,
        interest_cents: 1_798,
        indemnity_cents: 4_000,
    };
    let previous = Previous {
        date: "15/02/2026".into(),
        etape: "Relevé de factures impayées".into(),
        niveau: 1,
        canal: "courrier".into(),
        lrar: String::new(),
    };
    LetterFacts {
        langue: language.into(),
        entreprise: Sender {
            nom: "Entreprise".into(),
            iban: "FR76 …".into(),
            moyen_de_paiement: "par virement sur le compte IBAN FR76 …".into(),
            ..Default::default()
        },
        client: Recipient {
            nom: "Client".into(),
            civilite: if language == "en" {
                "Dear Sir or Madam"
            } else {
                "Madame, Monsieur"
            }
            .into(),
            ..Default::default()
        },
        factures: vec![invoice],
        nombre_factures: 1,
        total_principal: euros(120_000),
        total_penalites: euros(1_798),
        total_indemnites: euros(4_000),
        total_du: euros(125_798),
        date: "01/03/2026".into(),
        date_limite: "09/03/2026".into(),
        delai_jours: 8,
        etape: "Mise en demeure de payer".into(),
        niveau: 5,
        relances_precedentes: vec![previous.clone()],
        derniere_relance: previous.clone(),
        deja_relance: true,
        mise_en_demeure_precedente: Some(previous),
        promesse_non_tenue: Some(BrokenPromise {
            faite_le: "10/02/2026".into(),
            date: "20/02/2026".into(),
            montant: euros(120_000),
        }),
        appel: Some(CallMade {
            date: "18/02/2026".into(),
            resultat: "promesse".into(),
        }),
        litige_clos: Some(DisputeClosed {
            date: "22/02/2026".into(),
            facture: "F-2026-001".into(),
        }),
        par_recommande: true,
        calcul_penalites: vec![
            "Pénalités de retard : 12,15 % l'an du 01/02/2026 au 01/03/2026 (F-2026-001)".into(),
        ],
        reference_virement: crate::bank::reference::grouped(&crate::bank::reference::of(1, &[1])),
        total_due_cents: 125_798,
        day: Date::from_ymd_opt(2026, 3, 1),
        ..Default::default()
    }
}

// ----- the letter on paper ----------------------------------------------

/// One letter ready to lay out.
#[derive(Clone, Debug)]
pub struct Letter {
    pub facts: LetterFacts,
    pub rendered: Rendered,
    pub company: Company,
    pub window: WindowPlacement,
}

/// The fixed words of a letter, in its language.
struct Labels {
    subject: &'static str,
    attention: &'static str,
    registered: &'static str,
    invoice: &'static str,
    date: &'static str,
    due: &'static str,
    late: &'static str,
    days: &'static str,
    open: &'static str,
    amount: &'static str,
    interest: &'static str,
    indemnity: &'static str,
    total_principal: &'static str,
    total_interest: &'static str,
    total_indemnity: &'static str,
    total_due: &'static str,
    transfer: &'static str,
    scan: &'static str,
    reference: &'static str,
    transfer_amount: &'static str,
    page: &'static str,
    capital: &'static str,
    vat: &'static str,
}

const FRENCH: Labels = Labels {
    subject: "Objet : ",
    attention: "À l'attention de ",
    registered: "Lettre recommandée avec accusé de réception",
    invoice: "Facture",
    date: "Date",
    due: "Échéance",
    late: "Retard",
    days: "j",
    open: "Reste dû",
    amount: "Montant",
    interest: "Pénalités",
    indemnity: "Indemnité",
    total_principal: "Total en principal",
    total_interest: "Pénalités de retard",
    total_indemnity: "Indemnités forfaitaires (40 € par facture)",
    total_due: "Total dû",
    transfer: "Règlement par virement : IBAN ",
    scan: "Payez par virement en scannant ce code avec l'application de votre banque",
    reference: "Référence à indiquer : ",
    transfer_amount: "Montant : ",
    page: "Page",
    capital: "au capital de",
    vat: "TVA",
};

const ENGLISH: Labels = Labels {
    subject: "Subject: ",
    attention: "For the attention of ",
    registered: "Registered letter with acknowledgement of receipt",
    invoice: "Invoice",
    date: "Date",
    due: "Due",
    late: "Late",
    days: "d",
    open: "Still owed",
    amount: "Amount",
    interest: "Interest",
    indemnity: "Indemnity",
    total_principal: "Principal",
    total_interest: "Late-payment interest",
    total_indemnity: "Fixed indemnities (€40 per invoice)",
    total_due: "Total due",
    transfer: "Payment by bank transfer: IBAN ",
    scan: "Pay by transfer: scan this code with your banking app",
    reference: "Reference to quote: ",
    transfer_amount: "Amount: ",
    page: "Page",
    capital: "share capital",
    vat: "VAT",
};

const W: f32 = 210.0;
const H: f32 = 297.0;
const LEFT: f32 = 20.0;
const RIGHT: f32 = 190.0;
const BODY: f32 = 10.0;
const LINE: f32 = 4.8;
const BOTTOM: f32 = 268.0;
/// The width of the transfer's QR code, without its quiet zone (about
/// 0.6 mm a module: banking apps read it at arm's length).
const QR: f32 = 26.0;

/// Splits `text` into lines of at most `width` mm.
fn wrap(text: &str, size: f32, width: f32, is_bold: bool) -> Vec<String> {
    let font = if is_bold { bold_font() } else { regular_font() };
    let mut out = Vec::new();
    for raw in text.split('\n') {
        let mut line = String::new();
        for word in raw.split(' ') {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if text_width(font, &candidate, size) <= width || line.is_empty() {
                line = candidate;
            } else {
                out.push(std::mem::take(&mut line));
                line = word.to_string();
            }
        }
        out.push(line);
    }
    out
}

impl Letter {
    fn labels(&self) -> &'static Labels {
        if self.facts.langue == "en" {
            &ENGLISH
        } else {
            &FRENCH
        }
    }

    /// " — BIC …" after the IBAN, when the company gave its BIC.
    fn bic_words(&self) -> String {
        if self.company.bic.is_empty() {
            String::new()
        } else {
            format!(" — BIC {}", self.company.bic)
        }
    }

    /// The structured reference without its spaces, as a QR code carries it.
    fn reference(&self) -> String {
        self.facts
            .reference_virement
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect()
    }

    /// The transfer the letter's QR code asks for.
    fn transfer<'a>(&'a self, reference: &'a str) -> Transfer<'a> {
        let c = &self.company;
        Transfer {
            name: &c.legal_name,
            iban: &c.iban,
            bic: &c.bic,
            amount_cents: self.facts.total_due_cents,
            reference,
        }
    }

    /// The sentence an e-mail adds about paying by transfer, when the
    /// letter carries the transfer's QR code: the reference to quote and
    /// where the code is.
    pub fn transfer_note(&self) -> Option<String> {
        let reference = self.reference();
        girocode::payload(&self.transfer(&reference))?;
        let r = &self.facts.reference_virement;
        let iban = &self.company.iban;
        Some(if self.facts.langue == "en" {
            format!("To pay by bank transfer (IBAN {iban}), please quote the reference {r}. The QR code on the attached letter fills the transfer in from your banking app.")
        } else {
            format!("Pour régler par virement (IBAN {iban}), merci d'indiquer la référence {r}. Le code QR de la lettre jointe remplit le virement depuis l'application de votre banque.")
        })
    }

    /// A safe, readable file name: date, level, client.
    pub fn file_name(&self) -> String {
        let day = self.facts.day.map(dates::iso).unwrap_or_default();
        let who = slug(&format!(
            "{} {}",
            self.facts.client.code, self.facts.client.nom
        ));
        format!(
            "{day}_{:02}-{}_{}.pdf",
            self.facts.niveau,
            slug(&self.facts.key),
            who
        )
    }

    /// Draws the letter's pages into `doc`.
    pub fn draw(&self, doc: &mut Document) {
        let pages_before = doc.page_count();
        let mut page = doc.page(W, H);
        self.letterhead(&mut page);
        let mut y = 108.0;
        if !self.rendered.subject.is_empty() {
            for line in wrap(
                &format!("{}{}", self.labels().subject, self.rendered.subject),
                BODY + 0.5,
                RIGHT - LEFT,
                true,
            ) {
                page.text(LEFT, y, BODY + 0.5, true, Align::Left, &line);
                y += LINE + 0.4;
            }
            y += LINE;
        }
        let mut pages: Vec<Canvas> = Vec::new();
        for block in &self.rendered.blocks {
            match block {
                Block::Paragraph(text) => {
                    for line in wrap(text, BODY, RIGHT - LEFT, false) {
                        if y > BOTTOM {
                            pages.push(std::mem::replace(&mut page, doc.page(W, H)));
                            y = 25.0;
                        }
                        page.text(LEFT, y, BODY, false, Align::Left, &line);
                        y += LINE;
                    }
                    y += LINE * 0.6;
                }
                Block::Table => {
                    y = self.table(doc, &mut page, &mut pages, y);
                    y += LINE * 0.8;
                }
            }
        }
        // Payment details and signature.
        let reference = self.reference();
        let transfer = self.transfer(&reference);
        let needed = if girocode::payload(&transfer).is_some() {
            QR + 8.0
        } else {
            6.0
        };
        if y > BOTTOM - needed {
            pages.push(std::mem::replace(&mut page, doc.page(W, H)));
            y = 25.0;
        }
        if girocode::draw(&mut page, LEFT, y, QR, &transfer) {
            // The code, and beside it what it says.
            let labels = self.labels();
            let x = LEFT + QR + 6.0;
            let mut line_y = y + 3.5;
            page.text(x, line_y, 9.0, true, Align::Left, labels.scan);
            line_y += LINE;
            let bic = self.bic_words();
            for text in [
                format!("IBAN {}{bic}", self.company.iban),
                format!("{}{}", labels.reference, self.facts.reference_virement),
                format!("{}{}", labels.transfer_amount, self.facts.total_du),
            ] {
                for line in wrap(&text, 9.0, RIGHT - x, false) {
                    page.text(x, line_y, 9.0, false, Align::Left, &line);
                    line_y += LINE;
                }
            }
            y = (y + QR).max(line_y) + LINE;
        } else if !self.company.iban.is_empty() {
            let bic = self.bic_words();
            page.text(
                LEFT,
                y,
                9.0,
                false,
                Align::Left,
                &format!("{}{}{bic}", self.labels().transfer, self.company.iban),
            );
            y += LINE * 2.0;
        }
        if !self.company.payment_other.trim().is_empty() {
            for line in wrap(self.company.payment_other.trim(), 9.0, RIGHT - LEFT, false) {
                page.text(LEFT, y, 9.0, false, Align::Left, &line);
                y += LINE;
            }
            y += LINE;
        }
        if !self.company.signature_name.is_empty() {
            page.text(
                120.0,
                y + 4.0,
                BODY,
                true,
                Align::Left,
                &self.company.signature_name,
            );
        }
        pages.push(page);
        let total = pages.len();
        for (i, mut p) in pages.into_iter().enumerate() {
            self.footer(&mut p, i + 1, total);
            doc.push(p);
        }
        debug_assert!(doc.page_count() > pages_before);
    }

    fn letterhead(&self, page: &mut Canvas) {
        let c = &self.company;
        let mut y = 20.0;
        page.text(LEFT, y, 12.0, true, Align::Left, &c.legal_name);
        y += 5.5;
        for line in c
            .address
            .lines()
            .chain(std::iter::once(format!("{} {}", c.postcode, c.city).trim()))
        {
            if !line.trim().is_empty() {
                page.text(LEFT, y, 8.5, false, Align::Left, line.trim());
                y += 4.0;
            }
        }
        let contact = [c.phone.as_str(), c.email.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" — ");
        if !contact.is_empty() {
            page.text(LEFT, y, 8.5, false, Align::Left, &contact);
        }
        // The recipient, inside the window of a DL envelope.
        let w = self.window;
        let r = &self.facts.client;
        let width = w.width - 6.0;
        let x = w.x + 3.0;
        // The address block (NF Z 10-011): six lines of 38 characters at
        // most, wrapped, never cut. A letter whose block does not fit is
        // held back before it gets here (`postal_problem`); an e-mail's
        // copy shows what fits.
        let lines = address_block(r, self.labels().attention).unwrap_or_else(|_| {
            let mut all: Vec<(String, bool)> = wrap_words(r.nom.trim(), ADDRESS_WIDTH)
                .into_iter()
                .map(|l| (l, true))
                .collect();
            all.truncate(ADDRESS_LINES);
            all
        });
        let mut y = w.y + 7.0;
        for (text, is_bold) in lines {
            let (font, mut size) = if is_bold {
                (bold_font(), 10.5)
            } else {
                (regular_font(), 10.0)
            };
            // A wide line is set smaller, never cut.
            while size > 7.0 && crate::pdf::text_width(font, &text, size) > width {
                size -= 0.25;
            }
            page.text(x, y, size, is_bold, Align::Left, &text);
            y += if is_bold { 5.0 } else { 4.8 };
        }
        // Place and date; registered post.
        let place = match (self.facts.langue.as_str(), self.facts.day) {
            ("en", Some(d)) => {
                let day = d.format("%-d %B %Y").to_string();
                if c.city.is_empty() {
                    day
                } else {
                    format!("{}, {day}", c.city)
                }
            }
            (_, d) => {
                let day = d.map(long_date_fr).unwrap_or_default();
                if c.city.is_empty() {
                    format!("Le {day}")
                } else {
                    format!("{}, le {day}", c.city)
                }
            }
        };
        page.text(w.x + 3.0, 97.0, 10.0, false, Align::Left, &place);
        if self.facts.registered {
            page.text(LEFT, 97.0, 9.0, true, Align::Left, self.labels().registered);
        }
        // Fold marks for a DL envelope (thirds of the page).
        page.rule(3.0, 8.0, 99.0, 0.4, 0.5);
        page.rule(3.0, 8.0, 198.0, 0.4, 0.5);
    }

    /// The invoice table, its header repeated on each page it spans.
    fn table(&self, doc: &Document, page: &mut Canvas, pages: &mut Vec<Canvas>, mut y: f32) -> f32 {
        let size = 8.5;
        let charges = self.facts.charges_shown;
        let l = self.labels();
        let columns: Vec<(&str, f32, Align)> = if charges {
            vec![
                (l.invoice, LEFT, Align::Left),
                (l.date, 55.0, Align::Left),
                (l.due, 78.0, Align::Left),
                (l.late, 112.0, Align::Right),
                (l.open, 140.0, Align::Right),
                (l.interest, 165.0, Align::Right),
                (l.indemnity, RIGHT, Align::Right),
            ]
        } else {
            vec![
                (l.invoice, LEFT, Align::Left),
                (l.date, 72.0, Align::Left),
                (l.due, 100.0, Align::Left),
                (l.late, 140.0, Align::Right),
                (l.amount, 165.0, Align::Right),
                (l.open, RIGHT, Align::Right),
            ]
        };
        let header = |page: &mut Canvas, y: f32| {
            for (title, x, align) in &columns {
                page.text(*x, y, size, true, *align, title);
            }
            page.rule(LEFT, RIGHT, y + 1.5, 0.6, 0.3);
        };
        header(page, y);
        y += 5.5;
        for f in &self.facts.factures {
            if y > BOTTOM {
                pages.push(std::mem::replace(page, doc.page(W, H)));
                y = 25.0;
                header(page, y);
                y += 5.5;
            }
            let late = if f.retard > 0 {
                format!("{} {}", f.retard, l.days)
            } else {
                String::new()
            };
            let cells: Vec<String> = if charges {
                vec![
                    fit(regular_font(), &f.numero, size, 40.0),
                    f.date.clone(),
                    f.echeance.clone(),
                    late,
                    f.reste.clone(),
                    f.penalites.clone(),
                    f.indemnite.clone(),
                ]
            } else {
                vec![
                    fit(regular_font(), &f.numero, size, 50.0),
                    f.date.clone(),
                    f.echeance.clone(),
                    late,
                    f.montant.clone(),
                    f.reste.clone(),
                ]
            };
            for ((_, x, align), text) in columns.iter().zip(&cells) {
                page.text(*x, y, size, false, *align, text);
            }
            page.rule(LEFT, RIGHT, y + 1.4, 0.2, 0.85);
            y += 4.6;
        }
        if y > BOTTOM - 15.0 {
            pages.push(std::mem::replace(page, doc.page(W, H)));
            y = 25.0;
        }
        y += 1.5;
        let mut totals = vec![(l.total_principal, self.facts.total_principal.clone())];
        if charges {
            totals.push((l.total_interest, self.facts.total_penalites.clone()));
            totals.push((l.total_indemnity, self.facts.total_indemnites.clone()));
        }
        totals.push((l.total_due, self.facts.total_du.clone()));
        let last = totals.len() - 1;
        for (i, (label, value)) in totals.into_iter().enumerate() {
            page.text(135.0, y, size + 0.5, i == last, Align::Right, label);
            page.text(RIGHT, y, size + 0.5, i == last, Align::Right, &value);
            y += 4.8;
        }
        // The rate and period behind each amount of interest.
        if charges && !self.facts.calcul_penalites.is_empty() {
            y += 1.0;
            for basis in &self.facts.calcul_penalites {
                for line in wrap(basis, 7.5, RIGHT - LEFT, false) {
                    if y > BOTTOM {
                        pages.push(std::mem::replace(page, doc.page(W, H)));
                        y = 25.0;
                    }
                    page.text(LEFT, y, 7.5, false, Align::Left, &line);
                    y += 3.6;
                }
            }
        }
        y
    }

    fn footer(&self, page: &mut Canvas, number: usize, total: usize) {
        let c = &self.company;
        let mut legal = vec![format!("{} {}", c.legal_name, c.legal_form)
            .trim()
            .to_string()];
        if !c.capital.is_empty() {
            legal.push(format!("{} {}", self.labels().capital, c.capital));
        }
        if !c.siren.is_empty() {
            legal.push(format!("RCS {} {}", c.rcs_city, c.siren).trim().to_string());
        }
        if !c.vat_number.is_empty() {
            legal.push(format!("{} {}", self.labels().vat, c.vat_number));
        }
        let line = legal.join(" — ");
        page.rule(LEFT, RIGHT, 283.0, 0.3, 0.7);
        page.text(
            LEFT,
            287.0,
            7.0,
            false,
            Align::Left,
            &fit(regular_font(), &line, 7.0, 150.0),
        );
        page.text(
            RIGHT,
            287.0,
            7.0,
            false,
            Align::Right,
            &format!("{} {number} / {total}", self.labels().page),
        );
    }
}

/// Lower-case ASCII letters, digits and dashes, at most 60 characters: safe
/// in a zip and on every file system.
pub fn slug(text: &str) -> String {
    let folded = crate::ledger::fold(text);
    let mut out = String::new();
    for c in folded.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out: String = out.trim_matches('-').chars().take(60).collect();
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "sans-nom".into()
    } else {
        out
    }
}

/// One letter as its own PDF.
pub fn letter_pdf(letter: &Letter) -> Vec<u8> {
    let mut doc = Document::new(&letter.rendered.subject);
    letter.draw(&mut doc);
    doc.finish()
}

/// A file of the zip: its name, the SHA-256 of its bytes, and the bytes
/// (kept in the evidence log when the communication is recorded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZipEntry {
    pub name: String,
    pub sha256: String,
    pub bytes: Vec<u8>,
}

impl ZipEntry {
    pub fn new(name: String, bytes: Vec<u8>) -> ZipEntry {
        ZipEntry {
            name,
            sha256: crate::import::sha256_hex(&bytes),
            bytes,
        }
    }

    /// The media type, from the file name.
    pub fn media_type(&self) -> &'static str {
        if self.name.ends_with(".eml") {
            "message/rfc822"
        } else {
            "application/pdf"
        }
    }
}

/// The options of a zip entry: `method`, and the local date and time of
/// its making (the format's default would date every file 1 January 1980).
pub(crate) fn zip_options(method: zip::CompressionMethod) -> zip::write::SimpleFileOptions {
    use chrono::{Datelike, Timelike};
    let now = chrono::Local::now().naive_local();
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    match zip::DateTime::from_date_and_time(
        now.year().clamp(1980, 2107) as u16,
        now.month() as u8,
        now.day() as u8,
        now.hour() as u8,
        now.minute() as u8,
        now.second() as u8,
    ) {
        Ok(stamp) => options.last_modified_time(stamp),
        Err(_) => options,
    }
}

/// Every letter as one PDF each, in a zip; returns the zip and, per letter,
/// its entry name and the SHA-256 of its PDF.
pub fn letters_zip(letters: &[Letter]) -> Result<(Vec<u8>, Vec<ZipEntry>)> {
    // Rendered on both cores; the zip is written in order.
    let pdfs: Vec<Vec<u8>> = crate::parallel::map(letters, letter_pdf);
    let mut names: HashMap<String, usize> = HashMap::new();
    let mut buffer = std::io::Cursor::new(Vec::new());
    let mut out = Vec::with_capacity(letters.len());
    {
        let mut zip = zip::ZipWriter::new(&mut buffer);
        let options = zip_options(zip::CompressionMethod::Stored);
        for (letter, pdf) in letters.iter().zip(pdfs) {
            let mut name = letter.file_name();
            let seen = names.entry(name.clone()).or_insert(0);
            *seen += 1;
            if *seen > 1 {
                name = name.replace(".pdf", &format!("-{}.pdf", seen));
            }
            zip.start_file(&name, options)
                .map_err(|e| Error::invalid("zip", e.to_string()))?;
            zip.write_all(&pdf)
                .map_err(|e| Error::invalid("zip", e.to_string()))?;
            out.push(ZipEntry::new(name, pdf));
        }
        zip.finish()
            .map_err(|e| Error::invalid("zip", e.to_string()))?;
    }
    Ok((buffer.into_inner(), out))
}

/// All letters in one PDF for one print run, sorted by postcode, after a
/// mailing register (bordereau) listing them.
pub fn merged_pdf(letters: &[Letter], printed_on: Date) -> Vec<u8> {
    let mut sorted: Vec<&Letter> = letters.iter().collect();
    sorted.sort_by(|a, b| {
        (&a.facts.client.code_postal, &a.facts.client.nom)
            .cmp(&(&b.facts.client.code_postal, &b.facts.client.nom))
    });
    let mut doc = Document::new("Relances à poster");
    let per_page = 40;
    let chunks: Vec<&[&Letter]> = sorted.chunks(per_page).collect();
    let register_pages = chunks.len().max(1);
    for (i, chunk) in chunks.iter().enumerate() {
        let mut page = doc.page(W, H);
        page.text(LEFT, 22.0, 14.0, true, Align::Left, "Bordereau d'envoi");
        page.text(
            LEFT,
            29.0,
            9.0,
            false,
            Align::Left,
            &format!(
                "{} — édité le {}",
                crate::words::fr(letters.len() as u64, "lettre", "lettres"),
                dates::format_fr(printed_on)
            ),
        );
        let mut y = 40.0;
        for (title, x, align) in [
            ("N°", LEFT, Align::Left),
            ("Client", 30.0, Align::Left),
            ("Code postal", 98.0, Align::Left),
            ("Ville", 119.0, Align::Left),
            ("Envoi", 150.0, Align::Left),
            ("Montant", RIGHT, Align::Right),
        ] {
            page.text(x, y, 8.5, true, align, title);
        }
        page.rule(LEFT, RIGHT, y + 1.5, 0.6, 0.3);
        y += 5.5;
        for (k, l) in chunk.iter().enumerate() {
            let n = i * per_page + k + 1;
            let kind = if l.facts.registered {
                "LRAR"
            } else {
                "Lettre simple"
            };
            page.text(LEFT, y, 8.5, false, Align::Left, &n.to_string());
            page.text(
                30.0,
                y,
                8.5,
                false,
                Align::Left,
                &fit(regular_font(), &l.facts.client.nom, 8.5, 66.0),
            );
            page.text(
                98.0,
                y,
                8.5,
                false,
                Align::Left,
                &l.facts.client.code_postal,
            );
            page.text(
                119.0,
                y,
                8.5,
                false,
                Align::Left,
                &fit(regular_font(), &l.facts.client.ville, 8.5, 29.0),
            );
            page.text(150.0, y, 8.5, false, Align::Left, kind);
            page.text(RIGHT, y, 8.5, false, Align::Right, &l.facts.total_du);
            page.rule(LEFT, RIGHT, y + 1.4, 0.2, 0.85);
            y += 5.2;
        }
        page.text(
            RIGHT,
            287.0,
            7.0,
            false,
            Align::Right,
            &format!("Bordereau {} / {register_pages}", i + 1),
        );
        doc.push(page);
    }
    for l in sorted {
        l.draw(&mut doc);
    }
    doc.finish()
}
