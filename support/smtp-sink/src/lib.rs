//! A small SMTP server listening on 127.0.0.1, for tests and benchmarks
//! only: it speaks enough ESMTP for a real client (EHLO, STARTTLS with a
//! certificate made at start-up, AUTH PLAIN / LOGIN, MAIL, RCPT, DATA,
//! RSET, NOOP, QUIT), keeps what it accepted, and plays scripted faults
//! (a 4xx or 5xx reply to a message, a connection dropped in the middle of
//! DATA, a server that never answers the end of DATA).
//!
//! ```
//! let sink = smtp_sink::SmtpSink::start(smtp_sink::Options::default());
//! assert!(sink.port() > 0);
//! assert!(sink.messages().is_empty());
//! ```

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;

/// What the server does with the next message it is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Replies `451` to the end of DATA: try again later.
    Transient,
    /// Replies `554` to the end of DATA: refused for good.
    Permanent,
    /// Closes the connection after half of the message was received.
    DropDuringData,
    /// Reads the whole message and never answers (the client waits).
    Stall,
}

/// How the server behaves.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Offer STARTTLS (and refuse MAIL before it).
    pub starttls: bool,
    /// Require AUTH with these credentials before MAIL.
    pub credentials: Option<(String, String)>,
    /// Faults played on the next messages, in order, one per message.
    pub faults: Vec<Fault>,
    /// Accept connections and never say a word (a server that hangs).
    pub mute: bool,
}

/// A message the server accepted (answered `250` to).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The message as received, dot-unstuffed, lines ending in CRLF.
    pub data: Vec<u8>,
    /// Whether the session was under TLS, and authenticated as whom.
    pub tls: bool,
    pub user: Option<String>,
}

struct Shared {
    options: Options,
    faults: Mutex<std::collections::VecDeque<Fault>>,
    received: Mutex<Vec<Received>>,
    /// Every AUTH attempt that failed, and every end of DATA seen.
    failed_logins: Mutex<usize>,
    data_ends: Mutex<usize>,
    tls: Option<Arc<rustls::ServerConfig>>,
    stop: AtomicBool,
}

/// A running server; stopped when dropped.
pub struct SmtpSink {
    port: u16,
    shared: Arc<Shared>,
    ca_pem: String,
}

impl SmtpSink {
    /// Starts a server on a free port of 127.0.0.1.
    pub fn start(options: Options) -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().unwrap().port();
        let (tls, ca_pem) = if options.starttls {
            let (config, ca) = tls_config();
            (Some(Arc::new(config)), ca)
        } else {
            (None, String::new())
        };
        let shared = Arc::new(Shared {
            faults: Mutex::new(options.faults.iter().copied().collect()),
            options,
            received: Mutex::new(Vec::new()),
            failed_logins: Mutex::new(0),
            data_ends: Mutex::new(0),
            tls,
            stop: AtomicBool::new(false),
        });
        let accept = shared.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if accept.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let session = accept.clone();
                std::thread::spawn(move || {
                    let _ = Session::new(stream, session).run();
                });
            }
        });
        SmtpSink {
            port,
            shared,
            ca_pem,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The PEM of the certificate authority that signed the server's
    /// certificate (for `127.0.0.1` and `localhost`); empty without STARTTLS.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The messages accepted so far.
    pub fn messages(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// The Message-ID header of each message received, in order: a message
    /// sent twice shows its id twice.
    pub fn message_ids(&self) -> Vec<String> {
        self.messages()
            .iter()
            .filter_map(|m| {
                String::from_utf8_lossy(&m.data)
                    .lines()
                    .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
                    .map(str::to_string)
            })
            .collect()
    }

    /// Adds faults to play on the next messages.
    pub fn push_faults(&self, faults: &[Fault]) {
        self.shared.faults.lock().unwrap().extend(faults);
    }

    /// How many times a client ended DATA (accepted or not).
    pub fn data_ends(&self) -> usize {
        *self.shared.data_ends.lock().unwrap()
    }

    pub fn failed_logins(&self) -> usize {
        *self.shared.failed_logins.lock().unwrap()
    }

    /// Waits until `n` messages were accepted (at most `timeout`).
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let got = self.messages();
            if got.len() >= n || std::time::Instant::now() > deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wakes the accepting thread so that it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn tls_config() -> (rustls::ServerConfig, String) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Encaisse test CA");
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let mut leaf_params =
        CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
        )
        .unwrap();
    (config, ca.pem())
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ServerConnection, TcpStream>>),
    Gone,
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let (read, tcp) = match self {
            Stream::Plain(s) => (s.read(buf), &*s),
            Stream::Tls(s) => (s.read(buf), &s.sock),
            Stream::Gone => return Ok(0),
        };
        // Acknowledge at once, as a busy mail server does: the client writes
        // a message's end (CRLF.CRLF) apart from its body, and with the
        // acknowledgement delayed Nagle's algorithm holds that end back 40 ms.
        #[cfg(target_os = "linux")]
        let _ = socket2::SockRef::from(tcp).set_tcp_quickack(true);
        #[cfg(not(target_os = "linux"))]
        let _ = tcp;
        read
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
            Stream::Gone => Err(io::ErrorKind::BrokenPipe.into()),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
            Stream::Gone => Ok(()),
        }
    }
}

struct Session {
    stream: Stream,
    buffer: Vec<u8>,
    shared: Arc<Shared>,
    tls: bool,
    user: Option<String>,
    from: Option<String>,
    to: Vec<String>,
}

impl Session {
    fn new(stream: TcpStream, shared: Arc<Shared>) -> Session {
        let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
        let _ = stream.set_nodelay(true);
        Session {
            stream: Stream::Plain(stream),
            buffer: Vec::new(),
            shared,
            tls: false,
            user: None,
            from: None,
            to: Vec::new(),
        }
    }

    fn reply(&mut self, text: &str) -> io::Result<()> {
        // One write per reply: two small writes would wait on the client's
        // delayed acknowledgement (Nagle), 40 ms each.
        self.stream.write_all(format!("{text}\r\n").as_bytes())?;
        self.stream.flush()
    }

    /// One line without its CRLF; `None` at the end of the stream.
    fn line(&mut self) -> io::Result<Option<Vec<u8>>> {
        loop {
            if let Some(end) = self.buffer.windows(2).position(|w| w == b"\r\n") {
                let line = self.buffer[..end].to_vec();
                self.buffer.drain(..end + 2);
                return Ok(Some(line));
            }
            let mut chunk = [0u8; 8192];
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Ok(None);
            }
            self.buffer.extend_from_slice(&chunk[..n]);
        }
    }

    fn run(mut self) -> io::Result<()> {
        if self.shared.stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        if self.shared.options.mute {
            std::thread::sleep(Duration::from_secs(60));
            return Ok(());
        }
        self.reply("220 127.0.0.1 ESMTP smtp-sink")?;
        while let Some(line) = self.line()? {
            let text = String::from_utf8_lossy(&line).to_string();
            let upper = text.to_ascii_uppercase();
            let verb = upper.split(' ').next().unwrap_or("").to_string();
            let needs_tls = self.shared.tls.is_some() && !self.tls;
            let needs_auth = self.shared.options.credentials.is_some() && self.user.is_none();
            match verb.as_str() {
                "EHLO" | "HELO" => {
                    let mut lines = vec!["250-127.0.0.1".to_string(), "250-8BITMIME".into()];
                    if needs_tls {
                        lines.push("250-STARTTLS".into());
                    } else if self.shared.options.credentials.is_some() {
                        lines.push("250-AUTH PLAIN LOGIN".into());
                    }
                    lines.push("250 SIZE 52428800".into());
                    let last = lines.len() - 1;
                    lines[last] = lines[last].replacen("250-", "250 ", 1);
                    self.reply(&lines.join("\r\n"))?;
                }
                "STARTTLS" => {
                    let Some(config) = self.shared.tls.clone() else {
                        self.reply("502 no TLS here")?;
                        continue;
                    };
                    self.reply("220 go ahead")?;
                    let Stream::Plain(tcp) = std::mem::replace(&mut self.stream, Stream::Gone)
                    else {
                        return Ok(());
                    };
                    let conn = rustls::ServerConnection::new(config)
                        .map_err(|e| io::Error::other(e.to_string()))?;
                    self.stream = Stream::Tls(Box::new(rustls::StreamOwned::new(conn, tcp)));
                    self.buffer.clear();
                    self.tls = true;
                }
                "AUTH" => {
                    let parts: Vec<&str> = text.split(' ').collect();
                    let (user, pass) = match parts.get(1).map(|m| m.to_ascii_uppercase()) {
                        Some(m) if m == "PLAIN" => {
                            let encoded = match parts.get(2) {
                                Some(e) => e.to_string(),
                                None => {
                                    self.reply("334 ")?;
                                    String::from_utf8_lossy(&self.line()?.unwrap_or_default())
                                        .to_string()
                                }
                            };
                            let raw = decode(&encoded);
                            let fields: Vec<&[u8]> = raw.split(|b| *b == 0).collect();
                            (
                                String::from_utf8_lossy(fields.get(1).copied().unwrap_or(b""))
                                    .to_string(),
                                String::from_utf8_lossy(fields.get(2).copied().unwrap_or(b""))
                                    .to_string(),
                            )
                        }
                        Some(m) if m == "LOGIN" => {
                            self.reply("334 VXNlcm5hbWU6")?;
                            let user = decode_line(self.line()?);
                            self.reply("334 UGFzc3dvcmQ6")?;
                            let pass = decode_line(self.line()?);
                            (user, pass)
                        }
                        _ => {
                            self.reply("504 unknown mechanism")?;
                            continue;
                        }
                    };
                    match &self.shared.options.credentials {
                        Some((u, p)) if *u == user && *p == pass => {
                            self.user = Some(user);
                            self.reply("235 2.7.0 authenticated")?;
                        }
                        _ => {
                            *self.shared.failed_logins.lock().unwrap() += 1;
                            self.reply("535 5.7.8 authentication credentials invalid")?;
                        }
                    }
                }
                "MAIL" if needs_tls => self.reply("530 5.7.0 must issue STARTTLS first")?,
                "MAIL" if needs_auth => self.reply("530 5.7.0 authentication required")?,
                "MAIL" => {
                    self.from = Some(path_of(&text));
                    self.to.clear();
                    self.reply("250 ok")?;
                }
                "RCPT" => {
                    if self.from.is_none() {
                        self.reply("503 MAIL first")?;
                    } else {
                        self.to.push(path_of(&text));
                        self.reply("250 ok")?;
                    }
                }
                "DATA" => {
                    if self.to.is_empty() {
                        self.reply("503 RCPT first")?;
                        continue;
                    }
                    self.reply("354 end with <CRLF>.<CRLF>")?;
                    let fault = self.shared.faults.lock().unwrap().pop_front();
                    let mut data = Vec::new();
                    let mut lines = 0usize;
                    loop {
                        let Some(line) = self.line()? else {
                            return Ok(());
                        };
                        if line == b"." {
                            break;
                        }
                        lines += 1;
                        if fault == Some(Fault::DropDuringData) && lines == 20 {
                            if let Stream::Plain(s) = &self.stream {
                                let _ = s.shutdown(Shutdown::Both);
                            }
                            if let Stream::Tls(s) = &self.stream {
                                let _ = s.sock.shutdown(Shutdown::Both);
                            }
                            return Ok(());
                        }
                        let line = line.strip_prefix(b".").unwrap_or(&line);
                        data.extend_from_slice(line);
                        data.extend_from_slice(b"\r\n");
                    }
                    *self.shared.data_ends.lock().unwrap() += 1;
                    match fault {
                        Some(Fault::Transient) => {
                            self.reply("451 4.3.0 try again later")?;
                        }
                        Some(Fault::Permanent) => {
                            self.reply("554 5.7.1 message refused")?;
                        }
                        Some(Fault::Stall) => {
                            // Never answers; the client is left waiting.
                            std::thread::sleep(Duration::from_secs(3600));
                            return Ok(());
                        }
                        _ => {
                            self.shared.received.lock().unwrap().push(Received {
                                from: self.from.take().unwrap_or_default(),
                                to: std::mem::take(&mut self.to),
                                data,
                                tls: self.tls,
                                user: self.user.clone(),
                            });
                            self.reply("250 2.0.0 queued")?;
                        }
                    }
                    self.from = None;
                    self.to.clear();
                }
                "RSET" => {
                    self.from = None;
                    self.to.clear();
                    self.reply("250 ok")?;
                }
                "NOOP" => self.reply("250 ok")?,
                "QUIT" => {
                    self.reply("221 bye")?;
                    return Ok(());
                }
                _ => self.reply("500 unknown command")?,
            }
        }
        Ok(())
    }
}

fn decode(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .unwrap_or_default()
}

fn decode_line(line: Option<Vec<u8>>) -> String {
    String::from_utf8_lossy(&decode(&String::from_utf8_lossy(&line.unwrap_or_default())))
        .to_string()
}

/// The address of `MAIL FROM:<a@b>` or `RCPT TO:<a@b>`.
fn path_of(line: &str) -> String {
    let start = line.find('<').map(|i| i + 1).unwrap_or(0);
    let end = line[start..]
        .find('>')
        .map(|i| start + i)
        .unwrap_or(line.len());
    line[start..end].to_string()
}
