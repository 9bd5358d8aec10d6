//! A minimal Chrome DevTools Protocol client for the browser tests: headless Chromium started
//! with a debugging port, one page target attached in flat mode, and what a test needs of it —
//! navigate, evaluate a script, poll a condition. Protocol errors and timeouts panic with the
//! method, the reply and (on a timeout) the page's `document.body.dataset`, because in a test
//! there is nothing better to do with them. Dropping the [`Browser`] closes Chromium.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// The Chromium binary: $VBPSIM_CHROMIUM, or `chromium` (or `chromium-browser`) on the PATH.
pub fn chromium() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("VBPSIM_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .flat_map(|d| ["chromium", "chromium-browser"].map(|n| d.join(n)))
        .find(|p| p.is_file())
}

/// The browser for a test that needs one, or `None` after saying that `what` was not checked.
/// With VBPSIM_REQUIRE_BROWSER=1 (CI) a missing browser fails the test instead.
pub fn chromium_or_skip(what: &str) -> Option<PathBuf> {
    let required = std::env::var("VBPSIM_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    let found = chromium();
    if found.is_none() {
        assert!(!required, "VBPSIM_REQUIRE_BROWSER=1 but no chromium: `apt-get install chromium`");
        eprintln!("no chromium on the PATH: {what} was not checked (`apt-get install chromium`)");
    }
    found
}

/// Headless Chromium with one attached page. Closed (and its profile removed) on drop.
pub struct Browser {
    child: Child,
    socket: WebSocket<MaybeTlsStream<TcpStream>>,
    session: String,
    next_id: u64,
    /// Uncaught exceptions and `console.error` calls of the page, as they arrived.
    pub page_errors: Vec<String>,
    /// The URL of every request the page has made (after [`Browser::launch`]'s blank page).
    pub requests: Vec<String>,
    _profile: tempfile::TempDir,
}

/// How long one protocol reply may take: a hang guard, not a speed requirement.
const REPLY_TIMEOUT: Duration = Duration::from_secs(120);

impl Browser {
    /// Start `binary` headless and open a page at `url`.
    pub fn launch(binary: &std::path::Path, url: &str) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new(binary)
            .args(["--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0"])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {binary:?}: {e}"));
        // Chromium announces its endpoint on stderr; the rest of stderr is drained by the same
        // thread so that a full pipe never blocks the browser.
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if !sent && let Some(at) = line.find("ws://") {
                    sent = tx.send(line[at..].trim().to_string()).is_ok();
                }
            }
        });
        let endpoint = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(ws) => ws,
            Err(_) => {
                let _ = child.kill();
                panic!("chromium printed no `DevTools listening on ws://…` line within 60 s");
            }
        };
        let (socket, _) = tungstenite::connect(endpoint.as_str())
            .unwrap_or_else(|e| panic!("cannot connect to {endpoint}: {e}"));
        if let MaybeTlsStream::Plain(s) = socket.get_ref() {
            s.set_read_timeout(Some(REPLY_TIMEOUT)).unwrap();
        }
        let mut b = Browser {
            child,
            socket,
            session: String::new(),
            next_id: 0,
            page_errors: Vec::new(),
            requests: Vec::new(),
            _profile: profile,
        };
        let target = b.call(None, "Target.createTarget", json!({ "url": url }));
        let target_id = target["targetId"].as_str().expect("Target.createTarget: a targetId");
        let attached = b.call(
            None,
            "Target.attachToTarget",
            json!({ "targetId": target_id, "flatten": true }),
        );
        b.session = attached["sessionId"].as_str().expect("attachToTarget: a sessionId").into();
        b.send("Runtime.enable", json!({}));
        b.send("Page.enable", json!({}));
        b.send("Network.enable", json!({}));
        b
    }

    /// One command (of the browser when `session` is `None`, else of that session) and its
    /// reply's `result`; events arriving meanwhile are skipped, except the page's errors and
    /// requests, which are kept in [`Browser::page_errors`] and [`Browser::requests`].
    fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({ "id": id, "method": method, "params": params });
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        self.socket
            .send(Message::text(msg.to_string()))
            .unwrap_or_else(|e| panic!("{method}: cannot send: {e}"));
        loop {
            let frame = self.socket.read().unwrap_or_else(|e| panic!("{method}: no reply: {e}"));
            let Message::Text(text) = frame else { continue };
            let v: Value = serde_json::from_str(text.as_str())
                .unwrap_or_else(|e| panic!("{method}: reply is not JSON ({e}): {text}"));
            if v["id"].as_u64() == Some(id) {
                assert!(v.get("error").is_none(), "{method} {params}: {}", v["error"]);
                return v["result"].clone();
            }
            self.note_event(&v);
        }
    }

    fn note_event(&mut self, v: &Value) {
        let p = &v["params"];
        match v["method"].as_str() {
            Some("Runtime.exceptionThrown") => {
                let d = &p["exceptionDetails"];
                let text = d["exception"]["description"].as_str().or(d["text"].as_str());
                self.page_errors.push(format!("uncaught: {}", text.unwrap_or("?")));
            }
            Some("Network.requestWillBeSent") => {
                self.requests.push(p["request"]["url"].as_str().unwrap_or("?").to_string());
            }
            Some("Runtime.consoleAPICalled") if p["type"] == "error" => {
                let args: Vec<String> = p["args"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|a| {
                        a["value"].as_str().map(String::from).unwrap_or_else(|| {
                            a["description"].as_str().unwrap_or(&a["value"].to_string()).into()
                        })
                    })
                    .collect();
                self.page_errors.push(format!("console.error: {}", args.join(" ")));
            }
            _ => {}
        }
    }

    /// A command of the attached page.
    pub fn send(&mut self, method: &str, params: Value) -> Value {
        let session = self.session.clone();
        self.call(Some(&session), method, params)
    }

    /// Load `url` in the page and wait until its document has loaded.
    pub fn navigate(&mut self, url: &str) {
        let r = self.send("Page.navigate", json!({ "url": url }));
        assert!(r.get("errorText").is_none(), "navigate to {url}: {}", r["errorText"]);
        let cond =
            format!("location.href === {} && document.readyState === 'complete'", json!(url));
        self.wait_until(&cond, Duration::from_secs(60));
    }

    /// The value of `js` (an expression; a promise is awaited), returned by value. A thrown
    /// exception panics with its description; `undefined` is `Value::Null`.
    pub fn evaluate(&mut self, js: &str) -> Value {
        let r = self.send(
            "Runtime.evaluate",
            json!({ "expression": js, "returnByValue": true, "awaitPromise": true }),
        );
        if let Some(d) = r.get("exceptionDetails") {
            let text = d["exception"]["description"].as_str().or(d["text"].as_str());
            panic!("evaluate threw: {}\nscript: {js}", text.unwrap_or("?"));
        }
        r["result"].get("value").cloned().unwrap_or(Value::Null)
    }

    /// Poll `condition` (a JS expression) every 50 ms until it is truthy. `timeout` is only a
    /// hang guard: reaching it panics with the condition and the page's body dataset.
    pub fn wait_until(&mut self, condition: &str, timeout: Duration) {
        let start = Instant::now();
        let probe = format!(
            "(() => {{ try {{ return !!({condition}); }} catch (e) {{ return false; }} }})()"
        );
        while self.evaluate(&probe) != Value::Bool(true) {
            if start.elapsed() > timeout {
                let data =
                    self.evaluate("document.body ? JSON.stringify(document.body.dataset) : null");
                panic!(
                    "still not true after {timeout:?}: {condition}\nbody dataset: {data}\n\
                     page errors: {:?}",
                    self.page_errors
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Browser {
    /// Asks Chromium to close (so that it reaps its own helper processes), and kills it if it
    /// has not exited within 10 s.
    fn drop(&mut self) {
        self.next_id += 1;
        let close = json!({ "id": self.next_id, "method": "Browser.close" });
        let _ = self.socket.send(Message::text(close.to_string()));
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
