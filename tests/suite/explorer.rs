//! The contract explorer (`vbpsim serve`) end to end, against its interface spec: the page in
//! headless Chromium moves a control and saves a layer whose `vbpsim run` gives the tables the
//! page shows; the JSON API gives `vbpsim run`'s cells for a changed term of every contract
//! kind; bad input is answered beside its control (422), too large (413) and malformed (400)
//! bodies are refused; a burst of 1,000 requests is answered, each with its own numbers.
//! Every server is a child `vbpsim serve … --port 0` killed when its guard drops, also on a
//! panic. Timeouts here are hang guards only: no test asserts a speed.

use crate::cdp::{Browser, chromium_or_skip};
use crate::support::{CONTRACT_KINDS as KINDS, expect, text_of, vbpsim};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex, mpsc};
use std::time::{Duration, Instant};

/// The tables of an evaluation, each the CSV file of that name in a `vbpsim run` folder.
const TABLES: [&str; 5] = ["summary", "nmb", "contracts", "threshold_prices", "budget_impact"];

/// How long anything may take before a test calls it a hang.
const HANG_GUARD: Duration = Duration::from_secs(300);

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

// ---------------------------------------------------------------------------------------------
// The server and a plain HTTP/1.1 client

/// A running `vbpsim serve`: killed on drop (its stderr printed if the test is panicking).
struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT/`
    url: String,
    /// `127.0.0.1:PORT`
    addr: String,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    /// `vbpsim serve <scenario> --port 0 --patients <patients> --layers <layers>`, run from the
    /// package root; returns once the first stdout line has named the URL and /api/health
    /// answers.
    fn start(scenario: &str, patients: u32, layers: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vbpsim"))
            .current_dir(root())
            .args(["serve", scenario, "--port", "0", "--patients", &patients.to_string()])
            .arg("--layers")
            .arg(layers)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (stdout, stderr) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
        let log = Arc::new(Mutex::new(String::new()));
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
            let _ = tx.send(lines.next());
            lines.for_each(drop);
        });
        let mut server =
            Server { child, url: String::new(), addr: String::new(), stderr: log.clone() };
        let first = match rx.recv_timeout(HANG_GUARD) {
            Ok(Some(line)) => line,
            Ok(None) => {
                let _ = server.child.wait();
                let stderr = server.stderr_text();
                panic!("vbpsim serve {scenario} printed nothing; stderr:\n{stderr}")
            }
            Err(_) => panic!("vbpsim serve {scenario}: no first line within {HANG_GUARD:?}"),
        };
        assert!(first.starts_with("serving http://127.0.0.1:"), "first line: {first:?}");
        let url = first.split_whitespace().find(|t| t.starts_with("http://")).unwrap();
        assert!(url.ends_with('/'), "the URL ends with `/`: {first:?}");
        server.url = url.to_string();
        server.addr = url.trim_start_matches("http://").trim_end_matches('/').to_string();
        let (status, body) = server.get("/api/health");
        assert_eq!((status, body), (200, json!({ "ok": true })), "GET /api/health");
        server
    }

    /// What the server has written on stderr so far.
    fn stderr_text(&self) -> String {
        self.stderr.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn get(&self, path: &str) -> (u16, Value) {
        json_reply("GET", path, http(&self.addr, "GET", path, None))
    }

    fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let bytes = body.to_string().into_bytes();
        json_reply("POST", path, http(&self.addr, "POST", path, Some(&bytes)))
    }

    /// POST `path` with `settings`, which must be answered 200.
    fn ok(&self, path: &str, settings: &BTreeMap<String, String>) -> Value {
        let request = json!({ "settings": settings });
        let (status, reply) = self.post(path, &request);
        assert_eq!(status, 200, "POST {path} {request}\nreply: {reply}");
        assert_eq!(reply["ok"], json!(true), "POST {path} {request}\nreply: {reply}");
        reply
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("vbpsim serve's stderr:\n{}", self.stderr_text());
        }
    }
}

/// An HTTP response: status, headers (names lower-cased), body.
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// One HTTP/1.1 request on its own connection (`Connection: close`), read to the end.
fn http(addr: &str, method: &str, path: &str, body: Option<&[u8]>) -> Response {
    let mut s = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    s.set_read_timeout(Some(HANG_GUARD)).unwrap();
    s.set_write_timeout(Some(HANG_GUARD)).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(b) = body {
        head += &format!("Content-Type: application/json\r\nContent-Length: {}\r\n", b.len());
    }
    head += "\r\n";
    // A server may answer (413) and close before it has read the whole body: a failed write
    // is reported only if no response follows.
    let written = s.write_all(head.as_bytes()).and_then(|_| s.write_all(body.unwrap_or(b"")));
    let mut raw = Vec::new();
    let read = s.read_to_end(&mut raw);
    if raw.is_empty() {
        panic!("{method} {path}: no response (write: {written:?}, read: {read:?})");
    }
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("{method} {path}: no end of headers in {:?}", text_of(&raw)));
    let head = text_of(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status = status_line
        .strip_prefix("HTTP/1.1 ")
        .and_then(|r| r.get(..3))
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("{method} {path}: status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let header = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let rest = &raw[end + 4..];
    let body = if let Some(n) = header("content-length") {
        let n: usize = n.parse().unwrap();
        assert!(rest.len() >= n, "{method} {path}: {} of {n} body bytes ({read:?})", rest.len());
        rest[..n].to_vec()
    } else if header("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    Response { status, headers, body }
}

/// A chunked body's bytes.
fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let eol = rest.windows(2).position(|w| w == b"\r\n").expect("chunk size line");
        let size = text_of(&rest[..eol]);
        let n = usize::from_str_radix(size.split(';').next().unwrap().trim(), 16).unwrap();
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&rest[eol + 2..eol + 2 + n]);
        rest = &rest[eol + 2 + n + 2..];
    }
}

/// A response that must be JSON (every /api answer is), with its status.
fn json_reply(method: &str, path: &str, r: Response) -> (u16, Value) {
    let ctype = r.headers.iter().find(|(k, _)| k == "content-type").map(|(_, v)| v.as_str());
    let v: Value = serde_json::from_slice(&r.body).unwrap_or_else(|e| {
        panic!("{method} {path}: {} answered with non-JSON ({e}): {}", r.status, text_of(&r.body))
    });
    assert!(
        ctype.is_some_and(|c| c.starts_with("application/json")),
        "{method} {path}: content type {ctype:?} for {v}"
    );
    (r.status, v)
}

// ---------------------------------------------------------------------------------------------
// Tables

/// A table as rows of cells, its header first.
type Table = Vec<Vec<String>>;

/// A CSV file's header and records, cells as written.
fn csv_file(path: &Path) -> Table {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .unwrap_or_else(|e| panic!("{path:?}: {e}"));
    r.records().map(|rec| rec.unwrap().iter().map(String::from).collect()).collect()
}

/// An API table (`{"columns": [...], "rows": [[...], ...]}`); every cell must be text.
fn api_table(name: &str, t: &Value) -> Table {
    let cells = |row: &Value| -> Vec<String> {
        row.as_array()
            .unwrap_or_else(|| panic!("tables.{name}: a row is not an array: {row}"))
            .iter()
            .map(|c| c.as_str().unwrap_or_else(|| panic!("tables.{name}: cell {c} is not text")))
            .map(String::from)
            .collect()
    };
    let mut table = vec![cells(&t["columns"])];
    let rows = t["rows"].as_array().unwrap_or_else(|| panic!("tables.{name}.rows: {t}"));
    table.extend(rows.iter().map(cells));
    table
}

/// `got` (from `source`) equals `vbpsim run`'s `want` cell for cell; the first difference fails.
fn same_table(name: &str, source: &str, got: &Table, want: &Table) {
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let header = &want[0];
        assert_eq!(
            g.len(),
            w.len(),
            "{name}: row {i} has {} cells in {source}, {} in {name}.csv:\n{g:?}\n{w:?}",
            g.len(),
            w.len()
        );
        for (j, (a, b)) in g.iter().zip(w).enumerate() {
            assert_eq!(
                a,
                b,
                "{name}: row {i} ({}), column {}: {source} shows {a:?}, {name}.csv has {b:?}",
                w.iter().take(2).cloned().collect::<Vec<_>>().join("/"),
                header[j]
            );
        }
    }
    assert_eq!(got.len(), want.len(), "{name}: rows (header included) in {source} and {name}.csv");
}

/// `vbpsim run <layer> --out <out> --quiet`, which must succeed; returns the folder.
fn run_layer(layer: &Path, out: &Path) -> PathBuf {
    expect(vbpsim().arg("run").arg(layer).arg("--out").arg(out).arg("--quiet"), 0);
    out.to_path_buf()
}

/// POST /api/layer with `settings`: the file must hold the answer's text, sit in `layers`, and
/// the command must be `vbpsim run` of it. Returns its path.
fn save_layer(server: &Server, settings: &BTreeMap<String, String>, layers: &Path) -> PathBuf {
    let reply = server.ok("/api/layer", settings);
    let path = reply["path"].as_str().unwrap_or_else(|| panic!("/api/layer: no path: {reply}"));
    let file = root().join(path);
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file:?}: {e}"));
    assert_eq!(Some(text.as_str()), reply["text"].as_str(), "the layer file holds `text`");
    assert!(
        file.canonicalize().unwrap().starts_with(layers.canonicalize().unwrap()),
        "{file:?} is written under --layers {layers:?}"
    );
    assert_eq!(reply["command"].as_str(), Some(format!("vbpsim run {path}").as_str()));
    file
}

/// Every control of a GET /api/scenario answer, by key.
fn controls(scenario: &Value) -> BTreeMap<String, Value> {
    let sections = scenario["sections"].as_array().expect("sections");
    let mut out = BTreeMap::new();
    for c in sections.iter().flat_map(|s| s["controls"].as_array().expect("controls")) {
        let key = c["key"].as_str().unwrap_or_else(|| panic!("a control without key: {c}"));
        assert!(out.insert(key.to_string(), c.clone()).is_none(), "two controls {key}");
    }
    out
}

// ---------------------------------------------------------------------------------------------
// 1. The page

/// Every cell of the page's tables, header rows included (`null`: no such table).
const READ_TABLES: &str = "(() => { const out = {};
  for (const n of ['summary', 'contracts', 'threshold_prices', 'budget_impact']) {
    const t = document.querySelector(`table[data-table=\"${n}\"]`);
    out[n] = t ? [...t.rows].map(r => [...r.cells].map(c => c.textContent)) : null;
  }
  return out; })()";

fn page_table(tables: &Value, name: &str) -> Option<Table> {
    let t = &tables[name];
    (!t.is_null()).then(|| serde_json::from_value(t.clone()).expect("rows of text cells"))
}

/// The rows of a contracts table (header first) for `contract`, and its `effective_discount`.
fn contract_rows(t: &Table, contract: &str) -> (Vec<Vec<String>>, Vec<f64>) {
    let col = |c: &str| t[0].iter().position(|h| h == c).unwrap_or_else(|| panic!("no {c}"));
    let (name, eff) = (col("contract"), col("effective_discount"));
    let rows: Vec<Vec<String>> = t[1..].iter().filter(|r| r[name] == contract).cloned().collect();
    let effs = rows.iter().map(|r| r[eff].parse().unwrap()).collect();
    (rows, effs)
}

/// In headless Chromium the page loads the default scenario, a moved discount slider makes a
/// newer evaluation in which only that contract's rows change (its effective discount now
/// 0.15), "Save as scenario layer" names the layer it wrote, and `vbpsim run` of that layer
/// writes summary, contracts, threshold prices and budget impact CSVs equal cell for cell to
/// the page's tables. The page reports no uncaught exception or console error, and asks for
/// nothing but its own server's files and API.
#[test]
fn the_page_moves_a_control_and_matches_vbpsim_run() {
    let Some(chromium) = chromium_or_skip("the explorer page") else { return };
    let dir = tempfile::tempdir().unwrap();
    let layers = dir.path().join("layers");
    let server = Server::start("scenarios/nsclc_egfr.toml", 2000, &layers);
    let mut b = Browser::launch(&chromium, "about:blank");
    b.navigate(&server.url);
    let wait = Duration::from_secs(120);
    b.wait_until("document.body && document.body.dataset.state === 'ready'", wait);
    let generation = |b: &mut Browser| -> f64 {
        let g = b.evaluate("document.body.dataset.generation");
        g.as_str().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("generation: {g}"))
    };
    let before = generation(&mut b);
    let tables = b.evaluate(READ_TABLES);
    let contracts_before = page_table(&tables, "contracts").expect("a contracts table");

    let key = "contracts.discount_20.discount";
    let moved = b.evaluate(&format!(
        "(() => {{ let el = document.querySelector('[data-key=\"{key}\"]');
          if (!el) return 'no element [data-key=\"{key}\"]';
          if (!['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName))
            el = el.querySelector('input, select, textarea') || el;
          el.value = '0.15';
          el.dispatchEvent(new Event('input', {{ bubbles: true }}));
          el.dispatchEvent(new Event('change', {{ bubbles: true }}));
          return 'moved'; }})()"
    ));
    assert_eq!(moved, json!("moved"));
    b.wait_until(
        &format!(
            "Number(document.body.dataset.generation) > {before} && \
             document.body.dataset.state === 'ready'"
        ),
        wait,
    );
    let tables = b.evaluate(READ_TABLES);
    let contracts_after = page_table(&tables, "contracts").expect("a contracts table");
    let (rows_before, eff_before) = contract_rows(&contracts_before, "discount_20");
    let (rows_after, eff_after) = contract_rows(&contracts_after, "discount_20");
    assert!(!rows_after.is_empty(), "discount_20 has rows in the contracts table");
    assert_ne!(rows_before, rows_after, "the moved discount changes discount_20's rows");
    assert!(eff_before.iter().all(|e| (e - 0.2).abs() < 1e-9), "before: {eff_before:?}");
    assert!(eff_after.iter().all(|e| (e - 0.15).abs() < 1e-9), "after: {eff_after:?}");
    let others = |t: &Table| -> Vec<Vec<String>> {
        t.iter().filter(|r| !r.iter().any(|c| c == "discount_20")).cloned().collect()
    };
    assert_eq!(others(&contracts_before), others(&contracts_after), "other contracts' rows");

    let save = "(document.getElementById('save-layer') || [...document.querySelectorAll('button')]
        .find(b => b.textContent.trim() === 'Save as scenario layer'))";
    b.wait_until(&format!("{save} && !{save}.disabled"), wait);
    assert_eq!(b.evaluate(&format!("{save}.click()")), Value::Null);
    b.wait_until("document.body.dataset.layerPath", wait);
    let path = b.evaluate("document.body.dataset.layerPath");
    let layer = root().join(path.as_str().unwrap());
    // The tables the saved layer describes: the page settled before the click.
    let tables = b.evaluate(READ_TABLES);
    assert!(b.page_errors.is_empty(), "the page's errors: {:?}", b.page_errors);
    let elsewhere: Vec<&String> =
        b.requests.iter().filter(|u| !u.starts_with(&server.url)).collect();
    assert!(elsewhere.is_empty(), "the page asked for nothing but its server's: {elsewhere:?}");
    for asked in ["app.js", "style.css", "api/scenario", "api/evaluate", "api/layer"] {
        let url = format!("{}{asked}", server.url);
        assert!(b.requests.contains(&url), "the page asked for {url}: {:?}", b.requests);
    }

    let out = run_layer(&layer, &dir.path().join("run"));
    for name in ["summary", "contracts", "threshold_prices", "budget_impact"] {
        let csv = out.join(format!("{name}.csv"));
        assert!(csv.is_file(), "vbpsim run wrote {name}.csv");
        let shown = page_table(&tables, name)
            .unwrap_or_else(|| panic!("no table[data-table=\"{name}\"] on the page"));
        same_table(name, "the page", &shown, &csv_file(&csv));
    }
}

// ---------------------------------------------------------------------------------------------
// 2. The API and `vbpsim run`, every contract kind

/// Scenarios whose contracts, together, are of every kind (see the test).
const KIND_SCENARIOS: [&str; 2] =
    ["tests/fixtures/contracts/vbp.toml", "tests/fixtures/cohort/shares.toml"];

/// The term of a kind the test changes (the first number or duration of the contract when the
/// server offers none of that name).
fn preferred_term(kind: &str) -> &'static str {
    match kind {
        "discount" => "discount",
        "money_back" => "window",
        "payment_at_result" => "assess_at",
        "response_rebate" => "refund",
        "duration_cap" => "max_cycles",
        "instalments" => "interval",
        "expenditure_cap" => "cap",
        "price_volume" => "years",
        "population_outcome" => "rebate",
        _ => "admin",
    }
}

/// A changed value of a number or duration control, within its `min`/`max` hints: integers
/// move by about a tenth (at least 1), other numbers by a tenth.
fn changed(control: &Value) -> String {
    let value = control["value"].as_str().expect("a control's value is text");
    let (number, unit) = match control["type"].as_str() {
        Some("duration") => {
            let (n, u) = value.split_once(' ').unwrap_or_else(|| panic!("duration {value:?}"));
            (n, Some(u))
        }
        _ => (value, None),
    };
    let v: f64 = number.trim().parse().unwrap_or_else(|_| panic!("{control}: value"));
    let (min, max) = (control["min"].as_f64(), control["max"].as_f64());
    let fits = |x: f64| min.is_none_or(|m| x >= m) && max.is_none_or(|m| x <= m) && x != v;
    let candidates = if v.fract() == 0.0 && v.abs() >= 2.0 {
        let step = (v.abs() * 0.1).round().max(1.0);
        [v - step, v + step]
    } else if v == 0.0 {
        [0.1, 1.0]
    } else {
        [v * 0.9, v * 1.1]
    };
    let new = candidates
        .into_iter()
        .find(|&x| fits(x))
        .unwrap_or_else(|| panic!("no changed value fits {control}"));
    let text = format!("{}", (new * 1e9).round() / 1e9);
    match unit {
        Some(u) => format!("{text} {u}"),
        None => text,
    }
}

/// A 200 answer of /api/evaluate has every field the spec lists, of its type, with the
/// scenario's currency, comparator and thresholds and one best arm per threshold; every
/// deviation is listed in one failure.
fn has_the_spec_fields(reply: &Value, sc: &Value, scenario: &str) {
    let mut wrong = Vec::new();
    let mut fields = |at: &str, v: &Value, names: &[&str]| {
        for n in names {
            if v.get(n).is_none() {
                wrong.push(format!("{at} has no `{n}`: {v}"));
            }
        }
    };
    let top = [
        "ok",
        "generation",
        "elapsed_ms",
        "patients",
        "seed",
        "currency",
        "comparator",
        "thresholds",
        "headline",
        "best",
        "plane",
        "ranking",
        "tables",
        "warnings",
    ];
    fields("the answer", reply, &top);
    let list = |name: &str| reply[name].as_array().cloned().unwrap_or_default();
    for b in list("best") {
        fields("a `best` entry", &b, &["threshold", "arm", "nmb", "inc_nmb"]);
    }
    for p in list("plane") {
        let names = ["arm", "strategy", "contract", "d_cost", "d_qalys", "reference"];
        fields("a `plane` entry", &p, &names);
    }
    for r in list("ranking") {
        fields("a `ranking` entry", &r, &["threshold", "strategy", "payer", "manufacturer"]);
    }
    let numbers = |v: &Value| -> Vec<f64> {
        v.as_array().into_iter().flatten().filter_map(Value::as_f64).collect()
    };
    for (field, same) in [
        ("currency", reply["currency"] == sc["currency"]),
        ("comparator", reply["comparator"] == sc["comparator"]),
        ("thresholds", numbers(&reply["thresholds"]) == numbers(&sc["thresholds"])),
        ("best", list("best").len() == numbers(&sc["thresholds"]).len()),
        ("headline", list("headline").iter().all(Value::is_string) && !list("headline").is_empty()),
        ("warnings", reply["warnings"].is_array()),
    ] {
        if !same {
            wrong.push(format!("`{field}`: {} (scenario: {})", reply[field], sc[field]));
        }
    }
    assert!(wrong.is_empty(), "{scenario}: POST /api/evaluate's answer:\n{}", wrong.join("\n"));
}

/// For scenarios whose contracts together are of every kind (the full kit of per-patient
/// kinds in tests/fixtures/contracts/vbp.toml; the three cohort-level kinds in
/// tests/fixtures/cohort/shares.toml): one number or duration term of every contract is
/// changed; POST /api/evaluate must answer with the server's patients and the scenario's seed,
/// change each changed contract's rows of the contracts table, and give every table (summary,
/// nmb, contracts, threshold prices, budget impact) exactly as `vbpsim run` of the layer POST
/// /api/layer writes for the same settings — and so must the unchanged scenario.
#[test]
fn the_api_matches_vbpsim_run_for_every_contract_kind() {
    let dir = tempfile::tempdir().unwrap();
    let mut kinds_seen = BTreeSet::new();
    for (i, scenario) in KIND_SCENARIOS.into_iter().enumerate() {
        let layers = dir.path().join(format!("layers{i}"));
        let server = Server::start(scenario, 2000, &layers);
        let (status, sc) = server.get("/api/scenario");
        assert_eq!(status, 200, "GET /api/scenario: {sc}");
        assert_eq!(sc["patients"], json!(2000), "{scenario}: patients");
        let controls = controls(&sc);
        let mut settings = BTreeMap::new();
        let mut changed_contracts = Vec::new();
        for c in sc["contracts"].as_array().expect("contracts") {
            let (name, kind) = (c["name"].as_str().unwrap(), c["kind"].as_str().unwrap());
            assert!(KINDS.contains(&kind), "{scenario}: unknown kind {kind}");
            kinds_seen.insert(kind.to_string());
            let prefix = format!("contracts.{name}.");
            let numeric: Vec<&Value> = controls
                .iter()
                .filter(|(k, c)| {
                    k.starts_with(&prefix)
                        && matches!(c["type"].as_str(), Some("number" | "duration"))
                        && c.get("enabled_when").is_none()
                })
                .map(|(_, c)| c)
                .collect();
            let term = format!("{prefix}{}", preferred_term(kind));
            let control = numeric
                .iter()
                .find(|c| c["key"].as_str().unwrap().starts_with(&term))
                .or(numeric.first());
            match control {
                Some(control) => {
                    let key = control["key"].as_str().unwrap().to_string();
                    settings.insert(key, changed(control));
                    changed_contracts.push(name.to_string());
                }
                // A list contract has no terms of its own (only an administration, if any).
                None if kind == "list" => {}
                None => panic!("{scenario}: no number or duration control of {name} ({kind})"),
            }
        }
        eprintln!("{scenario}: changed {settings:?}");

        let base = server.ok("/api/evaluate", &BTreeMap::new());
        let moved = server.ok("/api/evaluate", &settings);
        for reply in [&base, &moved] {
            assert_eq!(reply["patients"], json!(2000), "{scenario}: patients of {reply}");
            assert_eq!(reply["seed"], sc["seed"], "{scenario}: the scenario's seed");
        }
        let contracts_of = |reply: &Value, name: &str| -> Vec<Vec<String>> {
            let t = api_table("contracts", &reply["tables"]["contracts"]);
            let col = t[0].iter().position(|h| h == "contract").expect("a contract column");
            t[1..].iter().filter(|r| r[col] == name).cloned().collect()
        };
        for name in &changed_contracts {
            let (b, m) = (contracts_of(&base, name), contracts_of(&moved, name));
            assert!(!m.is_empty(), "{scenario}: {name} has rows in tables.contracts");
            assert_ne!(
                b, m,
                "{scenario}: changing a term of {name} changes its rows ({settings:?})"
            );
        }

        for (label, settings, reply) in
            [("unchanged", BTreeMap::new(), &base), ("changed", settings.clone(), &moved)]
        {
            let layer = save_layer(&server, &settings, &layers);
            let out = run_layer(&layer, &dir.path().join(format!("run{i}-{label}")));
            for name in TABLES {
                let csv = out.join(format!("{name}.csv"));
                let table = &reply["tables"][name];
                assert_eq!(
                    table.is_null(),
                    !csv.is_file(),
                    "{scenario} ({label}): tables.{name} given iff vbpsim run writes {name}.csv"
                );
                if csv.is_file() {
                    let source = format!("POST /api/evaluate ({scenario}, {label})");
                    same_table(name, &source, &api_table(name, table), &csv_file(&csv));
                }
            }
        }
    }
    let all: BTreeSet<String> = KINDS.iter().map(|k| k.to_string()).collect();
    assert_eq!(kinds_seen, all, "the scenarios cover every contract kind");
}

/// The answers of /api/evaluate for the default scenario (one strategy with contracts) and
/// for tests/fixtures/contracts/vbp.toml (two) have every field of the spec.
#[test]
fn an_evaluation_answers_every_field_of_the_spec() {
    let dir = tempfile::tempdir().unwrap();
    for scenario in ["scenarios/nsclc_egfr.toml", "tests/fixtures/contracts/vbp.toml"] {
        let server = Server::start(scenario, 500, dir.path());
        let (status, sc) = server.get("/api/scenario");
        assert_eq!(status, 200, "GET /api/scenario: {sc}");
        let reply = server.ok("/api/evaluate", &BTreeMap::new());
        has_the_spec_fields(&reply, &sc, scenario);
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Bad input

/// The errors of a 422 answer to `settings` (POST `path`), which must name `key` and whose
/// message must contain every one of `words`.
fn refused(server: &Server, path: &str, key: &str, value: &str, words: &[&str]) {
    let request = json!({ "settings": { key: value } });
    let (status, reply) = server.post(path, &request);
    assert_eq!(status, 422, "POST {path} {request}\nreply: {reply}");
    assert_eq!(reply["ok"], json!(false), "POST {path} {request}: {reply}");
    let errors = reply["errors"].as_array().unwrap_or_else(|| panic!("no errors: {reply}"));
    let mine: Vec<&str> = errors
        .iter()
        .filter(|e| e["key"] == json!(key))
        .filter_map(|e| e["message"].as_str())
        .collect();
    assert!(!mine.is_empty(), "POST {path} {request}: no error with key {key}: {reply}");
    assert!(
        mine.iter().any(|m| words.iter().all(|w| m.contains(w))),
        "POST {path} {request}: no message with all of {words:?}: {mine:?}"
    );
}

/// A discount of 1.5 and a window of "9 mnths" are answered 422 (by /api/evaluate and by
/// /api/layer) with an error whose key is that control and whose message names the field and
/// what was expected; a body over 64 KiB is answered 413, malformed JSON 400, both in the
/// error shape; and the server still answers /api/health and a valid evaluation afterwards.
#[test]
fn bad_input_is_located_beside_its_control() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start("scenarios/nsclc_egfr.toml", 500, dir.path());
    let (_, sc) = server.get("/api/scenario");
    let controls = controls(&sc);
    let (discount, window) = ("contracts.discount_20.discount", "contracts.money_back_6m.window");
    assert_eq!(controls[discount]["type"], json!("number"), "{}", controls[discount]);
    assert_eq!(controls[window]["type"], json!("duration"), "{}", controls[window]);
    for path in ["/api/evaluate", "/api/layer"] {
        refused(&server, path, discount, "1.5", &["discount", "between 0 and 1", "1.5"]);
        // The field, the text given, and the units it could have been.
        refused(&server, path, window, "9 mnths", &["window", "mnths", "month"]);
    }
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "a refused /api/layer writes no file"
    );

    let check_error_shape = |what: &str, status: u16, reply: &Value, want: u16| {
        assert_eq!(status, want, "{what}: {reply}");
        assert_eq!(reply["ok"], json!(false), "{what}: {reply}");
        let errors = reply["errors"].as_array().unwrap_or_else(|| panic!("{what}: {reply}"));
        assert!(
            errors.iter().any(|e| e["key"].is_null() && e["message"].as_str().is_some()),
            "{what}: an error with key null and a message: {reply}"
        );
    };
    // Valid JSON (the size, not the syntax, is wrong): a setting of 100 KiB.
    let big = json!({ "settings": { "scenario.title": "x".repeat(100 * 1024) } }).to_string();
    let r = http(&server.addr, "POST", "/api/evaluate", Some(big.as_bytes()));
    let (status, reply) = json_reply("POST", "/api/evaluate (100 KiB)", r);
    check_error_shape("a body of 100 KiB", status, &reply, 413);

    let r = http(&server.addr, "POST", "/api/evaluate", Some(b"{\"settings\": {"));
    let (status, reply) = json_reply("POST", "/api/evaluate (malformed)", r);
    check_error_shape("malformed JSON", status, &reply, 400);

    assert_eq!(server.get("/api/health"), (200, json!({ "ok": true })), "health afterwards");
    let reply = server.ok("/api/evaluate", &BTreeMap::from([(discount.into(), "0.15".into())]));
    assert!(reply["tables"]["summary"].is_object(), "a valid evaluation afterwards: {reply}");
}

// ---------------------------------------------------------------------------------------------
// 4. A burst

/// POST /api/evaluate with `settings` until it is answered 200, waiting `retry_after_ms`
/// after each 503 (busy); anything else fails. Returns the 200 answer.
fn evaluate_retrying(server: &Server, settings: &Value) -> Value {
    let start = Instant::now();
    loop {
        let (status, reply) = server.post("/api/evaluate", settings);
        match status {
            200 => return reply,
            503 => {
                assert_eq!(reply["busy"], json!(true), "503: {reply}");
                let ms = reply["retry_after_ms"]
                    .as_u64()
                    .unwrap_or_else(|| panic!("503 without retry_after_ms: {reply}"));
                assert!(start.elapsed() < HANG_GUARD, "still busy after {HANG_GUARD:?}");
                std::thread::sleep(Duration::from_millis(ms));
            }
            _ => panic!("POST /api/evaluate {settings}: {status} {reply}"),
        }
    }
}

/// Sets its flag if dropped while its thread panics: a failed worker stops the health
/// thread's wait for answers that will not come.
struct AbortOnPanic(Arc<AtomicBool>);

impl Drop for AbortOnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.store(true, Ordering::SeqCst);
        }
    }
}

/// 8 threads send 125 evaluations each, of 100 different discounts (more than a server would
/// keep answers for), retrying after every 503; each ends in a 200 whose summary is the one
/// the same settings got alone before the burst (no answer lost, or given to another request,
/// or different when simulated again), and a GET /api/health sent after the first 100
/// answers, which the threads wait for before their last request, is answered 200.
#[test]
fn a_burst_of_1000_requests_is_answered() {
    const THREADS: usize = 8;
    const EACH: usize = 125;
    const DISTINCT: usize = 100;
    let dir = tempfile::tempdir().unwrap();
    let server = Arc::new(Server::start("scenarios/nsclc_egfr.toml", 500, dir.path()));
    // More settings than a server would sensibly keep answers for, so that the burst makes it
    // simulate again rather than only look answers up.
    let discounts: Vec<String> = (0..DISTINCT).map(|i| format!("0.{}", 100 + i)).collect();
    let discounts = Arc::new(discounts);
    let request = |d: &str| json!({ "settings": { "contracts.discount_20.discount": d } });
    let alone: Vec<Value> = discounts
        .iter()
        .map(|d| {
            server.ok(
                "/api/evaluate",
                &BTreeMap::from([("contracts.discount_20.discount".to_string(), d.to_string())]),
            )
        })
        .map(|r| r["tables"]["summary"].clone())
        .collect();
    for (i, a) in alone.iter().enumerate() {
        assert!(a.is_object(), "a summary for discount {}", discounts[i]);
        for (j, b) in alone.iter().enumerate().skip(i + 1) {
            assert_ne!(
                a, b,
                "discounts {} and {} give different summaries",
                discounts[i], discounts[j]
            );
        }
    }
    let alone = Arc::new(alone);

    let answered = Arc::new(AtomicUsize::new(0));
    let health_done = Arc::new(AtomicBool::new(false));
    let aborted = Arc::new(AtomicBool::new(false));
    let health_result: Arc<Mutex<Option<(u16, Value)>>> = Arc::new(Mutex::new(None));
    // The workers, the health thread and this one.
    let start = Arc::new(Barrier::new(THREADS + 2));
    let health = {
        let (server, answered, done, result, start, aborted) = (
            server.clone(),
            answered.clone(),
            health_done.clone(),
            health_result.clone(),
            start.clone(),
            aborted.clone(),
        );
        std::thread::spawn(move || {
            start.wait();
            let t0 = Instant::now();
            while answered.load(Ordering::SeqCst) < 100
                && !aborted.load(Ordering::SeqCst)
                && t0.elapsed() < HANG_GUARD
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            let answer = server.get("/api/health");
            *result.lock().unwrap() = Some(answer);
            done.store(true, Ordering::SeqCst);
        })
    };
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let (server, alone, answered, done, start, discounts) = (
                server.clone(),
                alone.clone(),
                answered.clone(),
                health_done.clone(),
                start.clone(),
                discounts.clone(),
            );
            let abort_on_panic = AbortOnPanic(aborted.clone());
            std::thread::spawn(move || {
                let _abort_on_panic = abort_on_panic;
                start.wait();
                for k in 0..EACH {
                    if k == EACH - 1 {
                        // The burst is not over until health has been answered.
                        let t0 = Instant::now();
                        while !done.load(Ordering::SeqCst) {
                            assert!(t0.elapsed() < HANG_GUARD, "GET /api/health unanswered");
                            std::thread::sleep(Duration::from_millis(5));
                        }
                    }
                    let d = (t * EACH + k) % discounts.len();
                    let reply = evaluate_retrying(&server, &request(&discounts[d]));
                    assert_eq!(
                        reply["tables"]["summary"], alone[d],
                        "thread {t}, request {k}: discount {}: the summary differs from the one \
                         it got alone",
                        discounts[d]
                    );
                    answered.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    start.wait();
    let mut failures = Vec::new();
    for (t, w) in workers.into_iter().enumerate() {
        if let Err(e) = w.join() {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()));
            failures.push(format!("thread {t}: {}", msg.unwrap_or_default()));
        }
    }
    health.join().unwrap();
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(answered.load(Ordering::SeqCst), THREADS * EACH, "every request answered 200");
    let health = health_result.lock().unwrap().take().expect("the health request was sent");
    assert_eq!(health, (200, json!({ "ok": true })), "GET /api/health during the burst");
}

/// A server that could not evaluate is refused before it serves: an evaluation too large for
/// the machine (exit 2, with what to do), a scenario that does not read (exit 2, located).
#[test]
fn serve_refuses_what_it_could_not_evaluate() {
    let out = expect(vbpsim().args(["serve", "--port", "0", "--patients", "100000000000"]), 2);
    let stderr = text_of(&out.stderr);
    assert!(stderr.contains("more than a day") && stderr.contains("lower --patients"), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing served: {}", text_of(&out.stdout));
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[scenario]\nname = \"x\"\npatients = -1\n").unwrap();
    let out = expect(vbpsim().arg("serve").arg(&bad).args(["--port", "0"]), 2);
    let stderr = text_of(&out.stderr);
    assert!(stderr.contains("bad.toml:3:12") && stderr.contains("scenario.patients"), "{stderr}");
}

/// A request the explorer's own page would not send is refused before any work: another
/// `Host` (a name a page elsewhere controls), another `Origin`, a body that is not JSON. None of
/// them writes a layer.
#[test]
fn foreign_pages_cannot_drive_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let layers = dir.path().join("layers");
    let server = Server::start("scenarios/nsclc_egfr.toml", 200, &layers);
    let body = br#"{"settings": {}}"#;
    let send = |head: &str| {
        let mut s = TcpStream::connect(&server.addr).unwrap();
        s.set_read_timeout(Some(HANG_GUARD)).unwrap();
        let request = format!(
            "POST /api/layer HTTP/1.1\r\n{head}Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        s.write_all(request.as_bytes()).and_then(|_| s.write_all(body)).unwrap();
        let mut raw = String::new();
        let _ = s.read_to_string(&mut raw);
        raw.split_whitespace().nth(1).and_then(|c| c.parse::<u16>().ok()).unwrap_or(0)
    };
    let json = "Content-Type: application/json\r\n";
    let own = format!("Host: {}\r\n", server.addr);
    assert_eq!(send(&format!("Host: evil.example\r\n{json}")), 403, "a foreign Host");
    let origin = format!("{own}Origin: http://evil.example\r\n{json}");
    assert_eq!(send(&origin), 403, "a foreign Origin");
    assert_eq!(send(&format!("{own}Content-Type: text/plain\r\n")), 415, "a text body");
    assert!(
        !layers.exists() || std::fs::read_dir(&layers).unwrap().next().is_none(),
        "no layer written"
    );
    // The page's own requests still pass.
    let same = format!("{own}Origin: http://{}\r\n{json}", server.addr);
    assert_eq!(send(&same), 200, "the page's own origin");
}

/// A moved parameter keeps its distribution: its base-case value is set (`.value`), so a
/// parameter that a correlation, an EVPPI group or a registry names can be moved, and a PSA
/// from the saved layer still draws it. A value the parameter cannot take is refused beside
/// its control, though the reader finds it where the parameter is used.
#[test]
fn a_moved_parameter_keeps_its_distribution() {
    let dir = tempfile::tempdir().unwrap();
    let layers = dir.path().join("layers");
    let server = Server::start("scenarios/melanoma_braf.toml", 300, &layers);
    let settings = BTreeMap::from([("parameters.dt_response".to_string(), "0.612".to_string())]);
    let reply = server.ok("/api/evaluate", &settings);
    assert_eq!(reply["ok"], json!(true));
    let layer = save_layer(&server, &settings, &layers);
    let text = std::fs::read_to_string(&layer).unwrap();
    assert!(text.contains("parameters.dt_response.value = 0.612"), "{text}");
    let out = dir.path().join("psa");
    expect(
        vbpsim().arg("run").arg(&layer).args(["--samples", "3", "--quiet", "--out"]).arg(&out),
        0,
    );
    let drawn = std::fs::read_to_string(out.join("parameters.csv")).unwrap();
    assert!(drawn.lines().next().unwrap().split(',').any(|c| c == "dt_response"), "{drawn}");
    drop(server);

    let server = Server::start("scenarios/nsclc_egfr.toml", 200, &layers);
    for path in ["/api/evaluate", "/api/layer"] {
        refused(&server, path, "parameters.egfr_prevalence", "1.5", &["prevalence", "1.5"]);
    }
}

/// The page's controls, its kept answers and a layer's promise all stand on the scenario's
/// text when the explorer opened it: once the file changes, evaluations are refused with
/// what to do.
#[test]
fn a_scenario_changed_on_disk_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.toml");
    let text = std::fs::read_to_string(root().join("scenarios/nsclc_egfr.toml")).unwrap();
    std::fs::write(&file, &text).unwrap();
    let server = Server::start(file.to_str().unwrap(), 200, &dir.path().join("layers"));
    let settings =
        BTreeMap::from([("contracts.discount_20.discount".to_string(), "0.3".to_string())]);
    server.ok("/api/evaluate", &settings);
    std::fs::write(&file, text.replace("thresholds = [100000, 150000]", "thresholds = [50000]"))
        .unwrap();
    let other = json!({ "settings": { "contracts.discount_20.discount": "0.31" } });
    let (status, reply) = server.post("/api/evaluate", &other);
    assert_eq!(status, 422, "{reply}");
    let message = reply["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("changed on disk") && message.contains("restart"), "{reply}");
}

// ---------------------------------------------------------------------------------------------
// 5. Latency (a benchmark, not a test: `benches/explorer_latency.sh` runs it)

/// The time from a control's change to the updated page at the default 100,000 patients per
/// strategy, as the page measures it (`performance.now()` from the `change` event to the end
/// of rendering), and the server's own evaluation time, over distinct discounts (none
/// answered from the server's memory of recent settings). Prints; asserts nothing about
/// speed.
#[test]
#[ignore = "a benchmark: benches/explorer_latency.sh"]
fn explorer_latency() {
    let Some(chromium) = chromium_or_skip("the explorer's latency") else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start("scenarios/nsclc_egfr.toml", 100_000, &dir.path().join("layers"));
    let mut b = Browser::launch(&chromium, "about:blank");
    b.navigate(&server.url);
    let wait = Duration::from_secs(300);
    b.wait_until("document.body && document.body.dataset.state === 'ready'", wait);
    let (mut page, mut api) = (Vec::new(), Vec::new());
    for k in 0..20 {
        let discount = format!("0.{:02}", 30 + k);
        let before = b.evaluate("Number(document.body.dataset.generation)");
        b.evaluate(&format!(
            "(() => {{ const el = document.querySelector('[data-key=\"contracts.discount_20.discount\"]');
              el.value = '{discount}'; el.dispatchEvent(new Event('change', {{ bubbles: true }})); }})()"
        ));
        b.wait_until(
            &format!("Number(document.body.dataset.generation) > {before} && document.body.dataset.state === 'ready'"),
            wait,
        );
        let ms = b.evaluate("Number(document.body.dataset.latencyMs)");
        page.push(ms.as_f64().unwrap());
        let settings = BTreeMap::from([(
            "contracts.discount_20.discount".to_string(),
            format!("0.{:02}", 60 + k),
        )]);
        let started = Instant::now();
        let reply = server.ok("/api/evaluate", &settings);
        api.push((started.elapsed().as_secs_f64() * 1000.0, reply["elapsed_ms"].as_f64().unwrap()));
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        (v[0], v[v.len() / 2], v[v.len() - 1])
    };
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "explorer latency, nsclc_egfr, 100,000 patients per strategy, {cpus} cores, 20 changes each:"
    );
    let (lo, mid, hi) = median(page);
    println!("  change to updated page: median {mid:.0} ms (min {lo:.0}, max {hi:.0})");
    let (lo, mid, hi) = median(api.iter().map(|a| a.0).collect());
    println!("  POST /api/evaluate round trip: median {mid:.0} ms (min {lo:.0}, max {hi:.0})");
    let (lo, mid, hi) = median(api.iter().map(|a| a.1).collect());
    println!("  of which the evaluation: median {mid:.0} ms (min {lo:.0}, max {hi:.0})");
}
