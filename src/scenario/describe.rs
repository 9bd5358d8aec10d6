//! The one-screen summary printed by `vbpsim check`.

use crate::model::{
    AfterProgression, Clock, CourseSpec, Model, Pathway, Regimen, Target, Test, Transition,
    TteForm, TteSpec,
};
use crate::scenario::Scenario;
use crate::units::Dimension;
use std::fmt::Write;

fn months(years: f64) -> String {
    format!("{:.3} months", years * 12.0)
}

/// `x` to four significant digits (a quantile, not a value the scenario gave).
fn significant(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let decimals = (3 - x.abs().log10().floor() as i32).max(0) as usize;
    format!("{x:.decimals$}")
}

fn tte(m: &Model, spec: &TteSpec) -> String {
    let v = |i: usize| m.value(spec.slots[i]);
    let per_month = |x: f64| format!("{:.5} per month", x / 12.0);
    let text = match spec.form {
        TteForm::ExponentialRate => format!("exponential(rate {})", per_month(v(0))),
        TteForm::ExponentialMedian => format!("exponential(median {})", months(v(0))),
        TteForm::ExponentialMean => format!("exponential(mean {})", months(v(0))),
        TteForm::Weibull => format!("weibull(shape {}, scale {})", v(0), months(v(1))),
        TteForm::WeibullMedian => format!("weibull(shape {}, median {})", v(0), months(v(1))),
        TteForm::Gompertz => {
            format!("gompertz(shape {}, rate {})", per_month(v(0)), per_month(v(1)))
        }
        TteForm::LogLogistic => format!("loglogistic(shape {}, scale {})", v(0), months(v(1))),
        TteForm::LogNormal { .. } | TteForm::LogNormalMedian => "lognormal".to_string(),
        TteForm::Piecewise => format!("piecewise({} pieces)", spec.slots.len() / 2),
        TteForm::Gamma => format!("gamma(shape {}, rate {})", v(0), per_month(v(1))),
        TteForm::GenGamma { .. } => format!("gengamma(sigma {}, Q {})", v(1), v(2)),
        TteForm::Spline { .. } => format!("spline({} knots)", spec.slots.len() / 2),
    };
    match spec.build(&m.values) {
        Ok(d) => format!(
            "{text}, median {}",
            if d.median().is_finite() { months(d.median()) } else { "never".into() }
        ),
        Err(_) => text,
    }
}

/// A human-readable summary of a compiled scenario.
pub fn summary(s: &Scenario) -> String {
    let m = &s.model;
    let mut o = String::new();
    let meta = &m.meta;
    let _ = writeln!(o, "{}: ok", s.source.name);
    let layers = s.source.describe_layers();
    if !layers.is_empty() {
        let _ = writeln!(o, "layers     {}", layers.join(" → "));
    }
    let _ = writeln!(o, "scenario   {} — {}", meta.name, meta.title);
    let _ = writeln!(
        o,
        "run        {} patients per strategy, seed {}, horizon {} years, discount {} (costs) / {} (outcomes), {}",
        meta.patients,
        meta.seed,
        meta.horizon,
        meta.discount_costs,
        meta.discount_outcomes,
        meta.currency
    );
    let _ = writeln!(o, "thresholds {:?} per QALY", meta.thresholds);
    if !m.parameters.is_empty() {
        let _ = writeln!(o, "parameters {}", parameters(m).join("\n           "));
    }
    population(&mut o, m);
    biomarkers(&mut o, m);
    for t in &m.tests {
        test(&mut o, m, t);
    }
    for r in &m.regimens {
        regimen(&mut o, m, r);
    }
    states(&mut o, m);
    strategies(&mut o, m);
    for g in &m.subgroups {
        let _ = writeln!(o, "subgroup   {}: {}", g.name, g.levels.join(", "));
    }
    contracts(&mut o, m);
    if let Some(b) = &m.budget {
        let uptake: Vec<String> = b.uptake.iter().map(|u| u.to_string()).collect();
        let _ = writeln!(
            o,
            "budget     {} over {} years: {} incident patients in year 1 growing {} a year, {} prevalent; uptake {}",
            m.strategies[b.strategy].name,
            b.years,
            b.incident,
            b.growth,
            b.prevalent,
            uptake.join(", ")
        );
    }
    designs(&mut o, m);
    o
}

/// Each contract design (its template, the terms it varies and its size) and each registry
/// (its contract, parameter, sizes and review).
fn designs(o: &mut String, m: &Model) {
    for d in &m.designs {
        let template = &m.contracts[d.contract];
        let mut varied: Vec<String> =
            d.axes.iter().map(|a| format!("{} ({} values)", a.term, a.values.len())).collect();
        if let Some(shares) = &d.shares {
            let term = if template.kind.name() == "discount" { "discount" } else { "refund" };
            varied.push(format!("{term} ({} values, valued linearly)", shares.len()));
        }
        if let Some(prices) = &d.prices {
            varied.push(format!("price ({} values, valued linearly)", prices.len()));
        }
        let varied = if varied.is_empty() { "no term".to_string() } else { varied.join(", ") };
        let _ = writeln!(
            o,
            "design     {}: {} on the terms of {}; varies {varied}: {} candidates, {} settled one by one (`vbpsim design`)",
            d.name,
            template.kind.name(),
            template.name,
            d.candidates(),
            d.points()
        );
    }
    for g in &m.registries {
        let review = g.review.map_or(String::new(), |r| {
            format!(
                "; review after {} years on {} patients (withdrawal cost {})",
                r.after_years, r.patients, r.withdrawal_cost
            )
        });
        let sizes: Vec<String> = g.patients.iter().map(u64::to_string).collect();
        let _ = writeln!(
            o,
            "registry   {}: {} informs {}; {} patients; cost {} a patient + {}{review} (EVSI with PSA samples)",
            g.name,
            m.contracts[g.contract].name,
            g.informs
                .iter()
                .map(|i| m.parameters[i.parameter].name.as_str())
                .collect::<Vec<_>>()
                .join(" and "),
            sizes.join(", "),
            g.cost_per_patient,
            g.fixed_cost
        );
    }
}

/// Each parameter: its point value in its unit and, when uncertain, its distribution with its
/// 2.5 % and 97.5 % quantiles, and its one-way range when one is given.
fn parameters(m: &Model) -> Vec<String> {
    m.parameters
        .iter()
        .map(|p| {
            let shown = |x: f64| match p.dimension {
                Dimension::Number => format!("{x}"),
                Dimension::Duration => months(x),
                Dimension::PerTime => format!("{} per month", x / 12.0),
            };
            let rounded = |x: f64| match p.dimension {
                Dimension::Number => significant(x),
                Dimension::Duration => format!("{} months", significant(x * 12.0)),
                Dimension::PerTime => format!("{} per month", significant(x / 12.0)),
            };
            let point = m.value(p.slot);
            let mut line = format!("{} = {}", p.name, shown(point));
            if p.is_uncertain() {
                let (lo, hi) = (p.dist.quantile(0.025, point), p.dist.quantile(0.975, point));
                let (lo, hi) = (rounded(lo), rounded(hi));
                let _ = write!(line, " ({}; 95 % {lo} to {hi})", p.dist.name());
            }
            if let Some((lo, hi)) = p.range {
                let _ = write!(line, "; one-way range {} to {}", shown(lo), shown(hi));
            }
            line
        })
        .collect()
}

/// The health states' costs and utilities.
fn states(o: &mut String, m: &Model) {
    let st = &m.states;
    let _ = writeln!(
        o,
        "states     progression-free: cost {} a month, utility {}; progressed: cost {} a month, utility {}; death: cost {} once",
        m.value(st.progression_free_cost) / 12.0,
        m.value(st.progression_free_utility),
        m.value(st.progressed_cost) / 12.0,
        m.value(st.progressed_utility),
        m.value(st.death_cost)
    );
}

/// Who the patients are and their general-population mortality.
fn population(o: &mut String, m: &Model) {
    let Some(p) = &m.population else { return };
    let age = match p.age {
        crate::model::Age::Fixed(a) => format!("{} years", m.value(a)),
        crate::model::Age::Normal { mean, sd, min, max } => format!(
            "normal(mean {} years, sd {} years) within [{min}, {max}] years",
            m.value(mean),
            m.value(sd)
        ),
        crate::model::Age::Uniform { min, max } => format!("uniform on [{min}, {max}] years"),
        crate::model::Age::Profiles => match &p.profiles {
            Some(f) => format!(
                "from the profiles (mean {} years)",
                f.mean(|i| f.age.as_ref().map_or(f64::NAN, |a| a[i]))
            ),
            None => "from the profiles".into(),
        },
    };
    let _ = writeln!(
        o,
        "population age {age}, {} female; life table {} (everyone dead at {} years), background mortality {}{}",
        p.female_share(&m.values),
        p.table_name,
        p.life_table.max_age,
        p.mortality.name(),
        p.utility_norms.as_ref().map_or(String::new(), |n| format!(
            "; utilities adjusted by {} ({})",
            n.name(),
            p.utility_adjustment.name()
        ))
    );
    if let Some(f) = &p.profiles {
        let _ = writeln!(
            o,
            "population profiles {} ({} row{}{}, drawn with replacement)",
            f.name,
            f.rows,
            if f.rows == 1 { "" } else { "s" },
            if f.cumulative.is_some() { ", weighted" } else { "" }
        );
    }
    for (name, levels) in p.covariate_shares(&m.values) {
        let levels: Vec<String> = levels.iter().map(|(l, s)| format!("{l} {s}")).collect();
        let _ = writeln!(o, "covariate  {name}: {}", levels.join(", "));
    }
    for &(bit, ratio) in &p.cost_ratio {
        let _ = writeln!(
            o,
            "population state costs times {} if {}",
            m.value(ratio),
            m.condition_name(crate::model::Condition::Level(bit))
        );
    }
}

/// The biomarkers and, with heterogeneity, the lesions.
fn biomarkers(o: &mut String, m: &Model) {
    for b in &m.biomarkers {
        let d = m.value(b.discordance);
        let _ = writeln!(
            o,
            "biomarker  {} prevalence {} (group {}){}{}",
            b.name,
            m.value(b.prevalence),
            m.groups[b.group].name,
            if d > 0.0 {
                format!(", discordance per metastatic lesion {d}")
            } else {
                String::new()
            },
            if b.acquired { ", acquired at progression" } else { "" }
        );
    }
    if let Some(h) = &m.heterogeneity {
        let mean: f64 = h.lesions.iter().enumerate().map(|(k, p)| (k + 1) as f64 * p).sum();
        let _ = writeln!(
            o,
            "lesions    1 to {} per patient (mean {mean:.2}); tissue biopsies sample {}",
            h.lesions.len(),
            if h.random_biopsy { "a lesion at random" } else { "the primary" }
        );
    }
}

/// One test: what it reads, how well, its cost, wait and reflex.
fn test(o: &mut String, m: &Model, t: &Test) {
    let mut reads: Vec<String> = t
        .readings
        .iter()
        .map(|r| {
            format!(
                "{} (sens {}, spec {})",
                m.biomarkers[r.biomarker].name,
                m.value(r.sensitivity),
                m.value(r.specificity)
            )
        })
        .collect();
    if let Some(sel) = &t.selection {
        let (auc, cutoff) = (m.value(sel.auc), m.value(sel.cutoff));
        let (sensitivity, false_positive) = crate::model::binormal_rates(auc, cutoff);
        reads.push(format!(
            "predicts response to {} (AUC {auc}, cutoff {cutoff}: sens {sensitivity:.4}, spec {:.4}){}",
            m.regimens[sel.regimen].name,
            1.0 - false_positive,
            if sel.sweep.is_empty() {
                String::new()
            } else {
                format!(", sweep of {} cutoffs", sel.sweep.len())
            }
        ));
    }
    if let crate::model::Specimen::Plasma { shedding } = t.specimen {
        reads.push(format!("plasma (shedding {})", m.value(shedding)));
    }
    if let Some(c) = t.concurrent {
        reads.push(format!("with {} at the same time", m.tests[c].name));
    }
    let _ = writeln!(
        o,
        "test       {}: {}; cost {}, turnaround {:.1} days, failure {} → {}",
        t.name,
        reads.join(", "),
        m.value(t.cost),
        m.value(t.turnaround) * 365.25,
        m.value(t.failure),
        t.on_failure.map_or("negative".to_string(), |i| m.tests[i].name.clone()),
    );
    if let Some(i) = t.on_negative {
        let _ = writeln!(o, "           read negative → {}", m.tests[i].name);
    }
}

/// A pathway after progression: its states and transitions.
fn pathway(o: &mut String, m: &Model, p: &Pathway) {
    let _ = writeln!(
        o,
        "             after progression: pathway {} (starts in {})",
        p.name, p.states[p.start].name
    );
    for s in &p.states {
        let mut extras = String::new();
        if m.value(s.on_entry) != 0.0 {
            extras += &format!(", {} on entry", m.value(s.on_entry));
        }
        if let Some((cost, length)) = s.after_entry {
            let (cost, length) = (m.value(cost), m.value(length));
            extras += &format!(", {cost} per year for {} after entry", months(length));
        }
        if let Some(r) = s.regimen {
            extras += &format!(", treated with {}", m.regimens[r].name);
        }
        if let Some(t) = &s.test {
            let mut rules: Vec<String> = t
                .rules
                .iter()
                .map(|&(b, k)| format!("{}+ → {}", m.biomarkers[b].name, p.states[k].name))
                .collect();
            rules.push(format!("else → {}", p.states[t.default].name));
            let turnaround = months(m.value(m.tests[t.test].turnaround));
            let test = &m.tests[t.test].name;
            extras += &format!(", tests with {test} at entry ({turnaround}): {}", rules.join("; "));
        }
        if s.exits.is_empty() && s.test.is_none() {
            extras += ", absorbing";
        }
        if s.progressed {
            extras += ", entry is progression (for contracts on earlier states' courses)";
        }
        if s.response {
            extras += ", entry is response (of the course given in it or in earlier states)";
        }
        let _ = writeln!(
            o,
            "               state {}: utility {}, cost {} per year{extras}",
            s.name,
            m.value(s.utility),
            m.value(s.cost),
        );
        for x in &s.exits {
            let to = match x.to {
                Target::State(k) => p.states[k].name.as_str(),
                Target::Death => "death",
            };
            let clock = match x.clock {
                Clock::Reset => "clock reset",
                Clock::Forward => "clock forward",
            };
            let hazard = x.prognosis.iter().map(|&(b, hr)| ("hazard", b, hr));
            let ratios: Vec<String> = hazard
                .chain(x.time_ratio.iter().map(|&(b, tr)| ("time", b, tr)))
                .map(|(kind, on, r)| {
                    format!(", {kind} ratio {} if {}", m.value(r), m.condition_name(on))
                })
                .collect();
            let _ = writeln!(
                o,
                "                 → {to}: {} ({clock}{})",
                tte(m, &x.time),
                ratios.concat()
            );
        }
    }
}

/// One regimen: drugs, response, course, and its monitoring, second line and immunotherapy
/// patterns.
fn regimen(o: &mut String, m: &Model, r: &Regimen) {
    let drugs: Vec<String> = r
        .drugs
        .iter()
        .map(|d| {
            format!(
                "{} {} per {:.0} days",
                m.drugs[d.drug],
                m.value(d.price),
                m.value(d.cycle) * 365.25
            )
        })
        .collect();
    let _ = writeln!(
        o,
        "regimen    {}: {}",
        r.name,
        if drugs.is_empty() { "no drugs".into() } else { drugs.join(" + ") }
    );
    for ae in &r.adverse_events {
        let _ = writeln!(
            o,
            "             adverse event {}: probability {}, cost {}, QALY loss {}",
            ae.name,
            m.value(ae.probability),
            m.value(ae.cost),
            m.value(ae.qaly_loss)
        );
    }
    let mut resp: Vec<String> = r
        .response
        .by_biomarker
        .iter()
        .map(|(b, p)| format!("{} {}", m.biomarkers[*b].name, m.value(*p)))
        .collect();
    resp.push(format!("otherwise {}", m.value(r.response.otherwise)));
    if !matches!(r.course, CourseSpec::TreatmentOnly) {
        let _ = writeln!(o, "             response {}", resp.join(", "));
    }
    match &r.course {
        CourseSpec::Clinical {
            progression_responder,
            progression_non_responder,
            death_before_progression,
            after_progression,
        } => {
            let lines = [
                ("progression responder", progression_responder),
                ("progression non-responder", progression_non_responder),
                ("death before progression", death_before_progression),
            ];
            for (what, spec) in lines {
                let _ = writeln!(o, "             {what} {}", tte(m, spec));
            }
            match after_progression {
                AfterProgression::Survival(spec) => {
                    let _ = writeln!(o, "             after progression {}", tte(m, spec));
                }
                AfterProgression::Pathway(k) => pathway(o, m, &m.pathways[*k]),
            }
        }
        CourseSpec::Partitioned { pfs, os } => {
            let _ = writeln!(o, "             partitioned survival: PFS {}", tte(m, pfs));
            let _ = writeln!(o, "             partitioned survival: OS {}", tte(m, os));
        }
        CourseSpec::TreatmentOnly => {
            let _ = writeln!(o, "             treatment only: given in pathway states");
        }
    }
    if let Some(u) = r.progression_free_utility {
        let _ = writeln!(o, "             progression-free utility on this regimen {}", m.value(u));
    }
    let partitioned = matches!(r.course, CourseSpec::Partitioned { .. });
    for g in &r.prognosis {
        let transition = match (g.transition, partitioned) {
            (Transition::Progression, false) => "progression",
            (Transition::Progression, true) => "PFS",
            (Transition::Death, false) => "death before progression",
            (Transition::Death, true) => "OS",
            (Transition::AfterProgression, _) => "death after progression",
        };
        let _ = writeln!(
            o,
            "             prognosis: {} hazard ratio {} on {transition}",
            m.condition_name(g.on),
            m.value(g.hazard_ratio)
        );
    }
    for &(bit, ratio) in &r.response_odds_ratio {
        let _ = writeln!(
            o,
            "             response odds ratio {} if {}",
            m.value(ratio),
            m.condition_name(crate::model::Condition::Level(bit))
        );
    }
    if let Some(mo) = &r.monitoring {
        let _ = writeln!(
            o,
            "             ctDNA monitoring every {}, lead time {}, sensitivity {}, cost {}",
            months(m.value(mo.every)),
            months(m.value(mo.lead_time)),
            m.value(mo.sensitivity),
            m.value(mo.cost)
        );
    }
    if let Some(sl) = &r.second_line {
        let p = &sl.pathway;
        let rules: Vec<String> = p
            .rules
            .iter()
            .map(|(b, g)| format!("{}+ → {}", m.positive_name(*b), m.regimens[*g].name))
            .collect();
        let _ = writeln!(
            o,
            "             second line for {} of detected progressions: {}{}{}",
            m.value(sl.share),
            p.test.map_or(String::new(), |t| format!("re-test {}; ", m.tests[t].name)),
            if rules.is_empty() { String::new() } else { format!("{}; ", rules.join("; ")) },
            if sl.keep_course {
                "else no second line (the first regimen's course after progression stands)"
                    .to_string()
            } else {
                format!("else {}", m.regimens[p.default].name)
            }
        );
    }
    if let Some(io) = &r.immunotherapy {
        if let Some(d) = &io.time_to_response {
            let _ = writeln!(o, "             time to response {}", tte(m, d));
        }
        let q = m.value(io.pseudo_progression);
        if q > 0.0 {
            let _ = writeln!(o, "             pseudo-progression at the first scan {q}");
        }
        if let Some(c) = io.beyond_progression {
            let _ = writeln!(
                o,
                "             treated beyond progression until confirmation {} later",
                months(m.value(c))
            );
        }
    }
}

/// The strategies: test, rules and default regimen.
fn strategies(o: &mut String, m: &Model) {
    let meta = &m.meta;
    for st in &m.strategies {
        let rules: Vec<String> = st
            .rules
            .iter()
            .map(|(b, r)| format!("{}+ → {}", m.positive_name(*b), m.regimens[*r].name))
            .collect();
        let uptake = m.value(st.uptake);
        let _ = writeln!(
            o,
            "strategy   {}{}: {}{}else {}",
            st.name,
            if m.strategies[meta.comparator].name == st.name { " (comparator)" } else { "" },
            st.test.map_or(String::new(), |t| {
                format!(
                    "test {}{}{}, waiting on {}; ",
                    m.tests[t].name,
                    if uptake < 1.0 { format!(" (uptake {uptake})") } else { String::new() },
                    st.bridging
                        .map_or(String::new(), |b| format!(", bridging {}", m.regimens[b].name)),
                    m.regimens[st.waiting].name
                )
            }),
            if rules.is_empty() { String::new() } else { format!("{}; ", rules.join("; ")) },
            m.regimens[st.default].name
        );
    }
}

/// The contracts: kind, drug (and the regimens they cover, when named), arms and cohort
/// settlement.
fn contracts(o: &mut String, m: &Model) {
    let meta = &m.meta;
    for (k, c) in m.contracts.iter().enumerate() {
        let arms = m
            .arms()
            .iter()
            .filter(|a| a.contract.is_some_and(|k| m.contracts[k].name == c.name))
            .count();
        let cohort = match (c.kind.cohort_years(), meta.population) {
            (Some(years), Some(n)) => format!(
                "; settled per calendar year on {n} patients a year entering over {years} year{}",
                if years == 1 { "" } else { "s" }
            ),
            _ => String::new(),
        };
        let covered = if c.regimens_named {
            let names: Vec<&str> =
                c.regimens.iter().map(|&g| m.regimens[g].name.as_str()).collect();
            format!(" in {}", names.join(", "))
        } else {
            String::new()
        };
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        let settled = if c.on_list_arm {
            // A list contract without administration adds no arm.
            let n =
                m.settlements().iter().filter(|s| m.contracts[s.contract].name == c.name).count();
            format!("settled on the list arm of {n} strateg{}", if n == 1 { "y" } else { "ies" })
        } else {
            format!("{arms} arm{}", plural(arms))
        };
        let _ = writeln!(
            o,
            "contract   {}: {} on {}{covered} ({settled}){cohort}",
            c.name,
            c.kind.name(),
            m.drugs[c.drug],
        );
        let _ = writeln!(o, "             {}", terms(m, &c.kind));
        let comparator = crate::model::Arm { strategy: m.meta.comparator, contract: Some(k) };
        if m.arms().contains(&comparator) {
            let against = match m.meta.comparator_contract {
                crate::model::ComparatorContract::Same => "the comparator under the same contract",
                crate::model::ComparatorContract::List => {
                    "the comparator at list (comparator_contract = \"list\")"
                }
            };
            let _ = writeln!(o, "             its arms compared with {against}");
        }
    }
}

/// A contract's terms in words, at the model's values.
fn terms(m: &Model, kind: &crate::contracts::Kind<crate::model::Slot>) -> String {
    use crate::contracts::{Failure, Kind, cohort::CohortRule, instalments::Condition};
    let v = |s: &crate::model::Slot| m.value(*s);
    let pct = |x: f64| {
        let digits = significant(100.0 * x);
        let digits = if digits.contains('.') {
            digits.trim_end_matches('0').trim_end_matches('.')
        } else {
            &digits
        };
        format!("{digits} %")
    };
    let failure = |f: Failure| match f {
        Failure::Progression => "detected progression",
        Failure::Death => "death",
        Failure::ProgressionOrDeath => "detected progression or death",
    };
    match kind {
        Kind::List => "every cycle at list price".into(),
        Kind::Discount(t) => {
            let mut s = format!("{} off list", pct(v(&t.fraction)));
            if let Some(from) = &t.from {
                s += &format!(" from {} after the start", months(v(from)));
            }
            if let Some(until) = &t.until {
                s += &format!(" until {} after the start", months(v(until)));
            }
            s
        }
        Kind::MoneyBack(t) => {
            let mut s = format!(
                "{} of what was paid refunded on {} within {} of the start",
                pct(v(&t.refund)),
                failure(t.failure),
                months(v(&t.window))
            );
            if let Some(cap) = &t.cap {
                s += &format!(", at most {} a patient", v(cap));
            }
            s
        }
        Kind::PaymentAtResult(t) => format!(
            "paid only for patients responding at the assessment {} after the start",
            months(v(&t.assess_at))
        ),
        Kind::ResponseRebate(t) => format!(
            "{} of what was paid rebated for patients not responding at the assessment {} after the start",
            pct(v(&t.refund)),
            months(v(&t.assess_at))
        ),
        Kind::DurationCap(t) => {
            let mut parts = Vec::new();
            if let Some(n) = t.max_cycles {
                parts.push(format!("{n} cycles"));
            }
            if let Some(d) = &t.max_paid {
                parts.push(months(v(d)));
            }
            format!(
                "the payer pays at most {} of treatment; the manufacturer the rest",
                parts.join(" or ")
            )
        }
        Kind::Instalments(t) => format!(
            "the price paid in {} parts, one every {}, each while the patient is {}",
            t.count,
            months(v(&t.interval)),
            match t.condition {
                Condition::Alive => "alive",
                Condition::AliveProgressionFree => "alive and progression-free",
            }
        ),
        Kind::Cohort(t) => match &t.rule {
            CohortRule::ExpenditureCap { cap } => {
                format!("spend above {} a calendar year refunded", v(cap))
            }
            CohortRule::PriceVolume { tiers } => {
                let tiers: Vec<String> = tiers
                    .iter()
                    .map(|(above, pay)| {
                        format!("beyond {} patients a year at {} of list", v(above), pct(v(pay)))
                    })
                    .collect();
                format!("patients treated {}", tiers.join(", "))
            }
            CohortRule::PopulationOutcome { failure: f, window, target, rebate } => format!(
                "{} of the year's spend rebated if fewer than {} of its new patients are free of {} {} after the start",
                pct(v(rebate)),
                pct(v(target)),
                failure(*f),
                months(v(window))
            ),
        },
    }
}
