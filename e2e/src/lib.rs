//! The harness of the window's end-to-end tests and benchmarks: starts the
//! real `encaisse` binary through tauri-driver and WebKitWebDriver (under
//! Xvfb), one temporary ledger per run, and drives it.
//!
//! Needs the app built (`target/debug/encaisse`, or the binary named by
//! `ENCAISSE_APP`) and `tauri-driver` on the PATH (or `TAURI_DRIVER`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

pub struct Driver {
    child: Child,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // SIGTERM, not SIGKILL: tauri-driver then stops WebKitWebDriver and frees its port.
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

/// The repository's root.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The window binary the tests drive.
pub fn app_binary() -> PathBuf {
    std::env::var_os("ENCAISSE_APP")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/debug/encaisse"))
}

fn start_driver(env: &[(&str, &Path)]) -> Driver {
    let program = std::env::var("TAURI_DRIVER").unwrap_or_else(|_| "tauri-driver".into());
    let child = Command::new(program)
        .envs(env.iter().map(|(k, v)| (*k, *v)))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("tauri-driver must be installed (cargo install tauri-driver --locked)");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect("127.0.0.1:4444").is_err() {
        assert!(Instant::now() < deadline, "tauri-driver did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Driver { child }
}

/// The count a sentence starts with, its digits grouped the French way:
/// `70 007 factures, …` → 70 007.
pub fn leading_count(text: &str) -> u64 {
    let digits: String = text
        .split(|c: char| !(c.is_ascii_digit() || c.is_whitespace()))
        .next()
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no count at the start of {text:?}"))
}

/// A running window, driven through WebDriver.
pub struct App {
    pub client: Client,
    _driver: Driver,
}

/// Starts the application on `ledger`.
pub async fn launch(ledger: &Path) -> App {
    launch_with(ledger, &[]).await
}

/// Starts the application with extra environment variables.
pub async fn launch_with(ledger: &Path, env: &[(&str, &Path)]) -> App {
    assert!(
        app_binary().exists(),
        "build the app first: {}",
        app_binary().display()
    );
    let driver = start_driver(env);
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), "wry".into());
    caps.insert(
        "tauri:options".into(),
        serde_json::json!({ "application": app_binary(), "args": ["--ledger", ledger] }),
    );
    let mut client = None;
    for _ in 0..20 {
        match ClientBuilder::new(HttpConnector::new())
            .capabilities(caps.clone())
            .connect("http://127.0.0.1:4444")
            .await
        {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
    App {
        client: client.expect("WebDriver session"),
        _driver: driver,
    }
}

/// How long one WebDriver request may take. A request to a window that
/// went away would otherwise never come back, and hold the whole run.
pub const REQUEST: Duration = Duration::from_secs(60);

/// `request`, or a failure naming `what` when the window does not answer.
pub async fn answered<T>(what: &str, request: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(REQUEST, request)
        .await
        .unwrap_or_else(|_| panic!("{what}: the window did not answer in {REQUEST:?}"))
}

impl App {
    pub async fn wait(&self, css: &str) -> fantoccini::elements::Element {
        answered(
            css,
            self.client
                .wait()
                .at_most(Duration::from_secs(15))
                .for_element(Locator::Css(css)),
        )
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
    }

    /// Waits until the element's text satisfies `ok`, and returns it.
    pub async fn text_until(&self, css: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(e) = answered(css, self.client.find(Locator::Css(css))).await {
                if let Ok(text) = answered(css, e.text()).await {
                    if ok(&text) {
                        return text;
                    }
                    assert!(Instant::now() < deadline, "{css}: text stayed {text:?}");
                }
            }
            assert!(Instant::now() < deadline, "{css} never appeared");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn click(&self, css: &str) {
        let element = self.wait(css).await;
        answered(css, element.click())
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e:?}"));
    }

    pub async fn h1(&self) -> String {
        self.text_until("main h1", |t| !t.is_empty()).await
    }

    /// Sets an input's value the way typing would (date inputs included).
    pub async fn set_value(&self, css: &str, value: &str) {
        self.wait(css).await;
        let script = "const el = document.querySelector(arguments[0]); el.value = arguments[1]; el.dispatchEvent(new Event('input', { bubbles: true })); el.dispatchEvent(new Event('change', { bubbles: true }));";
        answered(
            css,
            self.client.execute(script, vec![css.into(), value.into()]),
        )
        .await
        .unwrap();
    }

    /// Saves a screenshot as `NAME.png` in the folder named by
    /// `ENCAISSE_E2E_SHOTS`, when it is set (to look at the screens).
    pub async fn shot(&self, name: &str) {
        if let Some(dir) = std::env::var_os("ENCAISSE_E2E_SHOTS") {
            let png = answered(name, self.client.screenshot()).await.unwrap();
            std::fs::write(Path::new(&dir).join(format!("{name}.png")), png).unwrap();
        }
    }

    /// The text of every element matching `css`, in page order.
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let texts = answered(
            css,
            self.client.execute(
                "return [...document.querySelectorAll(arguments[0])].map(e => e.textContent)",
                vec![css.into()],
            ),
        )
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
        serde_json::from_value(texts).unwrap_or_else(|e| panic!("{css}: {e}"))
    }

    /// Clicks the element from the page itself: for an element that the
    /// notice banner or the page's height keeps WebDriver from clicking.
    pub async fn js_click(&self, css: &str) {
        self.wait(css).await;
        answered(
            css,
            self.client.execute(
                "document.querySelector(arguments[0]).click();",
                vec![css.into()],
            ),
        )
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Runs `script` until `ok` holds of what it returns (15 s at most),
    /// and returns that value; the failure names `what`.
    pub async fn script_until(
        &self,
        what: &str,
        script: &str,
        args: Vec<serde_json::Value>,
        ok: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let value = answered(what, self.client.execute(script, args.clone()))
                .await
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            if ok(&value) {
                return value;
            }
            assert!(Instant::now() < deadline, "{what}: {value}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the field `css` holds `want` (a value the window writes
    /// into it after a load or a save).
    pub async fn value_until(&self, css: &str, want: &str) {
        self.script_until(
            css,
            "return document.querySelector(arguments[0]).value",
            vec![css.into()],
            |v| v == want,
        )
        .await;
    }

    /// Waits until nothing matches `css` (a dialog or a popover closed).
    pub async fn gone(&self, css: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while answered(css, self.client.find(Locator::Css(css)))
            .await
            .is_ok()
        {
            assert!(Instant::now() < deadline, "{css} is still there");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn close(self) {
        let _ = answered("close", self.client.close()).await;
    }
}
