//! `[[designs]]`: the terms of a contract a payer and a manufacturer could agree on, as grids
//! of candidates for `vbpsim design` ([`crate::model::design`]).
//!
//! A design names a template contract and gives values to some of its terms (and to the
//! list price): one value, a list, or a range `{ from, to, step }`. Terms it leaves alone keep
//! the template's values.

use super::reader::{Check, Named, Reader, Value, describe, join, named_entries};
use crate::contracts::Kind;
use crate::model::design::{Axis, Design};
use crate::model::limits::{MAX_DESIGN_CANDIDATES, MAX_DESIGN_POINTS};
use crate::model::{Contract, Meta, Slot};
use crate::units::Dimension;
use toml::de::{DeTable, DeValue};

/// A term a design can vary: its key, dimension and the check every value passes; `whole`
/// terms take whole numbers of at least 1.
#[derive(Clone, Copy)]
struct TermSpec {
    key: &'static str,
    dim: Dimension,
    check: Check,
    whole: bool,
}

const fn term(key: &'static str, dim: Dimension, check: Check) -> TermSpec {
    TermSpec { key, dim, check, whole: false }
}

const DURATION: Dimension = Dimension::Duration;
const NUMBER: Dimension = Dimension::Number;

/// The list price per cycle, a term of every kind.
const PRICE: TermSpec = term("price", NUMBER, Check::Positive);

/// The terms of each per-patient kind a design can vary (besides `price`).
fn terms_of(kind: &Kind<Slot>) -> Option<&'static [TermSpec]> {
    const DISCOUNT: &[TermSpec] = &[
        term("discount", NUMBER, Check::Probability),
        term("from", DURATION, Check::NonNegative),
        term("until", DURATION, Check::Positive),
    ];
    const MONEY_BACK: &[TermSpec] = &[
        term("window", DURATION, Check::Positive),
        term("refund", NUMBER, Check::Probability),
        term("cap", NUMBER, Check::NonNegative),
    ];
    const PAYMENT_AT_RESULT: &[TermSpec] = &[term("assess_at", DURATION, Check::Positive)];
    const RESPONSE_REBATE: &[TermSpec] =
        &[term("assess_at", DURATION, Check::Positive), term("refund", NUMBER, Check::Probability)];
    const DURATION_CAP: &[TermSpec] = &[
        term("max_paid", DURATION, Check::Positive),
        TermSpec { key: "max_cycles", dim: NUMBER, check: Check::Positive, whole: true },
    ];
    const INSTALMENTS: &[TermSpec] = &[
        term("interval", DURATION, Check::Positive),
        TermSpec { key: "instalments", dim: NUMBER, check: Check::Positive, whole: true },
    ];
    Some(match kind {
        Kind::List => &[],
        Kind::Discount(_) => DISCOUNT,
        Kind::MoneyBack(_) => MONEY_BACK,
        Kind::PaymentAtResult(_) => PAYMENT_AT_RESULT,
        Kind::ResponseRebate(_) => RESPONSE_REBATE,
        Kind::DurationCap(_) => DURATION_CAP,
        Kind::Instalments(_) => INSTALMENTS,
        Kind::Cohort(_) => return None,
    })
}

/// The keys of a design entry besides its terms.
const KEYS: &[&str] = &["name", "contract", "manufacturer_admin", "robust"];

/// Read every `[[designs]]` entry against the compiled contracts (`None` where a contract
/// failed to compile: its designs are not checked further).
pub fn read_designs(
    r: &mut Reader,
    doc: &DeTable<'_>,
    (contracts, contract_names): (&[Option<Contract>], &[String]),
    meta: Option<&Meta>,
) -> Option<Vec<Design>> {
    let (entries, names) = named_entries(r, doc, "designs", "design");
    let designs: Vec<Option<Design>> = entries
        .iter()
        .zip(names)
        .map(|(e, name)| read_design(r, e, name, (contracts, contract_names), meta))
        .collect();
    designs.into_iter().collect()
}

fn read_design(
    r: &mut Reader,
    e: &Named<'_, '_>,
    name: String,
    (contracts, contract_names): (&[Option<Contract>], &[String]),
    meta: Option<&Meta>,
) -> Option<Design> {
    let (t, p) = (e.table, &e.path);
    let what = "the name of the contract whose terms the design varies";
    let cv = r.require(t, &e.span, p, "contract", what)?;
    let c = r.resolve(cv, &join(p, "contract"), "contract", contract_names)?;
    let template = contracts[c].as_ref()?;
    let Some(specs) = terms_of(&template.kind) else {
        r.error(
            cv.span(),
            &join(p, "contract"),
            format!(
                "expected a contract of a per-patient kind, found `{}` of kind {} (settled on the payer's population: not searched by a design yet)",
                template.name,
                template.kind.name()
            ),
        );
        return None;
    };
    let kind = template.kind.name();
    let mut axes = Vec::new();
    let mut ok = true;
    for (key, v) in t.iter() {
        let key: &str = key.get_ref();
        if KEYS.contains(&key) {
            continue;
        }
        let Some(spec) = specs.iter().chain([&PRICE]).find(|s| s.key == key) else {
            let own: Vec<&str> = specs.iter().map(|s| s.key).chain(["price"]).collect();
            r.error_help(
                v.span(),
                &join(p, key),
                format!("`{key}` is not a term of a {kind} contract"),
                Some(format!(
                    "a design of `{}` varies {}; its other keys are {}",
                    template.name,
                    own.join(", "),
                    KEYS.join(", ")
                )),
            );
            ok = false;
            continue;
        };
        match read_values(r, v, &join(p, key), *spec) {
            Some(values) => axes.push(Axis { term: spec.key, values }),
            None => ok = false,
        }
    }
    let manufacturer_admin = match t.get("manufacturer_admin") {
        Some(v) => {
            r.literal_quantity(v, &join(p, "manufacturer_admin"), NUMBER, Check::NonNegative)
        }
        None => Some(0.0),
    };
    let robust = match t.get("robust") {
        Some(v) => r.literal_quantity(v, &join(p, "robust"), NUMBER, Check::OpenUnit),
        None => Some(DEFAULT_ROBUST),
    };
    // The checks a contract's reader makes on its terms, on every combination of the design's
    // values with the template's: a non-empty discount window, at most 120 instalments.
    if let Kind::Discount(t) = &template.kind {
        let values = |term: &str, own: Option<Slot>| -> Vec<f64> {
            match axes.iter().find(|a| a.term == term) {
                Some(a) => a.values.clone(),
                None => own.map(|s| vec![r.values[s.0 as usize]]).unwrap_or_default(),
            }
        };
        let (from, until) = (values("from", t.from), values("until", t.until));
        let latest = from.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if let Some(&u) = until.iter().find(|&&u| u <= latest) {
            r.error(
                e.span.clone(),
                p,
                format!(
                    "expected every `until` after every `from` (the discount window would be empty), found until {} years with from {latest} years",
                    u
                ),
            );
            ok = false;
        }
    }
    if let Some(a) = axes.iter().find(|a| a.term == "instalments")
        && let Some(&n) = a.values.iter().find(|&&n| n > 120.0)
    {
        r.error(
            t["instalments"].span(),
            &join(p, "instalments"),
            format!("expected at most 120 instalments, found {n}"),
        );
        ok = false;
    }
    if axes.iter().any(|a| a.term == "max_paid") && axes.iter().any(|a| a.term == "max_cycles") {
        r.error(
            e.span.clone(),
            p,
            "expected one of `max_paid` and `max_cycles` (a duration cap has one), found both",
        );
        ok = false;
    }
    if let Some(m) = meta {
        for axis in axes.iter().filter(|a| matches!(a.term, "window" | "assess_at")) {
            if let Some(&x) = axis.values.iter().find(|&&x| x >= m.horizon) {
                r.error(
                    t[axis.term].span(),
                    &join(p, axis.term),
                    format!(
                        "expected dates before the horizon ({} years), found {x} years after treatment start",
                        m.horizon
                    ),
                );
                ok = false;
            }
        }
    }
    let (manufacturer_admin, robust) = (manufacturer_admin?, robust?);
    if !ok {
        return None;
    }
    // A cap in money makes the cost non-linear in the refund and the price: every term is
    // then settled candidate by candidate.
    let capped = matches!(&template.kind, Kind::MoneyBack(m) if m.cap.is_some())
        || axes.iter().any(|a| a.term == "cap");
    let linear = |term: &str| match term {
        "price" => !capped,
        "discount" => true,
        "refund" => !capped,
        _ => false,
    };
    let take = |axes: &mut Vec<Axis>, term: &str| {
        let k = axes.iter().position(|a| a.term == term && linear(term))?;
        Some(axes.remove(k).values)
    };
    let shares = take(&mut axes, "discount").or_else(|| take(&mut axes, "refund"));
    let prices = take(&mut axes, "price");
    let design =
        Design { name, contract: c, axes, shares, prices, capped, manufacturer_admin, robust };
    let (points, candidates) = (design.points(), design.candidates());
    if points > MAX_DESIGN_POINTS || candidates > MAX_DESIGN_CANDIDATES {
        r.error_help(
            e.span.clone(),
            p,
            format!(
                "expected at most {MAX_DESIGN_POINTS} candidates settled one by one and {MAX_DESIGN_CANDIDATES} in all, found {points} and {candidates}"
            ),
            Some(
                "each candidate of the terms other than the share (discount or uncapped refund) and the price is settled on every patient: use coarser steps"
                    .into(),
            ),
        );
        return None;
    }
    Some(design)
}

/// The probability of being cost-effective that makes a candidate robust, unless a design
/// says otherwise.
pub const DEFAULT_ROBUST: f64 = 0.8;

/// A term's values: one value, an array of them, or `{ from, to, step }` (from, from + step,
/// …, up to `to` within a billionth of a step).
fn read_values(r: &mut Reader, v: &Value<'_>, p: &str, spec: TermSpec) -> Option<Vec<f64>> {
    let one = |r: &mut Reader, v: &Value<'_>, p: &str| {
        let x = r.literal_quantity(v, p, spec.dim, spec.check)?;
        if spec.whole && (x.fract() != 0.0 || x < 1.0) {
            r.error(
                v.span(),
                p,
                format!("expected a whole number of 1 or more, found {}", describe(v.get_ref())),
            );
            return None;
        }
        Some(x)
    };
    let values = match v.get_ref() {
        DeValue::Array(items) => {
            if items.is_empty() {
                r.error(v.span(), p, "expected at least one value, found an empty array");
                return None;
            }
            let read: Vec<Option<f64>> =
                items.iter().enumerate().map(|(i, x)| one(r, x, &format!("{p}[{i}]"))).collect();
            read.into_iter().collect::<Option<Vec<f64>>>()?
        }
        DeValue::Table(g) => {
            r.check_keys(g, p, &["from", "to", "step"]);
            let get = |r: &mut Reader, key: &str| {
                let what = format!("the range's `{key}`");
                let x = r.require(g, &v.span(), p, key, &what)?;
                Some((x.span(), one(r, x, &join(p, key))?))
            };
            let from = get(r, "from");
            let to = get(r, "to");
            let step = match g.get("step") {
                Some(x) => r.literal_quantity(x, &join(p, "step"), spec.dim, Check::Positive),
                None => {
                    r.error(v.span(), p, "expected the range's `step`, found none");
                    None
                }
            };
            let ((_, from), (to_span, to), step) = (from?, to?, step?);
            if to < from {
                r.error(
                    to_span,
                    &join(p, "to"),
                    format!(
                        "expected `to` at least `from` ({from}), found {to}: the range is empty"
                    ),
                );
                return None;
            }
            let count = ((to - from) / step + 1e-9).floor() + 1.0;
            if count > MAX_DESIGN_CANDIDATES as f64 {
                r.error(
                    v.span(),
                    p,
                    format!(
                        "expected at most {MAX_DESIGN_CANDIDATES} values, found a range of {count}"
                    ),
                );
                return None;
            }
            // from + k·step to 13 significant digits (0.1 + 0.05 is 0.15, not
            // 0.15000000000000002), never beyond `to`.
            let snap = |x: f64| format!("{x:.12e}").parse::<f64>().unwrap_or(x).min(to);
            let values: Vec<f64> =
                (0..count as u64).map(|k| snap(from + k as f64 * step)).collect();
            if spec.whole && values.iter().any(|x| x.fract() != 0.0) {
                r.error(v.span(), p, format!("expected whole numbers, found a step of {step}"));
                return None;
            }
            values
        }
        _ => vec![one(r, v, p)?],
    };
    let mut sorted = values.clone();
    sorted.sort_by(f64::total_cmp);
    if sorted.windows(2).any(|w| w[0] == w[1]) {
        r.error(v.span(), p, "expected distinct values, found one twice");
        return None;
    }
    Some(values)
}
