//! `[[pathways]]`: multi-state pathways after progression — states with costs, utilities and
//! treatment, transitions between them — and the checks that every patient can leave every
//! state it reaches.

use super::reader::{Check, Named, Reader, Value, join};
use super::tte::read_tte;
use crate::model::*;
use crate::rng::{Process, ProcessKind};
use crate::units::Dimension;

/// Per state: its exits, each with the span of its transition (for errors).
type Exits = Vec<Vec<(Exit, std::ops::Range<usize>)>>;

/// The built-in absorbing state every pathway ends in (terminal care is `[states] death`).
pub const DEATH: &str = "death";

/// Read every pathway; `None` in place of one with errors (reported).
pub(super) fn read_pathways(
    r: &mut Reader,
    entries: &[Named<'_, '_>],
    names: &[String],
    regimens: &[String],
    who: &super::covariates::Characteristics<'_>,
    tests: (&[String], &[Option<Test>]),
) -> Vec<Option<Pathway>> {
    entries
        .iter()
        .zip(names)
        .map(|(e, name)| read_pathway(r, e, name, regimens, who, tests))
        .collect()
}

fn read_pathway(
    r: &mut Reader,
    e: &Named<'_, '_>,
    name: &str,
    regimens: &[String],
    who: &super::covariates::Characteristics<'_>,
    tests: (&[String], &[Option<Test>]),
) -> Option<Pathway> {
    let p = &e.path;
    let t = e.table;
    r.check_keys(t, p, &["name", "start", "states", "transitions"]);
    let sv = r.require(t, &e.span, p, "states", "an array of states { name, utility, … }")?;
    let state_path = join(p, "states");
    let items = r.array(sv, &state_path)?;
    // Names first, so transitions and `start` can name any state.
    let mut names: Vec<String> = Vec::new();
    let mut spans = Vec::new();
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let sp = format!("{state_path}[{i}]");
        let Some(st) = r.table(item, &sp) else {
            ok = false;
            names.push(format!("#{i}"));
            spans.push(item.span());
            continue;
        };
        let n = r
            .require(st, &item.span(), &sp, "name", "the state's name")
            .and_then(|nv| r.name(nv, &join(&sp, "name")).map(|n| (n, nv.span())));
        match n {
            Some((n, span)) if n == DEATH => {
                r.error_help(
                    span,
                    &join(&sp, "name"),
                    "expected a state other than `death`, found `death`",
                    Some("`death` is built in: it is absorbing, takes no treatment, and its cost is `[states] death`; name it as a transition's `to`".into()),
                );
                ok = false;
                names.push(n);
            }
            Some((n, span)) if names.contains(&n) => {
                r.error(span, &join(&sp, "name"), format!("duplicate state name `{n}`"));
                ok = false;
                names.push(n);
            }
            Some((n, _)) => names.push(n),
            None => {
                ok = false;
                names.push(format!("#{i}"));
            }
        }
        spans.push(item.span());
    }
    let mut states = Vec::with_capacity(items.len());
    let mut absorbing = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let sp = format!("{state_path}[{i}]");
        let Some(st) = r.table(item, &sp) else {
            states.push(None);
            absorbing.push(false);
            continue;
        };
        let test = read_state_test(r, (st, &sp, i), &names, who.biomarkers, tests);
        match (read_state(r, st, &item.span(), &sp, regimens), test) {
            (Some((mut state, a)), Some(test)) => {
                if test.is_some() && (a || state.regimen.is_some()) {
                    let key = if a { "absorbing" } else { "regimen" };
                    r.error_help(
                        st[key].span(),
                        &join(&sp, key),
                        format!("expected a test state without `{key}`, found `{key}`"),
                        Some("a test state only waits for its result, which moves the patient on: give the treatment in the states its rules lead to".into()),
                    );
                    ok = false;
                }
                state.test = test;
                states.push(Some(state));
                absorbing.push(a);
            }
            _ => {
                states.push(None);
                absorbing.push(false);
                ok = false;
            }
        }
    }
    if items.is_empty() {
        r.error(sv.span(), &state_path, "expected at least one state, found none");
        ok = false;
    }
    let start = r
        .require(t, &e.span, p, "start", "the state entered at progression")
        .and_then(|v| r.resolve(v, &join(p, "start"), "state", &names));
    let mut exits: Exits = vec![Vec::new(); names.len()];
    if let Some(tv) = t.get("transitions") {
        let tp = join(p, "transitions");
        if let Some(list) = r.array(tv, &tp) {
            for (i, item) in list.iter().enumerate() {
                let ip = format!("{tp}[{i}]");
                match read_transition(r, item, &ip, (name, &names, &absorbing), who) {
                    Some((from, exit)) => {
                        let dup = exits[from].iter().any(|(x, _)| x.to == exit.to);
                        if dup {
                            r.error(
                                item.span(),
                                &ip,
                                "duplicate transition: this `from` and `to` are already joined (give one cause-specific time per pair)",
                            );
                            ok = false;
                        }
                        exits[from].push((exit, item.span()));
                    }
                    None => ok = false,
                }
            }
        }
    }
    if !ok {
        return None;
    }
    let start = start?;
    let results: Vec<Results> = states
        .iter()
        .map(|s| {
            let Some(t) = s.as_ref().and_then(|s| s.test.as_ref()) else {
                return Results::default();
            };
            let timed =
                tests.1[t.test].as_ref().is_some_and(|x| r.values[x.turnaround.0 as usize] > 0.0);
            Results { to: t.rules.iter().map(|&(_, k)| k).chain([t.default]).collect(), timed }
        })
        .collect();
    check_graph(r, (p, &spans), (&names, &absorbing, &exits, &results), start)?;
    let states = states
        .into_iter()
        .zip(exits)
        .map(|(s, x)| {
            s.map(|mut s| {
                s.exits = x.into_iter().map(|(x, _)| x).collect();
                s
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Pathway { name: name.to_string(), start, states })
}

/// A state's costs, utility and treatment, and whether it is declared absorbing.
fn read_state(
    r: &mut Reader,
    st: &toml::de::DeTable<'_>,
    span: &std::ops::Range<usize>,
    sp: &str,
    regimens: &[String],
) -> Option<(PathwayState, bool)> {
    r.check_keys(
        st,
        sp,
        &[
            "name",
            "cost",
            "utility",
            "on_entry",
            "after_entry",
            "regimen",
            "absorbing",
            "progressed",
            "response",
            "test",
            "rules",
            "default",
        ],
    );
    let cost = r.quantity_or(st, sp, "cost", Dimension::PerTime, Check::NonNegative, 0.0);
    let utility = r
        .require(st, span, sp, "utility", "a utility weight (1 = full health)")
        .and_then(|u| r.quantity(u, &join(sp, "utility"), Dimension::Number, Check::AtMostOne));
    let on_entry = r.quantity_or(st, sp, "on_entry", Dimension::Number, Check::NonNegative, 0.0);
    let after_entry = match st.get("after_entry") {
        None => Some(None),
        Some(v) => {
            let ap = join(sp, "after_entry");
            r.table(v, &ap).and_then(|at| {
                r.check_keys(at, &ap, &["cost", "for"]);
                let c = r
                    .require(at, &v.span(), &ap, "cost", "a cost per time, e.g. \"5000 per month\"")
                    .and_then(|c| {
                        r.quantity(c, &join(&ap, "cost"), Dimension::PerTime, Check::NonNegative)
                    });
                let d =
                    r.require(at, &v.span(), &ap, "for", "a duration, e.g. \"3 months\"").and_then(
                        |d| r.quantity(d, &join(&ap, "for"), Dimension::Duration, Check::Positive),
                    );
                Some(Some((c?, d?)))
            })
        }
    };
    let regimen = match st.get("regimen") {
        Some(v) => r.resolve(v, &join(sp, "regimen"), "regimen", regimens).map(Some),
        None => Some(None),
    };
    let absorbing = r.flag(st, sp, "absorbing");
    let progressed = r.flag(st, sp, "progressed");
    let mut response = r.flag(st, sp, "response");
    if progressed == Some(true)
        && response == Some(true)
        && let Some(v) = st.get("response")
    {
        // Entering it would be an earlier course's progression and its own course's response.
        let what = "expected a state marked `progressed` or `response`, found both: entering a progressed state ends the response window of the courses before it";
        r.error(v.span(), &join(sp, "response"), what.to_string());
        response = None;
    }
    let name = st.get("name").and_then(|v| v.get_ref().as_str()).unwrap_or("").to_string();
    Some((
        PathwayState {
            name,
            cost: cost?,
            utility: utility?,
            on_entry: on_entry?,
            after_entry: after_entry?,
            regimen: regimen?,
            test: None,
            progressed: progressed?,
            response: response?,
            exits: Vec::new(),
        },
        absorbing?,
    ))
}

/// A state's `test`, `rules = [{ positive = BIOMARKER, to = STATE }, …]` and `default = STATE`
/// (all or none): `Some(None)` without a test, `None` after an error (reported).
fn read_state_test(
    r: &mut Reader,
    (st, sp, own): (&toml::de::DeTable<'_>, &str, usize),
    names: &[String],
    biomarkers: &[String],
    (test_names, tests): (&[String], &[Option<Test>]),
) -> Option<Option<StateTest>> {
    let Some(tv) = st.get("test") else {
        for key in ["rules", "default"] {
            if let Some(v) = st.get(key) {
                r.error(
                    v.span(),
                    &join(sp, key),
                    format!("expected `{key}` only in a state with a `test`, found it without one"),
                );
                return None;
            }
        }
        return Some(None);
    };
    let test = r.resolve(tv, &join(sp, "test"), "test", test_names)?;
    let Some(t) = &tests[test] else { return None };
    if t.selection.is_some() {
        r.error(
            tv.span(),
            &join(sp, "test"),
            format!("expected a biomarker test, found `{}`, a selection test", test_names[test]),
        );
        return None;
    }
    let detected: Vec<usize> = t.readings.iter().map(|x| x.biomarker).collect();
    // A result leads on to another state (the test state itself would test again at once).
    let elsewhere = |r: &mut Reader, v: &Value<'_>, path: &str| {
        let k = r.resolve(v, path, "state", names)?;
        if k == own {
            let what = format!("expected another state than the test state, found `{}`", names[k]);
            r.error(v.span(), path, what);
            return None;
        }
        Some(k)
    };
    let default = match st.get("default") {
        Some(v) => elsewhere(r, v, &join(sp, "default")),
        None => {
            let what =
                "expected `default`, the state a negative or failed test leads to, found none";
            r.error(tv.span(), &join(sp, "default"), what);
            None
        }
    };
    let rp = join(sp, "rules");
    let mut rules = Vec::new();
    let mut ok = true;
    if let Some(rv) = st.get("rules") {
        for (i, item) in r.array(rv, &rp)?.iter().enumerate() {
            let ip = format!("{rp}[{i}]");
            let Some(rt) = r.table(item, &ip) else {
                ok = false;
                continue;
            };
            r.check_keys(rt, &ip, &["positive", "to"]);
            let positive = r
                .require(rt, &item.span(), &ip, "positive", "the biomarker read positive")
                .and_then(|v| r.resolve(v, &join(&ip, "positive"), "biomarker", biomarkers))
                .zip(rt.get("positive"));
            let positive = match positive {
                Some((b, _)) if detected.contains(&b) => Some(b),
                Some((b, v)) => {
                    r.error(
                        v.span(),
                        &join(&ip, "positive"),
                        format!(
                            "expected a biomarker test `{}` reads, found `{}`",
                            test_names[test], biomarkers[b]
                        ),
                    );
                    None
                }
                None => None,
            };
            let to = r
                .require(rt, &item.span(), &ip, "to", "the state a positive reading leads to")
                .and_then(|v| elsewhere(r, v, &join(&ip, "to")));
            match (positive, to) {
                (Some(b), Some(k)) => rules.push((b, k)),
                _ => ok = false,
            }
        }
    }
    let default = default?;
    ok.then_some(Some(StateTest { test, rules, default }))
}

/// `{ from, to, time, clock, prognosis }`: the state it leaves and the exit.
fn read_transition(
    r: &mut Reader,
    item: &Value<'_>,
    ip: &str,
    (pathway, names, absorbing): (&str, &[String], &[bool]),
    who: &super::covariates::Characteristics<'_>,
) -> Option<(usize, Exit)> {
    let t = r.table(item, ip)?;
    r.check_keys(t, ip, &["from", "to", "time", "clock", "prognosis", "time_ratio"]);
    let span = item.span();
    let from = r.require(t, &span, ip, "from", "the state the transition leaves").and_then(|v| {
        if v.get_ref().as_str() == Some(DEATH) {
            r.error(
                v.span(),
                &join(ip, "from"),
                "expected a state a patient can leave, found `death` (absorbing)",
            );
            return None;
        }
        let i = r.resolve(v, &join(ip, "from"), "state", names)?;
        if absorbing[i] {
            r.error_help(
                v.span(),
                &join(ip, "from"),
                format!(
                    "expected a state a patient can leave, found `{}`, declared absorbing",
                    names[i]
                ),
                Some("drop `absorbing = true` from the state, or this transition".into()),
            );
            return None;
        }
        Some(i)
    });
    let to = r.require(t, &span, ip, "to", "the state entered, or `death`").and_then(|v| {
        if v.get_ref().as_str() == Some(DEATH) {
            return Some(Target::Death);
        }
        let mut with_death: Vec<String> = names.to_vec();
        with_death.push(DEATH.to_string());
        r.resolve(v, &join(ip, "to"), "state", &with_death).map(Target::State)
    });
    let time = r
        .require(t, &span, ip, "time", "a time-to-event distribution")
        .and_then(|d| read_tte(r, d, &join(ip, "time")));
    let clock = match t.get("clock") {
        None => Some(Clock::Reset),
        Some(v) => match r.string(v, &join(ip, "clock")) {
            Some("reset") => Some(Clock::Reset),
            Some("forward") => Some(Clock::Forward),
            Some(other) => {
                r.error_help(
                    v.span(),
                    &join(ip, "clock"),
                    format!("expected \"reset\" or \"forward\", found \"{other}\""),
                    Some(
                        "reset: time since entering the state; forward: time since diagnosis"
                            .into(),
                    ),
                );
                None
            }
            None => None,
        },
    };
    let prognosis = match t.get("prognosis") {
        None => Some(Vec::new()),
        Some(v) => super::covariates::ratios(r, v, &join(ip, "prognosis"), who, true),
    };
    let time_ratio = match t.get("time_ratio") {
        None => Some(Vec::new()),
        Some(v) => super::covariates::ratios(r, v, &join(ip, "time_ratio"), who, true),
    };
    let (from, to) = (from?, to?);
    if to == Target::State(from) {
        r.error(
            t["to"].span(),
            &join(ip, "to"),
            format!("expected another state than the one left, found `{}`", names[from]),
        );
        return None;
    }
    let to_name = match to {
        Target::State(k) => names[k].as_str(),
        Target::Death => DEATH,
    };
    let process = Process::named2(
        ProcessKind::PathwayTransition,
        pathway,
        &format!("{}->{to_name}", names[from]),
    );
    let (time, clock, prognosis, time_ratio) = (time?, clock?, prognosis?, time_ratio?);
    Some((from, Exit { to, time, clock, prognosis, time_ratio, process }))
}

/// A test state's results: the states its readings lead to (rules, then default), and
/// whether its result takes time (a turnaround above 0 at the point values), so that its
/// transitions can fire first.
#[derive(Clone, Debug, Default)]
struct Results {
    to: Vec<usize>,
    timed: bool,
}

/// Every state is reachable from `start`; a state without exits (transitions, or a test's
/// results) is declared absorbing; from every state the patient ends (in death or an
/// absorbing state) for sure, so no cycle holds a patient for ever: a state ends if one of its
/// transitions leads to an end (it fires first with some probability). A test state's
/// readings may be certain for some patients (a marker absent and read with specificity 1), so
/// it ends if every one of its results leads to an end, or, when its result takes time, one of
/// its transitions does (a result that comes at once leaves its transitions no chance).
fn check_graph(
    r: &mut Reader,
    (p, spans): (&str, &[std::ops::Range<usize>]),
    (names, absorbing, exits, results): (&[String], &[bool], &Exits, &[Results]),
    start: usize,
) -> Option<()> {
    let n = names.len();
    let mut ok = true;
    let moves = |i: usize| {
        exits[i].iter().filter_map(|(x, _)| match x.to {
            Target::State(k) => Some(k),
            Target::Death => None,
        })
    };
    let next = |i: usize| moves(i).chain(results[i].to.iter().copied());
    let mut reached = vec![false; n];
    let mut stack = vec![start];
    reached[start] = true;
    while let Some(i) = stack.pop() {
        for k in next(i) {
            if !reached[k] {
                reached[k] = true;
                stack.push(k);
            }
        }
    }
    for i in 0..n {
        let sp = format!("{p}.states[{i}]");
        if !reached[i] {
            r.error_help(
                spans[i].clone(),
                &sp,
                format!(
                    "state `{}` cannot be reached from the start state `{}`",
                    names[i], names[start]
                ),
                Some("add a transition into it, or remove it".into()),
            );
            ok = false;
        }
        if exits[i].is_empty() && results[i].to.is_empty() && !absorbing[i] {
            r.error_help(
                spans[i].clone(),
                &sp,
                format!("state `{}` has no transition out and is not declared absorbing", names[i]),
                Some("add a transition from it (to `death`, for example), or `absorbing = true` if patients stay in it to the horizon".into()),
            );
            ok = false;
        }
    }
    // States from which the patient ends (death, or an absorbing state) for sure: a fixed
    // point over the transitions and the test results.
    let test = |i: usize| !results[i].to.is_empty();
    let transitions_count = |i: usize| !test(i) || results[i].timed;
    let mut ends: Vec<bool> = (0..n)
        .map(|i| {
            absorbing[i]
                || (transitions_count(i) && exits[i].iter().any(|(x, _)| x.to == Target::Death))
        })
        .collect();
    loop {
        let mut changed = false;
        for i in 0..n {
            let by_transition = transitions_count(i) && moves(i).any(|k| ends[k]);
            let by_results = test(i) && results[i].to.iter().all(|&k| ends[k]);
            if !ends[i] && (by_transition || by_results) {
                ends[i] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    for i in 0..n {
        if reached[i] && (!exits[i].is_empty() || test(i)) && !ends[i] {
            let (what, help) = if test(i) {
                (
                    format!(
                        "from test state `{}` some reading leads on to states from which no transition path leads to `death` or an absorbing state: patients would cycle for ever",
                        names[i]
                    ),
                    "every result of a test state (each rule's state and its default) must lead on to `death` or an absorbing state, or, if its result takes time, one of its transitions",
                )
            } else {
                (
                    format!(
                        "from state `{}` no transition path leads to `death` or an absorbing state: patients would cycle for ever",
                        names[i]
                    ),
                    "add a transition to `death` on the cycle",
                )
            };
            r.error_help(spans[i].clone(), &format!("{p}.states[{i}]"), what, Some(help.into()));
            ok = false;
        }
    }
    ok.then_some(())
}
