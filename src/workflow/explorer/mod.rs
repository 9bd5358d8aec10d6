//! The contract explorer's model side (`vbpsim serve`): the controls a scenario offers, each
//! evaluation of the page's settings on the same patients, and the scenario layer that
//! `vbpsim run` reproduces an evaluation from.
//!
//! Settings never touch the compiled model directly: each becomes a `--set` layer over the
//! scenario, with the patient count and `samples = 0` as two more, so that the reader judges
//! every value as it judges a file (the same located messages), and a layer file holding the
//! same keys compiles to the same model, hence to the same numbers to the last digit. The
//! patients are the scenario's own (its seed): every evaluation simulates the same patients.

mod settings;

pub use settings::Set;

use super::RunOptions;
use crate::analysis::results::Results;
use crate::model::Model;
use crate::scenario::controls::{self, Control, Section};
use crate::scenario::{self, LoadError, Scenario};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What is wrong with a setting (`key`: the control's) or with the evaluation as a whole.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub key: Option<String>,
    pub message: String,
}

impl Problem {
    pub fn at(key: &str, message: impl Into<String>) -> Self {
        Problem { key: Some(key.to_string()), message: message.into() }
    }

    pub fn general(message: impl Into<String>) -> Self {
        Problem { key: None, message: message.into() }
    }

    pub fn json(problems: &[Problem]) -> Value {
        let errors: Vec<Value> =
            problems.iter().map(|p| json!({"key": p.key, "message": p.message})).collect();
        Value::Array(errors)
    }
}

/// A scenario opened for exploring.
pub struct Explorer {
    /// The scenario file (`None`: the bundled default).
    path: Option<PathBuf>,
    base: Scenario,
    sections: Vec<Section>,
    patients: u64,
    threads: Option<usize>,
    /// Where layers are written.
    layers: PathBuf,
}

impl Explorer {
    /// Open a scenario (`None`: the bundled default) for evaluations of `patients` patients
    /// per strategy on `threads` threads; layers go to `layers`.
    pub fn open(
        path: Option<&Path>,
        patients: u64,
        threads: Option<usize>,
        layers: PathBuf,
    ) -> Result<Self, LoadError> {
        let base = scenario::load_with(path, &[])?;
        let sections = controls::sections(&base);
        Ok(Explorer {
            path: path.map(Path::to_path_buf),
            base,
            sections,
            patients,
            threads,
            layers,
        })
    }

    pub fn name(&self) -> &str {
        &self.base.model.meta.name
    }

    pub fn patients(&self) -> u64 {
        self.patients
    }

    /// How the scenario is named on the page.
    pub fn shown(&self) -> String {
        match &self.path {
            Some(p) => p.display().to_string(),
            None => format!("{} (bundled default)", self.name()),
        }
    }

    fn controls(&self) -> Vec<&Control> {
        controls::all(&self.sections).collect()
    }

    /// The page's description of the scenario and its controls (`GET /api/scenario`).
    pub fn describe(&self) -> Value {
        let m = &self.base.model;
        let contracts: Vec<Value> = m
            .contracts
            .iter()
            .map(|c| json!({"name": c.name, "kind": c.kind.name(), "drug": m.drugs[c.drug]}))
            .collect();
        let sections: Vec<Value> = self
            .sections
            .iter()
            .map(|s| json!({"title": s.title, "controls": s.controls.iter().map(control_json).collect::<Vec<_>>()}))
            .collect();
        json!({
            "name": m.meta.name,
            "title": m.meta.title,
            "currency": m.meta.currency,
            "scenario": self.shown(),
            "patients": self.patients,
            "seed": m.meta.seed,
            "comparator": m.strategies[m.meta.comparator].name,
            "strategies": m.strategies.iter().map(|s| s.name.clone()).collect::<Vec<_>>(),
            "thresholds": m.meta.thresholds,
            "contracts": contracts,
            "sections": sections,
        })
    }

    /// Refuse an evaluation of `s` too large for this machine, as `run` refuses a run.
    pub fn guard(&self, s: &Scenario) -> Result<(), super::guard::GuardError> {
        let work = super::guard::Workload::new(&s.model, self.patients, 1, 0);
        super::guard::check_run(s, "an evaluation", work, self.threads, false)
    }

    /// The scenario as opened (without settings).
    pub fn scenario(&self) -> &Scenario {
        &self.base
    }

    /// The layers of an evaluation: the settings', then the patient count and no PSA.
    fn sets(&self, settings: &[(String, String)]) -> Result<Vec<Set>, Vec<Problem>> {
        let mut sets = settings::sets(&self.controls(), settings)?;
        for text in [format!("scenario.patients={}", self.patients), "scenario.samples=0".into()] {
            sets.push(Set { key: None, text });
        }
        Ok(sets)
    }

    /// The scenario with the settings' layers, or the reader's problems, each on the control
    /// whose layer holds it.
    fn load(&self, sets: &[Set]) -> Result<Scenario, Vec<Problem>> {
        let problems = match self.read(sets) {
            Ok(s) => return self.unchanged(s, sets),
            Err(p) => p,
        };
        Err(self.attribute(sets, problems))
    }

    /// [`Explorer::load`] without the attribution.
    fn read(&self, sets: &[Set]) -> Result<Scenario, Vec<Problem>> {
        let texts: Vec<String> = sets.iter().map(|s| s.text.clone()).collect();
        match scenario::load_with(self.path.as_deref(), &texts) {
            Ok(s) => Ok(s),
            Err(LoadError::Invalid(errors)) => {
                let source = &errors.source;
                Err(errors
                    .diagnostics
                    .iter()
                    .map(|d| {
                        let layer = source.layer_name(d.span.start);
                        // The layers after the scenario's own file are the sets, in order.
                        let key = source
                            .layer_index(d.span.start)
                            .checked_sub(source.main_index() + 1)
                            .and_then(|k| sets.get(k))
                            .and_then(|s| s.key.clone());
                        // The payer's table carries the turnover: its own errors go to its
                        // control.
                        let key = match key.as_deref() {
                            Some("payer.perspective") if d.field == "payer.turnover" => {
                                Some(d.field.clone())
                            }
                            _ => key,
                        };
                        let field = if d.field.is_empty() {
                            String::new()
                        } else {
                            format!("{}: ", d.field)
                        };
                        let help = d.help.as_ref().map(|h| format!(" ({h})")).unwrap_or_default();
                        let message = format!("{field}{}{help}", d.message);
                        match key {
                            Some(k) => Problem::at(&k, message),
                            None => {
                                let (line, col) = source.line_col(d.span.start);
                                Problem::general(format!("{layer}:{line}:{col}: {message}"))
                            }
                        }
                    })
                    .collect())
            }
            Err(e) => Err(vec![Problem::general(e.to_string())]),
        }
    }

    /// The scenario read with the settings, provided its files still say what they said when
    /// the explorer opened it: the page's controls, its cache and a saved layer's promise all
    /// stand on that text.
    fn unchanged(&self, s: Scenario, sets: &[Set]) -> Result<Scenario, Vec<Problem>> {
        let base = &self.base.source.text;
        let first = sets.first().map_or(String::new(), |x| format!("\n{}", x.text));
        let same =
            s.source.text.strip_prefix(base.as_str()).is_some_and(|rest| rest.starts_with(&first));
        if same {
            Ok(s)
        } else {
            Err(vec![Problem::general(format!(
                "{} changed on disk since the explorer opened it: restart `vbpsim serve` to explore the new version",
                self.shown()
            ))])
        }
    }

    /// Problems found in the scenario's own files when a parameter was moved are the moved
    /// parameter's (the reader reports a parameter's value where it is used): each moved
    /// parameter is read alone, and the problems it causes go beside its control.
    fn attribute(&self, sets: &[Set], problems: Vec<Problem>) -> Vec<Problem> {
        if problems.iter().all(|p| p.key.is_some()) {
            return problems;
        }
        let controls = self.controls();
        let is_parameter = |key: &str| {
            controls
                .iter()
                .any(|c| c.key == key && matches!(c.target, controls::Target::Parameter { .. }))
        };
        let own: Vec<&Set> = sets.iter().filter(|s| s.key.is_none()).collect();
        let mut out: Vec<Problem> = problems.iter().filter(|p| p.key.is_some()).cloned().collect();
        let mut general: Vec<Problem> = problems.into_iter().filter(|p| p.key.is_none()).collect();
        for set in sets.iter().filter(|s| s.key.as_deref().is_some_and(is_parameter)) {
            let alone: Vec<Set> =
                std::iter::once(set).chain(own.iter().copied()).cloned().collect();
            let Err(found) = self.read(&alone) else { continue };
            let key = set.key.as_deref().unwrap_or_default();
            for p in found.into_iter().filter(|p| p.key.is_none()) {
                general.retain(|g| g.message != p.message);
                out.push(Problem::at(key, p.message));
            }
        }
        out.extend(general);
        out
    }

    /// Simulate the settings (`POST /api/evaluate`): the decision, the plane, the ranking and
    /// the tables `vbpsim run` would write.
    pub fn evaluate(&self, settings: &[(String, String)]) -> Result<Value, Vec<Problem>> {
        let started = Instant::now();
        let s = self.load(&self.sets(settings)?)?;
        self.guard(&s)
            .map_err(|e| vec![Problem::general(format!("{e} (serve with fewer --patients)"))])?;
        let options = RunOptions { threads: self.threads, ..RunOptions::default() };
        let sim = super::run::simulate(&s, &options, &mut |_, _| {})
            .map_err(|e| vec![Problem::general(e.to_string())])?;
        let tables = crate::output::tables_in_memory::tables(&s.model, &sim.results)
            .map_err(|e| vec![Problem::general(e.to_string())])?;
        let tables: serde_json::Map<String, Value> = tables
            .into_iter()
            .map(|t| (t.name.to_string(), json!({"columns": t.columns, "rows": t.rows})))
            .collect();
        let m = &s.model;
        let r = &sim.results;
        Ok(json!({
            "ok": true,
            "elapsed_ms": started.elapsed().as_secs_f64() * 1000.0,
            "patients": sim.patients,
            "seed": m.meta.seed,
            "currency": m.meta.currency,
            "comparator": m.strategies[m.meta.comparator].name,
            "thresholds": m.meta.thresholds,
            "headline": crate::output::headline::lines(m, r),
            "best": best(m, r),
            "plane": plane(m, r),
            "ranking": ranking(m, r),
            "tables": tables,
            "warnings": r.warnings,
        }))
    }

    /// Write the settings as a scenario layer (`POST /api/layer`) after checking that they
    /// compile: the file's path and text and the command that reproduces the evaluation.
    pub fn save_layer(&self, settings: &[(String, String)]) -> Result<Value, Vec<Problem>> {
        let sets = self.sets(settings)?;
        self.load(&sets)?;
        let io = |what: &str, e: std::io::Error| vec![Problem::general(format!("{what}: {e}"))];
        std::fs::create_dir_all(&self.layers)
            .map_err(|e| io(&format!("cannot create {}", self.layers.display()), e))?;
        let extends = self.base_for_layers()?;
        for k in 1..=10_000 {
            // Its own name, so that `vbpsim run` on it writes its own folder, not the
            // scenario's (the name names nothing that is simulated).
            let stem: String = self.name().chars().take(80).collect();
            let name = format!("{stem}_explorer_{k}");
            let path = self.layers.join(format!("{name}.toml"));
            if path.exists() {
                continue;
            }
            let mut text = format!(
                "# A scenario layer written by `vbpsim serve` (the contract explorer) over {}\n\
                 # (sha256 {}): the settings moved on the page. `vbpsim run` on this file\n\
                 # reproduces the page's numbers (the same patients, seed and settings; no PSA\n\
                 # samples) while that scenario is unchanged.\n\
                 extends = {}\n\
                 scenario.name = {}\n",
                self.shown(),
                self.base.sha256(),
                toml::Value::String(extends.clone()),
                toml::Value::String(name.clone()),
            );
            for s in &sets {
                let (key, value) = s.text.split_once('=').unwrap_or((&s.text, ""));
                text.push_str(&format!("{key} = {value}\n"));
            }
            // Written aside, then linked into place: never a half-written layer, and never
            // over another one (the link fails if the name was taken meanwhile).
            let aside = self.layers.join(format!(".{name}.toml.{}.partial", std::process::id()));
            std::fs::write(&aside, &text)
                .map_err(|e| io(&format!("cannot write {}", aside.display()), e))?;
            let linked = std::fs::hard_link(&aside, &path);
            let _ = std::fs::remove_file(&aside);
            match linked {
                Ok(()) => {
                    let shown = path.display().to_string();
                    return Ok(json!({
                        "ok": true,
                        "path": shown,
                        "text": text,
                        "command": format!("vbpsim run {shown}"),
                    }));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(io(&format!("cannot create {}", path.display()), e)),
            }
        }
        Err(vec![Problem::general(format!(
            "{} holds 10,000 layers already",
            self.layers.display()
        ))])
    }

    /// The `extends` of a layer in the layers' folder: the scenario file's path from there, or
    /// for the bundled default a copy of it written there once.
    fn base_for_layers(&self) -> Result<String, Vec<Problem>> {
        let fail = |m: String| vec![Problem::general(m)];
        let folder = std::fs::canonicalize(&self.layers)
            .map_err(|e| fail(format!("cannot resolve {}: {e}", self.layers.display())))?;
        match &self.path {
            Some(p) => {
                let file = std::fs::canonicalize(p)
                    .map_err(|e| fail(format!("cannot resolve {}: {e}", p.display())))?;
                Ok(relative(&folder, &file).to_string_lossy().replace('\\', "/"))
            }
            None => {
                let name = format!("{}.toml", self.name());
                let copy = self.layers.join(&name);
                let text = &self.base.source.text;
                match std::fs::read_to_string(&copy) {
                    Ok(existing) if existing == *text => {}
                    Ok(_) => {
                        return Err(fail(format!(
                            "{} exists and is not the bundled scenario: move it away to save layers here",
                            copy.display()
                        )));
                    }
                    Err(_) => std::fs::write(&copy, text)
                        .map_err(|e| fail(format!("cannot write {}: {e}", copy.display())))?,
                }
                Ok(name)
            }
        }
    }
}

/// A control as the page reads it.
fn control_json(c: &Control) -> Value {
    let mut v = json!({
        "key": c.key,
        "label": c.label,
        "type": c.kind.name(),
        "value": c.value,
    });
    let o = v.as_object_mut().expect("a JSON object");
    if let Some((n, unit)) =
        controls::duration_parts(&c.value).filter(|_| c.kind == controls::Type::Duration)
    {
        o.insert("number".into(), json!(n));
        o.insert("unit".into(), json!(unit));
    } else if let (controls::Type::Number, Ok(x)) = (c.kind, c.value.parse::<f64>()) {
        o.insert("number".into(), json!(x));
    }
    if let Some((lo, hi)) = c.range.filter(|(lo, hi)| lo.is_finite() && hi.is_finite() && lo < hi) {
        o.insert("min".into(), json!(lo));
        o.insert("max".into(), json!(hi));
        o.insert("step".into(), json!(step(lo, hi)));
    }
    if !c.choices.is_empty() {
        o.insert("choices".into(), json!(c.choices));
    }
    if let Some(h) = &c.help {
        o.insert("help".into(), json!(h));
    }
    if let Some((key, value)) = &c.enabled_when {
        o.insert("enabled_when".into(), json!({"key": key, "value": value}));
    }
    v
}

/// A slider's step: about a hundredth of its range, rounded to a power of ten.
fn step(lo: f64, hi: f64) -> f64 {
    10f64.powf(((hi - lo) / 100.0).log10().floor())
}

/// The best arm at each threshold, with its NMB and incremental NMB as the CSV writes them.
fn best(m: &Model, r: &Results) -> Vec<Value> {
    r.headline
        .thresholds
        .iter()
        .enumerate()
        .map(|(k, t)| {
            let arm = r.arms[t.best];
            let row =
                r.summary.iter().find(|a| a.strategy == arm.strategy && a.contract == arm.contract);
            let inc_nmb =
                row.and_then(|a| a.inc_nmb.get(k)).map(|e| crate::output::tables::number(e.mean));
            json!({
                "threshold": t.lambda,
                "arm": m.arm_name(arm.strategy, arm.contract),
                "nmb": crate::output::tables::number(t.nmb),
                "inc_nmb": inc_nmb,
            })
        })
        .collect()
}

/// Each arm's increments against its reference: the cost-effectiveness plane.
fn plane(m: &Model, r: &Results) -> Vec<Value> {
    r.summary
        .iter()
        .map(|a| {
            let reference = r.arms[a.reference];
            json!({
                "arm": m.arm_name(a.strategy, a.contract),
                "strategy": m.strategies[a.strategy].name,
                "contract": a.contract.map(|c| m.contracts[c].name.clone()),
                "d_cost": a.inc_cost.mean,
                "d_qalys": a.inc_qaly.mean,
                "reference": m.arm_name(reference.strategy, reference.contract),
            })
        })
        .collect()
}

/// Each strategy's contracts in the payer's order at each threshold (incremental NMB, highest
/// first) and in the manufacturer's (net revenue per patient).
fn ranking(m: &Model, r: &Results) -> Vec<Value> {
    let strategy_of = |row: usize| r.arms[r.contracts[row].arm].strategy;
    let mut strategies: Vec<usize> = (0..r.contracts.len()).map(strategy_of).collect();
    strategies.sort_unstable();
    strategies.dedup();
    let names = |order: &[usize], s: usize| -> Vec<String> {
        order
            .iter()
            .filter(|&&row| strategy_of(row) == s)
            .map(|&row| m.contracts[r.contracts[row].contract].name.clone())
            .collect()
    };
    let mut out = Vec::new();
    for t in &r.headline.thresholds {
        for &s in &strategies {
            out.push(json!({
                "threshold": t.lambda,
                "strategy": m.strategies[s].name,
                "payer": names(&t.payer_order, s),
                "manufacturer": names(&r.headline.manufacturer_order, s),
            }));
        }
    }
    out
}

/// The path of `file` from the folder `from` (both absolute).
fn relative(from: &Path, file: &Path) -> PathBuf {
    let a: Vec<_> = from.components().collect();
    let b: Vec<_> = file.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..a.len() {
        out.push("..");
    }
    for c in &b[common..] {
        out.push(c.as_os_str());
    }
    out
}
