//! From a spanned TOML document to a validated [`Model`], every error collected.
//!
//! Names are gathered first (biomarkers, tests, regimens, strategies, parameters) so that
//! references can be checked in any order and point at the referring value.
use super::biomarkers::{read_biomarkers, read_heterogeneity};
use super::checks;
use super::contracts::read_contract;
use super::correlations::read_correlations;
use super::covariates::Characteristics;
use super::diagnostic::{ScenarioErrors, Source};
use super::evppi_groups::read_evppi_groups;
use super::meta::{read_meta, read_payer};
use super::reader::{Reader, named_entries};
use super::regimens::read_regimen;
use super::states::read_states;
use super::strategies::read_strategy;
use super::testing::read_tests;
use crate::model::limits::*;
use crate::model::*;
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
    "evppi_groups",
    "heterogeneity",
    "budget_impact",
    "pathways",
    "population",
    "subgroups",
    "designs",
    "registries",
];

/// Parse and validate a scenario; every problem in the file is reported at once.
pub fn compile(source: Source) -> Result<Model, ScenarioErrors> {
    let mut reader = Reader::default();
    let model = match super::layers::merged(&source, &mut reader.diagnostics) {
        Some(doc) => {
            let at = source.main_start();
            let folder = |offset: usize| super::population::folder_of(&source, offset);
            read_document(&mut reader, &doc, at..at, &folder)
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

fn read_document(
    r: &mut Reader,
    doc: &DeTable<'_>,
    span: Range<usize>,
    folder: &dyn Fn(usize) -> std::path::PathBuf,
) -> Option<Model> {
    r.check_keys(doc, "", TOP_KEYS);
    if let Some(p) = doc.get("parameters") {
        super::parameters::read_parameters(r, p);
    }
    let (biomarker_entries, biomarker_names) = named_entries(r, doc, "biomarkers", "biomarker");
    let (test_entries, test_names) = named_entries(r, doc, "tests", "test");
    let (regimen_entries, regimen_names) = named_entries(r, doc, "regimens", "regimen");
    let (strategy_entries, strategy_names) = named_entries(r, doc, "strategies", "strategy");
    let (pathway_entries, pathway_names) = named_entries(r, doc, "pathways", "pathway");

    let meta = match r.require(doc, &span, "", "scenario", "a [scenario] table") {
        Some(v) => read_meta(r, v, &strategy_names),
        None => None,
    };
    let (biomarkers, groups) = read_biomarkers(r, &biomarker_entries, &biomarker_names);
    // Which biomarkers are acquired at progression (by name: prognostic ratios may not read them).
    let acquired: Vec<bool> = biomarker_names
        .iter()
        .map(|n| biomarkers.iter().any(|b| &b.name == n && b.acquired))
        .collect();
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
    super::checks::concurrent_tests(r, &tests, &test_entries, &test_names);
    let positives = super::strategies::positives(&biomarker_names, &test_entries, &test_names);
    // Who the patients are comes first: effects on regimens and pathways name covariates.
    let people = match doc.get("population") {
        Some(v) => super::population::read_population(r, v, folder, &biomarker_names).map(Some),
        None => Some(None),
    };
    let covariates = people.as_ref().and_then(|p| p.as_ref().map(|p| &p.covariates[..]));
    let who = Characteristics::new((&biomarker_names, &acquired), covariates, people.is_none());
    if doc.contains_key("population") {
        // `sex` and `age` name the population's own characteristics in effects and subgroups.
        for (e, name) in biomarker_entries.iter().zip(&biomarker_names) {
            if name == "sex" || name == "age" {
                r.error_help(
                    e.span.clone(),
                    &e.path,
                    format!("expected a biomarker name other than `{name}` with a [population], found `{name}`"),
                    Some("effects and subgroups name the patients' sex and age by these names; rename the biomarker".into()),
                );
            }
        }
    }
    let mut drugs = Vec::new();
    let regimens: Vec<Option<Regimen>> = regimen_entries
        .iter()
        .zip(&regimen_names)
        .map(|(e, name)| read_regimen(r, e, name, &who, &mut drugs, &pathway_names))
        .collect();
    let pathways = super::pathways::read_pathways(
        r,
        &pathway_entries,
        &pathway_names,
        &regimen_names,
        &who,
        (&test_names, &tests),
    );
    let subgroups = match doc.get("subgroups") {
        Some(v) => super::subgroups::read_subgroups(r, v, &who),
        None => Some(Vec::new()),
    };
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
                &["name", "test", "rules", "default", "uptake", "bridging", "waiting"],
            );
            read_strategy(r, e, name, (&test_names, &tests), &regimen_names, &positives, None)
        })
        .collect();
    let mut regimens = regimens;
    super::strategies::read_second_lines(
        r,
        (&regimen_entries, &mut regimens, &regimen_names),
        &test_names,
        &positives,
        &tests,
    );
    checks::two_lines_at_most(r, &regimen_entries, &regimens, &regimen_names);
    checks::pathways_first_line(r, &regimen_entries, &regimens, &regimen_names);
    checks::treatment_only_in_pathways(
        r,
        (&strategies, &strategy_entries),
        (&regimens, &regimen_entries, &regimen_names),
        (&tests, &test_entries),
    );
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
    let mut contracts: Vec<Option<Contract>> = contract_entries
        .iter()
        .zip(&_contract_names)
        .map(|(e, name)| {
            let names = (&drugs[..], &regimen_names[..]);
            read_contract(r, e, name, names, population.flatten().unwrap_or(1))
        })
        .collect();

    checks::contract_dates(r, &meta, &contracts, &contract_entries);
    checks::contract_population(r, population, &contracts, &contract_entries);
    let named_regimens = (&regimens[..], &regimen_names[..]);
    checks::contract_coverage(r, (&mut contracts, &contract_entries), named_regimens, &drugs);
    checks::contract_list_price(r, &contracts, &contract_entries, named_regimens, &drugs);
    let contracted = (&contracts[..], &contract_entries[..]);
    checks::contract_one_line(r, contracted, (&regimens, &regimen_names), &strategies, &drugs);
    checks::heterogeneity(r, &biomarker_entries, &biomarkers, &groups, &heterogeneity);
    checks::discordance_fits(r, &biomarker_entries, &biomarkers, &groups);
    checks::contract_drug_given(r, contracted, &strategies, named_regimens, (&drugs, &pathways));
    let pathways_read = (&pathways[..], &pathway_entries[..]);
    checks::contract_on_pathway_states(r, contracted, pathways_read, named_regimens.0, &drugs);
    let designs =
        super::designs::read_designs(r, doc, (&contracts, &_contract_names), meta.as_ref());
    let (parameters, dirichlets) = super::parameters::assemble(r);
    let has_population =
        population.flatten().is_some() || budget.as_ref().is_some_and(Option::is_some);
    let registries = super::registries::read_registries(
        r,
        doc,
        (&contracts, &_contract_names),
        &parameters,
        (meta.as_ref().map(|m| m.decision_years), has_population),
    );
    let correlations = match doc.get("correlations") {
        Some(v) => read_correlations(r, v, &parameters, &dirichlets),
        None => Some(Vec::new()),
    };
    let evppi_groups = match doc.get("evppi_groups") {
        Some(v) => read_evppi_groups(r, v, &parameters),
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
        evppi_groups: evppi_groups?,
        biomarkers,
        groups,
        heterogeneity: heterogeneity?,
        tests: tests.into_iter().collect::<Option<Vec<_>>>()?,
        regimens: regimens.into_iter().collect::<Option<Vec<_>>>()?,
        states: states?,
        pathways: pathways.into_iter().collect::<Option<Vec<_>>>()?,
        strategies: strategies.into_iter().collect::<Option<Vec<_>>>()?,
        drugs,
        contracts: contracts.into_iter().collect::<Option<Vec<_>>>()?,
        budget: budget?,
        population: people?,
        subgroups: subgroups?,
        designs: designs?,
        registries: registries?,
    })
}
