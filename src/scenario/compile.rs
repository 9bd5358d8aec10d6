//! From a spanned TOML document to a validated [`Model`], every error collected.
//!
//! Names are gathered first (biomarkers, tests, regimens, strategies, parameters) so that
//! references can be checked in any order and point at the referring value.
use super::biomarkers::{read_biomarkers, read_heterogeneity};
use super::contracts::read_contract;
use super::correlations::read_correlations;
use super::diagnostic::{ScenarioErrors, Source};
use super::meta::{read_meta, read_payer};
use super::reader::{Check, Named, Reader, join, named_entries};
use super::regimens::read_regimen;
use super::states::read_states;
use super::strategies::read_strategy;
use super::testing::read_tests;
use crate::contracts::Kind;
use crate::contracts::cohort::{CohortRule, CohortTerms};
use crate::model::limits::*;
use crate::model::*;
use crate::rng::{Process, ProcessKind};
use crate::units::Dimension;
use std::ops::Range;
use toml::de::DeTable;

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
        .map(|(e, name)| read_contract(r, e, name, &drugs, population.flatten().unwrap_or(1)))
        .collect();

    // Contract dates must fall inside the horizon, or the terms silently never apply.
    if let Some(m) = &meta {
        for (c, e) in contracts.iter().zip(&contract_entries) {
            let Some(c) = c else { continue };
            let dates: Vec<(&str, Slot)> = match &c.kind {
                Kind::MoneyBack(t) => vec![("window", t.window)],
                Kind::Cohort(CohortTerms {
                    rule: CohortRule::PopulationOutcome { window, .. },
                    ..
                }) => vec![("window", *window)],
                Kind::PaymentAtResult(t) => vec![("assess_at", t.assess_at)],
                Kind::ResponseRebate(t) => vec![("assess_at", t.assess_at)],
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
