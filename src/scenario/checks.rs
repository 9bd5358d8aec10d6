//! Checks that span several sections of a scenario (a contract against the horizon, the
//! payer and the regimens; second lines against each other; heterogeneity against the
//! biomarkers), run once every section has been read, so that each error points at the value
//! that breaks the rule.

use super::reader::{Named, Reader, join};
use crate::contracts::Kind;
use crate::model::*;

/// A concurrent test runs beside another; chaining concurrency or pairing a test with itself
/// has no meaning.
pub(super) fn concurrent_tests(
    r: &mut Reader,
    tests: &[Option<Test>],
    test_entries: &[Named<'_, '_>],
    test_names: &[String],
) {
    for (i, (t, e)) in tests.iter().zip(test_entries).enumerate() {
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
}

/// Only two lines: a second-line regimen has no second line of its own.
pub(super) fn two_lines_at_most(
    r: &mut Reader,
    regimen_entries: &[Named<'_, '_>],
    regimens: &[Option<Regimen>],
    regimen_names: &[String],
) {
    for (e, reg) in regimen_entries.iter().zip(regimens) {
        let Some(sl) = reg.as_ref().and_then(|g| g.second_line.as_ref()) else { continue };
        for target in sl.regimens() {
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
}

/// Contract dates must fall inside the horizon, or the terms silently never apply.
pub(super) fn contract_dates(
    r: &mut Reader,
    meta: &Option<Meta>,
    contracts: &[Option<Contract>],
    contract_entries: &[Named<'_, '_>],
) {
    if let Some(m) = &meta {
        for (c, e) in contracts.iter().zip(contract_entries) {
            let Some(c) = c else { continue };
            let dates = c.kind.dates();
            for (key, &slot) in dates {
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
}

/// Cohort-level contracts and yearly administration need the payer's yearly population.
pub(super) fn contract_population(
    r: &mut Reader,
    population: Option<Option<u64>>,
    contracts: &[Option<Contract>],
    contract_entries: &[Named<'_, '_>],
) {
    if population == Some(None) {
        for (c, e) in contracts.iter().zip(contract_entries) {
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
}

/// An error at a contract's `key` (its `drug` or its `regimens`).
fn refuse_contract(
    r: &mut Reader,
    e: &Named<'_, '_>,
    key: &str,
    message: String,
    help: Option<&str>,
) {
    r.error_help(e.table[key].span(), &join(&e.path, key), message, help.map(Into::into));
}

/// The regimens a contract covers: the ones it names must give its drug (a first or second
/// line, or a pathway state's regimen); without `regimens`, every regimen with a course that
/// gives the drug.
pub(super) fn contract_coverage(
    r: &mut Reader,
    (contracts, contract_entries): (&mut [Option<Contract>], &[Named<'_, '_>]),
    (regimens, regimen_names): (&[Option<Regimen>], &[String]),
    drugs: &[String],
) {
    let gives = |g: &Regimen, drug: usize| g.drugs.iter().any(|d| d.drug == drug);
    for (c, e) in contracts.iter_mut().zip(contract_entries) {
        let Some(c) = c else { continue };
        if !c.regimens_named {
            c.regimens = (0..regimens.len())
                .filter(|&g| {
                    regimens[g].as_ref().is_some_and(|g| {
                        gives(g, c.drug) && !matches!(g.course, CourseSpec::TreatmentOnly)
                    })
                })
                .collect();
            continue;
        }
        let Some(items) = e.table.get("regimens").and_then(|v| v.get_ref().as_array()) else {
            continue;
        };
        for (i, item) in items.iter().enumerate() {
            let named = item.get_ref().as_str();
            let Some(g) = regimen_names.iter().position(|n| Some(n.as_str()) == named) else {
                continue;
            };
            let Some(regimen) = &regimens[g] else { continue };
            let at = format!("{}[{i}]", join(&e.path, "regimens"));
            let name = &regimen_names[g];
            if !gives(regimen, c.drug) {
                r.error(
                    item.span(),
                    &at,
                    format!(
                        "expected a regimen that gives drug `{}`, found `{name}`, which does not",
                        drugs[c.drug]
                    ),
                );
            }
        }
    }
}

/// A contract needs one list price for its drug in the regimens it covers: the threshold
/// price is that price.
pub(super) fn contract_list_price(
    r: &mut Reader,
    contracts: &[Option<Contract>],
    contract_entries: &[Named<'_, '_>],
    (regimens, regimen_names): (&[Option<Regimen>], &[String]),
    drugs: &[String],
) {
    for (c, e) in contracts.iter().zip(contract_entries) {
        let Some(c) = c else { continue };
        let prices: Vec<(&str, f64)> = c
            .regimens
            .iter()
            .filter_map(|&g| Some((g, regimens[g].as_ref()?)))
            .flat_map(|(g, reg)| {
                let name = regimen_names[g].as_str();
                reg.drugs.iter().filter(|d| d.drug == c.drug).map(move |d| (name, d.price))
            })
            .map(|(name, slot)| (name, r.values[slot.0 as usize]))
            .collect();
        if let Some((first, p0)) = prices.first()
            && let Some((other, p1)) = prices.iter().find(|(_, p)| p != p0)
        {
            let help = if c.regimens_named {
                "give the drug one price in the regimens the contract covers"
            } else {
                "name the regimens the contract covers, `regimens = [\"...\"]`: the drug's price elsewhere is paid as it is, outside the contract"
            };
            let key = if c.regimens_named { "regimens" } else { "drug" };
            r.error_help(
                e.table[key].span(),
                &join(&e.path, key),
                format!(
                    "drug `{}` has price {p0} in regimen `{first}` but {p1} in `{other}`: a contracted drug needs one list price in the regimens the contract covers",
                    drugs[c.drug]
                ),
                Some(help.into()),
            );
        }
    }
}

/// A contract settles one line's exposure: the regimens it covers may not include both a
/// regimen and its second line, nor a bridging regimen (those payments would escape the
/// contract and its threshold price).
pub(super) fn contract_one_line(
    r: &mut Reader,
    (contracts, contract_entries): (&[Option<Contract>], &[Named<'_, '_>]),
    (regimens, regimen_names): (&[Option<Regimen>], &[String]),
    strategies: &[Option<Strategy>],
    drugs: &[String],
) {
    // Whether a contract covers a regimen stands for whether the regimen gives its drug: the
    // regimens it covers give it (checked), and without `regimens` it covers all that do.
    for (c, e) in contracts.iter().zip(contract_entries) {
        let Some(c) = c else { continue };
        let gives = |r: usize| c.regimens.contains(&r);
        let mut clash = None;
        for (i, reg) in regimens.iter().enumerate() {
            let Some(sl) = reg.as_ref().and_then(|g| g.second_line.as_ref()) else { continue };
            if gives(i) && sl.regimens().any(gives) {
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
            if c.regimens_named {
                let message = format!(
                    "expected a contract covering one line only, found it covering {where_}"
                );
                refuse_contract(r, e, "regimens", message, None);
            } else {
                let message = format!(
                    "expected a contracted drug given in one line only, found `{}` in {where_}",
                    drugs[c.drug]
                );
                let help = "name the regimens the contract covers, `regimens = [\"...\"]`: the drug in the others is paid at its price there, outside the contract";
                refuse_contract(r, e, "drug", message, Some(help));
            }
        }
    }
}

/// Heterogeneity and acquired markers must make sense together.
pub(super) fn heterogeneity(
    r: &mut Reader,
    biomarker_entries: &[Named<'_, '_>],
    biomarkers: &[Biomarker],
    groups: &[BiomarkerGroup],
    heterogeneity: &Option<Option<Heterogeneity>>,
) {
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
}

/// In each group, the lesions that gain a marker must fit in the lesions of marker-free
/// primaries: Σ prevalence × discordance ≤ 1 − Σ prevalence.
pub(super) fn discordance_fits(
    r: &mut Reader,
    biomarker_entries: &[Named<'_, '_>],
    biomarkers: &[Biomarker],
    groups: &[BiomarkerGroup],
) {
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
}

/// A contract must be on a drug that some strategy can give.
pub(super) fn contract_drug_given(
    r: &mut Reader,
    (contracts, contract_entries): (&[Option<Contract>], &[Named<'_, '_>]),
    strategies: &[Option<Strategy>],
    (regimens, regimen_names): (&[Option<Regimen>], &[String]),
    (drugs, pathways): (&[String], &[Option<Pathway>]),
) {
    for (c, e) in contracts.iter().zip(contract_entries) {
        let (Some(c), true) =
            (c, strategies.iter().all(Option::is_some) && regimens.iter().all(Option::is_some))
        else {
            continue;
        };
        // The regimens of the states of the pathway a course enters at progression.
        let in_pathway = |reg: usize| -> Vec<usize> {
            let Some(CourseSpec::Clinical {
                after_progression: AfterProgression::Pathway(k), ..
            }) = regimens[reg].as_ref().map(|g| &g.course)
            else {
                return Vec::new();
            };
            let states = pathways.get(*k).and_then(Option::as_ref).map(|p| &p.states[..]);
            states.unwrap_or_default().iter().filter_map(|st| st.regimen).collect()
        };
        let used = strategies.iter().flatten().any(|s| {
            let second = |reg: usize| {
                regimens[reg]
                    .as_ref()
                    .and_then(|g| g.second_line.as_ref())
                    .map(|sl| sl.regimens().collect::<Vec<usize>>())
            };
            let first = s.rules.iter().map(|&(_, reg)| reg).chain([s.default]);
            let lines: Vec<usize> = first
                .flat_map(|reg| std::iter::once(reg).chain(second(reg).unwrap_or_default()))
                .collect();
            // A patient who progresses while waiting walks the waiting regimen's pathway.
            let courses = lines.iter().copied().chain([s.waiting]);
            let all: Vec<usize> = courses.flat_map(in_pathway).chain(lines.clone()).collect();
            all.into_iter().any(|reg| c.regimens.contains(&reg))
        });
        if !used {
            let (key, message) = if c.regimens_named {
                let names: Vec<String> =
                    c.regimens.iter().map(|&g| format!("`{}`", regimen_names[g])).collect();
                let covered = names.join(", ");
                (
                    "regimens",
                    format!(
                        "no strategy treats with a regimen the contract covers ({covered}): the contract would have no arm"
                    ),
                )
            } else {
                (
                    "drug",
                    format!(
                        "no strategy gives drug `{}`: the contract would have no arm",
                        drugs[c.drug]
                    ),
                )
            };
            r.error(e.table[key].span(), &join(&e.path, key), message);
        }
    }
}

/// A regimen that hands progression to a pathway is a first line without a `second_line`
/// (the pathway writes what follows), is not itself a second-line regimen (pathway clocks run
/// from diagnosis), and puts prognostic ratios after progression on the pathway's transitions.
pub(super) fn pathways_first_line(
    r: &mut Reader,
    regimen_entries: &[Named<'_, '_>],
    regimens: &[Option<Regimen>],
    regimen_names: &[String],
) {
    let has_pathway = |g: &Regimen| {
        matches!(
            g.course,
            CourseSpec::Clinical { after_progression: AfterProgression::Pathway(_), .. }
        )
    };
    for (e, reg) in regimen_entries.iter().zip(regimens) {
        let Some(g) = reg else { continue };
        if has_pathway(g) {
            if let Some(v) = e.table.get("second_line") {
                r.error_help(
                    v.span(),
                    &join(&e.path, "second_line"),
                    "expected no `second_line` on a regimen whose progression enters a pathway, found one",
                    Some("write the second line as a state of the pathway, with `regimen = …`".into()),
                );
            }
            if g.prognosis.iter().any(|x| x.transition == Transition::AfterProgression) {
                r.error_help(
                    e.table["prognosis"].span(),
                    &join(&e.path, "prognosis"),
                    "expected no `after_progression` hazard ratio on a regimen whose progression enters a pathway, found one",
                    Some("give the ratio on the pathway's transitions: `prognosis = { <biomarker> = <ratio> }`".into()),
                );
            }
        }
        let Some(sl) = &g.second_line else { continue };
        for target in sl.regimens() {
            if regimens[target].as_ref().is_some_and(has_pathway) {
                r.error(
                    e.table["second_line"].span(),
                    &join(&e.path, "second_line"),
                    format!(
                        "expected second-line regimens without a pathway after progression, found `{}` (write both lines as one pathway instead)",
                        regimen_names[target]
                    ),
                );
                break;
            }
        }
    }
}

/// A contract on a drug that a pathway state also gives must name the regimens it covers
/// (so that whether it covers the state is written, not assumed). Progression there is
/// entering a state marked `progressed`, and response entering one marked `response`, so a
/// contract reading either needs such a state reachable (for response, the state itself
/// counts).
pub(super) fn contract_on_pathway_states(
    r: &mut Reader,
    (contracts, contract_entries): (&[Option<Contract>], &[Named<'_, '_>]),
    (pathways, pathway_entries): (&[Option<Pathway>], &[Named<'_, '_>]),
    regimens: &[Option<Regimen>],
    drugs: &[String],
) {
    'contracts: for (c, e) in contracts.iter().zip(contract_entries) {
        let Some(c) = c else { continue };
        for (p, pe) in pathways.iter().zip(pathway_entries) {
            let Some(p) = p else { continue };
            let gives = |g: usize| {
                regimens[g].as_ref().is_some_and(|g| g.drugs.iter().any(|d| d.drug == c.drug))
            };
            for (k, st) in p.states.iter().enumerate() {
                let Some(g) = st.regimen else { continue };
                let at = format!("state `{}` of pathway `{}` ({})", st.name, p.name, pe.path);
                if !c.regimens_named {
                    if gives(g) {
                        let message = format!(
                            "expected the regimens the contract covers to be named, found drug `{}` also given in {at}",
                            drugs[c.drug]
                        );
                        let help = "add `regimens = [\"...\"]`, the regimens whose use of the drug the contract covers (first or second lines, and regimens of pathway states): elsewhere the drug is paid at its price there, outside the contract";
                        refuse_contract(r, e, "drug", message, Some(help));
                        continue 'contracts;
                    }
                    continue;
                }
                if !c.regimens.contains(&g) {
                    continue;
                }
                let reads_response =
                    matches!(c.kind, Kind::PaymentAtResult(_) | Kind::ResponseRebate(_));
                let refused = match &c.kind {
                    _ if reads_response && !response_reachable(p, k) => Some((
                        format!(
                            "expected a state marked `response = true` reachable from {at}, found none: contract `{}` reads the response of the course given there",
                            c.name
                        ),
                        "mark the state whose entry is a response on this line `response = true` (a `responding` state giving the same regimen, for example), or cover only first or second lines with this kind",
                    )),
                    _ if reads_progression(&c.kind) && !reachable(p, k, |s| s.progressed) => {
                        Some((
                            format!(
                                "expected a state marked `progressed = true` reachable from {at}, found none: contract `{}` reads the progression of the course given there",
                                c.name
                            ),
                            "mark the states whose entry is progression on this line `progressed = true` (the next line, for example), or make the contract's failure `death`",
                        ))
                    }
                    _ => None,
                };
                if let Some((message, help)) = refused {
                    refuse_contract(r, e, "regimens", message, Some(help));
                    continue 'contracts;
                }
            }
        }
    }
}

/// Whether a contract's rule reads the patient's progression (a money-back guarantee or a
/// population outcome whose failure includes it, instalments paid while progression-free).
fn reads_progression(kind: &Kind<Slot>) -> bool {
    use crate::contracts::Failure;
    use crate::contracts::cohort::CohortRule;
    use crate::contracts::instalments::Condition;
    match kind {
        Kind::MoneyBack(t) => t.failure != Failure::Death,
        Kind::Instalments(t) => t.condition == Condition::AliveProgressionFree,
        Kind::Cohort(t) => {
            matches!(t.rule, CohortRule::PopulationOutcome { failure, .. } if failure != Failure::Death)
        }
        _ => false,
    }
}

/// Whether the course starting in state `from` can have a response: `from` is marked
/// `response`, or a marked state can be entered after it before the course's progression (a
/// state marked `progressed`) and before another regimen's course starts (a state with another
/// regimen).
fn response_reachable(p: &Pathway, from: usize) -> bool {
    let regimen = p.states[from].regimen;
    let within = |s: &PathwayState| !s.progressed && s.regimen.is_none_or(|g| Some(g) == regimen);
    p.states[from].response || reachable_through(p, from, within, |s| s.response)
}

/// Whether a state `marked` (`progressed`, `response`) can be entered after leaving state
/// `from` (through transitions and test results).
fn reachable(p: &Pathway, from: usize, marked: impl Fn(&PathwayState) -> bool) -> bool {
    reachable_through(p, from, |_| true, marked)
}

/// [`reachable`] through states `within` only (a state outside it is neither counted nor
/// passed through).
fn reachable_through(
    p: &Pathway,
    from: usize,
    within: impl Fn(&PathwayState) -> bool,
    marked: impl Fn(&PathwayState) -> bool,
) -> bool {
    let next = |k: usize| {
        let st = &p.states[k];
        let exits = st.exits.iter().filter_map(|x| match x.to {
            Target::State(j) => Some(j),
            Target::Death => None,
        });
        let results =
            st.test.iter().flat_map(|t| t.rules.iter().map(|&(_, j)| j).chain([t.default]));
        exits.chain(results).collect::<Vec<usize>>()
    };
    let mut seen = vec![false; p.states.len()];
    let mut stack = next(from);
    while let Some(k) = stack.pop() {
        if !within(&p.states[k]) {
            continue;
        }
        if marked(&p.states[k]) {
            return true;
        }
        if !std::mem::replace(&mut seen[k], true) {
            stack.extend(next(k));
        }
    }
    false
}

/// A treatment-only regimen (no response, no course) is given in pathway states only: no
/// strategy, second line, waiting or selection test may put a patient's course on it.
pub(super) fn treatment_only_in_pathways(
    r: &mut Reader,
    (strategies, strategy_entries): (&[Option<Strategy>], &[Named<'_, '_>]),
    (regimens, regimen_entries, regimen_names): (&[Option<Regimen>], &[Named<'_, '_>], &[String]),
    (tests, test_entries): (&[Option<Test>], &[Named<'_, '_>]),
) {
    let no_course = |g: usize| {
        regimens[g].as_ref().is_some_and(|g| matches!(g.course, CourseSpec::TreatmentOnly))
    };
    let refuse = |r: &mut Reader, span: std::ops::Range<usize>, path: &str, g: usize| {
        r.error_help(
            span,
            path,
            format!(
                "expected a regimen with a course, found `{}`, a treatment given only in pathway states (no `response` or course)",
                regimen_names[g]
            ),
            Some("give the regimen `response` and its course (`progression`, `death_before_progression`, `after_progression`), or use it only as a pathway state's `regimen`".into()),
        );
    };
    for (s, e) in strategies.iter().zip(strategy_entries) {
        let Some(s) = s else { continue };
        let uses = s.rules.iter().map(|&(_, g)| ("rules", g)).chain([("default", s.default)]);
        let waiting =
            ["waiting", "bridging", "default"].into_iter().find(|k| e.table.contains_key(*k));
        let uses = uses.chain(waiting.map(|k| (k, s.waiting)));
        for (key, g) in uses {
            if no_course(g)
                && let Some(v) = e.table.get(key)
            {
                refuse(r, v.span(), &join(&e.path, key), g);
                break;
            }
        }
    }
    for (reg, e) in regimens.iter().zip(regimen_entries) {
        let Some(sl) = reg.as_ref().and_then(|g| g.second_line.as_ref()) else { continue };
        if let Some(g) = sl.regimens().find(|&g| no_course(g)) {
            refuse(r, e.table["second_line"].span(), &join(&e.path, "second_line"), g);
        }
    }
    for (t, e) in tests.iter().zip(test_entries) {
        let Some(sel) = t.as_ref().and_then(|t| t.selection.as_ref()) else { continue };
        if no_course(sel.regimen)
            && let Some(v) = e.table.get("predicts")
        {
            refuse(r, v.span(), &join(&e.path, "predicts"), sel.regimen);
        }
    }
}
