//! Spreadsheet exports (CSV / Excel-CSV) with a column-mapping step.
//!
//! `;`, `,` or tab separated, UTF-8 or Windows-1252, decimal comma or point,
//! dd/mm/yyyy or ISO dates. Headers are guessed in French and English; the
//! "Encaisse CSV" layout (see `docs/encaisse-csv.md`) needs no mapping:
//!
//! ```text
//! code_client;client;numero;date;echeance;montant_ttc;devise;deja_regle;email
//! ```

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{
    text, ImportIssue, ImportKind, ImportPlan, PlannedClient, PlannedItem, PlannedPayment,
};
use crate::dates::parse_date;
use crate::ledger::fold;
use crate::model::InvoiceKind;
use crate::money::{parse_amount, Currency};

/// The fields an invoice list can bring.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    ClientCode,
    ClientName,
    Number,
    IssueDate,
    DueDate,
    Amount,
    Currency,
    Paid,
    Email,
    Contact,
    Phone,
    Address,
    Address2,
    Postcode,
    City,
    Country,
    Siren,
}

impl Field {
    /// Every field, in the order of the Encaisse CSV layout.
    pub const ALL: [Field; 17] = [
        Field::ClientCode,
        Field::ClientName,
        Field::Number,
        Field::IssueDate,
        Field::DueDate,
        Field::Amount,
        Field::Currency,
        Field::Paid,
        Field::Email,
        Field::Contact,
        Field::Phone,
        Field::Address,
        Field::Address2,
        Field::Postcode,
        Field::City,
        Field::Country,
        Field::Siren,
    ];

    /// The fields that describe the client rather than an invoice.
    pub fn is_client_detail(self) -> bool {
        matches!(
            self,
            Field::Email
                | Field::Contact
                | Field::Phone
                | Field::Address
                | Field::Address2
                | Field::Postcode
                | Field::City
                | Field::Country
                | Field::Siren
        )
    }

    /// French label for messages and the mapping screen.
    pub fn label(self) -> &'static str {
        match self {
            Field::ClientCode => "code client",
            Field::ClientName => "client",
            Field::Number => "numéro de facture",
            Field::IssueDate => "date de facture",
            Field::DueDate => "échéance",
            Field::Amount => "montant TTC",
            Field::Currency => "devise",
            Field::Paid => "déjà réglé",
            Field::Email => "e-mail",
            Field::Contact => "contact",
            Field::Phone => "téléphone",
            Field::Address => "adresse",
            Field::Address2 => "complément d'adresse",
            Field::Postcode => "code postal",
            Field::City => "ville",
            Field::Country => "pays",
            Field::Siren => "SIREN/SIRET",
        }
    }

    fn synonyms(self) -> &'static [&'static str] {
        match self {
            Field::ClientCode => &[
                "codeclient",
                "code",
                "compte",
                "comptetiers",
                "compteclient",
                "numeroclient",
                "noclient",
                "clientcode",
                "customercode",
                "customerid",
                "account",
                "clientid",
            ],
            Field::ClientName => &[
                "client",
                "nomclient",
                "nom",
                "raisonsociale",
                "societe",
                "tiers",
                "customer",
                "customername",
                "name",
                "clientname",
                "company",
            ],
            Field::Number => &[
                "numero",
                "numerofacture",
                "nfacture",
                "nofacture",
                "facture",
                "piece",
                "reference",
                "ref",
                "invoice",
                "invoicenumber",
                "invoiceno",
                "number",
                "documentnumber",
            ],
            Field::IssueDate => &[
                "date",
                "datefacture",
                "datedefacture",
                "dateemission",
                "datedemission",
                "datepiece",
                "issuedate",
                "invoicedate",
                "dateissued",
            ],
            Field::DueDate => &[
                "echeance",
                "dateecheance",
                "datedecheance",
                "datelimite",
                "duedate",
                "due",
                "paymentdue",
            ],
            Field::Amount => &[
                "montantttc",
                "montant",
                "totalttc",
                "ttc",
                "total",
                "amount",
                "amountinclvat",
                "totalamount",
                "grossamount",
                "amountttc",
            ],
            Field::Currency => &["devise", "monnaie", "currency", "cur"],
            Field::Paid => &[
                "dejaregle",
                "regle",
                "montantregle",
                "paye",
                "dejapaye",
                "montantpaye",
                "encaisse",
                "paid",
                "amountpaid",
                "paidamount",
            ],
            Field::Email => &["email", "mail", "courriel", "adresseemail", "emailaddress"],
            Field::Contact => &[
                "contact",
                "interlocuteur",
                "nomcontact",
                "nomducontact",
                "contactname",
                "attention",
            ],
            Field::Phone => &[
                "telephone",
                "tel",
                "phone",
                "telephonenumber",
                "portable",
                "mobile",
            ],
            Field::Address => &[
                "adresse",
                "adresse1",
                "adresseligne1",
                "rue",
                "voie",
                "address",
                "address1",
                "addressline1",
                "street",
                "adressepostale",
            ],
            Field::Address2 => &[
                "adresse2",
                "adresseligne2",
                "complementadresse",
                "complementdadresse",
                "address2",
                "addressline2",
            ],
            Field::Postcode => &[
                "codepostal",
                "cp",
                "postcode",
                "postalcode",
                "zip",
                "zipcode",
            ],
            Field::City => &["ville", "commune", "localite", "city", "town"],
            Field::Country => &["pays", "codepays", "country", "countrycode"],
            Field::Siren => &[
                "siren",
                "siret",
                "sirensiret",
                "nsiren",
                "nsiret",
                "numerosiren",
                "numerosiret",
                "companyid",
                "registrationnumber",
            ],
        }
    }
}

/// Column index for each mapped field.
pub type Mapping = HashMap<Field, usize>;

/// What the mapping step shows: the file's headers, a few rows and a guess.
#[derive(Clone, Debug, Serialize)]
pub struct CsvSample {
    pub separator: char,
    pub encoding: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub guess: Vec<(Field, usize)>,
}

struct Table {
    separator: u8,
    encoding: &'static str,
    records: Vec<(usize, Vec<String>)>,
}

fn read_table(bytes: &[u8]) -> Result<Table, ImportIssue> {
    let decoded = text::decode(bytes, encoding_rs::WINDOWS_1252)?;
    let first = text::lines(&decoded.text)
        .find(|(_, l)| !l.trim().is_empty())
        .map(|(_, l)| l)
        .unwrap_or("");
    let count = |c: char| first.chars().filter(|&x| x == c).count();
    let separator = [(';', count(';')), ('\t', count('\t')), (',', count(','))]
        .into_iter()
        .max_by_key(|&(_, n)| n)
        .filter(|&(_, n)| n > 0)
        .map(|(c, _)| c as u8)
        .ok_or_else(|| ImportIssue::at(1, None, "séparateur inconnu : les colonnes doivent être séparées par « ; », « , » ou une tabulation"))?;
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(separator)
        .has_headers(false)
        .flexible(true)
        .from_reader(decoded.text.as_bytes());
    let mut records = Vec::new();
    for result in reader.records() {
        let record = result.map_err(|e| ImportIssue::unreadable(&e))?;
        let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
        let cells: Vec<String> = record.iter().map(|c| c.trim().to_string()).collect();
        if cells.iter().all(String::is_empty) {
            continue;
        }
        records.push((line, cells));
    }
    if records.is_empty() {
        return Err(ImportIssue::file("le fichier est vide"));
    }
    Ok(Table {
        separator,
        encoding: decoded.encoding,
        records,
    })
}

fn normalise(header: &str) -> String {
    fold(header)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

/// Guesses which column holds which field from the headers.
pub fn guess_mapping(headers: &[String]) -> Mapping {
    let normalised: Vec<String> = headers.iter().map(|h| normalise(h)).collect();
    let mut mapping = Mapping::new();
    // Exact synonyms first, in field order, so "montant" does not steal "montant réglé".
    for field in Field::ALL {
        for syn in field.synonyms() {
            if let Some(i) = normalised.iter().position(|h| h == syn) {
                if !mapping.values().any(|&v| v == i) {
                    mapping.insert(field, i);
                    break;
                }
            }
        }
    }
    mapping
}

/// Reads the headers and first rows for the mapping step.
pub fn sample(bytes: &[u8]) -> Result<CsvSample, ImportIssue> {
    let table = read_table(bytes)?;
    let headers = table.records[0].1.clone();
    let mut guess: Vec<(Field, usize)> = guess_mapping(&headers).into_iter().collect();
    guess.sort();
    Ok(CsvSample {
        separator: table.separator as char,
        encoding: table.encoding.to_string(),
        rows: table
            .records
            .iter()
            .skip(1)
            .take(8)
            .map(|(_, r)| r.clone())
            .collect(),
        headers,
        guess,
    })
}

/// Parses an invoice list with `mapping` (or the guessed one) into a plan.
pub fn parse(file_name: &str, bytes: &[u8], mapping: Option<&Mapping>) -> ImportPlan {
    let mut plan = ImportPlan {
        kind: ImportKind::Csv,
        file_name: file_name.to_string(),
        sha256: super::sha256_hex(bytes),
        encoding: String::new(),
        lines: 0,
        period: None,
        clients: Vec::new(),
        items: Vec::new(),
        payments: Vec::new(),
        issues: Vec::new(),
    };
    let table = match read_table(bytes) {
        Ok(t) => t,
        Err(issue) => {
            plan.issues.push(issue);
            return plan;
        }
    };
    plan.encoding = table.encoding.to_string();
    let (header_line, headers) = &table.records[0];
    let mapping = mapping.cloned().unwrap_or_else(|| guess_mapping(headers));
    // Neither invoice numbers nor amounts: a client list (the export every
    // invoicing tool has), which completes the client files by code.
    let client_list =
        !mapping.contains_key(&Field::Number) && !mapping.contains_key(&Field::Amount);
    let mut missing: Vec<&str> = if client_list {
        Vec::new()
    } else {
        [Field::Number, Field::IssueDate, Field::Amount]
            .into_iter()
            .filter(|f| !mapping.contains_key(f))
            .map(Field::label)
            .collect()
    };
    if client_list && !mapping.contains_key(&Field::ClientCode) {
        missing.push("code client (une liste de clients complète les fiches par leur code)");
    } else if !mapping.contains_key(&Field::ClientCode) && !mapping.contains_key(&Field::ClientName)
    {
        missing.push("client ou code client");
    }
    if !missing.is_empty() {
        plan.issues.push(ImportIssue::at(
            *header_line,
            None,
            format!("colonnes non associées : {}", missing.join(", ")),
        ));
        return plan;
    }
    if let Some((field, &i)) = mapping.iter().find(|(_, &i)| i >= headers.len()) {
        plan.issues.push(ImportIssue::at(
            *header_line,
            None,
            format!("{} : la colonne {} n'existe pas", field.label(), i + 1),
        ));
        return plan;
    }
    let column = |f: Field| headers[mapping[&f]].as_str();
    let mut clients: HashMap<String, PlannedClient> = HashMap::new();
    let mut order = Vec::new();
    let mut seen: HashMap<String, (usize, i64, String)> = HashMap::new();
    let mut beyond = 0;
    for (line, cells) in table.records.iter().skip(1) {
        super::cap_issues(&mut plan.issues, &mut beyond);
        plan.lines = *line;
        if cells.len() != headers.len() {
            plan.issues.push(ImportIssue::at(
                *line,
                None,
                format!("{} colonnes au lieu de {}", cells.len(), headers.len()),
            ));
            continue;
        }
        let get = |f: Field| mapping.get(&f).map(|&i| cells[i].as_str()).unwrap_or("");
        let name = get(Field::ClientName).to_string();
        let code = match get(Field::ClientCode) {
            "" => code_from_name(&name),
            c => c.to_string(),
        };
        if code.is_empty() {
            plan.issues
                .push(ImportIssue::at(*line, None, "client vide"));
            continue;
        }
        let email = get(Field::Email).to_string();
        if let Err(e) = crate::ledger::check_emails("e-mail", &email) {
            plan.issues.push(ImportIssue::at(
                *line,
                Some(column(Field::Email)),
                e.to_string(),
            ));
            continue;
        }
        let details = match client_details(&get) {
            Ok(d) => d,
            Err((field, message)) => {
                plan.issues
                    .push(ImportIssue::at(*line, Some(column(field)), message));
                continue;
            }
        };
        let planned = PlannedClient {
            code: code.clone(),
            name: if name.is_empty() {
                code.clone()
            } else {
                name.clone()
            },
            email,
            details,
        };
        match clients.get_mut(&code) {
            Some(c) => {
                // The first line that says something of the client wins.
                if c.email.is_empty() {
                    c.email = planned.email;
                }
                if c.details.is_empty() {
                    c.details = planned.details;
                }
            }
            None => {
                clients.insert(code.clone(), planned);
                order.push(code.clone());
            }
        }
        if client_list {
            continue;
        }
        let number = get(Field::Number).to_string();
        if number.is_empty() {
            plan.issues.push(ImportIssue::at(
                *line,
                Some(column(Field::Number)),
                "numéro de facture vide",
            ));
            continue;
        }
        if number.chars().any(char::is_control) || number.chars().count() > 60 {
            plan.issues.push(ImportIssue::at(
                *line,
                Some(column(Field::Number)),
                "numéro de facture invalide (60 caractères au plus, sans retour à la ligne)",
            ));
            continue;
        }
        let issue_date = match parse_date(get(Field::IssueDate)) {
            Ok(d) => d,
            Err(m) => {
                plan.issues
                    .push(ImportIssue::at(*line, Some(column(Field::IssueDate)), m));
                continue;
            }
        };
        let due_date = match get(Field::DueDate) {
            "" => None,
            text => match parse_date(text) {
                Ok(d) if d < issue_date => {
                    plan.issues.push(ImportIssue::at(
                        *line,
                        Some(column(Field::DueDate)),
                        "échéance antérieure à la date de facture",
                    ));
                    continue;
                }
                Ok(d) => Some(d),
                Err(m) => {
                    plan.issues
                        .push(ImportIssue::at(*line, Some(column(Field::DueDate)), m));
                    continue;
                }
            },
        };
        let amount = match parse_amount(get(Field::Amount)) {
            Ok(0) => {
                plan.issues.push(ImportIssue::at(
                    *line,
                    Some(column(Field::Amount)),
                    "montant nul",
                ));
                continue;
            }
            Ok(c) => c,
            Err(m) => {
                plan.issues
                    .push(ImportIssue::at(*line, Some(column(Field::Amount)), m));
                continue;
            }
        };
        let paid = match get(Field::Paid) {
            "" => 0,
            text => match parse_amount(text) {
                Ok(p) if p < 0 || (amount > 0 && p > amount) || (amount < 0 && p != 0) => {
                    plan.issues.push(ImportIssue::at(
                        *line,
                        Some(column(Field::Paid)),
                        "le montant réglé dépasse le montant de la facture",
                    ));
                    continue;
                }
                Ok(p) => p,
                Err(m) => {
                    plan.issues
                        .push(ImportIssue::at(*line, Some(column(Field::Paid)), m));
                    continue;
                }
            },
        };
        let currency = match get(Field::Currency) {
            "" | "€" => Currency::EUR,
            text => match Currency::parse(text) {
                Ok(c) => c,
                Err(e) => {
                    plan.issues.push(ImportIssue::at(
                        *line,
                        Some(column(Field::Currency)),
                        e.to_string(),
                    ));
                    continue;
                }
            },
        };
        if let Some((first_line, first_amount, first_client)) = seen.get(&number) {
            if *first_amount != amount || *first_client != code {
                plan.issues.push(ImportIssue::at(
                    *line,
                    Some(column(Field::Number)),
                    format!("la facture {number} apparaît déjà ligne {first_line} avec un autre montant ou un autre client"),
                ));
            }
            continue;
        }
        seen.insert(number.clone(), (*line, amount, code.clone()));
        let letter = (paid > 0).then(|| format!("csv:{number}"));
        plan.items.push(PlannedItem {
            line: *line,
            source_key: compact_str::format_compact!("csv:{number}:{code}:{amount}"),
            client_code: code.as_str().into(),
            number: number.as_str().into(),
            kind: if amount < 0 {
                InvoiceKind::CreditNote
            } else {
                InvoiceKind::Invoice
            },
            issue_date,
            due_date,
            amount_cents: amount,
            currency,
            label: Default::default(),
            letter: letter.clone().map(Into::into),
        });
        if paid > 0 {
            plan.payments.push(PlannedPayment {
                line: *line,
                source_key: compact_str::format_compact!("csv:{number}:paid:{paid}"),
                client_code: code.into(),
                // The file does not say when it was paid: the invoice date keeps past aged balances conservative.
                date: issue_date,
                amount_cents: paid,
                currency,
                method: "import".into(),
                reference: compact_str::format_compact!("Réglé (import) {number}"),
                letter: letter.map(Into::into),
            });
        }
    }
    plan.clients = order
        .into_iter()
        .filter_map(|c| clients.remove(&c))
        .collect();
    super::cap_issues(&mut plan.issues, &mut beyond);
    plan.issues.extend(super::more_issues(beyond));
    if plan.issues.is_empty() && plan.items.is_empty() && plan.clients.is_empty() {
        plan.issues.push(ImportIssue::file(if client_list {
            "aucun client dans le fichier"
        } else {
            "aucune facture dans le fichier"
        }));
    }
    plan
}

/// The client's details on a line, checked: a field at fault and why.
fn client_details<'a>(
    get: &impl Fn(Field) -> &'a str,
) -> Result<super::ClientDetails, (Field, String)> {
    // The e-mail is checked on its own (a list of addresses).
    for field in Field::ALL
        .into_iter()
        .filter(|f| f.is_client_detail() && *f != Field::Email)
    {
        let value = get(field);
        if value.chars().any(char::is_control) {
            return Err((field, "retour à la ligne ou caractère de contrôle".into()));
        }
        if value.chars().count() > 120 {
            return Err((field, "120 caractères au plus".into()));
        }
    }
    let siren: String = get(Field::Siren)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let well_formed =
        (siren.len() == 9 || siren.len() == 14) && siren.bytes().all(|b| b.is_ascii_digit());
    if !siren.is_empty() && !well_formed {
        return Err((
            Field::Siren,
            format!(
                "« {} » : 9 chiffres (SIREN) ou 14 (SIRET)",
                get(Field::Siren)
            ),
        ));
    }
    let country = match fold(get(Field::Country).trim()).as_str() {
        "france" | "fr" | "fra" => "FR".to_string(),
        _ => get(Field::Country).trim().to_string(),
    };
    let postcode = get(Field::Postcode).trim().to_string();
    let french = country.is_empty() || country == "FR";
    let digits: String = postcode.chars().filter(|c| !c.is_whitespace()).collect();
    if french
        && !digits.is_empty()
        && !(digits.len() == 5 && digits.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err((
            Field::Postcode,
            format!("« {postcode} » : un code postal français a 5 chiffres"),
        ));
    }
    let address = [get(Field::Address).trim(), get(Field::Address2).trim()]
        .into_iter()
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    Ok(super::ClientDetails {
        contact: get(Field::Contact).trim().to_string(),
        phone: get(Field::Phone).trim().to_string(),
        address,
        postcode: if french { digits } else { postcode },
        city: get(Field::City).trim().to_string(),
        country,
        siren,
    })
}

/// A client code from a name: `Jardins de Calixte` → `JARDINSDECALIXTE` (20 characters at most).
pub fn code_from_name(name: &str) -> String {
    fold(name)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(20)
        .collect::<String>()
        .to_uppercase()
}
