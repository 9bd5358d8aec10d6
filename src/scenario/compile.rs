//! From a spanned TOML document to a validated [`Model`], every error collected.
//!
//! Names are gathered first (biomarkers, tests, regimens, strategies, parameters) so that
//! references can be checked in any order and point at the referring value.

use super::diagnostic::{ScenarioErrors, Source};
use super::reader::{Check, Reader, Value, describe, join};
use crate::model::limits::*;
use crate::model::*;
use crate::rng::{Process, ProcessKind};
use crate::units::Dimension;
use std::ops::Range;
use toml::de::{DeTable, DeValue};

const TOP_KEYS: &[&str] = &[
    "scenario",
    "parameters",
    "biomarkers",
    "tests",
    "regimens",
    "states",
    "strategies",
    "payer",
    "contracts",
    "correlations",
    "heterogeneity",
    "budget_impact",
];

const SCENARIO_KEYS: &[&str] = &[
    "name",
    "title",
    "currency",
    "horizon",
    "discount",
    "patients",
    "samples",
    "seed",
    "comparator",
    "thresholds",
    "wtp_grid",
    "decision_years",
];
/// Most points of a willingness-to-pay grid.
const MAX_WTP_POINTS: usize = 10_000;

/// Parse and validate a scenario; every problem in the file is reported at once.
pub fn compile(source: Source) -> Result<Model, ScenarioErrors> {
    let mut reader = Reader::default();
    let model = match super::layers::merged(&source, &mut reader.diagnostics) {
        Some(doc) => {
            let at = source.main_start();
            read_document(&mut reader, &doc, at..at)
        }
        None => None,
    };
    match model {
        Some(m) if reader.diagnostics.is_empty() => Ok(m),
        _ => {
            let mut diagnostics = reader.diagnostics;
            diagnostics.sort_by_key(|d| d.span.start);
            Err(ScenarioErrors { source, diagnostics })
        }
    }
}

/// Entries of an array of named tables (`[[regimens]]`) with their names read up front.
struct Named<'a, 'i> {
    table: &'a DeTable<'i>,
    span: Range<usize>,
    path: String,
}

fn named_entries<'a, 'i>(
    r: &mut Reader,
    doc: &'a DeTable<'i>,
    key: &str,
    kind: &str,
) -> (Vec<Named<'a, 'i>>, Vec<String>) {
    let mut entries = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let Some(v) = doc.get(key) else {
        return (entries, names);
    };
    let Some(items) = r.array(v, key) else {
        return (entries, names);
    };
    for (i, item) in items.iter().enumerate() {
        let path = format!("{key}[{i}]");
        let Some(table) = r.table(item, &path) else {
            continue;
        };
        let name =
            match r.require(table, &item.span(), &path, "name", &format!("the {kind}'s name")) {
                Some(nv) => match r.name(nv, &join(&path, "name")) {
                    Some(n) if names.contains(&n) => {
                        r.error(
                            nv.span(),
                            &join(&path, "name"),
                            format!("duplicate {kind} name `{n}`"),
                        );
                        n
                    }
                    Some(n) => n,
                    None => format!("#{i}"),
                },
                None => format!("#{i}"),
            };
        names.push(name);
        entries.push(Named { table, span: item.span(), path });
    }
    (entries, names)
}

fn read_document(r: &mut Reader, doc: &DeTable<'_>, span: Range<usize>) -> Option<Model> {
    r.check_keys(doc, "", TOP_KEYS);
    if let Some(p) = doc.get("parameters") {
        super::parameters::read_parameters(r, p);
    }
    let (biomarker_entries, biomarker_names) = named_entries(r, doc, "biomarkers", "biomarker");
    let (test_entries, test_names) = named_entries(r, doc, "tests", "test");
    let (regimen_entries, regimen_names) = named_entries(r, doc, "regimens", "regimen");
    let (strategy_entries, strategy_names) = named_entries(r, doc, "strategies", "strategy");

    let meta = match r.require(doc, &span, "", "scenario", "a [scenario] table") {
        Some(v) => read_meta(r, v, &strategy_names),
        None => None,
    };
    let (biomarkers, groups) = read_biomarkers(r, &biomarker_entries, &biomarker_names);
    if biomarker_entries.len() > MAX_BIOMARKERS {
        r.error(
            biomarker_entries[MAX_BIOMARKERS].span.clone(),
            "biomarkers",
            format!(
                "expected at most {MAX_BIOMARKERS} biomarkers, found {}",
                biomarker_entries.len()
            ),
        );
    }
    let heterogeneity = match doc.get("heterogeneity") {
        Some(v) => read_heterogeneity(r, v).map(Some),
        None => Some(None),
    };
    let tests = read_tests(r, &test_entries, &test_names, &biomarker_names, &regimen_names);
    // A concurrent test runs beside another; chaining concurrency or pairing a test with
    // itself has no meaning.
    for (i, (t, e)) in tests.iter().zip(&test_entries).enumerate() {
        let Some(j) = t.as_ref().and_then(|t| t.concurrent) else { continue };
        let nested = tests[j].as_ref().is_some_and(|u| u.concurrent.is_some());
        if i == j || nested {
            r.error(
                e.table["concurrent"].span(),
                &join(&e.path, "concurrent"),
                format!(
                    "expected another test without a `concurrent` of its own, found `{}`",
                    test_names[j]
                ),
            );
        }
    }
    // What a rule's `positive` may name: a biomarker (bit b) or a selection test (its bit).
    let mut positives: Vec<(String, usize)> =
        biomarker_names.iter().enumerate().map(|(b, n)| (n.clone(), b)).collect();
    // Bits as `read_tests` assigns them, also for selection tests with errors (so rules that
    // name them raise no second error).
    let selection_tests =
        test_entries.iter().zip(&test_names).filter(|(e, _)| e.table.contains_key("predicts"));
    positives.extend(
        selection_tests.enumerate().map(|(k, (_, n))| (n.clone(), biomarker_names.len() + k)),
    );
    let mut drugs = Vec::new();
    let regimens: Vec<Option<Regimen>> = regimen_entries
        .iter()
        .zip(&regimen_names)
        .map(|(e, name)| read_regimen(r, e, name, &biomarker_names, &mut drugs))
        .collect();
    let states = match r.require(doc, &span, "", "states", "a [states] table") {
        Some(v) => read_states(r, v),
        None => None,
    };
    let strategies: Vec<Option<Strategy>> = strategy_entries
        .iter()
        .zip(&strategy_names)
        .map(|(e, name)| {
            r.check_keys(
                e.table,
                &e.path,
                &["name", "test", "rules", "default", "uptake", "bridging"],
            );
            read_strategy(r, e, name, &test_names, &regimen_names, &positives, &tests)
        })
        .collect();
    // Second lines: a pathway like a strategy's, read once every regimen is known.
    let mut regimens = regimens;
    for (i, e) in regimen_entries.iter().enumerate() {
        let Some(v) = e.table.get("second_line") else { continue };
        let path = join(&e.path, "second_line");
        let Some(t) = r.table(v, &path) else { continue };
        r.check_keys(t, &path, &["share", "test", "rules", "default"]);
        let share = r.quantity_or(t, &path, "share", Dimension::Number, Check::Probability, 1.0);
        let inner = Named { table: t, span: v.span(), path };
        let pathway = read_strategy(
            r,
            &inner,
            &format!("{}:second_line", regimen_names[i]),
            &test_names,
            &regimen_names,
            &positives,
            &tests,
        );
        if regimens[i].as_ref().is_some_and(|g| matches!(g.course, CourseSpec::Partitioned { .. }))
        {
            r.error(
                v.span(),
                &join(&e.path, "second_line"),
                "expected no `second_line` on a partitioned-survival regimen: its OS curve already includes what follows progression".to_string(),
            );
        }
        if let (Some(reg), Some(share), Some(pathway)) = (regimens[i].as_mut(), share, pathway) {
            reg.second_line = Some(SecondLine { share, pathway });
        }
    }
    // Only two lines: a second-line regimen has no second line of its own.
    for (e, reg) in regimen_entries.iter().zip(&regimens) {
        let Some(sl) = reg.as_ref().and_then(|g| g.second_line.as_ref()) else { continue };
        let p = &sl.pathway;
        for target in p.rules.iter().map(|&(_, t)| t).chain([p.default]) {
            if regimens[target].as_ref().is_some_and(|g| g.second_line.is_some()) {
                r.error(
                    e.table["second_line"].span(),
                    &join(&e.path, "second_line"),
                    format!(
                        "expected second-line regimens without a `second_line` of their own (two lines at most), found `{}`",
                        regimen_names[target]
                    ),
                );
                break;
            }
        }
    }
    if strategy_entries.is_empty() && !doc.contains_key("strategies") {
        r.error(
            span.start..span.start,
            "strategies",
            "missing [[strategies]]: expected at least one strategy",
        );
    }
    let budget = match doc.get("budget_impact") {
        Some(v) => {
            let meta = meta.as_ref().map(|m| (m.comparator, m.horizon));
            super::budget::read_budget_impact(r, v, &strategy_names, meta).map(Some)
        }
        None => Some(None),
    };
    let payer = match doc.get("payer") {
        Some(payer) => read_payer(r, payer),
        None => Some((Perspective::National, None)),
    };
    let population = payer.map(|p| p.1);

    let (contract_entries, _contract_names) = named_entries(r, doc, "contracts", "contract");
    let contracts: Vec<Option<Contract>> = contract_entries
        .iter()
        .zip(&_contract_names)
        .map(|(e, name)| read_contract(r, e, name, &drugs))
        .collect();

    // Contract dates must fall inside the horizon, or the terms silently never apply.
    if let Some(m) = &meta {
        for (c, e) in contracts.iter().zip(&contract_entries) {
            let Some(c) = c else { continue };
            let dates: Vec<(&str, Slot)> = match &c.kind {
                ContractKind::MoneyBack { window, .. }
                | ContractKind::PopulationOutcome { window, .. } => vec![("window", *window)],
                ContractKind::PaymentAtResult { assess_at }
                | ContractKind::ResponseRebate { assess_at, .. } => {
                    vec![("assess_at", *assess_at)]
                }
                _ => Vec::new(),
            };
            for (key, slot) in dates {
                let x = r.values[slot.0 as usize];
                if x >= m.horizon {
                    r.error(
                        e.table[key].span(),
                        &join(&e.path, key),
                        format!(
                            "expected a date before the horizon ({} years), found {} years after treatment start",
                            m.horizon, x
                        ),
                    );
                }
            }
        }
    }
    // Cohort-level contracts and yearly administration need the payer's yearly population.
    if population == Some(None) {
        for (c, e) in contracts.iter().zip(&contract_entries) {
            let Some(c) = c else { continue };
            let (key, why) = if c.kind.cohort_years().is_some() {
                ("kind", format!("a `{}` contract", c.kind.name()))
            } else if r.values[c.admin_per_year.0 as usize] > 0.0 {
                ("admin", "`admin.per_year`".to_string())
            } else {
                continue;
            };
            r.error_help(
                e.table[key].span(),
                &join(&e.path, key),
                format!(
                    "{why} needs the payer's incident population, and `payer.population` is not set"
                ),
                Some(
                    "add `population = 5000` (patients entering each strategy per year) to [payer]"
                        .to_string(),
                ),
            );
        }
    }
    // A contract needs one list price for its drug: the threshold price is that price.
    for (c, e) in contracts.iter().zip(&contract_entries) {
        let Some(c) = c else { continue };
        let prices: Vec<(&str, f64)> = regimens
            .iter()
            .flatten()
            .flat_map(|g| {
                g.drugs.iter().filter(|d| d.drug == c.drug).map(move |d| (g.name.as_str(), d.price))
            })
            .map(|(name, slot)| (name, r.values[slot.0 as usize]))
            .collect();
        if let Some((first, p0)) = prices.first()
            && let Some((other, p1)) = prices.iter().find(|(_, p)| p != p0)
        {
            r.error(
                e.table["drug"].span(),
                &join(&e.path, "drug"),
                format!(
                    "drug `{}` has price {p0} in regimen `{first}` but {p1} in `{other}`: a contracted drug needs one list price",
                    drugs[c.drug]
                ),
            );
        }
    }
    // A contract settles one line's exposure: its drug may not also be paid in the second
    // line after a regimen that gives it, nor while bridging (those payments would escape
    // the contract and its threshold price).
    for (c, e) in contracts.iter().zip(&contract_entries) {
        let Some(c) = c else { continue };
        let gives = |r: usize| {
            regimens[r].as_ref().is_some_and(|g| g.drugs.iter().any(|d| d.drug == c.drug))
        };
        let mut clash = None;
        for (i, reg) in regimens.iter().enumerate() {
            let Some(sl) = reg.as_ref().and_then(|g| g.second_line.as_ref()) else { continue };
            let p = &sl.pathway;
            if gives(i) && p.rules.iter().map(|&(_, r)| r).chain([p.default]).any(gives) {
                clash = Some(format!("regimen `{}` and its second line", regimen_names[i]));
            }
        }
        for st in strategies.iter().flatten() {
            if let Some(b) = st.bridging.filter(|&b| gives(b)) {
                clash = Some(format!(
                    "the bridging regimen `{}` of strategy `{}`",
                    regimen_names[b], st.name
                ));
            }
        }
        if let Some(where_) = clash {
            r.error(
                e.table["drug"].span(),
                &join(&e.path, "drug"),
                format!(
                    "expected a contracted drug given in one line only, found `{}` in {where_}",
                    drugs[c.drug]
                ),
            );
        }
    }
    // Heterogeneity and acquired markers must make sense together.
    for (i, e) in biomarker_entries.iter().enumerate() {
        let Some(b) = biomarkers.get(i) else { continue };
        if let Some(v) = e.table.get("discordance")
            && heterogeneity.as_ref().is_some_and(Option::is_none)
        {
            r.error_help(
                v.span(),
                &join(&e.path, "discordance"),
                "expected `discordance` only with a [heterogeneity] table (one lesion cannot be discordant)".to_string(),
                Some("add [heterogeneity] with `lesions = [...]`".into()),
            );
        }
        if b.acquired && groups[b.group].members.iter().any(|&m| !biomarkers[m].acquired) {
            r.error(
                e.table.get("acquired").map_or(e.span.clone(), |x| x.span()),
                &join(&e.path, "acquired"),
                format!(
                    "expected an acquired marker outside groups of markers present at diagnosis, found it in group `{}`: a resistance marker is not exclusive of the driver it resists",
                    groups[b.group].name
                ),
            );
        }
    }
    for (g, group) in groups.iter().enumerate() {
        let v = |slot: Slot| r.values[slot.0 as usize];
        let total: f64 = group.members.iter().map(|&m| v(biomarkers[m].prevalence)).sum();
        let gained: f64 = group
            .members
            .iter()
            .map(|&m| v(biomarkers[m].prevalence) * v(biomarkers[m].discordance))
            .sum();
        if gained > 0.0 && gained > 1.0 - total + 1e-12 {
            let m = *group.members.last().unwrap_or(&0);
            let span = biomarker_entries
                .get(m)
                .and_then(|e| e.table.get("discordance"))
                .map_or(0..0, |x| x.span());
            r.error(
                span,
                &format!("biomarkers[{m}].discordance"),
                format!(
                    "expected Σ prevalence × discordance ≤ 1 − Σ prevalence in group `{}` (gains must fit in the marker-free lesions), found {gained} > {}",
                    groups[g].name,
                    1.0 - total
                ),
            );
        }
    }
    // A contract must be on a drug that some strategy can give.
    for (c, e) in contracts.iter().zip(&contract_entries) {
        let (Some(c), true) =
            (c, strategies.iter().all(Option::is_some) && regimens.iter().all(Option::is_some))
        else {
            continue;
        };
        let used = strategies.iter().flatten().any(|s| {
            let second = |reg: usize| {
                regimens[reg].as_ref().and_then(|g| g.second_line.as_ref()).map(|sl| {
                    sl.pathway
                        .rules
                        .iter()
                        .map(|&(_, r)| r)
                        .chain([sl.pathway.default])
                        .collect::<Vec<usize>>()
                })
            };
            let first = s.rules.iter().map(|&(_, reg)| reg).chain([s.default]);
            let all: Vec<usize> = first
                .flat_map(|reg| std::iter::once(reg).chain(second(reg).unwrap_or_default()))
                .collect();
            all.into_iter().any(|reg| {
                regimens[reg].as_ref().is_some_and(|g| g.drugs.iter().any(|d| d.drug == c.drug))
            })
        });
        if !used {
            r.error(
                e.table["drug"].span(),
                &join(&e.path, "drug"),
                format!(
                    "no strategy gives drug `{}`: the contract would have no arm",
                    drugs[c.drug]
                ),
            );
        }
    }

    let mut parameters: Vec<Parameter> = r
        .parameter_order
        .iter()
        .map(|name| {
            let e = &r.parameters[name];
            Parameter {
                name: name.clone(),
                slot: e.slot,
                dimension: e.dimension,
                dist: e.dist,
                range: e.range,
                process: Process::named(ProcessKind::Parameter, name),
            }
        })
        .collect();
    parameters.sort_by_key(|p| p.slot.0);
    let index_of = |name: &str| parameters.iter().position(|p| p.name == name);
    let dirichlets: Vec<Vec<usize>> =
        r.dirichlet_groups.iter().map(|g| g.iter().filter_map(|n| index_of(n)).collect()).collect();
    let correlations = match doc.get("correlations") {
        Some(v) => read_correlations(r, v, &parameters, &dirichlets),
        None => Some(Vec::new()),
    };
    let mut meta = meta?;
    (meta.perspective, meta.population) = payer?;
    Some(Model {
        meta,
        values: std::mem::take(&mut r.values),
        parameters,
        dirichlets,
        correlations: correlations?,
        biomarkers,
        groups,
        heterogeneity: heterogeneity?,
        tests: tests.into_iter().collect::<Option<Vec<_>>>()?,
        regimens: regimens.into_iter().collect::<Option<Vec<_>>>()?,
        states: states?,
        strategies: strategies.into_iter().collect::<Option<Vec<_>>>()?,
        drugs,
        contracts: contracts.into_iter().collect::<Option<Vec<_>>>()?,
        budget: budget?,
    })
}

/// `[[correlations]]`: `parameters = [names]`, `matrix = [[…]]` (symmetric, unit diagonal,
/// positive definite), over uncertain parameters not in a Dirichlet or another group.
fn read_correlations(
    r: &mut Reader,
    v: &Value<'_>,
    parameters: &[Parameter],
    dirichlets: &[Vec<usize>],
) -> Option<Vec<Correlation>> {
    let items = r.array(v, "correlations")?;
    let mut out = Vec::new();
    let mut used: Vec<usize> = Vec::new();
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let p = format!("correlations[{i}]");
        let Some(t) = r.table(item, &p) else {
            ok = false;
            continue;
        };
        r.check_keys(t, &p, &["parameters", "matrix"]);
        let names = r
            .require(t, &item.span(), &p, "parameters", "the names of the correlated parameters")
            .and_then(|x| r.array(x, &join(&p, "parameters")));
        let Some(names) = names else {
            ok = false;
            continue;
        };
        let mut members = Vec::new();
        for (k, nv) in names.iter().enumerate() {
            let np = format!("{p}.parameters[{k}]");
            let Some(name) = r.string(nv, &np) else {
                ok = false;
                continue;
            };
            let Some(idx) = parameters.iter().position(|q| q.name == name) else {
                let help = Some(super::reader::defined_help(
                    name,
                    "parameter",
                    parameters.iter().map(|q| q.name.as_str()),
                ));
                r.error_help(nv.span(), &np, format!("undefined parameter `{name}`"), help);
                ok = false;
                continue;
            };
            let why = if !parameters[idx].is_uncertain() {
                Some("is fixed: only uncertain parameters can be correlated")
            } else if dirichlets.iter().flatten().any(|&d| d == idx) {
                Some("is a Dirichlet share, already drawn jointly with its group")
            } else if used.contains(&idx) || members.contains(&idx) {
                Some("is already in a correlation group")
            } else {
                None
            };
            if let Some(why) = why {
                r.error(nv.span(), &np, format!("parameter `{name}` {why}"));
                ok = false;
                continue;
            }
            members.push(idx);
        }
        let n = names.len();
        let mp = join(&p, "matrix");
        let Some(mv) = r.require(
            t,
            &item.span(),
            &p,
            "matrix",
            "the correlation matrix, one row per parameter",
        ) else {
            ok = false;
            continue;
        };
        let Some(rows) = r.array(mv, &mp) else {
            ok = false;
            continue;
        };
        let mut m = vec![0.0; n * n];
        let mut shape_ok = rows.len() == n;
        for (a, row) in rows.iter().enumerate().take(n) {
            match r.array(row, &format!("{mp}[{a}]")) {
                Some(cells) if cells.len() == n => {
                    for (b, c) in cells.iter().enumerate() {
                        match r.number(c, &format!("{mp}[{a}][{b}]")) {
                            Some(x) => m[a * n + b] = x,
                            None => shape_ok = false,
                        }
                    }
                }
                _ => shape_ok = false,
            }
        }
        if !shape_ok {
            r.error(
                mv.span(),
                &mp,
                format!("expected a {n}×{n} matrix of numbers, one row per parameter"),
            );
            ok = false;
            continue;
        }
        let mut valid = true;
        for a in 0..n {
            for b in 0..n {
                let x = m[a * n + b];
                let bad = if a == b {
                    x != 1.0
                } else {
                    !(-1.0..=1.0).contains(&x) || (x - m[b * n + a]).abs() > 1e-12
                };
                if bad && valid {
                    r.error(
                        mv.span(),
                        &mp,
                        format!("expected a correlation matrix (symmetric, 1 on the diagonal, entries in [-1, 1]); entry [{a}][{b}] is {x}"),
                    );
                    valid = false;
                }
            }
        }
        if !valid {
            ok = false;
            continue;
        }
        let Some(cholesky) = cholesky(&m, n) else {
            r.error(mv.span(), &mp, "expected a positive definite correlation matrix: these correlations cannot hold together");
            ok = false;
            continue;
        };
        if members.len() == n {
            used.extend(&members);
            out.push(Correlation { members, cholesky });
        }
    }
    ok.then_some(out)
}

/// Lower-triangular L with L·Lᵀ = m (n×n, row-major), or `None` if m is not positive definite.
fn cholesky(m: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum();
            if i == j {
                let d = m[i * n + i] - s;
                if !(d > 1e-12) {
                    return None;
                }
                l[i * n + i] = d.sqrt();
            } else {
                l[i * n + j] = (m[i * n + j] - s) / l[j * n + j];
            }
        }
    }
    Some(l)
}

fn read_meta(r: &mut Reader, v: &Value<'_>, strategies: &[String]) -> Option<Meta> {
    let p = "scenario";
    let t = r.table(v, p)?;
    let span = v.span();
    r.check_keys(t, p, SCENARIO_KEYS);
    let name = r
        .require(t, &span, p, "name", "the scenario's name")
        .and_then(|v| r.name(v, "scenario.name"));
    let title = match t.get("title") {
        Some(v) => r.string(v, "scenario.title").map(str::to_string),
        None => Some(String::new()),
    };
    let currency = match t.get("currency") {
        Some(v) => r.string(v, "scenario.currency").map(str::to_string),
        None => Some("USD".to_string()),
    };
    let horizon = r.require(t, &span, p, "horizon", "a duration like \"20 years\"").and_then(|v| {
        let h = r.literal_quantity(v, "scenario.horizon", Dimension::Duration, Check::Positive)?;
        if h > MAX_HORIZON_YEARS {
            r.error(
                v.span(),
                "scenario.horizon",
                format!(
                    "expected a horizon of at most {MAX_HORIZON_YEARS} years, found {}",
                    describe(v.get_ref())
                ),
            );
            return None;
        }
        Some(h)
    });
    let (mut dc, mut doutc) = (Some(0.0), Some(0.0));
    let mut dm: Option<Option<f64>> = Some(None);
    if let Some(d) = r.require(t, &span, p, "discount", "a table { costs = 0.03, outcomes = 0.03 }")
        && let Some(dt) = r.table(d, "scenario.discount")
    {
        r.check_keys(dt, "scenario.discount", &["costs", "outcomes", "manufacturer"]);
        if let Some(mv) = dt.get("manufacturer") {
            dm = r.number(mv, "scenario.discount.manufacturer").and_then(|x| {
                if (0.0..1.0).contains(&x) {
                    Some(Some(x))
                } else {
                    r.error(
                        mv.span(),
                        "scenario.discount.manufacturer",
                        format!("expected an annual rate in [0, 1), found {x}"),
                    );
                    None
                }
            });
        }
        for (key, out) in [("costs", &mut dc), ("outcomes", &mut doutc)] {
            *out = r
                .require(dt, &d.span(), "scenario.discount", key, "an annual rate like 0.03")
                .and_then(|v| r.number(v, &format!("scenario.discount.{key}")))
                .and_then(|x| {
                    if (0.0..1.0).contains(&x) {
                        Some(x)
                    } else {
                        let dv = &dt[key];
                        r.error(
                            dv.span(),
                            &format!("scenario.discount.{key}"),
                            format!("expected an annual rate in [0, 1), found {x}"),
                        );
                        None
                    }
                });
        }
    }
    let patients = r
        .require(t, &span, p, "patients", "the number of simulated patients per strategy")
        .and_then(|v| {
            let n = r.integer(v, "scenario.patients", 1)?;
            if n > MAX_PATIENTS {
                r.error(
                    v.span(),
                    "scenario.patients",
                    format!("expected at most {MAX_PATIENTS} patients per strategy, found {n}"),
                );
                return None;
            }
            Some(n)
        });
    let samples = match t.get("samples") {
        Some(v) => r.integer(v, "scenario.samples", 0).and_then(|n| {
            if n > MAX_SAMPLES {
                let message = format!("expected at most {MAX_SAMPLES} PSA samples, found {n}");
                r.error(v.span(), "scenario.samples", message);
                return None;
            }
            Some(n)
        }),
        None => Some(0),
    };
    let seed = match t.get("seed") {
        Some(v) => r.integer(v, "scenario.seed", 0),
        None => Some(0),
    };
    let comparator = r
        .require(t, &span, p, "comparator", "the name of the comparator strategy")
        .and_then(|v| r.resolve(v, "scenario.comparator", "strategy", strategies));
    let thresholds = match t.get("thresholds") {
        Some(v) => r.array(v, "scenario.thresholds").and_then(|items| {
            let xs: Vec<Option<f64>> = items
                .iter()
                .enumerate()
                .map(|(i, x)| {
                    r.literal_quantity(
                        x,
                        &format!("scenario.thresholds[{i}]"),
                        Dimension::Number,
                        Check::NonNegative,
                    )
                })
                .collect();
            // Each threshold names its own columns (nmb_<λ>): duplicates would clash.
            for (i, x) in xs.iter().enumerate() {
                if let Some(x) = x
                    && xs[..i].iter().flatten().any(|y| y == x)
                {
                    r.error(
                        items[i].span(),
                        &format!("scenario.thresholds[{i}]"),
                        format!("duplicate threshold {x}: expected each threshold once"),
                    );
                }
            }
            xs.into_iter().collect::<Option<Vec<f64>>>()
        }),
        None => Some(vec![100_000.0]),
    };
    let wtp_grid = match t.get("wtp_grid") {
        Some(v) => read_grid(r, v, "scenario.wtp_grid", Check::NonNegative, MAX_WTP_POINTS),
        None => Some(Vec::new()),
    };
    let decision_years = match t.get("decision_years") {
        Some(v) => r.integer(v, "scenario.decision_years", 1).and_then(|n| {
            if n > 100 {
                r.error(
                    v.span(),
                    "scenario.decision_years",
                    format!("expected at most 100 years, found {n}"),
                );
                None
            } else {
                Some(n)
            }
        }),
        None => Some(10),
    };
    Some(Meta {
        name: name?,
        title: title?,
        currency: currency?,
        horizon: horizon?,
        discount_costs: dc?,
        discount_outcomes: doutc?,
        discount_manufacturer: dm?.unwrap_or(dc?),
        patients: patients?,
        samples: samples?,
        seed: seed?,
        comparator: comparator?,
        wtp_grid: {
            // Default grid: 0 to twice the largest threshold in 40 steps.
            let grid: Vec<f64> = wtp_grid?;
            let thresholds: &Vec<f64> = thresholds.as_ref()?;
            if grid.is_empty() {
                let top = 2.0 * thresholds.iter().copied().fold(0.0, f64::max).max(1.0);
                (0..=40).map(|k| top * k as f64 / 40.0).collect()
            } else {
                grid
            }
        },
        decision_years: decision_years?,
        thresholds: thresholds?,
        perspective: Perspective::National,
        population: None,
    })
}

/// `[payer]`: the perspective, and the population (patients entering each strategy per year,
/// a whole number ≥ 1), if given.
fn read_payer(r: &mut Reader, v: &Value<'_>) -> Option<(Perspective, Option<u64>)> {
    let t = r.table(v, "payer")?;
    r.check_keys(t, "payer", &["perspective", "turnover", "portable", "population"]);
    let population = match t.get("population") {
        Some(x) => r.integer(x, "payer.population", 1).and_then(|n| {
            if n as f64 > super::reader::MAX_MAGNITUDE {
                r.error(
                    x.span(),
                    "payer.population",
                    format!(
                        "expected at most {:e} patients a year, found {n}",
                        super::reader::MAX_MAGNITUDE
                    ),
                );
                None
            } else {
                Some(Some(n))
            }
        }),
        None => Some(None),
    };
    let perspective = read_perspective(r, t, v);
    Some((perspective?, population?))
}

fn read_perspective(r: &mut Reader, t: &DeTable<'_>, v: &Value<'_>) -> Option<Perspective> {
    let perspective = match t.get("perspective") {
        Some(pv) => r.string(pv, "payer.perspective")?.to_string(),
        None => "national".to_string(),
    };
    match perspective.as_str() {
        "national" => {
            for key in ["turnover", "portable"] {
                if let Some(x) = t.get(key) {
                    r.error(
                        x.span(),
                        &join("payer", key),
                        format!("`{key}` applies to perspective = \"commercial\" only"),
                    );
                }
            }
            Some(Perspective::National)
        }
        "commercial" => {
            let turnover = r
                .require(
                    t,
                    &v.span(),
                    "payer",
                    "turnover",
                    "the annual probability of leaving the plan, like 0.25",
                )
                .and_then(|x| {
                    let p = r.number(x, "payer.turnover")?;
                    if (0.0..1.0).contains(&p) {
                        Some(p)
                    } else {
                        r.error(
                            x.span(),
                            "payer.turnover",
                            format!("expected an annual probability in [0, 1), found {p}"),
                        );
                        None
                    }
                });
            let portable = match t.get("portable") {
                Some(x) => match x.get_ref() {
                    DeValue::Boolean(b) => Some(*b),
                    other => {
                        r.error(
                            x.span(),
                            "payer.portable",
                            format!("expected true or false, found {}", describe(other)),
                        );
                        None
                    }
                },
                None => Some(false),
            };
            Some(Perspective::Commercial { turnover: turnover?, portable: portable? })
        }
        other => {
            let pv = &t["perspective"];
            r.error(
                pv.span(),
                "payer.perspective",
                format!("expected \"national\" or \"commercial\", found \"{other}\""),
            );
            None
        }
    }
}

fn read_biomarkers(
    r: &mut Reader,
    entries: &[Named<'_, '_>],
    names: &[String],
) -> (Vec<Biomarker>, Vec<BiomarkerGroup>) {
    let mut biomarkers = Vec::new();
    let mut groups: Vec<BiomarkerGroup> = Vec::new();
    let mut group_sums: Vec<(f64, Range<usize>)> = Vec::new();
    for (e, name) in entries.iter().zip(names) {
        r.check_keys(e.table, &e.path, &["name", "prevalence", "group", "discordance", "acquired"]);
        let acquired = match e.table.get("acquired") {
            Some(v) => match v.get_ref() {
                DeValue::Boolean(b) => *b,
                _ => {
                    r.error(
                        v.span(),
                        &join(&e.path, "acquired"),
                        "expected true or false".to_string(),
                    );
                    false
                }
            },
            None => false,
        };
        let discordance = r.quantity_or(
            e.table,
            &e.path,
            "discordance",
            Dimension::Number,
            Check::Probability,
            0.0,
        );
        let prevalence =
            r.require(e.table, &e.span, &e.path, "prevalence", "a probability").and_then(|v| {
                r.quantity(v, &join(&e.path, "prevalence"), Dimension::Number, Check::Probability)
            });
        let group_name = match e.table.get("group") {
            Some(g) => r.name(g, &join(&e.path, "group")),
            None => Some(format!("biomarker:{name}")),
        };
        let (Some(prevalence), Some(group_name), Some(discordance)) =
            (prevalence, group_name, discordance)
        else {
            continue;
        };
        let gi = match groups.iter().position(|g| g.name == group_name) {
            Some(i) => i,
            None => {
                groups.push(BiomarkerGroup {
                    process: Process::named(ProcessKind::Biomarker, &group_name),
                    lesion_process: Process::named(ProcessKind::LesionStatus, &group_name),
                    name: group_name,
                    members: Vec::new(),
                });
                group_sums.push((0.0, 0..0));
                groups.len() - 1
            }
        };
        groups[gi].members.push(biomarkers.len());
        group_sums[gi].0 += r.values[prevalence.0 as usize];
        group_sums[gi].1 = e.table.get("prevalence").map_or(e.span.clone(), |v| v.span());
        biomarkers.push(Biomarker {
            name: name.clone(),
            prevalence,
            discordance,
            acquired,
            group: gi,
        });
    }
    for (g, (sum, span)) in groups.iter().zip(group_sums) {
        if sum > 1.0 + 1e-12 {
            r.error(span, "biomarkers", format!("prevalences in group `{}` sum to {sum}: expected at most 1 (members are mutually exclusive)", g.name));
        }
    }
    (biomarkers, groups)
}

fn read_tests(
    r: &mut Reader,
    entries: &[Named<'_, '_>],
    names: &[String],
    biomarkers: &[String],
    regimens: &[String],
) -> Vec<Option<Test>> {
    let mut tests: Vec<Option<Test>> = Vec::new();
    let mut next_bit = biomarkers.len();
    for (e, name) in entries.iter().zip(names) {
        let p = &e.path;
        r.check_keys(
            e.table,
            p,
            &[
                "name",
                "detects",
                "sensitivity",
                "specificity",
                "predicts",
                "auc",
                "cutoff",
                "sweep",
                "failure",
                "on_failure",
                "sample",
                "shedding",
                "concurrent",
                "cost",
                "turnaround",
            ],
        );
        let specimen = read_specimen(r, e);
        let concurrent = match e.table.get("concurrent") {
            Some(v) => r.resolve(v, &join(p, "concurrent"), "test", names).map(Some),
            None => Some(None),
        };
        let failure =
            r.quantity_or(e.table, p, "failure", Dimension::Number, Check::Probability, 0.0);
        let on_failure = match e.table.get("on_failure") {
            Some(v) => match r.string(v, &join(p, "on_failure")) {
                Some("negative") => Some(None),
                Some(_) => r.resolve(v, &join(p, "on_failure"), "test", names).map(Some),
                None => None,
            },
            None => Some(None),
        };
        let cost = r
            .require(e.table, &e.span, p, "cost", "the test's cost")
            .and_then(|v| r.quantity(v, &join(p, "cost"), Dimension::Number, Check::NonNegative));
        let turnaround =
            r.require(e.table, &e.span, p, "turnaround", "a duration like \"15 days\"").and_then(
                |v| r.quantity(v, &join(p, "turnaround"), Dimension::Duration, Check::NonNegative),
            );
        if let Some(pv) = e.table.get("predicts") {
            let selection = read_selection(r, e, pv, name, biomarkers, regimens, next_bit);
            next_bit += 1;
            let test = (|| {
                Some(Test {
                    name: name.clone(),
                    readings: Vec::new(),
                    failure: failure?,
                    on_failure: on_failure?,
                    cost: cost?,
                    turnaround: turnaround?,
                    failure_process: Process::named(ProcessKind::TestFailure, name),
                    specimen: specimen?,
                    concurrent: concurrent?,
                    selection: Some(selection?),
                })
            })();
            tests.push(test);
            continue;
        }
        for key in ["auc", "cutoff", "sweep"] {
            if let Some(v) = e.table.get(key) {
                r.error_help(
                    v.span(),
                    &join(p, key),
                    format!("expected `{key}` only in a selection test, found it in a test that detects biomarkers"),
                    Some("a selection test gives `predicts = \"<regimen>\"`, `auc` and `cutoff` instead of `detects`".into()),
                );
            }
        }
        let detects: Vec<(usize, Range<usize>)> = r
            .require(e.table, &e.span, p, "detects", "a list of biomarker names")
            .and_then(|v| r.array(v, &join(p, "detects")))
            .map(|items| {
                items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, item)| {
                        r.resolve(item, &format!("{p}.detects[{i}]"), "biomarker", biomarkers)
                            .map(|b| (b, item.span()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        // A test with an unresolved biomarker is not built, so no follow-on errors arise.
        let all_resolved = e
            .table
            .get("detects")
            .and_then(|v| match v.get_ref() {
                DeValue::Array(a) => Some(a.len() == detects.len()),
                _ => None,
            })
            .unwrap_or(false);
        let detected_names: Vec<String> =
            detects.iter().map(|(b, _)| biomarkers[*b].clone()).collect();
        let sens = per_biomarker(r, e, "sensitivity", &detected_names, biomarkers);
        let spec = per_biomarker(r, e, "specificity", &detected_names, biomarkers);
        let test = (|| {
            let (sens, spec) = (sens?, spec?);
            if !all_resolved {
                return None;
            }
            Some(Test {
                name: name.clone(),
                readings: detects
                    .iter()
                    .enumerate()
                    .map(|(k, (b, _))| Reading {
                        biomarker: *b,
                        sensitivity: sens[k],
                        specificity: spec[k],
                        process: Process::named2(ProcessKind::TestReading, name, &biomarkers[*b]),
                    })
                    .collect(),
                failure: failure?,
                on_failure: on_failure?,
                cost: cost?,
                turnaround: turnaround?,
                failure_process: Process::named(ProcessKind::TestFailure, name),
                specimen: specimen?,
                concurrent: concurrent?,
                selection: None,
            })
        })();
        tests.push(test);
    }
    // Reflex chains must end: no cycles, at most MAX_TEST_CHAIN tests.
    for (i, e) in entries.iter().enumerate() {
        let mut seen = vec![i];
        let mut cur = i;
        while let Some(Some(next)) = tests.get(cur).and_then(|t| t.as_ref()).map(|t| t.on_failure) {
            if seen.contains(&next) || seen.len() >= MAX_TEST_CHAIN {
                let span = e.table.get("on_failure").map_or(e.span.clone(), |v| v.span());
                r.error(
                    span,
                    &join(&e.path, "on_failure"),
                    format!("reflex tests must form a chain of at most {MAX_TEST_CHAIN} tests without loops, found {}", seen.iter().chain([&next]).map(|&k| names[k].as_str()).collect::<Vec<_>>().join(" → ")),
                );
                break;
            }
            seen.push(next);
            cur = next;
        }
    }
    tests
}

/// `[heterogeneity]`: `lesions = [P(1), P(2), …]` (literal probabilities summing to 1) and
/// `biopsy = "random"` (default) or `"primary"`.
fn read_heterogeneity(r: &mut Reader, v: &Value<'_>) -> Option<Heterogeneity> {
    let p = "heterogeneity";
    let t = r.table(v, p)?;
    r.check_keys(t, p, &["lesions", "biopsy"]);
    let lv = r.require(t, &v.span(), p, "lesions", "a list [P(1 lesion), P(2 lesions), …]")?;
    let items = r.array(lv, "heterogeneity.lesions")?;
    let mut lesions = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let q = r.literal_quantity(
            item,
            &format!("heterogeneity.lesions[{i}]"),
            Dimension::Number,
            Check::Probability,
        )?;
        lesions.push(q);
    }
    let sum: f64 = lesions.iter().sum();
    if lesions.is_empty() || lesions.len() > MAX_LESIONS || (sum - 1.0).abs() > 1e-9 {
        r.error(
            lv.span(),
            "heterogeneity.lesions",
            format!(
                "expected 1 to {MAX_LESIONS} probabilities summing to 1, found {} summing to {sum}",
                lesions.len()
            ),
        );
        return None;
    }
    let random_biopsy = match t.get("biopsy") {
        Some(b) => match r.string(b, "heterogeneity.biopsy")? {
            "random" => true,
            "primary" => false,
            other => {
                r.error(
                    b.span(),
                    "heterogeneity.biopsy",
                    format!("expected \"random\" or \"primary\", found \"{other}\""),
                );
                return None;
            }
        },
        None => true,
    };
    Some(Heterogeneity {
        lesions,
        random_biopsy,
        count_process: Process::new(ProcessKind::Lesions, 0),
        biopsy_process: Process::new(ProcessKind::Biopsy, 0),
    })
}

/// `sample = "tissue"` (default) or `"plasma"` with `shedding` (the probability that the
/// tumour sheds enough ctDNA to be seen).
fn read_specimen(r: &mut Reader, e: &Named<'_, '_>) -> Option<Specimen> {
    let p = &e.path;
    let plasma = match e.table.get("sample") {
        Some(v) => match r.string(v, &join(p, "sample"))? {
            "tissue" => false,
            "plasma" => true,
            other => {
                r.error(
                    v.span(),
                    &join(p, "sample"),
                    format!("expected \"tissue\" or \"plasma\", found \"{other}\""),
                );
                return None;
            }
        },
        None => false,
    };
    match (plasma, e.table.get("shedding")) {
        (true, _) => {
            let shedding =
                r.quantity_or(e.table, p, "shedding", Dimension::Number, Check::Probability, 1.0)?;
            Some(Specimen::Plasma { shedding })
        }
        (false, Some(v)) => {
            r.error_help(
                v.span(),
                &join(p, "shedding"),
                "expected `shedding` only in a plasma test, found it in a tissue test".to_string(),
                Some("add `sample = \"plasma\"` for a ctDNA test".into()),
            );
            None
        }
        (false, None) => Some(Specimen::Tissue),
    }
}

/// Most cutoffs a selection sweep may list (each is one more base-case simulation).
const MAX_SWEEP: usize = 200;

/// A selection test's `predicts`, `auc`, `cutoff` and optional `sweep = { from, to, step }`.
fn read_selection(
    r: &mut Reader,
    e: &Named<'_, '_>,
    pv: &Value<'_>,
    name: &str,
    biomarkers: &[String],
    regimens: &[String],
    bit: usize,
) -> Option<Selection> {
    let p = &e.path;
    for key in ["detects", "sensitivity", "specificity"] {
        if let Some(v) = e.table.get(key) {
            r.error_help(
                v.span(),
                &join(p, key),
                format!("expected no `{key}` in a selection test (it has `predicts`), found one"),
                Some("its sensitivity and specificity follow from `auc` and `cutoff`".into()),
            );
        }
    }
    if biomarkers.iter().any(|b| b == name) {
        r.error(
            e.table["name"].span(),
            &join(p, "name"),
            format!("expected a selection test name different from every biomarker's, found `{name}`, also a biomarker: rules could not tell them apart"),
        );
    }
    if bit >= MAX_BIOMARKERS {
        r.error(
            pv.span(),
            &join(p, "predicts"),
            format!("expected at most {MAX_BIOMARKERS} biomarkers and selection tests together, found more"),
        );
    }
    let regimen = r.resolve(pv, &join(p, "predicts"), "regimen", regimens);
    let auc = r
        .require(e.table, &e.span, p, "auc", "the score's area under the ROC curve, in (0, 1)")
        .and_then(|v| r.quantity(v, &join(p, "auc"), Dimension::Number, Check::OpenUnit));
    let cutoff = r
        .require(
            e.table,
            &e.span,
            p,
            "cutoff",
            "the score cutoff in standard deviations of non-responders' scores",
        )
        .and_then(|v| r.quantity(v, &join(p, "cutoff"), Dimension::Number, Check::Any));
    let sweep = match e.table.get("sweep") {
        Some(v) => read_grid(r, v, &join(p, "sweep"), Check::Any, MAX_SWEEP),
        None => Some(Vec::new()),
    };
    Some(Selection {
        regimen: regimen?,
        auc: auc?,
        cutoff: cutoff?,
        sweep: sweep?,
        bit,
        process: Process::named(ProcessKind::TestReading, name),
    })
}

/// `{ from, to, step }` → from, from + step, …, ≤ to: literal numbers, `from` and `to`
/// passing `check`, at most `max` points.
fn read_grid(r: &mut Reader, v: &Value<'_>, p: &str, check: Check, max: usize) -> Option<Vec<f64>> {
    let g = r.table(v, p)?;
    r.check_keys(g, p, &["from", "to", "step"]);
    let mut read = |key: &str, check: Check| {
        r.require(g, &v.span(), p, key, "a number")
            .and_then(|x| r.literal_quantity(x, &join(p, key), Dimension::Number, check))
    };
    let (from, to, step) = (read("from", check), read("to", check), read("step", Check::Positive));
    let (from, to, step) = (from?, to?, step?);
    let points = ((to - from) / step + 1e-9).floor() + 1.0;
    if !(to >= from) || points > max as f64 {
        r.error(
            v.span(),
            p,
            format!("expected from ≤ to and at most {max} points, found from {from}, to {to}, step {step}"),
        );
        return None;
    }
    Some((0..points as u64).map(|k| from + k as f64 * step).collect())
}

/// Sensitivity or specificity: one number for every detected biomarker, or a table by name.
fn per_biomarker(
    r: &mut Reader,
    e: &Named<'_, '_>,
    key: &str,
    detected: &[String],
    biomarkers: &[String],
) -> Option<Vec<Slot>> {
    let path = join(&e.path, key);
    let v = r.require(
        e.table,
        &e.span,
        &e.path,
        key,
        "a probability, or a table of probabilities by biomarker",
    )?;
    match v.get_ref() {
        DeValue::Table(t) => {
            for (k, _) in t.iter() {
                let kn = k.get_ref().as_ref();
                if !detected.iter().any(|d| d == kn) {
                    let help = if biomarkers.iter().any(|b| b == kn) {
                        format!("add `{kn}` to `detects`")
                    } else {
                        format!("the test detects: {}", detected.join(", "))
                    };
                    r.error_help(
                        k.span(),
                        &join(&path, kn),
                        format!("`{kn}` is not a biomarker this test detects"),
                        Some(help),
                    );
                }
            }
            let slots: Vec<Option<Slot>> = detected
                .iter()
                .map(|d| {
                    r.require(t, &v.span(), &path, d, "a probability").and_then(|x| {
                        r.quantity(x, &join(&path, d), Dimension::Number, Check::Probability)
                    })
                })
                .collect();
            slots.into_iter().collect()
        }
        _ => {
            let slot = r.quantity(v, &path, Dimension::Number, Check::Probability)?;
            Some(vec![slot; detected.len()])
        }
    }
}

fn read_regimen(
    r: &mut Reader,
    e: &Named<'_, '_>,
    name: &str,
    biomarkers: &[String],
    drug_names: &mut Vec<String>,
) -> Option<Regimen> {
    let p = &e.path;
    let t = e.table;
    r.check_keys(
        t,
        p,
        &[
            "name",
            "drugs",
            "administration",
            "response",
            "progression",
            "death_before_progression",
            "after_progression",
            "partitioned",
            "time_to_response",
            "pseudo_progression",
            "beyond_progression",
            "second_line",
            "monitoring",
            "discontinuation",
            "adverse_events",
            "assessment",
            "response_error",
        ],
    );
    // A drug listed twice in one regimen would be paid twice but settled once by a contract.
    if let Some(v) = t.get("drugs")
        && let DeValue::Array(items) = v.get_ref()
    {
        let mut seen: Vec<String> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            if let DeValue::Table(dt) = item.get_ref()
                && let Some(nv) = dt.get("name")
                && let DeValue::String(n) = nv.get_ref()
            {
                if seen.iter().any(|x| x == n.as_ref()) {
                    r.error(
                        nv.span(),
                        &format!("{p}.drugs[{i}].name"),
                        format!("drug `{n}` is listed twice in regimen `{name}`: give it once (one price, cycle and stopping rule)"),
                    );
                }
                seen.push(n.to_string());
            }
        }
    }
    let assessment = match t.get("assessment") {
        Some(v) => r
            .quantity(v, &join(p, "assessment"), Dimension::Duration, Check::Positive)
            .and_then(|slot| {
                let days = r.values[slot.0 as usize] * crate::units::DAYS_PER_YEAR;
                if days < 1.0 - 1e-9 {
                    r.error(
                        v.span(),
                        &join(p, "assessment"),
                        format!("expected a scan interval of at least 1 day, found {days} days"),
                    );
                    None
                } else {
                    Some(Some(slot))
                }
            }),
        None => Some(None),
    };
    let (mut false_positive, mut false_negative) = (None, None);
    match t.get("response_error") {
        Some(v) => {
            let ep = join(p, "response_error");
            if let Some(et) = r.table(v, &ep) {
                r.check_keys(et, &ep, &["false_positive", "false_negative"]);
                false_positive = r.quantity_or(
                    et,
                    &ep,
                    "false_positive",
                    Dimension::Number,
                    Check::Probability,
                    0.0,
                );
                false_negative = r.quantity_or(
                    et,
                    &ep,
                    "false_negative",
                    Dimension::Number,
                    Check::Probability,
                    0.0,
                );
            }
        }
        None => {
            false_positive = Some(r.constant(0.0));
            false_negative = Some(r.constant(0.0));
        }
    }
    let drugs: Option<Vec<Drug>> = match t.get("drugs") {
        Some(v) => r.array(v, &join(p, "drugs")).and_then(|items| {
            let ds: Vec<Option<Drug>> = items
                .iter()
                .enumerate()
                .map(|(i, item)| read_drug(r, item, &format!("{p}.drugs[{i}]"), drug_names))
                .collect();
            ds.into_iter().collect()
        }),
        None => Some(Vec::new()),
    };
    let administration =
        r.quantity_or(t, p, "administration", Dimension::Number, Check::NonNegative, 0.0);
    let response = r
        .require(
            t,
            &e.span,
            p,
            "response",
            "a probability, or a table by biomarker with `otherwise`",
        )
        .and_then(|v| read_response(r, v, &join(p, "response"), biomarkers));
    let (course, pps_cost) = if let Some(v) = t.get("partitioned") {
        read_partitioned(r, t, v, p)
    } else {
        read_clinical_course(r, e, p)
    };
    let immunotherapy = read_immunotherapy(r, t, p);
    let monitoring = match t.get("monitoring") {
        Some(v) => read_monitoring(r, v, &join(p, "monitoring")).map(Some),
        None => Some(None),
    };
    let discontinuation = match t.get("discontinuation") {
        Some(d) => read_tte(r, d, &join(p, "discontinuation")).map(Some),
        None => Some(None),
    };
    let adverse_events: Option<Vec<AdverseEvent>> = match t.get("adverse_events") {
        Some(v) => r.array(v, &join(p, "adverse_events")).and_then(|items| {
            if items.len() > MAX_ADVERSE_EVENTS {
                r.error(
                    v.span(),
                    &join(p, "adverse_events"),
                    format!("expected at most {MAX_ADVERSE_EVENTS} adverse events per regimen, found {}", items.len()),
                );
                return None;
            }
            let mut seen: Vec<String> = Vec::new();
            let aes: Vec<Option<AdverseEvent>> = items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let ap = format!("{p}.adverse_events[{i}]");
                    let at = r.table(item, &ap)?;
                    r.check_keys(at, &ap, &["name", "probability", "cost", "qaly_loss"]);
                    let ae_name = r
                        .require(at, &item.span(), &ap, "name", "the event's name")
                        .and_then(|v| r.name(v, &join(&ap, "name")));
                    if let Some(n) = &ae_name {
                        if seen.contains(n) {
                            r.error(
                                at["name"].span(),
                                &join(&ap, "name"),
                                format!("duplicate adverse event `{n}` in regimen `{name}`"),
                            );
                        }
                        seen.push(n.clone());
                    }
                    let probability = r
                        .require(at, &item.span(), &ap, "probability", "a probability")
                        .and_then(|v| {
                            r.quantity(
                                v,
                                &join(&ap, "probability"),
                                Dimension::Number,
                                Check::Probability,
                            )
                        });
                    let cost =
                        r.quantity_or(at, &ap, "cost", Dimension::Number, Check::NonNegative, 0.0);
                    let qaly_loss = r.quantity_or(
                        at,
                        &ap,
                        "qaly_loss",
                        Dimension::Number,
                        Check::NonNegative,
                        0.0,
                    );
                    let ae_name = ae_name?;
                    Some(AdverseEvent {
                        process: Process::named2(ProcessKind::AdverseEvent, name, &ae_name),
                        name: ae_name,
                        probability: probability?,
                        cost: cost?,
                        qaly_loss: qaly_loss?,
                    })
                })
                .collect();
            aes.into_iter().collect()
        }),
        None => Some(Vec::new()),
    };
    Some(Regimen {
        name: name.to_string(),
        drugs: drugs?,
        administration: administration?,
        response: response?,
        course: course?,
        post_progression_cost: pps_cost?,
        discontinuation: discontinuation?,
        adverse_events: adverse_events?,
        assessment: assessment?,
        response_false_positive: false_positive?,
        response_false_negative: false_negative?,
        immunotherapy: immunotherapy?,
        second_line: None,
        monitoring: monitoring?,
    })
}

/// `monitoring = { every, lead_time, sensitivity, cost }`: ctDNA tests on treatment.
fn read_monitoring(r: &mut Reader, v: &Value<'_>, p: &str) -> Option<Monitoring> {
    let t = r.table(v, p)?;
    r.check_keys(t, p, &["every", "lead_time", "sensitivity", "cost"]);
    let span = v.span();
    let every = r
        .require(t, &span, p, "every", "the interval between ctDNA tests, like \"4 weeks\"")
        .and_then(|x| r.quantity(x, &join(p, "every"), Dimension::Duration, Check::Positive));
    if let (Some(slot), Some(x)) = (every, t.get("every")) {
        let days = r.values[slot.0 as usize] * crate::units::DAYS_PER_YEAR;
        if days < 1.0 - 1e-9 {
            r.error(
                x.span(),
                &join(p, "every"),
                format!("expected a test interval of at least 1 day, found {days} days"),
            );
        }
    }
    let lead_time = r.quantity_or(t, p, "lead_time", Dimension::Duration, Check::NonNegative, 0.0);
    let sensitivity = r
        .require(t, &span, p, "sensitivity", "the probability that ctDNA shows the progression")
        .and_then(|x| {
            r.quantity(x, &join(p, "sensitivity"), Dimension::Number, Check::Probability)
        });
    let cost = r.quantity_or(t, p, "cost", Dimension::Number, Check::NonNegative, 0.0);
    Some(Monitoring {
        every: every?,
        lead_time: lead_time?,
        sensitivity: sensitivity?,
        cost: cost?,
    })
}

/// `time_to_response`, `pseudo_progression` (needs `assessment`) and `beyond_progression`;
/// `None` inside the option when none is given.
fn read_immunotherapy(r: &mut Reader, t: &DeTable<'_>, p: &str) -> Option<Option<Immunotherapy>> {
    if !["time_to_response", "pseudo_progression", "beyond_progression"]
        .iter()
        .any(|k| t.contains_key(*k))
    {
        return Some(None);
    }
    let time_to_response = match t.get("time_to_response") {
        Some(d) => read_tte(r, d, &join(p, "time_to_response")).map(Some),
        None => Some(None),
    };
    let pseudo_progression =
        r.quantity_or(t, p, "pseudo_progression", Dimension::Number, Check::Probability, 0.0);
    if let (Some(v), None) = (t.get("pseudo_progression"), t.get("assessment")) {
        r.error_help(
            v.span(),
            &join(p, "pseudo_progression"),
            "expected `pseudo_progression` in a regimen with an `assessment` schedule, found none"
                .to_string(),
            Some(
                "pseudo-progression shows at the first scan: add `assessment = \"8 weeks\"`".into(),
            ),
        );
    }
    let beyond_progression = match t.get("beyond_progression") {
        Some(v) => r
            .quantity(v, &join(p, "beyond_progression"), Dimension::Duration, Check::Positive)
            .map(Some),
        None => Some(None),
    };
    Some(Some(Immunotherapy {
        time_to_response: time_to_response?,
        pseudo_progression: pseudo_progression?,
        beyond_progression: beyond_progression?,
    }))
}

/// Progression by response, death before progression and survival after progression (all
/// required), with the cost per time after progression.
fn read_clinical_course(
    r: &mut Reader,
    e: &Named<'_, '_>,
    p: &str,
) -> (Option<CourseSpec>, Option<Slot>) {
    let t = e.table;
    let (mut resp, mut nonresp) = (None, None);
    if let Some(v) =
        r.require(t, &e.span, p, "progression", "a table { responder = …, non_responder = … }")
    {
        let pp = join(p, "progression");
        if let Some(pt) = r.table(v, &pp) {
            r.check_keys(pt, &pp, &["responder", "non_responder"]);
            resp = r
                .require(pt, &v.span(), &pp, "responder", "a time-to-event distribution")
                .and_then(|d| read_tte(r, d, &join(&pp, "responder")));
            nonresp = r
                .require(pt, &v.span(), &pp, "non_responder", "a time-to-event distribution")
                .and_then(|d| read_tte(r, d, &join(&pp, "non_responder")));
        }
    }
    let death = r
        .require(t, &e.span, p, "death_before_progression", "a time-to-event distribution")
        .and_then(|d| read_tte(r, d, &join(p, "death_before_progression")));
    let (mut pps, mut pps_cost) = (None, None);
    if let Some(v) =
        r.require(t, &e.span, p, "after_progression", "a table { survival = …, cost = … }")
    {
        let ap = join(p, "after_progression");
        if let Some(at) = r.table(v, &ap) {
            r.check_keys(at, &ap, &["survival", "cost"]);
            pps = r
                .require(at, &v.span(), &ap, "survival", "a time-to-event distribution")
                .and_then(|d| read_tte(r, d, &join(&ap, "survival")));
            pps_cost = r.quantity_or(at, &ap, "cost", Dimension::PerTime, Check::NonNegative, 0.0);
        }
    }
    let course = (|| {
        Some(CourseSpec::Clinical {
            progression_responder: resp?,
            progression_non_responder: nonresp?,
            death_before_progression: death?,
            post_progression_survival: pps?,
        })
    })();
    (course, pps_cost)
}

/// `partitioned = { pfs = …, os = … }`: PFS and OS curves from diagnosis instead of the
/// clinical course; `after_progression` may then give only a cost.
fn read_partitioned(
    r: &mut Reader,
    t: &DeTable<'_>,
    v: &Value<'_>,
    p: &str,
) -> (Option<CourseSpec>, Option<Slot>) {
    for key in ["progression", "death_before_progression"] {
        if let Some(other) = t.get(key) {
            r.error_help(
                other.span(),
                &join(p, key),
                format!("expected no `{key}` in a partitioned-survival regimen, found one"),
                Some("a regimen gives either `partitioned = { pfs, os }` or `progression`, `death_before_progression` and `after_progression.survival`".into()),
            );
        }
    }
    let mut pps_cost = Some(r.constant(0.0));
    if let Some(av) = t.get("after_progression") {
        let ap = join(p, "after_progression");
        if let Some(at) = r.table(av, &ap) {
            if let Some(sv) = at.get("survival") {
                r.error_help(
                    sv.span(),
                    &join(&ap, "survival"),
                    "expected no survival after progression in a partitioned-survival regimen, found one".to_string(),
                    Some("survival after progression follows from `partitioned.os`; keep only `cost`".into()),
                );
            }
            r.check_keys(at, &ap, &["survival", "cost"]);
            pps_cost = r.quantity_or(at, &ap, "cost", Dimension::PerTime, Check::NonNegative, 0.0);
        }
    }
    let pp = join(p, "partitioned");
    let Some(pt) = r.table(v, &pp) else { return (None, pps_cost) };
    r.check_keys(pt, &pp, &["pfs", "os"]);
    let pfs = r
        .require(
            pt,
            &v.span(),
            &pp,
            "pfs",
            "a time-to-event distribution of progression-free survival",
        )
        .and_then(|d| read_tte(r, d, &join(&pp, "pfs")));
    let os = r
        .require(pt, &v.span(), &pp, "os", "a time-to-event distribution of overall survival")
        .and_then(|d| read_tte(r, d, &join(&pp, "os")));
    let course = (|| Some(CourseSpec::Partitioned { pfs: pfs?, os: os? }))();
    (course, pps_cost)
}

fn read_drug(r: &mut Reader, v: &Value<'_>, p: &str, drug_names: &mut Vec<String>) -> Option<Drug> {
    let t = r.table(v, p)?;
    r.check_keys(t, p, &["name", "price", "cycle", "max_cycles", "max_duration", "administration"]);
    let name = r
        .require(t, &v.span(), p, "name", "the drug's name")
        .and_then(|n| r.name(n, &join(p, "name")));
    let price = r
        .require(t, &v.span(), p, "price", "the price per cycle")
        .and_then(|x| r.quantity(x, &join(p, "price"), Dimension::Number, Check::NonNegative));
    let cycle =
        r.require(t, &v.span(), p, "cycle", "the cycle length, like \"21 days\"").and_then(|x| {
            let slot = r.quantity(x, &join(p, "cycle"), Dimension::Duration, Check::Positive)?;
            let days = r.values[slot.0 as usize] * crate::units::DAYS_PER_YEAR;
            if days < 1.0 - 1e-9 {
                r.error(
                    x.span(),
                    &join(p, "cycle"),
                    format!("expected a cycle of at least 1 day, found {days} days"),
                );
                return None;
            }
            Some(slot)
        });
    let max_cycles = match t.get("max_cycles") {
        Some(x) => r.integer(x, &join(p, "max_cycles"), 1).map(Some),
        None => Some(None),
    };
    let max_duration = match t.get("max_duration") {
        Some(x) => {
            r.quantity(x, &join(p, "max_duration"), Dimension::Duration, Check::Positive).map(Some)
        }
        None => Some(None),
    };
    let administration =
        r.quantity_or(t, p, "administration", Dimension::Number, Check::NonNegative, 0.0);
    let name = name?;
    let drug = match drug_names.iter().position(|d| *d == name) {
        Some(i) => i,
        None => {
            drug_names.push(name);
            drug_names.len() - 1
        }
    };
    Some(Drug {
        drug,
        price: price?,
        cycle: cycle?,
        max_cycles: max_cycles?,
        max_duration: max_duration?,
        administration: administration?,
    })
}

fn read_response(
    r: &mut Reader,
    v: &Value<'_>,
    p: &str,
    biomarkers: &[String],
) -> Option<Response> {
    match v.get_ref() {
        DeValue::Table(t) => {
            let mut by_biomarker = Vec::new();
            let mut otherwise = None;
            let mut ok = true;
            for (k, x) in t.iter() {
                let key = k.get_ref().as_ref();
                let kp = join(p, key);
                if key == "otherwise" {
                    otherwise = r.quantity(x, &kp, Dimension::Number, Check::Probability);
                    ok &= otherwise.is_some();
                    continue;
                }
                let Some(b) = biomarkers.iter().position(|n| n == key) else {
                    let mut candidates: Vec<&str> = biomarkers.iter().map(String::as_str).collect();
                    candidates.push("otherwise");
                    let listing = format!(
                        "keys are biomarker names (defined biomarkers: {}) or `otherwise`",
                        biomarkers.join(", ")
                    );
                    let help = Some(match super::diagnostic::did_you_mean(key, candidates) {
                        Some(s) => format!("did you mean `{s}`? {listing}"),
                        None => listing,
                    });
                    r.error_help(k.span(), &kp, format!("undefined biomarker `{key}`"), help);
                    ok = false;
                    continue;
                };
                match r.quantity(x, &kp, Dimension::Number, Check::Probability) {
                    Some(s) => by_biomarker.push((b, s)),
                    None => ok = false,
                }
            }
            if otherwise.is_none() && !t.contains_key("otherwise") {
                r.error(v.span(), p, "missing field `otherwise`: expected the response probability of patients without any listed biomarker");
                return None;
            }
            if ok { Some(Response { by_biomarker, otherwise: otherwise? }) } else { None }
        }
        _ => {
            let otherwise = r.quantity(v, p, Dimension::Number, Check::Probability)?;
            Some(Response { by_biomarker: Vec::new(), otherwise })
        }
    }
}

const DISTS: &[&str] =
    &["exponential", "weibull", "gompertz", "loglogistic", "lognormal", "piecewise"];

/// A time-to-event distribution: `{ dist = "weibull", shape = 1.3, scale = "24 months" }`.
fn read_tte(r: &mut Reader, v: &Value<'_>, p: &str) -> Option<TteSpec> {
    let t = r.table(v, p)?;
    let span = v.span();
    let dv = r.require(t, &span, p, "dist", &format!("one of {}", DISTS.join(", ")))?;
    let dist = r.string(dv, &join(p, "dist"))?;
    // Which keys a form takes, and which alternatives are mutually exclusive.
    let (form, keys): (TteForm, Vec<(&str, Dimension, Check)>) = match dist {
        "exponential" => {
            let choice = exactly_one(r, t, &span, p, &["rate", "median", "mean"])?;
            match choice {
                "rate" => {
                    (TteForm::ExponentialRate, vec![("rate", Dimension::PerTime, Check::Positive)])
                }
                "median" => (
                    TteForm::ExponentialMedian,
                    vec![("median", Dimension::Duration, Check::Positive)],
                ),
                _ => {
                    (TteForm::ExponentialMean, vec![("mean", Dimension::Duration, Check::Positive)])
                }
            }
        }
        "weibull" | "loglogistic" => {
            let choice = exactly_one(r, t, &span, p, &["scale", "median"])?;
            let form = match (dist, choice) {
                ("weibull", "scale") => TteForm::Weibull,
                ("weibull", _) => TteForm::WeibullMedian,
                _ => TteForm::LogLogistic,
            };
            (
                form,
                vec![
                    ("shape", Dimension::Number, Check::Positive),
                    (choice, Dimension::Duration, Check::Positive),
                ],
            )
        }
        "gompertz" => (
            TteForm::Gompertz,
            vec![
                ("shape", Dimension::PerTime, Check::Any),
                ("rate", Dimension::PerTime, Check::Positive),
            ],
        ),
        "lognormal" => {
            let choice = exactly_one(r, t, &span, p, &["median", "meanlog"])?;
            if choice == "median" {
                (
                    TteForm::LogNormalMedian,
                    vec![
                        ("median", Dimension::Duration, Check::Positive),
                        ("sdlog", Dimension::Number, Check::Positive),
                    ],
                )
            } else {
                let uv =
                    r.require(t, &span, p, "unit", "the time unit of log t, like \"months\"")?;
                let us = r.string(uv, &join(p, "unit"))?;
                let unit_years = match crate::units::time_unit(us) {
                    Ok(u) => u,
                    Err(_) => {
                        r.error_help(
                            uv.span(),
                            &join(p, "unit"),
                            format!("unknown unit `{us}`"),
                            Some("units are day(s), week(s), month(s), year(s)".into()),
                        );
                        return None;
                    }
                };
                (
                    TteForm::LogNormal { unit_years },
                    vec![
                        ("meanlog", Dimension::Number, Check::Any),
                        ("sdlog", Dimension::Number, Check::Positive),
                    ],
                )
            }
        }
        "piecewise" => return read_piecewise(r, t, &span, p),
        other => {
            let help = super::diagnostic::did_you_mean(other, DISTS.iter().copied())
                .map(|s| format!("did you mean `{s}`?"));
            r.error_help(
                dv.span(),
                &join(p, "dist"),
                format!("expected one of {}, found \"{other}\"", DISTS.join(", ")),
                help,
            );
            return None;
        }
    };
    let mut allowed = vec!["dist"];
    allowed.extend(keys.iter().map(|(k, _, _)| *k));
    if matches!(form, TteForm::LogNormal { .. }) {
        allowed.push("unit");
    }
    r.check_keys(t, p, &allowed);
    let slots: Vec<Option<Slot>> = keys
        .iter()
        .map(|(k, dim, check)| {
            r.require(t, &span, p, k, dim.describe())
                .and_then(|x| r.quantity(x, &join(p, k), *dim, *check))
        })
        .collect();
    let spec = TteSpec { form, slots: slots.into_iter().collect::<Option<Vec<_>>>()? };
    // Cross-parameter validity (e.g. a Gompertz with rate ≤ 0) at the point values.
    if let Err(e) = spec.build(&r.values) {
        r.error(span, p, format!("not a valid {dist} distribution: {e}"));
        return None;
    }
    Some(spec)
}

fn exactly_one<'k>(
    r: &mut Reader,
    t: &DeTable<'_>,
    span: &Range<usize>,
    p: &str,
    keys: &[&'k str],
) -> Option<&'k str> {
    let present: Vec<&str> = keys.iter().copied().filter(|k| t.contains_key(*k)).collect();
    match present.as_slice() {
        [one] => Some(one),
        [] => {
            r.error(
                span.clone(),
                p,
                format!(
                    "missing parameter: expected one of {}",
                    keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                ),
            );
            None
        }
        many => {
            r.error(
                span.clone(),
                p,
                format!("give only one of {}, found {}", keys.join(", "), many.join(" and ")),
            );
            None
        }
    }
}

fn read_piecewise(
    r: &mut Reader,
    t: &DeTable<'_>,
    span: &Range<usize>,
    p: &str,
) -> Option<TteSpec> {
    r.check_keys(t, p, &["dist", "breaks", "rates"]);
    let breaks = r.require(t, span, p, "breaks", "a list of times starting at \"0 months\"")?;
    let rates = r.require(t, span, p, "rates", "a list of rates, one per break")?;
    let bs = r.array(breaks, &join(p, "breaks"))?;
    let rs = r.array(rates, &join(p, "rates"))?;
    if bs.len() != rs.len() || bs.is_empty() {
        r.error(
            rates.span(),
            &join(p, "rates"),
            format!("expected one rate per break ({}), found {}", bs.len(), rs.len()),
        );
        return None;
    }
    let mut slots = Vec::new();
    for (i, b) in bs.iter().enumerate() {
        slots.push(r.quantity(
            b,
            &format!("{p}.breaks[{i}]"),
            Dimension::Duration,
            Check::NonNegative,
        ));
    }
    for (i, x) in rs.iter().enumerate() {
        slots.push(r.quantity(
            x,
            &format!("{p}.rates[{i}]"),
            Dimension::PerTime,
            Check::NonNegative,
        ));
    }
    let spec =
        TteSpec { form: TteForm::Piecewise, slots: slots.into_iter().collect::<Option<Vec<_>>>()? };
    if let Err(e) = spec.build(&r.values) {
        r.error(
            breaks.span(),
            &join(p, "breaks"),
            format!("not a valid piecewise distribution: {e}"),
        );
        return None;
    }
    Some(spec)
}

fn read_states(r: &mut Reader, v: &Value<'_>) -> Option<States> {
    let t = r.table(v, "states")?;
    r.check_keys(t, "states", &["progression_free", "progressed", "death"]);
    let read_state = |r: &mut Reader, key: &str| -> (Option<Slot>, Option<Slot>) {
        let p = join("states", key);
        let Some(sv) = r.require(
            t,
            &v.span(),
            "states",
            key,
            "a table { cost = \"… per month\", utility = … }",
        ) else {
            return (None, None);
        };
        let Some(st) = r.table(sv, &p) else {
            return (None, None);
        };
        r.check_keys(st, &p, &["cost", "utility"]);
        let cost = r.quantity_or(st, &p, "cost", Dimension::PerTime, Check::NonNegative, 0.0);
        let utility = r
            .require(st, &sv.span(), &p, "utility", "a utility weight (1 = full health)")
            .and_then(|u| r.quantity(u, &join(&p, "utility"), Dimension::Number, Check::AtMostOne));
        (cost, utility)
    };
    let (pf_cost, pf_u) = read_state(r, "progression_free");
    let (pd_cost, pd_u) = read_state(r, "progressed");
    let death_cost = match t.get("death") {
        Some(dv) => r.table(dv, "states.death").and_then(|dt| {
            r.check_keys(dt, "states.death", &["cost"]);
            r.quantity_or(dt, "states.death", "cost", Dimension::Number, Check::NonNegative, 0.0)
        }),
        None => Some(r.constant(0.0)),
    };
    Some(States {
        progression_free_cost: pf_cost?,
        progression_free_utility: pf_u?,
        progressed_cost: pd_cost?,
        progressed_utility: pd_u?,
        death_cost: death_cost?,
    })
}

fn read_strategy(
    r: &mut Reader,
    e: &Named<'_, '_>,
    name: &str,
    tests: &[String],
    regimens: &[String],
    positives: &[(String, usize)],
    compiled_tests: &[Option<Test>],
) -> Option<Strategy> {
    let positive_names: Vec<String> = positives.iter().map(|(n, _)| n.clone()).collect();
    let positive_kind = if positives.iter().enumerate().all(|(i, (_, bit))| i == *bit) {
        "biomarker"
    } else {
        "biomarker or selection test"
    };
    let p = &e.path;
    let t = e.table;
    let uptake = r.quantity_or(t, p, "uptake", Dimension::Number, Check::Probability, 1.0);
    let bridging = match t.get("bridging") {
        Some(v) => r.resolve(v, &join(p, "bridging"), "regimen", regimens).map(Some),
        None => Some(None),
    };
    for key in ["uptake", "bridging"] {
        if let (Some(v), None) = (t.get(key), t.get("test")) {
            r.error(
                v.span(),
                &join(p, key),
                format!("expected `{key}` only in a strategy with a `test`, found it without one"),
            );
        }
    }
    let test = match t.get("test") {
        Some(v) => r.resolve(v, &join(p, "test"), "test", tests).map(Some),
        None => Some(None),
    };
    let default = r
        .require(t, &e.span, p, "default", "the regimen for patients no rule matches")
        .and_then(|v| r.resolve(v, &join(p, "default"), "regimen", regimens));
    let rules: Option<Vec<(usize, usize)>> = match t.get("rules") {
        Some(v) => r.array(v, &join(p, "rules")).and_then(|items| {
            let rs: Vec<Option<(usize, usize)>> = items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let rp = format!("{p}.rules[{i}]");
                    let rt = r.table(item, &rp)?;
                    r.check_keys(rt, &rp, &["positive", "treat"]);
                    let pos = r
                        .require(rt, &item.span(), &rp, "positive", "the biomarker (or selection test) read positive")
                        .and_then(|v| r.resolve(v, &join(&rp, "positive"), positive_kind, &positive_names))
                        .map(|i| positives[i].1);
                    let treat = r
                        .require(rt, &item.span(), &rp, "treat", "the regimen to give")
                        .and_then(|v| r.resolve(v, &join(&rp, "treat"), "regimen", regimens));
                    let (pos, treat) = (pos?, treat?);
                    // A rule must be able to fire: some test in the chain reads the biomarker.
                    if let Some(Some(ti)) = test
                        && !chain_detects(compiled_tests, ti, pos) {
                            r.error_help(
                                rt["positive"].span(),
                                &join(&rp, "positive"),
                                format!("test `{}` (with its reflex tests) does not detect `{}`: the rule can never apply", tests[ti], positive_name(positives, pos)),
                                // Selection tests and biomarkers never share a name.
                                Some(if tests.iter().any(|t| t == positive_name(positives, pos)) {
                                    "make the selection test the strategy's `test` (or a reflex test of it)".into()
                                } else {
                                    "add the biomarker to the test's `detects`".into()
                                }),
                            );
                        }
                    Some((pos, treat))
                })
                .collect();
            rs.into_iter().collect()
        }),
        None => Some(Vec::new()),
    };
    if let (Some(None), Some(rs)) = (&test, &rules)
        && !rs.is_empty()
    {
        r.error_help(
            t["rules"].span(),
            &join(p, "rules"),
            "rules need a test: expected a `test` for this strategy".to_string(),
            Some(format!("defined tests: {}", tests.join(", "))),
        );
    }
    Some(Strategy {
        name: name.to_string(),
        test: test?,
        uptake: uptake?,
        bridging: bridging?,
        rules: rules?,
        default: default?,
    })
}

fn positive_name(positives: &[(String, usize)], bit: usize) -> &str {
    positives.iter().find(|(_, b)| *b == bit).map_or("?", |(n, _)| n.as_str())
}

/// Whether the test chain starting at `first` can read `bit` positive (a biomarker it detects,
/// or the bit of a selection test in the chain).
fn chain_detects(tests: &[Option<Test>], first: usize, bit: usize) -> bool {
    let mut cur = Some(first);
    let mut steps = 0;
    while let Some(i) = cur {
        let Some(Some(t)) = tests.get(i) else {
            return true;
        }; // already reported elsewhere
        // A test reads the bit, or its concurrent partner does (results are pooled).
        let partner = t.concurrent.and_then(|c| tests.get(c)).and_then(|u| u.as_ref());
        let reads = |t: &Test| {
            t.readings.iter().any(|r| r.biomarker == bit)
                || t.selection.as_ref().is_some_and(|s| s.bit == bit)
        };
        if reads(t) || partner.is_some_and(reads) {
            return true;
        }
        cur = t.on_failure;
        steps += 1;
        if steps > MAX_TEST_CHAIN {
            return true;
        }
    }
    false
}

const CONTRACT_KINDS: &[&str] = &[
    "list",
    "discount",
    "money_back",
    "payment_at_result",
    "response_rebate",
    "duration_cap",
    "instalments",
    "expenditure_cap",
    "price_volume",
    "population_outcome",
];

/// What counts as a failure (money_back, population_outcome); default progression or death.
fn read_failure(r: &mut Reader, t: &DeTable<'_>, p: &str) -> Option<Failure> {
    match t.get("failure") {
        Some(v) => match r.string(v, &join(p, "failure")) {
            Some("progression") => Some(Failure::Progression),
            Some("death") => Some(Failure::Death),
            Some("progression_or_death") => Some(Failure::ProgressionOrDeath),
            Some(other) => {
                r.error(
                    v.span(),
                    &join(p, "failure"),
                    format!("expected \"progression\", \"death\" or \"progression_or_death\", found \"{other}\""),
                );
                None
            }
            None => None,
        },
        None => Some(Failure::ProgressionOrDeath),
    }
}

/// Price-volume tiers: `tiers = [{ above = 2000, pay = 0.85 }, …]`, `above` strictly rising.
fn read_tiers(r: &mut Reader, t: &DeTable<'_>, span: &Range<usize>, p: &str) -> Option<Vec<Tier>> {
    let what = "tiers like [{ above = 2000, pay = 0.85 }] (patients a year, fraction of list)";
    let v = r.require(t, span, p, "tiers", what)?;
    let tp = join(p, "tiers");
    let items = r.array(v, &tp)?;
    if items.is_empty() {
        r.error(v.span(), &tp, format!("expected at least one tier: {what}"));
        return None;
    }
    let mut tiers = Vec::with_capacity(items.len());
    let mut ok = true;
    let mut last: Option<f64> = None;
    for (i, item) in items.iter().enumerate() {
        let ip = format!("{tp}[{i}]");
        let Some(it) = r.table(item, &ip) else {
            ok = false;
            continue;
        };
        r.check_keys(it, &ip, &["above", "pay"]);
        let above = r
            .require(
                it,
                &item.span(),
                &ip,
                "above",
                "the patients a year beyond which the tier applies",
            )
            .and_then(|x| {
                r.quantity(x, &join(&ip, "above"), Dimension::Number, Check::NonNegative)
            });
        let pay = r
            .require(
                it,
                &item.span(),
                &ip,
                "pay",
                "the fraction of list paid in the tier, like 0.85",
            )
            .and_then(|x| r.quantity(x, &join(&ip, "pay"), Dimension::Number, Check::Probability));
        if let Some(above) = above {
            let a = r.values[above.0 as usize];
            if let Some(prev) = last
                && a <= prev
            {
                r.error(
                    it["above"].span(),
                    &join(&ip, "above"),
                    format!("expected tiers in rising order of `above`: {a} follows {prev}"),
                );
                ok = false;
            }
            last = Some(a);
        }
        match (above, pay) {
            (Some(above), Some(pay)) => tiers.push(Tier { above, pay }),
            _ => ok = false,
        }
    }
    ok.then_some(tiers)
}

fn read_contract(
    r: &mut Reader,
    e: &Named<'_, '_>,
    name: &str,
    drugs: &[String],
) -> Option<Contract> {
    let p = &e.path;
    let t = e.table;
    if name == "list" {
        r.error(
            t["name"].span(),
            &join(p, "name"),
            "`list` names the list-price arm of every strategy: expected another contract name",
        );
    }
    let drug = r
        .require(t, &e.span, p, "drug", "the name of the drug the contract is on")
        .and_then(|v| r.resolve(v, &join(p, "drug"), "drug", drugs));
    let kv = r.require(t, &e.span, p, "kind", &format!("one of {}", CONTRACT_KINDS.join(", ")))?;
    let kind_name = r.string(kv, &join(p, "kind"))?.to_string();
    let common = ["name", "drug", "kind", "admin", "documentation_error"];
    let specific: &[&str] = match kind_name.as_str() {
        "list" => &[],
        "discount" => &["discount", "from", "until"],
        "money_back" => &["failure", "window", "refund", "cap"],
        "payment_at_result" => &["assess_at"],
        "response_rebate" => &["assess_at", "refund"],
        "duration_cap" => &["max_paid", "max_cycles"],
        "instalments" => &["instalments", "interval", "condition"],
        "expenditure_cap" => &["cap", "years"],
        "price_volume" => &["tiers", "years"],
        "population_outcome" => &["failure", "window", "target", "rebate", "years"],
        other => {
            let help = super::diagnostic::did_you_mean(other, CONTRACT_KINDS.iter().copied())
                .map(|s| format!("did you mean `{s}`?"));
            r.error_help(
                kv.span(),
                &join(p, "kind"),
                format!("expected one of {}, found \"{other}\"", CONTRACT_KINDS.join(", ")),
                help,
            );
            &[]
        }
    };
    // With an unknown kind the kind-specific keys cannot be judged; the common ones still are.
    if CONTRACT_KINDS.contains(&kind_name.as_str()) {
        let allowed: Vec<&str> = common.iter().chain(specific).copied().collect();
        r.check_keys(t, p, &allowed);
    }
    // The term of a cohort-level contract: whole calendar years.
    let years = |r: &mut Reader| {
        r.require(t, &e.span, p, "years", "the contract's term in calendar years, like 3").and_then(
            |v| {
                let n = r.integer(v, &join(p, "years"), 1)?;
                if n > MAX_COHORT_YEARS {
                    r.error(
                        v.span(),
                        &join(p, "years"),
                        format!("expected at most {MAX_COHORT_YEARS} calendar years, found {n}"),
                    );
                    return None;
                }
                Some(n)
            },
        )
    };
    let req = |r: &mut Reader, key: &str, dim: Dimension, check: Check, what: &str| {
        r.require(t, &e.span, p, key, what).and_then(|v| r.quantity(v, &join(p, key), dim, check))
    };
    let opt = |r: &mut Reader, key: &str, dim: Dimension, check: Check| match t.get(key) {
        Some(v) => r.quantity(v, &join(p, key), dim, check).map(Some),
        None => Some(None),
    };
    // Read every field before combining, so that one bad value does not hide the others.
    let mut kind_of = || match kind_name.as_str() {
        "list" => Some(ContractKind::List),
        "discount" => {
            let fraction = req(
                r,
                "discount",
                Dimension::Number,
                Check::Probability,
                "the fraction off, like 0.2",
            );
            let from = opt(r, "from", Dimension::Duration, Check::NonNegative);
            let until = opt(r, "until", Dimension::Duration, Check::Positive);
            let (from, until) = (from?, until?);
            if let (Some(f), Some(u)) = (from, until)
                && r.values[f.0 as usize] >= r.values[u.0 as usize]
            {
                r.error(
                    t["until"].span(),
                    &join(p, "until"),
                    "expected `until` after `from`: the discount window would be empty",
                );
                return None;
            }
            Some(ContractKind::Discount { fraction: fraction?, from, until })
        }
        "money_back" => {
            let failure = read_failure(r, t, p);
            let window = req(
                r,
                "window",
                Dimension::Duration,
                Check::Positive,
                "a duration like \"6 months\"",
            );
            let refund = req(
                r,
                "refund",
                Dimension::Number,
                Check::Probability,
                "the fraction refunded, like 1.0",
            );
            let cap = opt(r, "cap", Dimension::Number, Check::NonNegative);
            Some(ContractKind::MoneyBack {
                failure: failure?,
                window: window?,
                refund: refund?,
                cap: cap?,
            })
        }
        "payment_at_result" => {
            let assess_at = req(
                r,
                "assess_at",
                Dimension::Duration,
                Check::Positive,
                "a duration like \"1 month\"",
            );
            Some(ContractKind::PaymentAtResult { assess_at: assess_at? })
        }
        "response_rebate" => {
            let assess_at = req(
                r,
                "assess_at",
                Dimension::Duration,
                Check::Positive,
                "a duration like \"12 weeks\"",
            );
            let refund = req(
                r,
                "refund",
                Dimension::Number,
                Check::Probability,
                "the fraction refunded, like 0.5",
            );
            Some(ContractKind::ResponseRebate { assess_at: assess_at?, refund: refund? })
        }
        "duration_cap" => {
            let max_paid = opt(r, "max_paid", Dimension::Duration, Check::Positive);
            let max_cycles = match t.get("max_cycles") {
                Some(v) => r.integer(v, &join(p, "max_cycles"), 1).map(Some),
                None => Some(None),
            };
            match (&max_paid, &max_cycles) {
                (Some(None), Some(None)) | (Some(Some(_)), Some(Some(_))) => {
                    r.error(e.span.clone(), p, "expected exactly one of `max_paid` (a duration) or `max_cycles` (a number)");
                    None
                }
                _ => {
                    Some(ContractKind::DurationCap { max_paid: max_paid?, max_cycles: max_cycles? })
                }
            }
        }
        "instalments" => {
            let count = r
                .require(t, &e.span, p, "instalments", "the number of instalments")
                .and_then(|v| r.integer(v, &join(p, "instalments"), 1))
                .and_then(|n| {
                    if n > 120 {
                        r.error(
                            t["instalments"].span(),
                            &join(p, "instalments"),
                            format!("expected at most 120 instalments, found {n}"),
                        );
                        None
                    } else {
                        Some(n)
                    }
                });
            let interval = req(
                r,
                "interval",
                Dimension::Duration,
                Check::Positive,
                "a duration like \"1 year\"",
            );
            let condition = match t.get("condition") {
                Some(v) => match r.string(v, &join(p, "condition")) {
                    Some("alive") => Some(Condition::Alive),
                    Some("alive_progression_free") => Some(Condition::AliveProgressionFree),
                    Some(other) => {
                        r.error(
                            v.span(),
                            &join(p, "condition"),
                            format!("expected \"alive\" or \"alive_progression_free\", found \"{other}\""),
                        );
                        None
                    }
                    None => None,
                },
                None => Some(Condition::Alive),
            };
            Some(ContractKind::Instalments {
                count: count?,
                interval: interval?,
                condition: condition?,
            })
        }
        "expenditure_cap" => {
            let cap = req(
                r,
                "cap",
                Dimension::Number,
                Check::NonNegative,
                "the payer's yearly spend on the drug above which it is refunded",
            );
            let years = years(r);
            Some(ContractKind::ExpenditureCap { cap: cap?, years: years? })
        }
        "price_volume" => {
            let tiers = read_tiers(r, t, &e.span, p);
            let years = years(r);
            Some(ContractKind::PriceVolume { tiers: tiers?, years: years? })
        }
        "population_outcome" => {
            let failure = read_failure(r, t, p);
            let window = req(
                r,
                "window",
                Dimension::Duration,
                Check::Positive,
                "a duration like \"6 months\"",
            );
            let target = req(
                r,
                "target",
                Dimension::Number,
                Check::Probability,
                "the success rate the cohort must reach, like 0.6",
            );
            let rebate = req(
                r,
                "rebate",
                Dimension::Number,
                Check::Probability,
                "the fraction of the year's spend rebated, like 0.2",
            );
            let years = years(r);
            Some(ContractKind::PopulationOutcome {
                failure: failure?,
                window: window?,
                target: target?,
                rebate: rebate?,
                years: years?,
            })
        }
        _ => None,
    };
    let kind = kind_of();
    let (mut per_patient, mut per_assessment, mut per_year) = (None, None, None);
    match t.get("admin") {
        Some(v) => {
            let ap = join(p, "admin");
            if let Some(at) = r.table(v, &ap) {
                r.check_keys(at, &ap, &["per_patient", "per_assessment", "per_year"]);
                per_year =
                    r.quantity_or(at, &ap, "per_year", Dimension::Number, Check::NonNegative, 0.0);
                per_patient = r.quantity_or(
                    at,
                    &ap,
                    "per_patient",
                    Dimension::Number,
                    Check::NonNegative,
                    0.0,
                );
                per_assessment = r.quantity_or(
                    at,
                    &ap,
                    "per_assessment",
                    Dimension::Number,
                    Check::NonNegative,
                    0.0,
                );
            }
        }
        None => {
            per_patient = Some(r.constant(0.0));
            per_assessment = Some(r.constant(0.0));
            per_year = Some(r.constant(0.0));
        }
    }
    let documentation_error =
        r.quantity_or(t, p, "documentation_error", Dimension::Number, Check::Probability, 0.0);
    Some(Contract {
        name: name.to_string(),
        drug: drug?,
        kind: kind?,
        admin_per_patient: per_patient?,
        admin_per_assessment: per_assessment?,
        admin_per_year: per_year?,
        documentation_error: documentation_error?,
        process: Process::named(ProcessKind::Documentation, name),
    })
}
