//! Fuzzing the scenario loader (docs, "Robustness"): every bundled scenario, mutated the way
//! hand-edited files go wrong — keys deleted, values of the wrong type, huge and tiny numbers,
//! NaN and infinity literals, deep nesting, very long strings, bytes that are not UTF-8, cut
//! and garbled text — must load to a scenario that then simulates and writes finite outputs,
//! or end in an error that names where the problem is. No panic, no hang (each case has a
//! deadline), no NaN or infinity in an output.
//!
//! The mutations are drawn by proptest from a fixed seed, so CI runs the same cases every
//! time; `VBPSIM_FUZZ_CASES=N` runs N cases per scenario instead of the default (for a longer
//! search on a developer's machine: a different count gives different cases).

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;
use toml::Value;
use vbpsim::output::folder::Target;
use vbpsim::scenario::{LoadError, load_with};
use vbpsim::workflow::run::{RunError, RunOptions, simulate, write_outputs};

const SCENARIOS: [&str; 6] = [
    "nsclc_egfr.toml",
    "nsclc_egfr_ctdna.toml",
    "nsclc_alk.toml",
    "nsclc_kras_g12c.toml",
    "melanoma_braf.toml",
    "car_t_lymphoma.toml",
];

/// Cases per scenario in CI (about ten seconds in all on two cores).
const DEFAULT_CASES: u32 = 60;

/// Longest a case may take (load, simulate 64 patients and 2 samples, write) before it is
/// called a hang.
const DEADLINE: Duration = Duration::from_secs(60);

/// One edit of a scenario.
#[derive(Clone, Debug)]
enum Mutation {
    /// Remove the key at the `n`-th path (modulo the number of paths).
    Delete(usize),
    /// Put a value of another kind at the `n`-th path.
    Replace(usize, Replacement),
    /// Wrap the value at the `n`-th path in `depth` arrays.
    Nest(usize, usize),
    /// Replace bytes of the text (after the structural edits): at `at` (a fraction of its
    /// length), the given bytes.
    Bytes(f64, Vec<u8>),
    /// Cut the text at a fraction of its length.
    Truncate(f64),
    /// Repeat a line (duplicate keys and tables).
    DuplicateLine(f64),
}

#[derive(Clone, Debug)]
enum Replacement {
    Integer(i64),
    Float(f64),
    Text(String),
    Boolean(bool),
    EmptyArray,
    EmptyTable,
}

fn replacement() -> impl Strategy<Value = Replacement> {
    prop_oneof![
        prop::sample::select(vec![0i64, -1, 1, i64::MAX, i64::MIN, 1 << 53, 100_000_000_000_000])
            .prop_map(Replacement::Integer),
        prop::sample::select(vec![
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e308,
            -1e308,
            5e-324,
            -0.0,
            1e-300,
            1e12,
            1e13,
            0.5,
            -0.5,
            1.0,
        ])
        .prop_map(Replacement::Float),
        prop::sample::select(vec![
            String::new(),
            "x".to_string(),
            "1e400 years".to_string(),
            "-3 months".to_string(),
            "nan days".to_string(),
            "0 days".to_string(),
            "é😀\u{202e}".to_string(),
            "x".repeat(200_000),
            "weibull".to_string(),
        ])
        .prop_map(Replacement::Text),
        any::<bool>().prop_map(Replacement::Boolean),
        Just(Replacement::EmptyArray),
        Just(Replacement::EmptyTable),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => any::<usize>().prop_map(Mutation::Delete),
        5 => (any::<usize>(), replacement()).prop_map(|(n, r)| Mutation::Replace(n, r)),
        1 => (any::<usize>(), prop::sample::select(vec![2usize, 40, 300]))
            .prop_map(|(n, d)| Mutation::Nest(n, d)),
        2 => (
            0.0..1.0f64,
            prop::collection::vec(
                prop::sample::select(vec![0xffu8, 0xfe, 0xc3, 0x80, 0x00, b'[', b'"', b'=', b'\n', b'{']),
                1..4
            )
        )
            .prop_map(|(at, b)| Mutation::Bytes(at, b)),
        1 => (0.0..1.0f64).prop_map(Mutation::Truncate),
        1 => (0.0..1.0f64).prop_map(Mutation::DuplicateLine),
    ]
}

/// Every path to a value in a TOML document (tables by key, arrays by index).
fn paths(value: &Value, prefix: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match value {
        Value::Table(t) => {
            for (k, v) in t {
                prefix.push(Step::Key(k.clone()));
                out.push(prefix.clone());
                paths(v, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                prefix.push(Step::Index(i));
                out.push(prefix.clone());
                paths(v, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

/// The parent of a path's value and the last step.
fn parent_mut<'v>(root: &'v mut Value, path: &[Step]) -> Option<&'v mut Value> {
    let mut v = root;
    for step in &path[..path.len() - 1] {
        v = match (v, step) {
            (Value::Table(t), Step::Key(k)) => t.get_mut(k)?,
            (Value::Array(a), Step::Index(i)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(v)
}

fn edit(root: &mut Value, path: &[Step], f: impl FnOnce(Option<Value>) -> Option<Value>) {
    let Some(parent) = parent_mut(root, path) else { return };
    match (parent, path.last()) {
        (Value::Table(t), Some(Step::Key(k))) => {
            let old = t.remove(k);
            if let Some(new) = f(old) {
                t.insert(k.clone(), new);
            }
        }
        (Value::Array(a), Some(Step::Index(i))) if *i < a.len() => {
            let old = a.remove(*i);
            if let Some(new) = f(Some(old)) {
                a.insert(*i, new);
            }
        }
        _ => {}
    }
}

/// The mutated scenario as bytes.
fn mutate(text: &str, mutations: &[Mutation]) -> Vec<u8> {
    let mut doc: Value = Value::Table(toml::from_str(text).expect("bundled scenarios parse"));
    let mut structural = false;
    for m in mutations {
        let mut all = Vec::new();
        paths(&doc, &mut Vec::new(), &mut all);
        if all.is_empty() {
            break;
        }
        match m {
            Mutation::Delete(n) => edit(&mut doc, &all[n % all.len()], |_| None),
            Mutation::Replace(n, r) => {
                let new = match r {
                    Replacement::Integer(i) => Value::Integer(*i),
                    Replacement::Float(x) => Value::Float(*x),
                    Replacement::Text(s) => Value::String(s.clone()),
                    Replacement::Boolean(b) => Value::Boolean(*b),
                    Replacement::EmptyArray => Value::Array(Vec::new()),
                    Replacement::EmptyTable => Value::Table(toml::Table::new()),
                };
                edit(&mut doc, &all[n % all.len()], |_| Some(new));
            }
            Mutation::Nest(n, depth) => edit(&mut doc, &all[n % all.len()], |old| {
                let mut v = old?;
                for _ in 0..*depth {
                    v = Value::Array(vec![v]);
                }
                Some(v)
            }),
            _ => continue,
        }
        structural = true;
    }
    let mut bytes = if structural {
        toml::to_string(&doc).unwrap_or_else(|_| text.to_string()).into_bytes()
    } else {
        text.as_bytes().to_vec()
    };
    for m in mutations {
        let at = |f: f64, len: usize| ((f * len as f64) as usize).min(len);
        match m {
            Mutation::Bytes(f, new) => {
                let i = at(*f, bytes.len());
                let end = (i + new.len()).min(bytes.len());
                bytes.splice(i..end, new.iter().copied());
            }
            Mutation::Truncate(f) => bytes.truncate(at(*f, bytes.len())),
            Mutation::DuplicateLine(f) => {
                let i = at(*f, bytes.len());
                let start = bytes[..i].iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
                let end =
                    bytes[i..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |p| i + p);
                let mut line = bytes[start..end].to_vec();
                line.push(b'\n');
                bytes.splice(start..start, line);
            }
            _ => {}
        }
    }
    bytes
}

/// What became of one input.
enum Outcome {
    Ran,
    Refused(String),
}

/// Load `bytes` as a scenario file and, if accepted, simulate a little of it and write its
/// output folder; any panic or non-finite output is an `Err`.
fn exercise(bytes: &[u8], dir: &Path) -> Result<Outcome, String> {
    let file = dir.join("scenario.toml");
    std::fs::write(&file, bytes).map_err(|e| e.to_string())?;
    let scenario = match load_with(Some(&file), &[]) {
        Ok(s) => s,
        Err(e) => {
            let message = e.to_string();
            let located = match &e {
                // Each diagnostic starts with `file:line:column` or names the layer.
                LoadError::Invalid(_) | LoadError::NotUtf8 { .. } | LoadError::Nul { .. } => {
                    message.contains(&format!("{}:", file.display()))
                }
                LoadError::Io { .. } | LoadError::NotAFile { .. } | LoadError::TooLarge { .. } => {
                    true
                }
            };
            if !located {
                return Err(format!("an error without a location:\n{message}"));
            }
            return Ok(Outcome::Refused(message));
        }
    };
    let options = RunOptions {
        patients: Some(64),
        samples: Some(2),
        seed: Some(7),
        threads: Some(1),
        simulation_only: false,
        keep_budget_impact: false,
    };
    let sim = match simulate(&scenario, &options, &mut |_, _| {}) {
        Ok(sim) => sim,
        // A PSA draw outside a field's range is reported by sample and parameter; any other
        // failure of an accepted scenario is a finding.
        Err(e @ (RunError::Draw(_) | RunError::Sample { .. })) => {
            return Ok(Outcome::Refused(e.to_string()));
        }
        Err(e) => return Err(format!("an accepted scenario failed to simulate: {e}")),
    };
    let out = dir.join("out");
    // A NaN or infinity in the results of an accepted scenario is a finding too (vbpsim
    // refuses to write it, but the value should have been refused at its field).
    if let Err(e) =
        write_outputs(&scenario, &sim, &Target::new(&out, false, vbpsim::output::folder::Kind::Run))
    {
        return Err(format!("writing failed: {e}"));
    }
    for entry in std::fs::read_dir(&out).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_some_and(|x| x == "csv" || x == "json") {
            let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
            for cell in text.split([',', '\n', ':', ' ']) {
                let cell = cell.trim().trim_matches('"').to_ascii_lowercase();
                if matches!(cell.as_str(), "nan" | "inf" | "-inf" | "infinity" | "-infinity") {
                    return Err(format!("{} holds {cell}", path.display()));
                }
            }
        }
    }
    std::fs::remove_dir_all(&out).map_err(|e| e.to_string())?;
    Ok(Outcome::Ran)
}

/// [`exercise`] on its own thread, with a deadline and panics caught.
fn exercise_guarded(bytes: Vec<u8>, dir: PathBuf) -> Result<Outcome, String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let result = std::panic::catch_unwind(|| exercise(&bytes, &dir)).unwrap_or_else(|p| {
            let what = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(format!("panicked: {what}"))
        });
        let _ = tx.send(result);
    });
    rx.recv_timeout(DEADLINE).unwrap_or_else(|_| Err(format!("no answer within {DEADLINE:?}")))
}

#[test]
fn mutated_scenarios_load_or_fail_with_a_location_and_never_panic() {
    let cases = std::env::var("VBPSIM_FUZZ_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let work = tempfile::tempdir().unwrap();
    // Quiet the default panic message: a caught panic is reported with its input below.
    std::panic::set_hook(Box::new(|_| {}));
    let (mut ran, mut refused) = (0, 0);
    for (k, name) in SCENARIOS.iter().enumerate() {
        let text = std::fs::read_to_string(root.join(name)).unwrap();
        let config = Config { cases, failure_persistence: None, ..Config::default() };
        let mut runner =
            TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
        let dir = work.path().join(format!("s{k}"));
        std::fs::create_dir_all(&dir).unwrap();
        let counts = std::cell::Cell::new((0, 0));
        let result = runner.run(&prop::collection::vec(mutation(), 1..4), |mutations| {
            let bytes = mutate(&text, &mutations);
            match exercise_guarded(bytes.clone(), dir.clone()) {
                Ok(Outcome::Ran) => counts.set((counts.get().0 + 1, counts.get().1)),
                Ok(Outcome::Refused(message)) if !message.trim().is_empty() => {
                    counts.set((counts.get().0, counts.get().1 + 1))
                }
                Ok(Outcome::Refused(_)) => {
                    return Err(TestCaseError::fail(format!("{name} with {mutations:?}: an empty error")));
                }
                Err(why) => {
                    let shown = String::from_utf8_lossy(&bytes);
                    let shown: String = shown.chars().take(4000).collect();
                    return Err(TestCaseError::fail(format!(
                        "{name} with {mutations:?}: {why}\n--- input (first 4000 characters) ---\n{shown}"
                    )));
                }
            }
            Ok(())
        });
        let _ = std::panic::take_hook();
        if let Err(e) = result {
            panic!("{e}");
        }
        std::panic::set_hook(Box::new(|_| {}));
        ran += counts.get().0;
        refused += counts.get().1;
    }
    let _ = std::panic::take_hook();
    // The mutations must reach both ends: some inputs still run, most are refused.
    eprintln!("fuzzing: {ran} mutated scenarios ran, {refused} were refused with a located error");
    assert!(ran > 0 && refused > 0, "ran {ran}, refused {refused}");
}
