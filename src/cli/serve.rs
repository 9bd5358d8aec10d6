//! `vbpsim serve`: the contract explorer's HTTP server. It serves one page (its script and
//! style are compiled into the binary: nothing is fetched from elsewhere) and a JSON API whose
//! work is [`vbpsim::workflow::explorer`]'s.
//!
//! Requests are read by a few threads that answer the page and the cheap calls at once and
//! queue evaluations for one worker, which simulates on every core; the worker answers each
//! request itself, so a slow evaluation never holds a reading thread. A queued evaluation is
//! answered `superseded` when a newer one from the same page arrives before it starts; a full
//! queue, or more than 100 evaluations a second (200 in a burst), is answered `busy` with a
//! delay to retry after; and answers are kept for settings seen recently (moving a control back
//! is instant). Nothing in a request can make the server panic: bodies are bounded, JSON is
//! parsed by serde, and an evaluation that fails anyway (a bug) is answered as an error instead
//! of ending the worker.

use super::failure::Failure;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::io::Read;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use tiny_http::{Header, Method, Request, Response, Server};
use vbpsim::workflow::explorer::{Explorer, Problem};

/// The page, its script and its style.
const INDEX_HTML: &str = include_str!("../../assets/explorer/index.html");
const APP_JS: &str = include_str!("../../assets/explorer/app.js");
const STYLE_CSS: &str = include_str!("../../assets/explorer/style.css");

/// The largest request body read.
const MOST_BODY_BYTES: usize = 64 * 1024;
/// Evaluations waiting at most (beyond: `busy`).
const MOST_QUEUED: usize = 64;
/// Settings whose answers are kept, and the most bytes of JSON they may hold together (an
/// answer above an eighth of that is not kept).
const CACHED: usize = 64;
const CACHED_BYTES: usize = 64 << 20;
/// Threads reading requests.
const READERS: usize = 4;
/// The delay a `busy` answer asks for.
const RETRY_AFTER_MS: u64 = 250;
/// Evaluations and layers accepted per second, sustained, and in a burst (beyond: `busy`).
const RATE_PER_SECOND: f64 = 100.0;
const RATE_BURST: f64 = 200.0;

/// What a queued request asks for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Work {
    Evaluate,
    Layer,
}

/// What the readers answer by themselves.
struct Site {
    /// `GET /api/scenario`'s answer.
    description: String,
    /// The `Host` a request to the API must name (the loopback's names with the port), so
    /// that a web page elsewhere cannot reach the API through a name it controls; empty when
    /// listening beyond the loopback.
    hosts: Vec<String>,
}

/// A request waiting for the worker.
struct Job {
    work: Work,
    request: Request,
    client: Option<String>,
    generation: Option<u64>,
    settings: Vec<(String, String)>,
}

/// The worker's queue and its memory of recent answers.
#[derive(Default)]
struct Shared {
    queue: Mutex<VecDeque<Job>>,
    ready: Condvar,
    /// (settings, answer, its size in bytes), most recent last.
    cache: Mutex<VecDeque<(Settings, Answer, usize)>>,
    /// The rate limit's bucket: (tokens, when last filled).
    bucket: Mutex<Option<(f64, std::time::Instant)>>,
}

impl Shared {
    /// Take a token from the rate limit's bucket, if one is left.
    fn admit(&self) -> bool {
        let now = std::time::Instant::now();
        let mut bucket = lock(&self.bucket);
        let (tokens, then) = bucket.unwrap_or((RATE_BURST, now));
        let tokens =
            (tokens + now.duration_since(then).as_secs_f64() * RATE_PER_SECOND).min(RATE_BURST);
        let admitted = tokens >= 1.0;
        *bucket = Some((if admitted { tokens - 1.0 } else { tokens }, now));
        admitted
    }
}

/// A request's settings: (control key, text) pairs.
type Settings = Vec<(String, String)>;
/// An evaluation's answer: its JSON, or what is wrong with the settings.
type Answer = Result<Value, Vec<Problem>>;

/// Run the explorer until the process is stopped.
pub fn serve(
    scenario: Option<&Path>,
    (addr, port): (IpAddr, u16),
    (patients, threads): (u64, Option<usize>),
    layers: PathBuf,
) -> Result<(), Failure> {
    let explorer = Explorer::open(scenario, patients, threads, layers)?;
    // An evaluation too large for the machine is refused before the page is served.
    explorer.guard(explorer.scenario()).map_err(|e| {
        Failure::refused(&e, Some("lower --patients (each change on the page simulates them)"))
    })?;
    let server = Server::http((addr, port))
        .map_err(|e| Failure::other(format!("error: cannot listen on {addr}:{port}: {e}")))?;
    let bound = server.server_addr().to_ip().map_or(port, |a| a.port());
    if !addr.is_loopback() {
        say!(
            "warning: listening on {addr}, not the loopback: anyone who can reach this machine can run simulations and write layers in its folder"
        );
    }
    let host = if addr.is_unspecified() { "127.0.0.1".to_string() } else { addr.to_string() };
    let host = if host.contains(':') { format!("[{host}]") } else { host };
    outln!(
        "serving http://{host}:{bound}/ ({}, {patients} patients per evaluation; Ctrl-C stops)",
        explorer.name()
    )?;
    let server = Arc::new(server);
    let shared = Arc::new(Shared::default());
    // The scenario's description does not change: written once, served by the readers.
    let hosts = if addr.is_loopback() {
        ["127.0.0.1", "localhost", "[::1]"].iter().map(|h| format!("{h}:{bound}")).collect()
    } else {
        Vec::new()
    };
    let site = Arc::new(Site { description: explorer.describe().to_string(), hosts });
    for _ in 0..READERS {
        let (server, shared, site) = (Arc::clone(&server), Arc::clone(&shared), Arc::clone(&site));
        std::thread::spawn(move || read_requests(&server, &shared, &site));
    }
    work(&explorer, &shared);
    Ok(())
}

/// A reading thread: answer what is cheap, queue the rest.
fn read_requests(server: &Server, shared: &Arc<Shared>, site: &Site) {
    loop {
        match server.recv() {
            Ok(request) => route(request, shared, site),
            // A failed accept (out of file descriptors, say): wait rather than spin.
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(50)),
        }
    }
}

fn route(request: Request, shared: &Arc<Shared>, site: &Site) {
    let path = request.url().split('?').next().unwrap_or("").to_string();
    let method = request.method().clone();
    if path.starts_with("/api/")
        && let Err((status, message)) = same_site(&request, site)
    {
        return fail(request, status, None, &message);
    }
    match (method, path.as_str()) {
        (Method::Get, "/") | (Method::Get, "/index.html") => {
            respond(request, 200, "text/html; charset=utf-8", INDEX_HTML.into())
        }
        (Method::Get, "/app.js") => {
            respond(request, 200, "text/javascript; charset=utf-8", APP_JS.into())
        }
        (Method::Get, "/style.css") => {
            respond(request, 200, "text/css; charset=utf-8", STYLE_CSS.into())
        }
        (Method::Get, "/favicon.ico") => respond(request, 204, "text/plain", String::new()),
        (Method::Get, "/api/health") => answer(request, 200, &json!({"ok": true})),
        (Method::Get, "/api/scenario") => {
            respond(request, 200, "application/json", site.description.clone())
        }
        (Method::Post, "/api/evaluate") | (Method::Post, "/api/layer") if !shared.admit() => {
            let busy = json!({"ok": false, "busy": true, "retry_after_ms": RETRY_AFTER_MS});
            answer(request, 503, &busy)
        }
        (Method::Post, "/api/evaluate") | (Method::Post, "/api/layer") => {
            let work = if path == "/api/evaluate" { Work::Evaluate } else { Work::Layer };
            // The body is read on a thread of its own: a client that sends it slowly holds
            // that thread, not a reader (the rate limit bounds how many there are).
            let shared = Arc::clone(shared);
            std::thread::spawn(move || take(request, work, &shared));
        }
        (_, "/api/evaluate" | "/api/layer" | "/api/scenario" | "/api/health") => {
            fail(request, 405, None, "method not allowed")
        }
        _ => fail(request, 404, None, &format!("no page {path}")),
    }
}

/// Read an evaluation's or a layer's request and queue it.
fn take(mut request: Request, work: Work, shared: &Shared) {
    match read_body(&mut request) {
        Ok(body) => match parse(&body) {
            Ok(Asked { client, generation, settings }) => {
                enqueue(Job { work, request, client, generation, settings }, shared)
            }
            Err(message) => fail(request, 400, None, &message),
        },
        Err(status) => {
            let message = format!("request larger than {} KiB", MOST_BODY_BYTES / 1024);
            fail(request, status, None, &message)
        }
    }
}

/// Whether a request to the API comes from the explorer's own page: a `Host` the server
/// answers to (on the loopback), an `Origin`, if any, of that host, and JSON for a body. A
/// page elsewhere can send a form or text to any address the browser reaches; it cannot send
/// JSON without asking first, nor name this host.
fn same_site(request: &Request, site: &Site) -> Result<(), (u16, String)> {
    let header = |name: &'static str| {
        request.headers().iter().find(|h| h.field.equiv(name)).map(|h| h.value.as_str().to_string())
    };
    let host = header("Host").unwrap_or_default();
    if !site.hosts.is_empty() && !site.hosts.contains(&host) {
        return Err((403, format!("the API answers requests to {} only", site.hosts.join(", "))));
    }
    if let Some(origin) = header("Origin")
        && origin != format!("http://{host}")
    {
        return Err((403, "the API answers the explorer's own page only".into()));
    }
    let json =
        header("Content-Type").is_some_and(|t| t.trim_start().starts_with("application/json"));
    if *request.method() == Method::Post && !json {
        return Err((415, "expected a JSON body (Content-Type: application/json)".into()));
    }
    Ok(())
}

/// The body, at most [`MOST_BODY_BYTES`] (413 beyond).
fn read_body(request: &mut Request) -> Result<Vec<u8>, u16> {
    if request.body_length().is_some_and(|n| n > MOST_BODY_BYTES) {
        return Err(413);
    }
    let mut body = Vec::new();
    let read = request.as_reader().take(MOST_BODY_BYTES as u64 + 1).read_to_end(&mut body);
    match read {
        Ok(_) if body.len() <= MOST_BODY_BYTES => Ok(body),
        Ok(_) => Err(413),
        Err(_) => Err(400),
    }
}

/// A request's client, generation and settings (every value as text).
struct Asked {
    client: Option<String>,
    generation: Option<u64>,
    settings: Settings,
}

fn parse(body: &[u8]) -> Result<Asked, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("malformed JSON: {e}"))?;
    let Value::Object(o) = v else { return Err("expected a JSON object".into()) };
    let client = o.get("client").and_then(Value::as_str).map(str::to_string);
    let generation = o.get("generation").and_then(Value::as_u64);
    let mut settings = Vec::new();
    match o.get("settings") {
        None | Some(Value::Null) => {}
        Some(Value::Object(s)) => {
            for (k, v) in s {
                let text = match v {
                    Value::String(t) => t.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => return Err(format!("settings.{k}: expected text, found {v}")),
                };
                settings.push((k.clone(), text));
            }
        }
        Some(_) => return Err("settings: expected an object of control keys and texts".into()),
    }
    Ok(Asked { client, generation, settings })
}

/// Queue a job, answering the same page's older queued evaluations `superseded`, or answer
/// `busy` when the queue is full.
fn enqueue(job: Job, shared: &Shared) {
    let mut queue = lock(&shared.queue);
    let mut superseded = Vec::new();
    if let (Work::Evaluate, Some(client), Some(g)) = (job.work, &job.client, job.generation) {
        let mut i = 0;
        while i < queue.len() {
            let old = &queue[i];
            if old.work == Work::Evaluate
                && old.client.as_ref() == Some(client)
                && old.generation.is_some_and(|o| o < g)
            {
                superseded.extend(queue.remove(i));
            } else {
                i += 1;
            }
        }
    }
    let full = queue.len() >= MOST_QUEUED;
    let refused = if full {
        Some(job)
    } else {
        queue.push_back(job);
        shared.ready.notify_one();
        None
    };
    drop(queue);
    for old in superseded {
        answer(
            old.request,
            409,
            &json!({"ok": false, "superseded": true, "generation": old.generation}),
        );
    }
    if let Some(job) = refused {
        let busy = json!({"ok": false, "busy": true, "retry_after_ms": RETRY_AFTER_MS});
        answer(job.request, 503, &busy);
    }
}

/// The worker: one job at a time, each simulation on every core.
fn work(explorer: &Explorer, shared: &Shared) {
    loop {
        let job = {
            let mut queue = lock(&shared.queue);
            loop {
                if let Some(job) = queue.pop_front() {
                    break job;
                }
                queue = shared.ready.wait(queue).unwrap_or_else(|e| e.into_inner());
            }
        };
        let Job { work, request, generation, settings, .. } = job;
        let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match work {
            Work::Evaluate => evaluate(explorer, shared, &settings),
            Work::Layer => explorer.save_layer(&settings),
        }));
        let done = done.unwrap_or_else(|_| {
            Err(vec![Problem::general("internal error: the evaluation failed (a bug in vbpsim; please report it with these settings)")])
        });
        let (status, v) = match done {
            Ok(mut v) => {
                if let Some(o) = v.as_object_mut() {
                    o.insert("generation".into(), json!(generation));
                }
                (200, v)
            }
            Err(problems) => {
                let v = json!({"ok": false, "generation": generation, "errors": Problem::json(&problems)});
                (422, v)
            }
        };
        // Sent from a thread of its own: a client that does not read its answer holds that
        // thread, not the worker.
        std::thread::spawn(move || answer(request, status, &v));
    }
}

/// An evaluation, from the recent answers when the same settings were evaluated lately.
fn evaluate(
    explorer: &Explorer,
    shared: &Shared,
    settings: &[(String, String)],
) -> Result<Value, Vec<Problem>> {
    let mut key = settings.to_vec();
    key.sort();
    {
        let mut cache = lock(&shared.cache);
        if let Some(i) = cache.iter().position(|(k, _, _)| *k == key) {
            let hit = cache.remove(i).expect("an index found in the cache");
            let answer = hit.1.clone();
            cache.push_back(hit);
            return answer;
        }
    }
    let answer = explorer.evaluate(settings);
    let bytes = match &answer {
        Ok(v) => v.to_string().len(),
        Err(p) => p.iter().map(|p| p.message.len()).sum(),
    };
    if bytes <= CACHED_BYTES / 8 {
        let mut cache = lock(&shared.cache);
        let mut held: usize = cache.iter().map(|c| c.2).sum::<usize>() + bytes;
        while cache.len() >= CACHED || held > CACHED_BYTES {
            let Some(old) = cache.pop_front() else { break };
            held -= old.2;
        }
        cache.push_back((key, answer.clone(), bytes));
    }
    answer
}

/// A poisoned lock still holds consistent data here (every critical section is a push or a
/// pop): carry on with it.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn fail(request: Request, status: u16, key: Option<&str>, message: &str) {
    answer(request, status, &json!({"ok": false, "errors": [{"key": key, "message": message}]}));
}

fn answer(request: Request, status: u16, v: &Value) {
    respond(request, status, "application/json", v.to_string());
}

/// Send a response; a client that has gone away is no concern of the server's.
fn respond(request: Request, status: u16, content_type: &str, body: String) {
    let mut response = Response::from_string(body).with_status_code(status);
    for (name, value) in [
        ("Content-Type", content_type),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
    ] {
        if let Ok(h) = Header::from_bytes(name.as_bytes(), value.as_bytes()) {
            response.add_header(h);
        }
    }
    let _ = request.respond(response);
}
