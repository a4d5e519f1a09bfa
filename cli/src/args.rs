// The command line, declared once: its subcommands and options, their help in
// French. `main.rs` parses with it; `build.rs` includes this file to write the
// shell completions and the man page at build time. Kept free of the rest of
// the crate so the build script can include it.

use clap::{ArgAction, Args as ClapArgs, CommandFactory, Parser, Subcommand, ValueEnum};

/// Relances clients et balance âgée, sur le même grand livre que la fenêtre.
#[derive(Parser, Debug)]
#[command(
    name = "encaisse-cli",
    version,
    disable_help_flag = true,
    disable_version_flag = true,
    disable_help_subcommand = true,
    subcommand_help_heading = "Commandes",
    subcommand_value_name = "COMMANDE",
    after_help = "Sans --ledger : la variable ENCAISSE_LEDGER, sinon le dossier de données de l'application.\nCodes de sortie : 0 réussi, 1 refusé par Encaisse (la raison est donnée), 2 commande mal écrite."
)]
pub struct Cli {
    /// Le grand livre (fichier SQLite)
    #[arg(
        long,
        global = true,
        value_name = "FICHIER",
        conflicts_with = "dossier"
    )]
    pub ledger: Option<std::path::PathBuf>,
    /// Le grand livre du dossier NOM (encaisse-cli dossiers list)
    #[arg(long, global = true, value_name = "NOM")]
    pub dossier: Option<String>,
    /// Sortie en JSON, pour les scripts
    #[arg(long, global = true)]
    pub json: bool,
    /// Afficher l'aide
    #[arg(short = 'h', long, global = true, action = ArgAction::Help)]
    pub help: Option<bool>,
    /// Afficher la version
    #[arg(short = 'V', long, action = ArgAction::Version)]
    pub version: Option<bool>,
    #[command(subcommand)]
    pub command: Command,
}

/// The day figures are computed for.
#[derive(ClapArgs, Debug)]
pub struct AsOf {
    /// Le jour de calcul (AAAA-MM-JJ ou JJ/MM/AAAA ; par défaut aujourd'hui)
    #[arg(long = "as-of", value_name = "DATE")]
    pub as_of: Option<String>,
}

// Parsed once per run, never moved about: the size of the variants is moot.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Importer un FEC ou une liste CSV (factures ou clients)
    #[command(subcommand)]
    Import(ImportKind),
    /// L'historique des imports et ce que chacun a changé
    Imports,
    /// Balance âgée
    Aging {
        #[command(flatten)]
        as_of: AsOf,
        /// En CSV sur la sortie standard
        #[arg(long)]
        csv: bool,
        /// En PDF dans ce fichier
        #[arg(long, value_name = "FICHIER")]
        pdf: Option<String>,
    },
    /// Les chiffres du tableau de bord
    Dashboard {
        #[command(flatten)]
        as_of: AsOf,
    },
    /// Pénalités de retard et indemnité de 40 € par facture, avec leur taux
    Charges {
        #[command(flatten)]
        as_of: AsOf,
    },
    /// Les relances à faire ce jour-là
    Worklist {
        #[command(flatten)]
        as_of: AsOf,
    },
    /// Enregistrer une relance faite
    Record {
        /// Le code du client
        #[arg(long, value_name = "CODE")]
        client: String,
        /// Le niveau atteint (1, 2, 3…)
        #[arg(long, value_name = "N")]
        level: String,
        /// Le canal : call, email, letter, email_and_letter, registered, collection
        #[arg(long, value_name = "CANAL")]
        channel: String,
        /// Le jour de la relance (par défaut aujourd'hui)
        #[arg(long, value_name = "DATE")]
        date: Option<String>,
        /// Une note
        #[arg(long, value_name = "TEXTE")]
        note: Option<String>,
        /// Un niveau fixé à la main, pas un contact
        #[arg(long)]
        manual: bool,
    },
    /// Les lettres de relance du jour (une par client et niveau), dans un zip
    Letters {
        #[command(flatten)]
        as_of: AsOf,
        /// Le zip des lettres
        #[arg(long, value_name = "FICHIER.zip")]
        out: String,
        /// Toutes les lettres en un PDF à imprimer
        #[arg(long, value_name = "FICHIER.pdf")]
        merged: Option<String>,
        /// Les enregistrer comme envoyées (les factures passent au niveau)
        #[arg(long)]
        record: bool,
        /// Produire même sur des données anciennes
        #[arg(long = "stale-ok")]
        stale_ok: bool,
    },
    /// Mettre en file les e-mails de relance du jour
    Remind {
        #[command(flatten)]
        as_of: AsOf,
        /// Le canal des relances à faire : email
        #[arg(long, value_name = "CANAL")]
        channel: String,
        /// Les envoyer aussitôt
        #[arg(long)]
        send: bool,
        /// Les enregistrer en fichiers .eml dans ce zip, sans serveur
        #[arg(long, value_name = "FICHIER.zip")]
        eml: Option<String>,
        /// Relancer même sur des données anciennes
        #[arg(long = "stale-ok")]
        stale_ok: bool,
    },
    /// Le serveur d'envoi des e-mails
    #[command(subcommand)]
    Smtp(SmtpAction),
    /// Les virements reçus des relevés bancaires
    #[command(subcommand)]
    Bank(BankAction),
    /// La boîte d'envoi (sans action : la liste)
    Outbox {
        #[command(subcommand)]
        action: Option<OutboxAction>,
    },
    /// Le journal de preuve (sans action : la liste)
    Log {
        #[command(subcommand)]
        action: Option<LogAction>,
        /// Les entrées de ce client
        #[arg(long, value_name = "CODE")]
        client: Option<String>,
    },
    /// Sauvegarder le grand livre (copie vérifiée)
    Backup {
        /// Le fichier de la sauvegarde
        #[arg(long, value_name = "FICHIER", required_unless_present = "auto")]
        out: Option<String>,
        /// La sauvegarde du jour, dans le dossier des sauvegardes
        #[arg(long)]
        auto: bool,
        /// Combien de sauvegardes automatiques garder
        #[arg(long, value_name = "N")]
        keep: Option<String>,
    },
    /// Restaurer une sauvegarde (le grand livre actuel est gardé à part, tel quel s'il est abîmé)
    Restore {
        /// La sauvegarde
        #[arg(value_name = "FICHIER")]
        file: String,
    },
    /// Export CSV complet de toutes les tables, dans un zip
    Export {
        #[arg(long, value_name = "FICHIER.zip")]
        out: String,
    },
    /// Le dossier contentieux d'un client
    Dossier {
        #[arg(long, value_name = "CODE")]
        client: String,
        #[arg(long, value_name = "FICHIER.zip")]
        out: String,
        #[command(flatten)]
        as_of: AsOf,
    },
    /// Les transmissions au recouvrement (sans action : la liste)
    Handover {
        #[command(subcommand)]
        action: Option<HandoverAction>,
    },
    /// La liste des clients
    Clients,
    /// La liste des factures
    Invoices {
        /// Les factures ouvertes seulement
        #[arg(long)]
        open: bool,
        /// Celles de ce client
        #[arg(long, value_name = "CODE")]
        client: Option<String>,
    },
    /// Un client
    #[command(subcommand)]
    Client(ClientAction),
    /// L'entreprise, et ses mentions légales (sans action : l'afficher)
    Company {
        #[command(subcommand)]
        action: Option<CompanyAction>,
    },
    /// Les taux de référence (sans action : les afficher)
    Rates {
        #[command(subcommand)]
        action: Option<RatesAction>,
    },
    /// Les dossiers : un grand livre par entreprise (sans action : la liste)
    Dossiers {
        #[command(subcommand)]
        action: Option<DossiersAction>,
    },
    /// Les chiffres de chaque dossier : encours, échu, séance du jour
    Portfolio {
        #[command(flatten)]
        as_of: AsOf,
    },
    /// Remplir un grand livre neuf avec la démonstration
    Demo {
        #[command(flatten)]
        as_of: AsOf,
    },
    /// Le chemin et la version du grand livre
    Info,
}

#[derive(Subcommand, Debug)]
pub enum ImportKind {
    /// Un FEC (fichier des écritures comptables)
    Fec {
        /// Le fichier
        #[arg(value_name = "FICHIER")]
        file: String,
        #[command(flatten)]
        options: ImportOptions,
        /// Quand les à-nouveaux diffèrent du grand livre : garder le grand livre et noter l'écart (keep), ou reprendre l'ouverture (replace)
        #[arg(long, value_name = "CHOIX")]
        openings: Option<Openings>,
    },
    /// Une liste CSV de factures, ou de clients
    Csv {
        #[arg(value_name = "FICHIER")]
        file: String,
        #[command(flatten)]
        options: ImportOptions,
    },
    /// Des factures électroniques de l'entreprise (Factur-X PDF, CII ou UBL)
    Einvoice {
        /// Les factures
        #[arg(value_name = "FICHIER", required = true, num_args = 1..)]
        files: Vec<String>,
        /// Lire et contrôler sans rien écrire
        #[arg(long = "dry-run")]
        dry_run: bool,
    },
    /// Des relevés bancaires (CAMT.053, OFX, CFONB 120, CSV) : les virements reçus, proposés à leurs factures
    Bank {
        /// Les relevés
        #[arg(value_name = "FICHIER", required = true, num_args = 1..)]
        files: Vec<String>,
        /// Lire et proposer sans rien écrire
        #[arg(long = "dry-run")]
        dry_run: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum BankAction {
    /// Les virements reçus à rapprocher, avec leurs propositions
    Pending,
    /// Enregistrer des virements comme paiements (--sure : tous les sûrs ; sinon LIGNE --invoices)
    Confirm {
        /// Le numéro de la ligne de relevé
        #[arg(
            value_name = "LIGNE",
            required_unless_present = "sure",
            conflicts_with = "sure"
        )]
        line: Option<String>,
        /// Les factures qu'il paie, dans l'ordre (numéros séparés par des virgules)
        #[arg(long, value_name = "N1,N2", requires = "line")]
        invoices: Option<String>,
        /// Tous les rapprochements sûrs
        #[arg(long)]
        sure: bool,
    },
    /// Mettre une ligne de côté : ce n'est pas le paiement d'un client
    SetAside {
        #[arg(value_name = "LIGNE")]
        line: String,
    },
}

#[derive(ClapArgs, Debug)]
pub struct ImportOptions {
    /// Lire et contrôler sans rien écrire
    #[arg(long = "dry-run")]
    pub dry_run: bool,
    /// Le délai de paiement des nouveaux clients, en jours
    #[arg(long, value_name = "JOURS")]
    pub terms: Option<String>,
}

#[derive(ValueEnum, Clone, Debug)]
pub enum Openings {
    Keep,
    Replace,
}

#[derive(Subcommand, Debug)]
pub enum SmtpAction {
    /// Régler le serveur (mot de passe : entrée standard ou ENCAISSE_SMTP_PASSWORD, gardé dans le trousseau)
    Set {
        #[arg(long, value_name = "SERVEUR")]
        host: Option<String>,
        #[arg(long, value_name = "PORT")]
        port: Option<String>,
        /// starttls, tls ou none
        #[arg(long, value_name = "SÉCURITÉ")]
        security: Option<String>,
        #[arg(long, value_name = "IDENTIFIANT")]
        user: Option<String>,
        /// L'adresse d'expédition
        #[arg(long, value_name = "ADRESSE")]
        from: Option<String>,
        /// Le nom d'expéditeur
        #[arg(long = "from-name", value_name = "NOM")]
        from_name: Option<String>,
        /// L'adresse de réponse
        #[arg(long = "reply-to", value_name = "ADRESSE")]
        reply_to: Option<String>,
        /// Recevoir une copie de chaque e-mail
        #[arg(long = "copy-to-self")]
        copy_to_self: bool,
        /// Ne plus recevoir de copie
        #[arg(long = "no-copy")]
        no_copy: bool,
    },
    /// Tester la connexion et l'identification
    Test,
}

#[derive(Subcommand, Debug)]
pub enum OutboxAction {
    /// La boîte d'envoi et l'état de chaque e-mail
    List,
    /// Envoyer ce qui attend
    Send,
    /// Renvoyer ce message
    Retry {
        #[arg(value_name = "ID")]
        id: String,
    },
    /// Ne pas envoyer ce message
    Cancel {
        #[arg(value_name = "ID")]
        id: String,
    },
    /// Il est bien parti
    Confirm {
        #[arg(value_name = "ID")]
        id: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum LogAction {
    /// Vérifier l'intégrité du journal de preuve
    Verify {
        /// Et qu'il passe toujours par cette empreinte gardée à part (log head)
        #[arg(long, value_name = "EMPREINTE")]
        head: Option<String>,
    },
    /// L'empreinte du journal, à garder hors du grand livre (e-mail à soi-même, papier)
    Head,
    /// Le journal (chaque envoi, appel, promesse…)
    List,
}

#[derive(Subcommand, Debug)]
pub enum HandoverAction {
    /// Transmettre au recouvrement (les factures sortent des relances)
    Add {
        #[arg(long, value_name = "CODE")]
        client: String,
        /// La société de recouvrement ou l'assureur-crédit
        #[arg(long, value_name = "NOM")]
        agency: String,
        /// agency ou insurer
        #[arg(long, value_name = "NATURE")]
        kind: Option<String>,
        /// Les factures transmises (par défaut toutes les factures ouvertes)
        #[arg(long, value_name = "N1,N2")]
        invoices: Option<String>,
        /// La rémunération convenue
        #[arg(long, value_name = "TEXTE")]
        fees: Option<String>,
        #[arg(long, value_name = "TEXTE")]
        note: Option<String>,
    },
    /// La fin d'une transmission
    End {
        #[arg(long, value_name = "N")]
        id: String,
        /// recovered ou returned
        #[arg(long, value_name = "ISSUE")]
        outcome: String,
    },
    /// Les transmissions
    List,
}

#[derive(Subcommand, Debug)]
pub enum ClientAction {
    /// Modifier la fiche d'un client
    Set {
        #[arg(value_name = "CODE")]
        code: String,
        #[arg(long, value_name = "ADRESSE")]
        email: Option<String>,
        /// Son délai de paiement, en jours
        #[arg(long, value_name = "JOURS")]
        terms: Option<String>,
        #[arg(long, value_name = "SEGMENT")]
        segment: Option<String>,
        /// Un particulier
        #[arg(long)]
        b2c: bool,
        /// Une entreprise
        #[arg(long)]
        b2b: bool,
    },
}

#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum CompanyAction {
    /// Les options données remplacent ces champs, les autres restent
    Set {
        /// La raison sociale
        #[arg(long, value_name = "NOM")]
        name: Option<String>,
        /// La forme juridique (SARL, SAS, EI…)
        #[arg(long, value_name = "FORME")]
        form: Option<String>,
        #[arg(long, value_name = "CAPITAL")]
        capital: Option<String>,
        #[arg(long, value_name = "SIREN")]
        siren: Option<String>,
        #[arg(long, value_name = "SIRET")]
        siret: Option<String>,
        /// La ville du RCS
        #[arg(long, value_name = "VILLE")]
        rcs: Option<String>,
        /// Le numéro de TVA intracommunautaire
        #[arg(long, value_name = "TVA")]
        vat: Option<String>,
        /// L'adresse du siège
        #[arg(long, value_name = "ADRESSE")]
        address: Option<String>,
        #[arg(long, value_name = "CP")]
        postcode: Option<String>,
        #[arg(long, value_name = "VILLE")]
        city: Option<String>,
        #[arg(long, value_name = "IBAN")]
        iban: Option<String>,
        #[arg(long, value_name = "BIC")]
        bic: Option<String>,
        #[arg(long, value_name = "ADRESSE")]
        email: Option<String>,
        #[arg(long, value_name = "TÉLÉPHONE")]
        phone: Option<String>,
        /// Qui signe les lettres
        #[arg(long, value_name = "NOM")]
        signatory: Option<String>,
        /// Un autre moyen de paiement que le virement
        #[arg(long = "other-payment", value_name = "TEXTE")]
        other_payment: Option<String>,
    },
    /// L'entreprise et ce qui lui manque pour relancer
    Show,
}

#[derive(Subcommand, Debug)]
pub enum DossiersAction {
    /// Ajouter un dossier (un grand livre neuf, ou --path un fichier existant)
    Add {
        #[arg(value_name = "NOM")]
        name: String,
        /// Un grand livre existant (une sauvegarde, un fichier ailleurs)
        #[arg(long, value_name = "FICHIER")]
        path: Option<String>,
    },
    /// La liste des dossiers
    List,
    /// Retirer un dossier de la liste (son fichier n'est pas effacé)
    Remove {
        #[arg(value_name = "NOM")]
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum RatesAction {
    /// Les tables en usage
    Show,
    /// Mettre une table à jour depuis l'export CSV de la BCE ou de la Banque de France (Webstat)
    Import {
        /// ecb, fr, de ou boe
        #[arg(long, value_name = "TABLE")]
        table: String,
        #[arg(value_name = "FICHIER.csv")]
        file: String,
        /// Lire et montrer sans enregistrer
        #[arg(long = "dry-run")]
        dry_run: bool,
    },
}

/// The command with its French headings: what `--help`, the completions and
/// the man page show.
pub fn command() -> clap::Command {
    Cli::command()
        .arg_required_else_help(true)
        .help_template("{about-with-newline}\nUtilisation : {usage}\n\n{all-args}{after-help}")
        .mut_subcommands(french)
}

fn french(c: clap::Command) -> clap::Command {
    c.help_template("{about-with-newline}\nUtilisation : {usage}\n\n{all-args}{after-help}")
        .subcommand_help_heading("Commandes")
        .subcommand_value_name("COMMANDE")
        .disable_help_flag(true)
        .disable_help_subcommand(true)
        .mut_subcommands(french)
}
