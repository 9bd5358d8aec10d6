//! `[[contracts]]`: each contract's drug, kind and terms, administration costs and
//! documentation error.
//!
//! One entry of [`KINDS`] per contract kind reads that kind's terms into its
//! [`crate::contracts::Kind`] arm; everything else about a contract is read here once.

use super::reader::Named;
use super::reader::{Check, Reader, Value, join};
use crate::contracts::cohort::{CohortRule, CohortTerms};
use crate::contracts::instalments::Condition;
use crate::contracts::{
    Failure, Kind, discount, duration_cap, instalments, money_back, payment_at_result,
    response_rebate,
};
use crate::model::limits::MAX_COHORT_YEARS;
use crate::model::{Contract, Slot};
use crate::rng::{Process, ProcessKind};
use crate::units::Dimension;
use std::ops::Range;
use toml::de::DeTable;

/// A `[[contracts]]` entry as a kind's reader sees it: its table, span and path, and the
/// payer's population (a cohort-level contract settles populations of it).
struct Terms<'a, 'i> {
    table: &'a DeTable<'i>,
    span: &'a Range<usize>,
    path: &'a str,
    population: u64,
}

/// How one contract kind is written: its name, its own keys (besides `name`, `drug`, `kind`,
/// `admin` and `documentation_error`) and the reader of its terms.
struct KindEntry {
    name: &'static str,
    keys: &'static [&'static str],
    read: fn(&mut Reader, &Terms<'_, '_>) -> Option<Kind<Slot>>,
}

/// Every contract kind, in the order messages list them.
const KINDS: &[KindEntry] = &[
    KindEntry { name: "list", keys: &[], read: read_list },
    KindEntry { name: "discount", keys: &["discount", "from", "until"], read: read_discount },
    KindEntry {
        name: "money_back",
        keys: &["failure", "window", "refund", "cap"],
        read: read_money_back,
    },
    KindEntry { name: "payment_at_result", keys: &["assess_at"], read: read_payment_at_result },
    KindEntry {
        name: "response_rebate",
        keys: &["assess_at", "refund"],
        read: read_response_rebate,
    },
    KindEntry { name: "duration_cap", keys: &["max_paid", "max_cycles"], read: read_duration_cap },
    KindEntry {
        name: "instalments",
        keys: &["instalments", "interval", "condition"],
        read: read_instalments,
    },
    KindEntry { name: "expenditure_cap", keys: &["cap", "years"], read: read_expenditure_cap },
    KindEntry { name: "price_volume", keys: &["tiers", "years"], read: read_price_volume },
    KindEntry {
        name: "population_outcome",
        keys: &["failure", "window", "target", "rebate", "years"],
        read: read_population_outcome,
    },
];

impl Terms<'_, '_> {
    /// A required number of dimension `dim`.
    fn required(
        &self,
        r: &mut Reader,
        key: &str,
        dim: Dimension,
        check: Check,
        what: &str,
    ) -> Option<Slot> {
        let (t, p) = (self.table, self.path);
        r.require(t, self.span, p, key, what).and_then(|v| r.quantity(v, &join(p, key), dim, check))
    }

    /// An optional number of dimension `dim` (`Some(None)` when absent).
    fn optional(
        &self,
        r: &mut Reader,
        key: &str,
        dim: Dimension,
        check: Check,
    ) -> Option<Option<Slot>> {
        match self.table.get(key) {
            Some(v) => r.quantity(v, &join(self.path, key), dim, check).map(Some),
            None => Some(None),
        }
    }

    /// The term of a cohort-level contract: whole calendar years.
    fn years(&self, r: &mut Reader) -> Option<u64> {
        let p = self.path;
        let what = "the contract's term in calendar years, like 3";
        let v = r.require(self.table, self.span, p, "years", what)?;
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
    }

    /// What counts as failure, and the window from treatment start it must not fall in
    /// (money-back guarantee, population outcome).
    fn failure_window(&self, r: &mut Reader) -> (Option<Failure>, Option<Slot>) {
        let failure = read_failure(r, self.table, self.path);
        let what = "a duration like \"6 months\"";
        (failure, self.required(r, "window", Dimension::Duration, Check::Positive, what))
    }

    /// A cohort-level contract's terms with this entry's term and population.
    fn cohort(&self, rule: CohortRule<Slot>, years: u64) -> Kind<Slot> {
        Kind::Cohort(CohortTerms { rule, years, population: self.population, settled: Vec::new() })
    }
}

fn read_list(_: &mut Reader, _: &Terms<'_, '_>) -> Option<Kind<Slot>> {
    Some(Kind::List)
}

fn read_discount(r: &mut Reader, e: &Terms<'_, '_>) -> Option<Kind<Slot>> {
    let fraction = e.required(
        r,
        "discount",
        Dimension::Number,
        Check::Probability,
        "the fraction off, like 0.2",
    );
    let from = e.optional(r, "from", Dimension::Duration, Check::NonNegative);
    let until = e.optional(r, "until", Dimension::Duration, Check::Positive);
    let (from, until) = (from?, until?);
    if let (Some(f), Some(u)) = (from, until)
        && r.values[f.0 as usize] >= r.values[u.0 as usize]
    {
        r.error(
            e.table["until"].span(),
            &join(e.path, "until"),
            "expected `until` after `from`: the discount window would be empty",
        );
        return None;
    }
    Some(Kind::Discount(discount::Terms { fraction: fraction?, from, until }))
}

fn read_money_back(r: &mut Reader, e: &Terms<'_, '_>) -> Option<Kind<Slot>> {
    let (failure, window) = e.failure_window(r);
    let refund = e.required(
        r,
        "refund",
        Dimension::Number,
        Check::Probability,
        "the fraction refunded, like 1.0",
    );
    let cap = e.optional(r, "cap", Dimension::Number, Check::NonNegative);
    Some(Kind::MoneyBack(money_back::Terms {
        failure: failure?,
        window: window?,
        refund: refund?,
        cap: cap?,
    }))
}

fn read_payment_at_result(r: &mut Reader, e: &Terms<'_, '_>) -> Option<Kind<Slot>> {
    let assess_at = e.required(
        r,
        "assess_at",
        Dimension::Duration,
        Check::Positive,
        "a duration like \"1 month\"",
    );
    Some(Kind::PaymentAtResult(payment_at_result::Terms { assess_at: assess_at?, at: (1.0, 1.0) }))
}

fn read_response_rebate(r: &mut Reader, e: &Terms<'_, '_>) -> Option<Kind<Slot>> {
    let assess_at = e.required(
        r,
        "assess_at",
        Dimension::Duration,
        Check::Positive,
        "a duration like \"12 weeks\"",
    );
    let refund = e.required(
        r,
        "refund",
        Dimension::Number,
        Check::Probability,
        "the fraction refunded, like 0.5",
    );
    Some(Kind::ResponseRebate(response_rebate::Terms {
        assess_at: assess_at?,
        refund: refund?,
        at: (1.0, 1.0),
    }))
}

fn read_duration_cap(r: &mut Reader, e: &Terms<'_, '_>) -> Option<Kind<Slot>> {
    let max_paid = e.optional(r, "max_paid", Dimension::Duration, Check::Positive);
    let max_cycles = match e.table.get("max_cycles") {
        Some(v) => r.integer(v, &join(e.path, "max_cycles"), 1).map(Some),
        None => Some(None),
    };
    match (&max_paid, &max_cycles) {
        (Some(None), Some(None)) | (Some(Some(_)), Some(Some(_))) => {
            r.error(
                e.span.clone(),
                e.path,
                "expected exactly one of `max_paid` (a duration) or `max_cycles` (a number)",
            );
            None
        }
        _ => Some(Kind::DurationCap(duration_cap::Terms {
            max_paid: max_paid?,
            max_cycles: max_cycles?,
        })),
    }
}

fn read_instalments(r: &mut Reader, e: &Terms<'_, '_>) -> Option<Kind<Slot>> {
    let (t, p) = (e.table, e.path);
    let count = r
        .require(t, e.span, p, "instalments", "the number of instalments")
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
    let interval = e.required(
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
    Some(Kind::Instalments(instalments::Terms {
        count: count?,
        interval: interval?,
        condition: condition?,
        steps: (1.0, 1.0),
    }))
}

fn read_expenditure_cap(r: &mut Reader, e: &Terms<'_, '_>) -> Option<Kind<Slot>> {
    let cap = e.required(
        r,
        "cap",
        Dimension::Number,
        Check::NonNegative,
        "the payer's yearly spend on the drug above which it is refunded",
    );
    let years = e.years(r);
    Some(e.cohort(CohortRule::ExpenditureCap { cap: cap? }, years?))
}

fn read_price_volume(r: &mut Reader, e: &Terms<'_, '_>) -> Option<Kind<Slot>> {
    let tiers = read_tiers(r, e.table, e.span, e.path);
    let years = e.years(r);
    Some(e.cohort(CohortRule::PriceVolume { tiers: tiers? }, years?))
}

fn read_population_outcome(r: &mut Reader, e: &Terms<'_, '_>) -> Option<Kind<Slot>> {
    let (failure, window) = e.failure_window(r);
    let target = e.required(
        r,
        "target",
        Dimension::Number,
        Check::Probability,
        "the success rate the cohort must reach, like 0.6",
    );
    let rebate = e.required(
        r,
        "rebate",
        Dimension::Number,
        Check::Probability,
        "the fraction of the year's spend rebated, like 0.2",
    );
    let years = e.years(r);
    let rule = CohortRule::PopulationOutcome {
        failure: failure?,
        window: window?,
        target: target?,
        rebate: rebate?,
    };
    Some(e.cohort(rule, years?))
}

/// The texts `failure` takes (what the explorer offers).
pub(super) const FAILURES: [&str; 3] = ["progression", "death", "progression_or_death"];
/// The texts an instalments contract's `condition` takes.
pub(super) const CONDITIONS: [&str; 2] = ["alive", "alive_progression_free"];

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
fn read_tiers(
    r: &mut Reader,
    t: &DeTable<'_>,
    span: &Range<usize>,
    p: &str,
) -> Option<Vec<(Slot, Slot)>> {
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
            (Some(above), Some(pay)) => tiers.push((above, pay)),
            _ => ok = false,
        }
    }
    ok.then_some(tiers)
}

/// A `[[contracts]]` entry; `population` is the payer's yearly population (the population of
/// its cohort-level contracts; validated where one is needed).
pub(super) fn read_contract(
    r: &mut Reader,
    e: &Named<'_, '_>,
    name: &str,
    (drugs, regimen_names): (&[String], &[String]),
    population: u64,
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
    let names: Vec<&str> = KINDS.iter().map(|k| k.name).collect();
    let kv = r.require(t, &e.span, p, "kind", &format!("one of {}", names.join(", ")))?;
    let kind_name = r.string(kv, &join(p, "kind"))?.to_string();
    let common = ["name", "drug", "regimens", "kind", "admin", "documentation_error"];
    let entry = KINDS.iter().find(|k| k.name == kind_name);
    match entry {
        // With an unknown kind the kind-specific keys cannot be judged; the common ones still
        // are.
        Some(k) => {
            let allowed: Vec<&str> = common.iter().chain(k.keys).copied().collect();
            r.check_keys(t, p, &allowed);
        }
        None => {
            let help = super::diagnostic::did_you_mean(&kind_name, names.iter().copied())
                .map(|s| format!("did you mean `{s}`?"));
            r.error_help(
                kv.span(),
                &join(p, "kind"),
                format!("expected one of {}, found \"{kind_name}\"", names.join(", ")),
                help,
            );
        }
    }
    // Read every field before combining, so that one bad value does not hide the others.
    let terms = Terms { table: t, span: &e.span, path: p, population };
    let kind = entry.and_then(|k| (k.read)(r, &terms));
    let (per_patient, per_assessment, per_year) = read_admin(r, t, p);
    let documentation_error =
        r.quantity_or(t, p, "documentation_error", Dimension::Number, Check::Probability, 0.0);
    let regimens = match t.get("regimens") {
        Some(v) => read_covered(r, v, &join(p, "regimens"), regimen_names),
        None => Some(Vec::new()),
    };
    Some(Contract {
        name: name.to_string(),
        drug: drug?,
        on_list_arm: kind_name == "list" && !t.contains_key("admin"),
        regimens_named: t.contains_key("regimens"),
        regimens: regimens?,
        kind: kind?,
        admin_per_patient: per_patient?,
        admin_per_assessment: per_assessment?,
        admin_per_year: per_year?,
        documentation_error: documentation_error?,
        process: Process::named(ProcessKind::Documentation, name),
    })
}

/// `regimens = ["NAME", …]`: the regimens whose use of the drug a contract covers (at least
/// one, each once; whether they give the drug is checked with the regimens).
fn read_covered(
    r: &mut Reader,
    v: &Value<'_>,
    path: &str,
    regimen_names: &[String],
) -> Option<Vec<usize>> {
    let items = r.array(v, path)?;
    if items.is_empty() {
        let what = "expected at least one regimen name, found an empty array";
        r.error_help(
            v.span(),
            path,
            what,
            Some("drop `regimens` to cover every regimen that gives the drug".into()),
        );
        return None;
    }
    let mut out = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let at = format!("{path}[{i}]");
        match r.resolve(item, &at, "regimen", regimen_names) {
            Some(g) if out.contains(&g) => {
                let found =
                    format!("expected each regimen once, found `{}` twice", regimen_names[g]);
                r.error(item.span(), &at, found);
                ok = false;
            }
            Some(g) => out.push(g),
            None => ok = false,
        }
    }
    out.sort_unstable();
    ok.then_some(out)
}

/// `admin = { per_patient, per_assessment, per_year }`, each 0 when not given.
fn read_admin(
    r: &mut Reader,
    t: &DeTable<'_>,
    p: &str,
) -> (Option<Slot>, Option<Slot>, Option<Slot>) {
    let Some(v) = t.get("admin") else {
        return (Some(r.constant(0.0)), Some(r.constant(0.0)), Some(r.constant(0.0)));
    };
    let ap = join(p, "admin");
    let Some(at) = r.table(v, &ap) else { return (None, None, None) };
    r.check_keys(at, &ap, &["per_patient", "per_assessment", "per_year"]);
    let per_year = r.quantity_or(at, &ap, "per_year", Dimension::Number, Check::NonNegative, 0.0);
    let per_patient =
        r.quantity_or(at, &ap, "per_patient", Dimension::Number, Check::NonNegative, 0.0);
    let per_assessment =
        r.quantity_or(at, &ap, "per_assessment", Dimension::Number, Check::NonNegative, 0.0);
    (per_patient, per_assessment, per_year)
}
