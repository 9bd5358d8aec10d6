//! `[[registries]]`: the data a contract's outcome registry would collect, valued by its
//! expected value of sample information in a run with PSA samples
//! ([`crate::model::registry`]).

use super::reader::{Check, Reader, Value, join, named_entries};
use crate::model::registry::{Informed, Observation, Registry, Review};
use crate::model::{Contract, Parameter};
use crate::units::Dimension;
use toml::de::{DeTable, DeValue};

/// Most registry sizes per registry, and the largest size (patients followed).
pub const MAX_SIZES: usize = 20;
pub const MAX_PATIENTS: u64 = 10_000_000;
/// Most parameters one registry informs (the Gaussian-process regression takes 2 to 5).
pub const MAX_INFORMED: usize = 5;

pub fn read_registries(
    r: &mut Reader,
    doc: &DeTable<'_>,
    (contracts, contract_names): (&[Option<Contract>], &[String]),
    parameters: &[Parameter],
    (decision_years, has_population): (Option<u64>, bool),
) -> Option<Vec<Registry>> {
    let (entries, names) = named_entries(r, doc, "registries", "registry");
    let mut out = Vec::new();
    let mut ok = true;
    for (e, name) in entries.iter().zip(names) {
        let (t, p) = (e.table, &e.path);
        let keys = ["name", "contract", "parameter", "patients", "follow_up", "cost", "review"];
        r.check_keys(t, p, &keys);
        let what = "the contract whose registry collects the data";
        let contract = r
            .require(t, &e.span, p, "contract", what)
            .and_then(|v| r.resolve(v, &join(p, "contract"), "contract", contract_names));
        let what = "the uncertain parameter the data inform, or up to 5 of them";
        let parameter = r.require(t, &e.span, p, "parameter", what).and_then(|v| {
            let names: Vec<String> = parameters.iter().map(|q| q.name.clone()).collect();
            let path = join(p, "parameter");
            // One name, or an array of 1 to MAX_INFORMED distinct names.
            let items: Vec<(String, &Value<'_>)> = match v.get_ref() {
                DeValue::Array(items) => {
                    if items.is_empty() || items.len() > MAX_INFORMED {
                        let found = items.len();
                        r.error(v.span(), &path, format!("expected 1 to {MAX_INFORMED} parameters, found {found}"));
                        return None;
                    }
                    items.iter().enumerate().map(|(i, x)| (format!("{path}[{i}]"), x)).collect()
                }
                _ => vec![(path.clone(), v)],
            };
            let mut out: Vec<(usize, bool)> = Vec::new();
            for (at, x) in items {
                let k = r.resolve(x, &at, "parameter", &names)?;
                let q = &parameters[k];
                let support = q.dist.support(r.values[q.slot.0 as usize]);
                let binomial = q.dimension == Dimension::Number
                    && support.lower >= 0.0
                    && support.upper <= 1.0;
                if !q.is_uncertain() || !(binomial || q.dimension == Dimension::PerTime) {
                    r.error(
                        x.span(),
                        &at,
                        format!(
                            "expected an uncertain probability (drawn within [0, 1]: responders observed) or rate (events observed over `follow_up`), found `{}` ({})",
                            q.name,
                            if q.is_uncertain() { "neither" } else { "fixed: no PSA distribution" }
                        ),
                    );
                    return None;
                }
                if out.iter().any(|&(o, _)| o == k) {
                    r.error(x.span(), &at, format!("expected distinct parameters, found `{}` twice", q.name));
                    return None;
                }
                out.push((k, binomial));
            }
            Some(out)
        });
        let patients = r.require(t, &e.span, p, "patients", "registry sizes like [50, 100, 200]");
        let patients = patients.and_then(|v| {
            let path = join(p, "patients");
            let items = r.array(v, &path)?;
            if items.is_empty() || items.len() > MAX_SIZES {
                let found = items.len();
                r.error(v.span(), &path, format!("expected 1 to {MAX_SIZES} sizes, found {found}"));
                return None;
            }
            let sizes: Vec<Option<u64>> = items
                .iter()
                .enumerate()
                .map(|(i, x)| {
                    let at = format!("{path}[{i}]");
                    let n = r.integer(x, &at, 1)?;
                    if n > MAX_PATIENTS {
                        r.error(
                            x.span(),
                            &at,
                            format!("expected at most {MAX_PATIENTS} patients, found {n}"),
                        );
                        return None;
                    }
                    Some(n)
                })
                .collect();
            let sizes = sizes.into_iter().collect::<Option<Vec<u64>>>()?;
            let mut sorted = sizes.clone();
            sorted.sort_unstable();
            if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
                r.error(v.span(), &path, format!("expected distinct sizes, found {} twice", w[0]));
                return None;
            }
            Some(sizes)
        });
        let follow_up = match t.get("follow_up") {
            Some(v) => r
                .literal_quantity(v, &join(p, "follow_up"), Dimension::Duration, Check::Positive)
                .map(Some),
            None => Some(None),
        };
        let (per_patient, fixed) = match t.get("cost") {
            Some(v) => {
                let path = join(p, "cost");
                match r.table(v, &path) {
                    Some(c) => {
                        r.check_keys(c, &path, &["per_patient", "fixed"]);
                        let mut get = |key: &str| match c.get(key) {
                            Some(x) => r
                                .literal_quantity(
                                    x,
                                    &join(&path, key),
                                    Dimension::Number,
                                    Check::NonNegative,
                                )
                                .map(Some),
                            None => Some(None),
                        };
                        (get("per_patient"), get("fixed"))
                    }
                    None => (None, None),
                }
            }
            None => (Some(None), Some(None)),
        };
        let review = match t.get("review") {
            Some(v) => read_review(r, v, &join(p, "review"), (decision_years, has_population)),
            None => Some(None),
        };
        let (
            Some(c),
            Some(informed),
            Some(patients),
            Some(follow_up),
            Some(per_patient),
            Some(fixed),
            Some(review),
        ) = (contract, parameter, patients, follow_up, per_patient, fixed, review)
        else {
            ok = false;
            continue;
        };
        // `follow_up` is how long each patient is followed for the rates; a probability is
        // counted as responders.
        let rate = informed.iter().find(|&&(_, binomial)| !binomial);
        let observation = |binomial: bool| match (binomial, follow_up) {
            (true, _) => Some(Observation::Binomial),
            (false, Some(f)) => Some(Observation::Exponential { follow_up: f }),
            (false, None) => None,
        };
        match (rate, follow_up) {
            (Some(&(k, _)), None) => {
                r.error(e.span.clone(), p, format!("expected `follow_up` (a duration) for the rate `{}`: how long each patient is followed", parameters[k].name));
                ok = false;
                continue;
            }
            (None, Some(_)) => {
                r.error(t["follow_up"].span(), &join(p, "follow_up"), "expected no `follow_up` for probabilities only (responders are counted, not followed)");
                ok = false;
                continue;
            }
            _ => {}
        }
        let informs: Vec<Informed> = informed
            .iter()
            .filter_map(|&(k, binomial)| {
                observation(binomial).map(|observation| Informed { parameter: k, observation })
            })
            .collect();
        if let Some(contract) = contracts[c].as_ref().filter(|k| k.on_list_arm) {
            r.error(
                t["contract"].span(),
                &join(p, "contract"),
                format!("expected a contract with arms of its own, found `{}` (a list contract without administration, settled on the list arms)", contract.name),
            );
            ok = false;
            continue;
        }
        if let (Some(_), Some(contract)) = (&review, contracts[c].as_ref())
            && !contract.kind.is_linear()
        {
            r.error(
                t["review"].span(),
                &join(p, "review"),
                format!("expected a contract whose cost is linear in the price for a review (it reprices to the value-based price), found `{}` with a cap in money", contract.name),
            );
            ok = false;
            continue;
        }
        // By default the registry costs what the contract's tracking costs per patient.
        let per_patient = match (per_patient, contracts[c].as_ref()) {
            (Some(x), _) => x,
            (None, Some(contract)) => r.values[contract.admin_per_patient.0 as usize],
            (None, None) => 0.0,
        };
        out.push(Registry {
            name,
            contract: c,
            informs,
            patients,
            cost_per_patient: per_patient,
            fixed_cost: fixed.unwrap_or(0.0),
            review,
        });
    }
    ok.then_some(out)
}

/// `review = { after, patients, withdrawal_cost }`: a two-stage decision on the registry's data.
fn read_review(
    r: &mut Reader,
    v: &super::reader::Value<'_>,
    p: &str,
    (decision_years, has_population): (Option<u64>, bool),
) -> Option<Option<Review>> {
    let t = r.table(v, p)?;
    r.check_keys(t, p, &["after", "patients", "withdrawal_cost"]);
    let span = v.span();
    let what =
        "whole years of the decision's population treated before the review, like \"2 years\"";
    let after = r.require(t, &span, p, "after", what).and_then(|x| {
        let path = join(p, "after");
        let years = r.literal_quantity(x, &path, Dimension::Duration, Check::NonNegative)?;
        let whole = (years - years.round()).abs() < 1e-9;
        match decision_years {
            Some(limit) if whole && years.round() as u64 <= limit => Some(years.round() as u64),
            Some(limit) => {
                r.error(x.span(), &path, format!("expected whole years from 0 to the decision's {limit} years (scenario.decision_years), found {years} years"));
                None
            }
            None => None,
        }
    });
    let patients = r
        .require(t, &span, p, "patients", "the registry's size at the review")
        .and_then(|x| r.integer(x, &join(p, "patients"), 1));
    let withdrawal_cost = match t.get("withdrawal_cost") {
        Some(x) => r.literal_quantity(
            x,
            &join(p, "withdrawal_cost"),
            Dimension::Number,
            Check::NonNegative,
        ),
        None => Some(0.0),
    };
    if !has_population {
        r.error(span, p, "expected a decision population for a review (`payer.population` or a [budget_impact]), found none: the share treated before the review and the costs per patient need it");
        return None;
    }
    let (after_years, patients, withdrawal_cost) = (after?, patients?, withdrawal_cost?);
    if patients > MAX_PATIENTS {
        r.error(
            span,
            &join(p, "patients"),
            format!("expected at most {MAX_PATIENTS} patients, found {patients}"),
        );
        return None;
    }
    Some(Some(Review { after_years, patients, withdrawal_cost }))
}
