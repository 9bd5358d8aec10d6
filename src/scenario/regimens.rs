//! `[[regimens]]`: drugs and their schedules, response by biomarker, the course of events,
//! adverse events, scans, immunotherapy patterns and monitoring.

use super::reader::Named;
use super::reader::{Check, Reader, Value, join};
use super::tte::read_tte;
use crate::model::limits::*;
use crate::model::*;
use crate::rng::{Process, ProcessKind};
use crate::units::Dimension;
use toml::de::{DeTable, DeValue};

pub(super) fn read_regimen(
    r: &mut Reader,
    e: &Named<'_, '_>,
    name: &str,
    who: &super::covariates::Characteristics<'_>,
    drug_names: &mut Vec<String>,
    pathways: &[String],
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
            "prognosis",
            "response_odds_ratio",
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
            "progression_free_utility",
        ],
    );
    check_drugs_once(r, t, p, name);
    if TREATMENT_ONLY_WITHOUT.iter().all(|k| !t.contains_key(*k)) {
        return read_treatment_only(r, e, name, drug_names);
    }
    let assessment = read_assessment(r, t, p);
    let (false_positive, false_negative) = read_response_error(r, t, p);
    let drugs = read_drugs(r, t, p, drug_names);
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
        .and_then(|v| read_response(r, v, &join(p, "response"), who.biomarkers));
    let (course, pps_cost) = if let Some(v) = t.get("partitioned") {
        read_partitioned(r, t, v, p)
    } else {
        read_clinical_course(r, e, p, pathways)
    };
    let prognosis = match t.get("prognosis") {
        Some(v) => read_prognosis(r, v, &join(p, "prognosis"), who, t.contains_key("partitioned")),
        None => Some(Vec::new()),
    };
    let response_odds_ratio = match t.get("response_odds_ratio") {
        Some(v) => {
            let path = join(p, "response_odds_ratio");
            super::covariates::ratios(r, v, &path, who, false).map(|found| {
                found
                    .into_iter()
                    .filter_map(|(on, ratio)| match on {
                        Condition::Level(bit) => Some((bit, ratio)),
                        Condition::Biomarker(_) => None,
                    })
                    .collect()
            })
        }
        None => Some(Vec::new()),
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
    let adverse_events = read_adverse_events(r, t, p, name);
    let progression_free_utility = match t.get("progression_free_utility") {
        Some(u) => {
            let path = join(p, "progression_free_utility");
            r.quantity(u, &path, Dimension::Number, Check::AtMostOne).map(Some)
        }
        None => Some(None),
    };
    Some(Regimen {
        name: name.to_string(),
        drugs: drugs?,
        administration: administration?,
        response: response?,
        course: course?,
        prognosis: prognosis?,
        response_odds_ratio: response_odds_ratio?,
        post_progression_cost: pps_cost?,
        progression_free_utility: progression_free_utility?,
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

/// A drug listed twice in one regimen would be paid twice but settled once by a contract.
/// A regimen with none of these keys has no course: a treatment for pathway states.
const TREATMENT_ONLY_WITHOUT: &[&str] =
    &["response", "progression", "death_before_progression", "after_progression", "partitioned"];

/// A regimen without response or course (`CourseSpec::TreatmentOnly`): its drugs,
/// administration, adverse events and scans, given in the states of pathways after
/// progression (its scans count a contract's per-assessment administration there).
fn read_treatment_only(
    r: &mut Reader,
    e: &Named<'_, '_>,
    name: &str,
    drug_names: &mut Vec<String>,
) -> Option<Regimen> {
    let (p, t) = (&e.path, e.table);
    let allowed = ["name", "drugs", "administration", "adverse_events", "assessment"];
    for (k, _) in t.iter() {
        let key = k.get_ref().as_ref();
        if !allowed.contains(&key) {
            r.error_help(
                k.span(),
                &join(p, key),
                format!("expected no `{key}` on a regimen without `response` and a course, found one"),
                Some("a regimen without `response`, `progression`, `death_before_progression`, `after_progression` or `partitioned` is a treatment given in pathway states: it takes only `drugs`, `administration`, `adverse_events` and `assessment`".into()),
            );
        }
    }
    let drugs = read_drugs(r, t, p, drug_names);
    let administration =
        r.quantity_or(t, p, "administration", Dimension::Number, Check::NonNegative, 0.0);
    let adverse_events = read_adverse_events(r, t, p, name);
    let assessment = read_assessment(r, t, p);
    let (zero, none) = (r.constant(0.0), r.constant(0.0));
    Some(Regimen {
        name: name.to_string(),
        drugs: drugs?,
        administration: administration?,
        response: Response { by_biomarker: Vec::new(), otherwise: zero },
        course: CourseSpec::TreatmentOnly,
        prognosis: Vec::new(),
        response_odds_ratio: Vec::new(),
        post_progression_cost: none,
        progression_free_utility: None,
        discontinuation: None,
        adverse_events: adverse_events?,
        assessment: assessment?,
        response_false_positive: zero,
        response_false_negative: zero,
        immunotherapy: None,
        second_line: None,
        monitoring: None,
    })
}

fn check_drugs_once(r: &mut Reader, t: &DeTable<'_>, p: &str, name: &str) {
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
}

/// `assessment`: the interval between scans, at least a day (`Some(None)` without scans).
fn read_assessment(r: &mut Reader, t: &DeTable<'_>, p: &str) -> Option<Option<Slot>> {
    match t.get("assessment") {
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
    }
}

/// `response_error = { false_positive, false_negative }`: how scans misread response (0 by
/// default).
fn read_response_error(r: &mut Reader, t: &DeTable<'_>, p: &str) -> (Option<Slot>, Option<Slot>) {
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
    (false_positive, false_negative)
}

/// `drugs = [{ name, price, cycle, … }]` (none: best supportive care).
fn read_drugs(
    r: &mut Reader,
    t: &DeTable<'_>,
    p: &str,
    drug_names: &mut Vec<String>,
) -> Option<Vec<Drug>> {
    match t.get("drugs") {
        Some(v) => r.array(v, &join(p, "drugs")).and_then(|items| {
            let ds: Vec<Option<Drug>> = items
                .iter()
                .enumerate()
                .map(|(i, item)| read_drug(r, item, &format!("{p}.drugs[{i}]"), drug_names))
                .collect();
            ds.into_iter().collect()
        }),
        None => Some(Vec::new()),
    }
}

/// `adverse_events = [{ name, probability, cost, qaly_loss }]`, each name once.
fn read_adverse_events(
    r: &mut Reader,
    t: &DeTable<'_>,
    p: &str,
    name: &str,
) -> Option<Vec<AdverseEvent>> {
    match t.get("adverse_events") {
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
    }
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
    pathways: &[String],
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
    if let Some(v) = r.require(
        t,
        &e.span,
        p,
        "after_progression",
        "a table { survival = …, cost = … } or { pathway = … }",
    ) {
        let ap = join(p, "after_progression");
        if let Some(at) = r.table(v, &ap) {
            r.check_keys(at, &ap, &["survival", "cost", "pathway"]);
            if let Some(pv) = at.get("pathway") {
                // The pathway's states carry the costs and survival after progression.
                for key in ["survival", "cost"] {
                    if let Some(other) = at.get(key) {
                        r.error_help(
                            other.span(),
                            &join(&ap, key),
                            format!("expected no `{key}` beside `pathway`, found one"),
                            Some("after progression the pathway's states and transitions give the costs and survival".into()),
                        );
                    }
                }
                pps = r
                    .resolve(pv, &join(&ap, "pathway"), "pathway", pathways)
                    .map(AfterProgression::Pathway);
                pps_cost = Some(r.constant(0.0));
            } else {
                pps = r
                    .require(at, &v.span(), &ap, "survival", "a time-to-event distribution")
                    .and_then(|d| read_tte(r, d, &join(&ap, "survival")))
                    .map(AfterProgression::Survival);
                pps_cost =
                    r.quantity_or(at, &ap, "cost", Dimension::PerTime, Check::NonNegative, 0.0);
            }
        }
    }
    let course = (|| {
        Some(CourseSpec::Clinical {
            progression_responder: resp?,
            progression_non_responder: nonresp?,
            death_before_progression: death?,
            after_progression: pps?,
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
                    undefined_biomarker(r, (k.span(), &kp, key), biomarkers, Some("otherwise"));
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

/// `prognosis = { <biomarker> = { <transition> = <hazard ratio>, … }, <covariate> = { <level> =
/// { <transition> = <hazard ratio>, … }, … }, … }`: hazard ratios on the course's transitions
/// for patients whose tumour carries the biomarker or who have the covariate's level. A
/// clinical course names `progression`, `death_before_progression` and `after_progression`; a
/// partitioned one `pfs` and `os`.
fn read_prognosis(
    r: &mut Reader,
    v: &Value<'_>,
    p: &str,
    who: &super::covariates::Characteristics<'_>,
    partitioned: bool,
) -> Option<Vec<Prognosis>> {
    let transitions: &[(&str, Transition)] = if partitioned {
        &[("pfs", Transition::Progression), ("os", Transition::Death)]
    } else {
        &[
            ("progression", Transition::Progression),
            ("death_before_progression", Transition::Death),
            ("after_progression", Transition::AfterProgression),
        ]
    };
    let names: Vec<&str> = transitions.iter().map(|(n, _)| *n).collect();
    let table = r.table(v, p)?;
    let found = super::covariates::entries(r, table, p, who, true)?;
    let mut out = Vec::new();
    let mut ok = true;
    for (on, kp, x) in found {
        let Some(ratios) = r.table(x, &kp) else {
            ok = false;
            continue;
        };
        r.check_keys(ratios, &kp, &names);
        for (tk, hv) in ratios.iter() {
            let Some(&(_, transition)) =
                transitions.iter().find(|(n, _)| *n == tk.get_ref().as_ref())
            else {
                ok = false;
                continue;
            };
            match r.quantity(hv, &join(&kp, tk.get_ref()), Dimension::Number, Check::Positive) {
                Some(hazard_ratio) => out.push(Prognosis { on, transition, hazard_ratio }),
                None => ok = false,
            }
        }
    }
    ok.then_some(out)
}

/// A ratio names a biomarker acquired at progression (reported).
pub(super) fn acquired_ratio(
    r: &mut Reader,
    (span, path, key): (std::ops::Range<usize>, &str, &str),
) {
    r.error_help(
        span,
        path,
        format!("expected a biomarker present at diagnosis, found `{key}`, acquired at progression"),
        Some("prognostic hazard ratios read the tumour at diagnosis, where an acquired marker is absent: the ratio would never apply".into()),
    );
}

/// A table keyed by biomarker names (and perhaps one more key, `also`) holds the key `key`,
/// which names none: the error with the nearest name and the list.
pub(super) fn undefined_biomarker(
    r: &mut Reader,
    (span, path, key): (std::ops::Range<usize>, &str, &str),
    biomarkers: &[String],
    also: Option<&str>,
) {
    let mut candidates: Vec<&str> = biomarkers.iter().map(String::as_str).collect();
    candidates.extend(also);
    let listing = format!(
        "keys are biomarker names (defined biomarkers: {}){}",
        biomarkers.join(", "),
        also.map_or(String::new(), |a| format!(" or `{a}`"))
    );
    let help = Some(match super::diagnostic::did_you_mean(key, candidates) {
        Some(s) => format!("did you mean `{s}`? {listing}"),
        None => listing,
    });
    r.error_help(span, path, format!("undefined biomarker `{key}`"), help);
}
