//! The controls a scenario offers the explorer page: its thresholds, the payer's perspective
//! and turnover, the drugs' list prices, every term of every contract, and every parameter
//! with a distribution or a one-way range.
//!
//! Each control is a path into the scenario's TOML (what a `--set` addresses) with the text
//! the scenario gives it, read from the merged document so that the page starts from the
//! scenario's own literals (a duration of "6 months" shows as 6 months, not 0.49 years).

use super::Scenario;
use super::diagnostic::Source;
use crate::model::Model;
use crate::units::Dimension;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// How a control's text is read and turned into TOML (see [`super::settings`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    /// A decimal number.
    Number,
    /// `<number> <unit>`, unit days, weeks, months or years.
    Duration,
    /// One of the control's choices.
    Choice,
    /// Numbers separated by commas.
    Numbers,
    Bool,
    /// A text (a TOML string).
    Text,
    /// A TOML value written as such (an array or a table of terms).
    Toml,
}

impl Type {
    pub fn name(self) -> &'static str {
        match self {
            Type::Number => "number",
            Type::Duration => "duration",
            Type::Choice => "choice",
            Type::Numbers => "numbers",
            Type::Bool => "bool",
            Type::Text => "text",
            Type::Toml => "toml",
        }
    }
}

/// Where a control's value goes in the scenario.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// A `--set` of the control's key to its value.
    Key,
    /// A parameter's base-case value: `parameters.NAME.value` when the scenario writes the
    /// parameter as a table (its distribution is kept for a PSA), else `parameters.NAME`.
    Parameter { table: bool },
    /// The payer's perspective and turnover, set together as one inline `[payer]` table.
    Payer,
}

/// One control of the page.
#[derive(Clone, Debug)]
pub struct Control {
    /// The TOML path it sets (`contracts.money_back_6m.window`); the page's id for it.
    pub key: String,
    pub label: String,
    pub kind: Type,
    /// Its initial text, in the form the page sends back.
    pub value: String,
    /// Slider hints (number and duration; a duration's in its unit).
    pub range: Option<(f64, f64)>,
    pub choices: Vec<String>,
    pub help: Option<String>,
    /// Enabled only while another control has a value.
    pub enabled_when: Option<(String, String)>,
    pub target: Target,
    /// Keys of the same table that a set of this control must carry over as the scenario
    /// writes them (the `[payer]` table's other keys: its inline table replaces the whole),
    /// each with whether it applies to a commercial payer only.
    pub carried: Vec<(String, String, bool)>,
}

impl Control {
    fn new(key: impl Into<String>, label: impl Into<String>, kind: Type, value: String) -> Self {
        Control {
            key: key.into(),
            label: label.into(),
            kind,
            value,
            range: None,
            choices: Vec::new(),
            help: None,
            enabled_when: None,
            target: Target::Key,
            carried: Vec::new(),
        }
    }
}

/// A titled group of controls.
#[derive(Clone, Debug)]
pub struct Section {
    pub title: String,
    pub controls: Vec<Control>,
}

/// Units a duration control offers.
pub const UNITS: [&str; 4] = ["days", "weeks", "months", "years"];

/// Contract keys that name what a contract is rather than a term of it.
const IDENTITY: [&str; 4] = ["name", "drug", "regimens", "kind"];

/// The page's controls for a scenario.
pub fn sections(scenario: &Scenario) -> Vec<Section> {
    let mut diagnostics = Vec::new();
    let Some(doc) = super::layers::merged(&scenario.source, &mut diagnostics) else {
        return Vec::new();
    };
    let source = &scenario.source;
    let model = &scenario.model;
    let mut out = Vec::new();
    out.push(Section { title: "Decision rule".into(), controls: vec![thresholds(model)] });
    out.push(Section { title: "Payer".into(), controls: payer(&doc, source) });
    let prices = prices(&doc, source, model);
    let priced: Vec<String> = prices.iter().map(|c| c.key.clone()).collect();
    if !prices.is_empty() {
        out.push(Section { title: "List prices".into(), controls: prices });
    }
    for entry in named_entries(&doc, "contracts") {
        let name = text_of(entry.get("name")).unwrap_or_default();
        let kind = text_of(entry.get("kind")).unwrap_or_default();
        let mut controls = Vec::new();
        terms(&format!("contracts.{name}"), "", entry, source, &kind, &mut controls);
        if !controls.is_empty() {
            out.push(Section { title: format!("Contract {name} ({kind})"), controls });
        }
    }
    let parameters = parameters(&doc, source, model, &priced);
    if !parameters.is_empty() {
        out.push(Section { title: "Parameters".into(), controls: parameters });
    }
    out
}

/// Every control of the sections, in order.
pub fn all(sections: &[Section]) -> impl Iterator<Item = &Control> {
    sections.iter().flat_map(|s| &s.controls)
}

fn thresholds(model: &Model) -> Control {
    let value = model.meta.thresholds.iter().map(|x| number_text(*x)).collect::<Vec<_>>();
    let mut c = Control::new("scenario.thresholds", "thresholds", Type::Numbers, value.join(", "));
    c.help =
        Some(format!("willingness to pay per QALY ({}), comma-separated", model.meta.currency));
    c
}

fn payer(doc: &DeTable<'_>, source: &Source) -> Vec<Control> {
    let table = doc.get("payer").and_then(|v| match v.get_ref() {
        DeValue::Table(t) => Some(t),
        _ => None,
    });
    let get = |key: &str| table.and_then(|t| t.get(key));
    let perspective = text_of(get("perspective")).unwrap_or_else(|| "national".into());
    let mut p = Control::new("payer.perspective", "perspective", Type::Choice, perspective);
    p.choices = vec!["national".into(), "commercial".into()];
    p.target = Target::Payer;
    p.help = Some("a commercial payer's members leave at the turnover rate".into());
    p.carried = ["portable", "population"]
        .iter()
        .filter_map(|k| get(k).map(|v| (k.to_string(), raw(source, v), *k == "portable")))
        .collect();
    let turnover = get("turnover").map_or_else(|| "0.2".into(), |v| raw(source, v));
    let mut t = Control::new("payer.turnover", "turnover", Type::Number, turnover);
    t.range = Some((0.0, 0.99));
    t.enabled_when = Some(("payer.perspective".into(), "commercial".into()));
    t.target = Target::Payer;
    t.help = Some("annual probability of leaving the plan".into());
    vec![p, t]
}

/// The drugs' list prices: a parameter a price names (once), or a price written in a
/// regimen.
fn prices(doc: &DeTable<'_>, source: &Source, model: &Model) -> Vec<Control> {
    let mut out: Vec<Control> = Vec::new();
    for regimen in named_entries(doc, "regimens") {
        let Some(r) = text_of(regimen.get("name")) else { continue };
        let Some(DeValue::Array(drugs)) = regimen.get("drugs").map(|v| v.get_ref()) else {
            continue;
        };
        for drug in drugs.iter() {
            let DeValue::Table(d) = drug.get_ref() else { continue };
            let (Some(name), Some(price)) = (text_of(d.get("name")), d.get("price")) else {
                continue;
            };
            let cycle = text_of(d.get("cycle")).map(|c| format!(" per {c}")).unwrap_or_default();
            match price.get_ref() {
                DeValue::String(p) => {
                    let key = format!("parameters.{p}");
                    if out.iter().any(|c| c.key == key) {
                        continue;
                    }
                    let Some(mut c) = parameter_control(doc, source, model, p) else { continue };
                    c.label = format!("{name} list price{cycle}");
                    c.help = Some(format!(
                        "parameter {p}{}",
                        c.help.map(|h| format!("; {h}")).unwrap_or_default()
                    ));
                    out.push(c);
                }
                DeValue::Integer(_) | DeValue::Float(_) => {
                    let key = format!("regimens.{r}.drugs.{name}.price");
                    let mut c = Control::new(
                        key,
                        format!("{name} in {r}{cycle}"),
                        Type::Number,
                        raw(source, price),
                    );
                    c.help = Some("list price per cycle".into());
                    out.push(c);
                }
                _ => {}
            }
        }
    }
    out
}

/// A contract's terms: every key but those naming it, recursing into tables (`admin`).
fn terms(
    prefix: &str,
    label_prefix: &str,
    table: &DeTable<'_>,
    source: &Source,
    kind: &str,
    out: &mut Vec<Control>,
) {
    for (k, v) in table.iter() {
        let key: &str = k.get_ref();
        if label_prefix.is_empty() && IDENTITY.contains(&key) {
            continue;
        }
        let path = format!("{prefix}.{key}");
        let label = format!("{label_prefix}{key}");
        match v.get_ref() {
            DeValue::Table(t) if t.iter().all(|(_, x)| is_number(x)) => {
                terms(&path, &format!("{label}."), t, source, kind, out);
            }
            DeValue::Integer(_) | DeValue::Float(_) => {
                let mut c = Control::new(path, label, Type::Number, raw(source, v));
                if is_probability(key) {
                    c.range = Some((0.0, 1.0));
                }
                out.push(c);
            }
            DeValue::String(s) if choices_of(key).is_some() => {
                let mut c = Control::new(path, label, Type::Choice, s.to_string());
                c.choices =
                    choices_of(key).unwrap_or_default().iter().map(|x| x.to_string()).collect();
                out.push(c);
            }
            DeValue::String(s) => match duration_parts(s) {
                Some((n, unit)) => {
                    let mut c = Control::new(path, label, Type::Duration, s.to_string());
                    c.range = Some((0.0, (n * 4.0).max(1.0)));
                    c.help = Some(format!("{n} {unit} in the scenario"));
                    out.push(c);
                }
                None => out.push(Control::new(path, label, Type::Text, s.to_string())),
            },
            DeValue::Boolean(b) => out.push(Control::new(path, label, Type::Bool, b.to_string())),
            DeValue::Array(_) | DeValue::Table(_) => {
                let mut c = Control::new(path, label, Type::Toml, raw(source, v));
                c.help = Some(format!("a TOML value (see the {kind} contract's terms)"));
                out.push(c);
            }
            DeValue::Datetime(_) => {}
        }
    }
}

/// Parameters with a distribution or a one-way range (the list prices' parameters are
/// offered with the prices instead).
fn parameters(
    doc: &DeTable<'_>,
    source: &Source,
    model: &Model,
    priced: &[String],
) -> Vec<Control> {
    model
        .parameters
        .iter()
        .filter(|p| p.is_uncertain() || p.range.is_some())
        // A share of a Dirichlet moves with its siblings: one alone cannot be set.
        .filter(|p| !matches!(p.dist, crate::params::ParamDist::DirichletShare { .. }))
        .filter(|p| !priced.contains(&format!("parameters.{}", p.name)))
        .filter_map(|p| parameter_control(doc, source, model, &p.name))
        .collect()
}

/// A parameter's control: its point value in the unit the scenario writes it in, its 95 %
/// interval (or one-way range) as the slider's range.
fn parameter_control(
    doc: &DeTable<'_>,
    source: &Source,
    model: &Model,
    name: &str,
) -> Option<Control> {
    let p = model.parameters.iter().find(|p| p.name == name)?;
    let point = model.value(p.slot);
    let factor = p.written.as_ref().map_or(1.0, |w| w.factor);
    let unit = p.written.as_ref().map(|w| w.name);
    // The scenario's own literal of the point value, when it writes one.
    let entry = doc.get("parameters").and_then(|v| match v.get_ref() {
        DeValue::Table(t) => t.get(name),
        _ => None,
    });
    let literal = entry.and_then(|e| match e.get_ref() {
        DeValue::Table(t) => ["value", "mean", "median"].iter().find_map(|k| t.get(*k)),
        DeValue::Integer(_) | DeValue::Float(_) | DeValue::String(_) => Some(e),
        _ => None,
    });
    let literal = literal.map(|v| match v.get_ref() {
        DeValue::String(s) => s.to_string(),
        _ => raw(source, v),
    });
    // The slider's unit: the one the page shows (the literal's own), else the written one.
    let shown_unit = literal.as_deref().and_then(duration_parts).map(|(_, u)| u);
    let factor = match shown_unit.and_then(|u| crate::units::time_unit(u).ok()) {
        Some(years) if p.dimension == Dimension::Duration => 1.0 / years,
        _ => factor,
    };
    let unit = if p.dimension == Dimension::Duration { shown_unit.or(unit) } else { unit };
    let shown = |x: f64| significant(x * factor);
    let (kind, value) = match (p.dimension, unit) {
        (Dimension::Number, _) => (Type::Number, literal.unwrap_or_else(|| number_text(point))),
        (Dimension::Duration, Some(u)) if UNITS.contains(&u) => {
            (Type::Duration, literal.unwrap_or_else(|| format!("{} {u}", shown(point))))
        }
        (Dimension::Duration, _) => {
            (Type::Duration, literal.unwrap_or_else(|| format!("{} years", number_text(point))))
        }
        (Dimension::PerTime, u) => (
            Type::Text,
            literal.unwrap_or_else(|| format!("{} {}", shown(point), u.unwrap_or("per year"))),
        ),
    };
    let mut c = Control::new(format!("parameters.{name}"), name, kind, value);
    c.target =
        Target::Parameter { table: matches!(entry.map(|e| e.get_ref()), Some(DeValue::Table(_))) };
    let bounds = p.range.or_else(|| {
        p.is_uncertain().then(|| (p.dist.quantile(0.025, point), p.dist.quantile(0.975, point)))
    });
    if let Some((lo, hi)) = bounds {
        let (lo, hi) = (lo * factor, hi * factor);
        c.range = Some((lo, hi));
        let how = if p.range.is_some() {
            "one-way range".to_string()
        } else {
            format!("{}; 95 %", p.dist.name())
        };
        let unit = unit.map(|u| format!(" {u}")).unwrap_or_default();
        c.help = Some(format!(
            "{how} {}{unit} to {}{unit}; moving it fixes the value",
            significant(lo),
            significant(hi)
        ));
    }
    Some(c)
}

/// The entries of an array of named tables (`[[contracts]]`).
fn named_entries<'a, 's>(doc: &'a DeTable<'s>, key: &str) -> Vec<&'a DeTable<'s>> {
    match doc.get(key).map(|v| v.get_ref()) {
        Some(DeValue::Array(a)) => a
            .iter()
            .filter_map(|e| match e.get_ref() {
                DeValue::Table(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn text_of(v: Option<&Spanned<DeValue<'_>>>) -> Option<String> {
    match v.map(|v| v.get_ref()) {
        Some(DeValue::String(s)) => Some(s.to_string()),
        _ => None,
    }
}

fn is_number(v: &Spanned<DeValue<'_>>) -> bool {
    matches!(v.get_ref(), DeValue::Integer(_) | DeValue::Float(_))
}

/// A value as one line of TOML, as the scenario gives it: a number as its value's shortest
/// text (`1_000` and `0x1A` read as 1000 and 26), a text as itself quoted, an array or table
/// inline without the comments or line breaks it may be written with.
fn raw(source: &Source, v: &Spanned<DeValue<'_>>) -> String {
    let text = source.text.get(v.span()).unwrap_or_default();
    match format!("x = {text}").parse::<toml::Table>().ok().and_then(|mut t| t.remove("x")) {
        Some(toml::Value::Integer(i)) => i.to_string(),
        Some(toml::Value::Float(x)) => number_text(x),
        Some(value) => inline(&value),
        None => text.replace('\n', " "),
    }
}

/// A TOML value on one line (tables inline).
fn inline(v: &toml::Value) -> String {
    match v {
        toml::Value::Table(t) => {
            let key = |k: &str| {
                let bare = !k.is_empty()
                    && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if bare { k.to_string() } else { toml::Value::String(k.to_string()).to_string() }
            };
            let items: Vec<String> =
                t.iter().map(|(k, v)| format!("{} = {}", key(k), inline(v))).collect();
            if items.is_empty() { "{}".into() } else { format!("{{ {} }}", items.join(", ")) }
        }
        toml::Value::Array(a) => {
            format!("[{}]", a.iter().map(inline).collect::<Vec<_>>().join(", "))
        }
        toml::Value::Float(x) => format!("{x:?}"),
        other => other.to_string(),
    }
}

/// The texts a contract term takes, for the terms that take one of a few.
fn choices_of(key: &str) -> Option<&'static [&'static str]> {
    match key {
        "failure" => Some(&super::contracts::FAILURES),
        "condition" => Some(&super::contracts::CONDITIONS),
        _ => None,
    }
}

/// Terms whose name says they are a probability or a share.
fn is_probability(key: &str) -> bool {
    ["discount", "refund", "documentation_error", "share", "probability", "rebate"]
        .iter()
        .any(|w| key.contains(w))
}

/// `"6 months"` → (6, months), for the units a duration control offers.
pub fn duration_parts(text: &str) -> Option<(f64, &'static str)> {
    let mut words = text.split_whitespace();
    let n: f64 = words.next()?.parse().ok()?;
    let unit = words.next()?;
    if words.next().is_some() || !n.is_finite() {
        return None;
    }
    let unit = UNITS.iter().find(|u| **u == unit || u.strip_suffix('s') == Some(unit))?;
    Some((n, unit))
}

/// A number as the shortest text that reads back as the same double.
pub fn number_text(x: f64) -> String {
    format!("{x}")
}

/// Six significant digits, for hints.
fn significant(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let digits = 6 - 1 - x.abs().log10().floor() as i32;
    let s = format!("{:.*}", digits.max(0) as usize, x);
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_scenario_offers_its_terms_prices_and_uncertain_parameters() {
        let s = crate::scenario::default_scenario().unwrap();
        let sections = sections(&s);
        let find = |key: &str| {
            all(&sections).find(|c| c.key == key).cloned().unwrap_or_else(|| panic!("no {key}"))
        };
        let t = find("scenario.thresholds");
        assert_eq!((t.kind, t.value.as_str()), (Type::Numbers, "100000, 150000"));
        let d = find("contracts.discount_20.discount");
        assert_eq!((d.kind, d.value.as_str(), d.range), (Type::Number, "0.2", Some((0.0, 1.0))));
        let w = find("contracts.money_back_6m.window");
        assert_eq!((w.kind, w.value.as_str()), (Type::Duration, "6 months"));
        assert_eq!(find("contracts.money_back_6m.admin.per_assessment").value, "50");
        let failure = find("contracts.money_back_6m.failure");
        assert_eq!((failure.kind, failure.value.as_str()), (Type::Choice, "progression_or_death"));
        assert_eq!(failure.choices, ["progression", "death", "progression_or_death"]);
        assert_eq!(find("contracts.cap_26_cycles.max_cycles").value, "26");
        let price = find("parameters.osi_price");
        assert_eq!(
            (price.target.clone(), price.value.as_str()),
            (Target::Parameter { table: true }, "14763")
        );
        assert!(price.label.starts_with("osimertinib list price"));
        assert_eq!(find("regimens.platinum_pemetrexed.drugs.pemetrexed.price").value, "500");
        let median = find("parameters.osi_responder_median");
        assert_eq!((median.kind, median.value.as_str()), (Type::Duration, "24.5 months"));
        // Its slider spans the lognormal's 95 % interval, in months.
        let (lo, hi) = median.range.unwrap();
        assert!((lo - 20.66).abs() < 0.01 && (hi - 29.05).abs() < 0.01, "{lo} {hi}");
        assert_eq!(find("parameters.egfr_prevalence").value, "0.15");
        // Names are not terms; a price parameter is offered once, with the prices.
        assert!(all(&sections).all(|c| !c.key.ends_with(".kind") && !c.key.ends_with(".drug")));
        assert_eq!(all(&sections).filter(|c| c.key == "parameters.osi_price").count(), 1);
        let p = find("payer.perspective");
        assert_eq!((p.value.as_str(), p.choices.len()), ("national", 2));
    }

    #[test]
    fn durations_read_in_the_units_a_control_offers() {
        assert_eq!(duration_parts("6 months"), Some((6.0, "months")));
        assert_eq!(duration_parts("1 month"), Some((1.0, "months")));
        assert_eq!(duration_parts("2.5 weeks"), Some((2.5, "weeks")));
        assert_eq!(duration_parts("0.01 per week"), None);
        assert_eq!(duration_parts("progression_or_death"), None);
        assert_eq!(duration_parts("6 fortnights"), None);
    }

    #[test]
    fn terms_are_offered_on_one_line_as_their_values() {
        let text = std::fs::read_to_string("tests/fixtures/cohort/price_volume.toml").unwrap();
        let written = "tiers = [{ above = 0, pay = 0.9 }, { above = 1200, pay = 0.5 }]";
        assert!(text.contains(written));
        // Over several lines with a comment, and a number in hexadecimal.
        let text = text.replace(
            written,
            "tiers = [\n  { above = 0, pay = 0.9 }, # everybody\n  { above = 0x4B0, pay = 0.5 },\n]",
        );
        // `parse` resolves `extends` from the current folder, the package's root in a test.
        let text = text.replace(
            "extends = \"cohort.toml\"",
            "extends = \"tests/fixtures/cohort/cohort.toml\"",
        );
        let s = crate::scenario::parse("pv.toml", &text).unwrap();
        let sections = sections(&s);
        let tiers = all(&sections).find(|c| c.key.ends_with(".tiers")).unwrap();
        assert_eq!(tiers.kind, Type::Toml);
        assert_eq!(tiers.value, "[{ above = 0, pay = 0.9 }, { above = 1200, pay = 0.5 }]");
    }
}
