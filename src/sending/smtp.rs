//! The SMTP connection (F1): lettre's pooled transport built from the
//! settings, a connection test that logs in, and every failure explained in
//! French and sorted into what the outbox must do with it.
//!
//! `ENCAISSE_SMTP_CA` may name a PEM file of one more certificate authority
//! to trust (a company's own relay; the tests' server).

use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::{PoolConfig, SmtpTransport};
use lettre::{Address, Transport};

use crate::error::{Error, Result};
use crate::mail::{Deliver, Security, SendFailure, SmtpSettings};
use crate::secrets::SecretStore;

/// Environment variable naming an extra certificate authority (PEM).
pub const CA_ENV: &str = "ENCAISSE_SMTP_CA";

/// An SMTP server to hand messages to (one pooled connection).
pub struct Mailer {
    transport: SmtpTransport,
    host: String,
    port: u16,
}

impl Mailer {
    /// The transport for `settings`, with the password kept in `secrets`
    /// and the authority named by `ENCAISSE_SMTP_CA` if any.
    pub fn from_env(settings: &SmtpSettings, secrets: &SecretStore) -> Result<Mailer> {
        let password = if settings.user.trim().is_empty() {
            None
        } else {
            secrets.password(&settings.account())?
        };
        let ca = match std::env::var_os(CA_ENV).filter(|p| !p.is_empty()) {
            Some(path) => Some(std::fs::read(&path).map_err(|source| Error::Io {
                path: path.into(),
                source,
            })?),
            None => None,
        };
        Mailer::new(settings, password.as_deref(), ca.as_deref())
    }

    /// The transport for `settings`; `password` is used when a login is set;
    /// `extra_ca` (PEM) is trusted besides the usual authorities.
    pub fn new(
        settings: &SmtpSettings,
        password: Option<&str>,
        extra_ca: Option<&[u8]>,
    ) -> Result<Mailer> {
        Mailer::with_timeout(settings, password, extra_ca, Duration::from_secs(20))
    }

    /// [`Mailer::new`] with another time limit for each answer of the server.
    pub fn with_timeout(
        settings: &SmtpSettings,
        password: Option<&str>,
        extra_ca: Option<&[u8]>,
        timeout: Duration,
    ) -> Result<Mailer> {
        settings.validate()?;
        let host = settings.host.trim().to_string();
        let tls = match settings.security {
            Security::None => Tls::None,
            Security::StartTls => Tls::Required(tls_parameters(&host, extra_ca)?),
            Security::Tls => Tls::Wrapper(tls_parameters(&host, extra_ca)?),
        };
        let mut builder = SmtpTransport::builder_dangerous(host.clone())
            .port(settings.port)
            .tls(tls)
            .timeout(Some(timeout))
            .pool_config(
                PoolConfig::new()
                    .max_size(1)
                    .idle_timeout(Duration::from_secs(30)),
            );
        if !settings.user.trim().is_empty() {
            let password = password.ok_or_else(|| {
                Error::invalid(
                    "mot de passe",
                    "aucun mot de passe enregistré pour cet identifiant (Paramètres › E-mail)",
                )
            })?;
            builder = builder.credentials(Credentials::new(
                settings.user.trim().to_string(),
                password.to_string(),
            ));
        }
        Ok(Mailer {
            transport: builder.build(),
            host,
            port: settings.port,
        })
    }

    /// Connects, says hello, starts TLS and logs in, then says what went
    /// wrong if anything did.
    pub fn test(&self) -> std::result::Result<(), String> {
        match self.transport.test_connection() {
            Ok(true) => Ok(()),
            Ok(false) => Err(format!(
                "le serveur {}:{} a fermé la connexion",
                self.host, self.port
            )),
            Err(e) => Err(self.explain(&e).message()),
        }
    }

    /// Sorts a lettre error into what the outbox does, with a French reason.
    fn explain(&self, e: &lettre::transport::smtp::Error) -> SendFailure {
        let at = format!("{}:{}", self.host, self.port);
        let server = || {
            let text = e.to_string();
            // lettre writes "permanent error (554): message refused".
            text.split_once("): ")
                .map(|(_, m)| m.to_string())
                .unwrap_or(text)
        };
        let code = e.status().map(|c| c.to_string()).unwrap_or_default();
        if e.is_permanent() {
            if matches!(code.as_str(), "530" | "534" | "535" | "538") {
                return SendFailure::Setup(format!(
                    "identifiant ou mot de passe refusé par {at} ({code} {})",
                    server()
                ));
            }
            return SendFailure::Permanent(format!("refusé par le serveur : {code} {}", server()));
        }
        if e.is_transient() {
            return SendFailure::Temporary(format!(
                "refus temporaire du serveur : {code} {}",
                server()
            ));
        }
        // A read time limit shows as WouldBlock on Unix, TimedOut elsewhere.
        if e.is_timeout()
            || matches!(
                io_kind(e),
                Some(std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut)
            )
        {
            return SendFailure::Unreachable(format!(
                "le serveur {at} ne répond pas (délai dépassé)"
            ));
        }
        if e.is_tls() {
            return SendFailure::Setup(format!(
                "échec de la connexion chiffrée (TLS) avec {at} : {} — vérifiez la sécurité choisie (STARTTLS sur le port 587, TLS sur le port 465)",
                chain(e)
            ));
        }
        let detail = chain(e);
        let io = io_kind(e);
        if io == Some(std::io::ErrorKind::ConnectionRefused) {
            return SendFailure::Unreachable(format!(
                "connexion refusée par {at} : vérifiez le serveur et le port"
            ));
        }
        if detail.contains("lookup")
            || detail.contains("resolve")
            || detail.contains("Name or service")
        {
            return SendFailure::Unreachable(format!(
                "serveur « {} » introuvable : vérifiez son nom et la connexion au réseau",
                self.host
            ));
        }
        if e.is_client() && detail.to_ascii_lowercase().contains("starttls") {
            return SendFailure::Setup(format!(
                "{at} ne propose pas STARTTLS : choisissez TLS ou aucune sécurité selon votre fournisseur"
            ));
        }
        if e.is_client() && detail.to_ascii_lowercase().contains("auth") {
            return SendFailure::Setup(format!(
                "{at} ne propose pas de méthode d'identification connue ({detail})"
            ));
        }
        let lower = detail.to_ascii_lowercase();
        if [
            "corrupt message",
            "invalidcontenttype",
            "certificate",
            "handshake",
            "unknownissuer",
            "wrong version",
        ]
        .iter()
        .any(|k| lower.contains(k))
        {
            return SendFailure::Setup(format!(
                "échec de la connexion chiffrée (TLS) avec {at} : {detail} — vérifiez la sécurité choisie (STARTTLS sur le port 587, TLS sur le port 465)"
            ));
        }
        // A connection cut in the middle of a message, an unreadable answer.
        SendFailure::Temporary(format!("connexion interrompue avec {at} : {detail}"))
    }
}

impl SendFailure {
    /// The French sentence for the user.
    pub fn message(&self) -> String {
        match self {
            SendFailure::Temporary(m)
            | SendFailure::Permanent(m)
            | SendFailure::Setup(m)
            | SendFailure::Unreachable(m) => m.clone(),
        }
    }
}

impl Deliver for Mailer {
    fn deliver(
        &self,
        from: &str,
        to: &[String],
        raw: &[u8],
    ) -> std::result::Result<(), SendFailure> {
        let parse = |a: &str| {
            a.parse::<Address>()
                .map_err(|_| SendFailure::Permanent(format!("adresse « {a} » invalide")))
        };
        let recipients = to
            .iter()
            .map(|a| parse(a))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let envelope = Envelope::new(Some(parse(from)?), recipients)
            .map_err(|e| SendFailure::Permanent(format!("enveloppe invalide : {e}")))?;
        self.transport
            .send_raw(&envelope, raw)
            .map(|_| ())
            .map_err(|e| self.explain(&e))
    }
}

fn tls_parameters(host: &str, extra_ca: Option<&[u8]>) -> Result<TlsParameters> {
    let mut builder = TlsParameters::builder(host.to_string());
    if let Some(pem) = extra_ca {
        let cert = Certificate::from_pem(pem)
            .map_err(|e| Error::invalid(CA_ENV, format!("certificat illisible : {e}")))?;
        builder = builder.add_root_certificate(cert);
    }
    builder
        .build_rustls()
        .map_err(|e| Error::invalid("TLS", e.to_string()))
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    parts.join(" : ")
}

fn io_kind(e: &dyn std::error::Error) -> Option<std::io::ErrorKind> {
    let mut source = e.source();
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        source = s.source();
    }
    None
}
