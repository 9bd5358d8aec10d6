//! Contracts settled on a patient's record: what the payer pays for one drug under each
//! agreement, when, and what comes back.
//!
//! One file per kind holds its terms (`Terms<V>`) and its rule (`settle`); [`Kind`] lists the
//! kinds once. The terms are generic in how a number is held: as a slot of the model's value
//! table in the compiled model (`Kind<Slot>`, what the scenario reader builds), and as the
//! number itself once prepared for one set of values (`Kind<f64>`, what the engine settles),
//! by [`Kind::map`]. A new kind is a new file, its arm in [`Kind`], and the entry of the
//! scenario reader that reads its terms.
//!
//! Every kind reads the same [`Exposure`] (the patient's list-price payment stream for the drug
//! and the observed outcomes) and returns a [`Settlement`] per unit of list price, so that the
//! payer's cost is linear in the price wherever the terms are (the threshold price is then
//! exact), and refunds can be capped in money afterwards. Contracts never see random numbers:
//! the one draw they use (whether a failure is documented) is made by the engine.

pub mod cohort;
pub mod discount;
pub mod duration_cap;
pub mod instalments;
pub mod money_back;
pub mod payment_at_result;
pub mod response_rebate;

use crate::accounting::discount::Steps;
use crate::accounting::discount::{CYCLE_TOLERANCE, Cycle, CycleSums, Discount, cycles_before};
use crate::accounting::record::PatientRecord;
use crate::accounting::schedule::DrugSchedule;
use crate::rng::Process;

/// A contract's payment rule and its terms, numbers held as `V` (see the module's head).
#[derive(Clone, Debug, PartialEq)]
pub enum Kind<V> {
    /// Every cycle at list price.
    List,
    Discount(discount::Terms<V>),
    MoneyBack(money_back::Terms<V>),
    PaymentAtResult(payment_at_result::Terms<V>),
    ResponseRebate(response_rebate::Terms<V>),
    DurationCap(duration_cap::Terms<V>),
    Instalments(instalments::Terms<V>),
    /// Settled per calendar year on the payer's population (expenditure cap, price-volume,
    /// population outcome).
    Cohort(cohort::CohortTerms<V>),
}

impl<V> Kind<V> {
    /// The kind's name in a scenario.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::List => "list",
            Kind::Discount(_) => "discount",
            Kind::MoneyBack(_) => "money_back",
            Kind::PaymentAtResult(_) => "payment_at_result",
            Kind::ResponseRebate(_) => "response_rebate",
            Kind::DurationCap(_) => "duration_cap",
            Kind::Instalments(_) => "instalments",
            Kind::Cohort(t) => t.rule.name(),
        }
    }

    /// Whether the payer's cost is linear in the list price (no absolute cap): the threshold
    /// price is then exact from one simulation.
    pub fn is_linear(&self) -> bool {
        match self {
            Kind::MoneyBack(t) => t.cap.is_none(),
            Kind::Cohort(t) => !matches!(t.rule, cohort::CohortRule::ExpenditureCap { .. }),
            _ => true,
        }
    }

    /// Contract term in calendar years of a cohort-level contract (`None`: per patient).
    pub fn cohort_years(&self) -> Option<u64> {
        self.cohort().map(|t| t.years)
    }

    /// The terms of a cohort-level contract (`None`: a per-patient one).
    pub fn cohort(&self) -> Option<&cohort::CohortTerms<V>> {
        match self {
            Kind::Cohort(t) => Some(t),
            _ => None,
        }
    }

    /// The terms that are dates after treatment start, by their key in a scenario: they must
    /// fall inside the horizon, or the terms silently never apply.
    pub fn dates(&self) -> Vec<(&'static str, &V)> {
        match self {
            Kind::MoneyBack(t) => vec![("window", &t.window)],
            Kind::PaymentAtResult(t) => vec![("assess_at", &t.assess_at)],
            Kind::ResponseRebate(t) => vec![("assess_at", &t.assess_at)],
            Kind::Cohort(t) => t.rule.dates(),
            Kind::List | Kind::Discount(_) | Kind::DurationCap(_) | Kind::Instalments(_) => {
                Vec::new()
            }
        }
    }

    /// The same terms with every number mapped by `f` (a slot to its value).
    pub fn map<W>(&self, f: &impl Fn(&V) -> W) -> Kind<W> {
        match self {
            Kind::List => Kind::List,
            Kind::Discount(t) => Kind::Discount(t.map(f)),
            Kind::MoneyBack(t) => Kind::MoneyBack(t.map(f)),
            Kind::PaymentAtResult(t) => Kind::PaymentAtResult(t.map(f)),
            Kind::ResponseRebate(t) => Kind::ResponseRebate(t.map(f)),
            Kind::DurationCap(t) => Kind::DurationCap(t.map(f)),
            Kind::Instalments(t) => Kind::Instalments(t.map(f)),
            Kind::Cohort(t) => Kind::Cohort(t.map(f)),
        }
    }
}

impl Kind<f64> {
    /// The most refunded per patient, in money (a money-back guarantee's `cap`; no cap
    /// otherwise).
    #[inline]
    pub fn refund_cap(&self) -> f64 {
        match self {
            Kind::MoneyBack(t) => t.cap.unwrap_or(f64::INFINITY),
            _ => f64::INFINITY,
        }
    }

    /// Set the discount factors of the terms' fixed delays ([`Steps`]) from the payer's and
    /// the manufacturer's rates: when a model is prepared, and again when its rates change.
    pub fn rediscount(&mut self, payer: &Discount, manufacturer: &Discount) {
        let steps = |t: f64| (payer.factor(t), manufacturer.factor(t));
        match self {
            Kind::PaymentAtResult(t) => t.at = steps(t.assess_at),
            Kind::ResponseRebate(t) => t.at = steps(t.assess_at),
            Kind::Instalments(t) => t.steps = steps(t.interval),
            Kind::List | Kind::Discount(_) | Kind::MoneyBack(_) | Kind::DurationCap(_) => {}
            Kind::Cohort(terms) => terms.discount(payer, manufacturer),
        }
    }
}

/// A per-patient kind's share that its payer cost is linear in: the payer's cost per unit of
/// price is a − s·b for fixed patients, so a design search settles the kind once at s = 1 and
/// values every share from the same two numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinearShare {
    /// A discount's `discount`: b is the discounted cycles' present value.
    Discount,
    /// A money-back guarantee's or a response rebate's `refund` (uncapped): b is the refund
    /// per unit of share, discounted to its date.
    Refund,
}

impl LinearShare {
    /// The share's key in a scenario.
    pub fn term(self) -> &'static str {
        match self {
            LinearShare::Discount => "discount",
            LinearShare::Refund => "refund",
        }
    }
}

impl Kind<f64> {
    /// The term a design search varies linearly, if the kind has one: `discount` of a
    /// discount, `refund` of a money-back guarantee without a cap or of a response rebate.
    /// With the share's value in these terms.
    pub fn linear_share(&self) -> Option<(LinearShare, f64)> {
        match self {
            Kind::Discount(t) => Some((LinearShare::Discount, t.fraction)),
            Kind::MoneyBack(t) if t.cap.is_none() => Some((LinearShare::Refund, t.refund)),
            Kind::ResponseRebate(t) => Some((LinearShare::Refund, t.refund)),
            _ => None,
        }
    }

    /// The terms a design can vary that these terms give, by key (durations in years):
    /// what a design's candidate reports of its contract.
    pub fn terms(&self) -> Vec<(&'static str, f64)> {
        let mut out = Vec::new();
        let mut put = |key: &'static str, value: Option<f64>| {
            if let Some(v) = value {
                out.push((key, v));
            }
        };
        match self {
            Kind::Discount(t) => {
                put("discount", Some(t.fraction));
                put("from", t.from);
                put("until", t.until);
            }
            Kind::MoneyBack(t) => {
                put("window", Some(t.window));
                put("refund", Some(t.refund));
                put("cap", t.cap);
            }
            Kind::PaymentAtResult(t) => put("assess_at", Some(t.assess_at)),
            Kind::ResponseRebate(t) => {
                put("assess_at", Some(t.assess_at));
                put("refund", Some(t.refund));
            }
            Kind::DurationCap(t) => {
                put("max_paid", t.max_paid);
                put("max_cycles", t.max_cycles.map(|n| n as f64));
            }
            Kind::Instalments(t) => {
                put("interval", Some(t.interval));
                put("instalments", Some(t.count as f64));
            }
            Kind::List | Kind::Cohort(_) => {}
        }
        out
    }

    /// Set the term named `term` (its key in a scenario; durations in years, `max_cycles` and
    /// `instalments` whole numbers) to `value`. Setting `max_paid` or `max_cycles` of a
    /// duration cap drops the other (a cap has exactly one). Returns false if the kind has no
    /// such term.
    pub fn set_term(&mut self, term: &str, value: f64) -> bool {
        let whole = value.round().max(1.0) as u64;
        match (self, term) {
            (Kind::Discount(t), "discount") => t.fraction = value,
            (Kind::Discount(t), "from") => t.from = Some(value),
            (Kind::Discount(t), "until") => t.until = Some(value),
            (Kind::MoneyBack(t), "window") => t.window = value,
            (Kind::MoneyBack(t), "refund") => t.refund = value,
            (Kind::MoneyBack(t), "cap") => t.cap = Some(value),
            (Kind::PaymentAtResult(t), "assess_at") => t.assess_at = value,
            (Kind::ResponseRebate(t), "assess_at") => t.assess_at = value,
            (Kind::ResponseRebate(t), "refund") => t.refund = value,
            (Kind::DurationCap(t), "max_paid") => {
                t.max_paid = Some(value);
                t.max_cycles = None;
            }
            (Kind::DurationCap(t), "max_cycles") => {
                t.max_cycles = Some(whole);
                t.max_paid = None;
            }
            (Kind::Instalments(t), "interval") => t.interval = value,
            (Kind::Instalments(t), "instalments") => t.count = whole,
            _ => return false,
        }
        true
    }
}

/// What counts as failure for a money-back guarantee or a population outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    Progression,
    Death,
    ProgressionOrDeath,
}

impl Failure {
    /// When the patient fails, as the contract sees it: detected progression, death, or the
    /// first of the two.
    #[inline]
    pub fn at(self, rec: &PatientRecord) -> f64 {
        match self {
            Failure::Progression => rec.detected_progression,
            Failure::Death => rec.death,
            Failure::ProgressionOrDeath => rec.detected_progression.min(rec.death),
        }
    }
}

/// A contract with concrete terms, ready to be settled (durations in years from treatment
/// start).
#[derive(Clone, Debug)]
pub struct PreparedContract {
    pub drug: usize,
    /// The regimens whose use of the drug the contract covers (sorted): only a line on one of
    /// them is settled.
    pub regimens: Vec<usize>,
    /// The first contract (index) on the same drug covering the same regimens: contracts with
    /// the same one share a patient's exposure.
    pub exposure: usize,
    /// Whether some regimen it covers is given in a pathway state: each stay in such a state
    /// is a course of the drug, settled on its own.
    pub in_pathways: bool,
    pub kind: Kind<f64>,
    pub admin_per_patient: f64,
    pub admin_per_assessment: f64,
    /// Fixed yearly administration shared by the year's entrants: per_year / population, paid
    /// at t = 0 for every patient of the strategy.
    pub admin_per_entrant: f64,
    /// The fixed administration per calendar year (the budget impact counts it per year).
    pub admin_per_year: f64,
    pub documentation_error: f64,
    pub process: Process,
}

/// A treated patient's exposure to one drug: its list payment stream and observed outcomes.
#[derive(Clone)]
pub struct Exposure<'a> {
    pub rec: &'a PatientRecord,
    pub drug: &'a DrugSchedule,
    /// Cycles paid at list price: at t0 + k·cycle for k < n.
    pub n: u64,
    /// End of the payer's view: payments at or after it are not this payer's.
    pub horizon: f64,
    /// Refunds due before this reach the payer: the horizon if the contract is portable, else
    /// the end of coverage.
    pub refund_horizon: f64,
    pub payer: &'a Discount,
    pub manufacturer: &'a Discount,
    /// d(t0) at the payer's and the manufacturer's rate.
    pub payer_start: f64,
    pub manufacturer_start: f64,
    /// Whether a failure of this patient would be documented (1 − documentation error).
    pub documented: bool,
    /// The patient's population and entry time in a cohort-level contract (set by the engine
    /// for each such contract; unused by the other kinds).
    pub placement: cohort::Placement,
}

impl Exposure<'_> {
    /// Present value of cycles k in [from, to) per unit of price: (payer, manufacturer).
    pub fn stream(&self, from: u64, to: u64) -> (f64, f64) {
        if to <= from {
            return (0.0, 0.0);
        }
        let part = |sums: &CycleSums, start: f64| start * (sums.get(to) - sums.get(from));
        let payer = part(&self.drug.cycle_sums, self.payer_start);
        if self.payer == self.manufacturer {
            return (payer, payer);
        }
        (payer, part(&self.drug.manufacturer_cycle_sums, self.manufacturer_start))
    }

    /// Present value of every list-paid cycle per unit of price, [`Exposure::stream`]`(0, n)`
    /// without its branch and its second table look-up (Σ_{k<0} is exactly 0).
    #[inline]
    pub fn list(&self) -> (f64, f64) {
        let payer = self.payer_start * self.drug.cycle_sums.get(self.n);
        if self.payer == self.manufacturer {
            return (payer, payer);
        }
        (payer, self.manufacturer_start * self.drug.manufacturer_cycle_sums.get(self.n))
    }

    /// Discount factors of a refund due at time t, if it reaches the payer.
    pub fn refund_lump(&self, t: f64) -> Option<(f64, f64)> {
        (t < self.refund_horizon).then(|| {
            let payer = self.payer.factor(t);
            if self.payer == self.manufacturer {
                (payer, payer)
            } else {
                (payer, self.manufacturer.factor(t))
            }
        })
    }

    /// Discount factors (payer, manufacturer) of a payment a fixed delay after treatment
    /// start, from that delay's factors `at`: d(t0)·d(delay), no `exp`; nothing at or after
    /// the end of the payer's view.
    pub fn lump_after(&self, delay: f64, at: Steps) -> (f64, f64) {
        if self.rec.start + delay < self.horizon { self.after_start(at) } else { (0.0, 0.0) }
    }

    /// [`Exposure::refund_lump`] for a refund a fixed delay after treatment start.
    pub fn refund_lump_after(&self, delay: f64, at: Steps) -> Option<(f64, f64)> {
        (self.rec.start + delay < self.refund_horizon).then(|| self.after_start(at))
    }

    fn after_start(&self, at: Steps) -> (f64, f64) {
        (self.payer_start * at.0, self.manufacturer_start * at.1)
    }

    /// List-paid cycles that start strictly before absolute time t.
    pub fn paid_before(&self, t: f64) -> u64 {
        let d = self.drug;
        cycles_before(self.rec.start, t, d.schedule, d.max_cycles, d.max_duration).min(self.n)
    }

    /// List-paid cycles whose start is less than `span` after treatment start.
    pub fn paid_within(&self, span: f64) -> u64 {
        cycles_before(0.0, span, self.drug.schedule, u64::MAX, f64::INFINITY).min(self.n)
    }

    /// Success at absolute time t as the contract sees it: read as a responder whose response
    /// is visible by t, progression not detected by t, alive at t. An event within 1e-9
    /// (relative to the time since treatment start) of t counts as at t, so a scan on the
    /// assessment date is seen whatever the rounding of the two dates.
    pub fn success_at(&self, t: f64) -> bool {
        self.rec.observed_responder
            && !self.after(self.rec.response_seen, t)
            && self.after(self.rec.detected_progression, t)
            && self.after(self.rec.death, t)
    }

    /// `a` is strictly after `b` (both absolute), beyond floating-point ties.
    pub fn after(&self, a: f64, b: f64) -> bool {
        let t0 = self.rec.start;
        a - t0 > (b - t0) * (1.0 + CYCLE_TOLERANCE)
    }

    /// `a` is strictly before `b` (both absolute), beyond floating-point ties.
    pub fn before(&self, a: f64, b: f64) -> bool {
        let t0 = self.rec.start;
        a - t0 < (b - t0) * (1.0 - CYCLE_TOLERANCE)
    }
}

/// What a contract settles for one patient, per unit of list price.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Settlement {
    /// Present value of payments to the manufacturer (payer rate, manufacturer rate).
    pub paid: (f64, f64),
    /// Undiscounted refund, per unit of price (capped in money by the caller).
    pub refund: f64,
    /// Discount factors of the refund date (payer, manufacturer).
    pub refund_at: (f64, f64),
    /// The patient triggered the contract (refund due, payment withheld, cap or discount hit).
    pub triggered: bool,
    /// End of the contract's tracking of the patient (for per-assessment administration).
    pub tracked_until: f64,
}

/// Settle a contract on a treated patient's exposure. `fractions` are the arm's cohort refund
/// fractions per calendar year (cohort-level kinds only; empty otherwise).
#[inline(always)]
pub fn settle(kind: &Kind<f64>, x: &Exposure<'_>, fractions: &[f64]) -> Settlement {
    match kind {
        Kind::List => Settlement {
            paid: x.list(),
            tracked_until: x.rec.treatment_end,
            ..Settlement::default()
        },
        Kind::Discount(t) => discount::settle(t, x),
        Kind::MoneyBack(t) => money_back::settle(t, x),
        Kind::PaymentAtResult(t) => payment_at_result::settle(t, x),
        Kind::ResponseRebate(t) => response_rebate::settle(t, x),
        Kind::DurationCap(t) => duration_cap::settle(t, x),
        Kind::Instalments(t) => instalments::settle(t, x),
        Kind::Cohort(terms) => cohort::settle(terms, fractions, x, x.placement),
    }
}

/// A contract's settlement in money for one patient, payer and manufacturer views.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Cash {
    /// Payer: present value of payments and of refunds (positive), and administration.
    pub paid: f64,
    pub refunded: f64,
    pub admin: f64,
    /// Manufacturer: net revenue at its own rate.
    pub manufacturer_net: f64,
    /// ∂(payer net drug cost)/∂(list price): exact for contracts linear in the price.
    pub units: f64,
    pub triggered: bool,
}

impl Cash {
    /// The sum of two settlements of one patient (two courses of the drug): the patient
    /// triggered the contract if either did.
    pub fn plus(self, o: Cash) -> Cash {
        Cash {
            paid: self.paid + o.paid,
            refunded: self.refunded + o.refunded,
            admin: self.admin + o.admin,
            manufacturer_net: self.manufacturer_net + o.manufacturer_net,
            units: self.units + o.units,
            triggered: self.triggered || o.triggered,
        }
    }
}

/// Settle in money: apply the price and any cap, and add the contract's administration.
#[inline(always)]
pub fn cash(
    contract: &PreparedContract,
    x: &Exposure<'_>,
    assessment: Option<f64>,
    fractions: &[f64],
) -> Cash {
    let s = settle(&contract.kind, x, fractions);
    in_money(contract, x.drug.price, administration(contract, x, assessment, s.tracked_until), &s)
}

/// A contract's administration for one patient tracked until `tracked_until`.
#[inline]
pub fn administration(
    contract: &PreparedContract,
    x: &Exposure<'_>,
    assessment: Option<f64>,
    tracked_until: f64,
) -> f64 {
    let admin = contract.admin_per_patient * x.payer_start + contract.admin_per_entrant;
    admin + assessments(contract, x, assessment, tracked_until)
}

/// The per-assessment part of [`administration`]: a contract's administration at each scan
/// (every `assessment`) of a course tracked until `tracked_until`. A patient's later courses
/// (courses given in pathway states) are charged this only: the per-patient part is charged
/// once, with the first course.
#[inline]
pub fn assessments(
    contract: &PreparedContract,
    x: &Exposure<'_>,
    assessment: Option<f64>,
    tracked_until: f64,
) -> f64 {
    match assessment {
        Some(every) if contract.admin_per_assessment > 0.0 => {
            contract.admin_per_assessment * scan_value(x, every, tracked_until)
        }
        _ => 0.0,
    }
}

/// A settlement per unit of list price `price` in money, with its administration `admin`.
#[inline]
pub fn in_money(contract: &PreparedContract, price: f64, admin: f64, s: &Settlement) -> Cash {
    capped_in_money(contract.kind.refund_cap(), price, admin, s)
}

/// [`in_money`] with the most refunded per patient `cap` given (a design search settles terms
/// other than its template contract's).
#[inline]
pub fn capped_in_money(cap: f64, price: f64, admin: f64, s: &Settlement) -> Cash {
    let nominal = s.refund * price;
    let capped = nominal.min(cap);
    // The derivative in price: the refund's share stops growing once the cap binds.
    let refund_units = if nominal < cap { s.refund } else { 0.0 };
    Cash {
        paid: s.paid.0 * price,
        refunded: capped * s.refund_at.0,
        admin,
        manufacturer_net: s.paid.1 * price - capped * s.refund_at.1,
        units: s.paid.0 - refund_units * s.refund_at.0,
        triggered: s.triggered,
    }
}

/// Σ d(t0 + k·every) over scans k ≥ 1 with t0 + k·every ≤ tracked_until (inclusive), before
/// death and before the horizon.
fn scan_value(x: &Exposure<'_>, every: f64, tracked_until: f64) -> f64 {
    let t0 = x.rec.start;
    let limit = x.rec.death.min(x.horizon);
    let tracked = ((tracked_until - t0) / every + CYCLE_TOLERANCE).floor().max(0.0);
    let alive = cycles_before(t0 + every, limit, Cycle::new(every), u64::MAX, f64::INFINITY) as f64;
    let scans = tracked.min(alive) as u64;
    x.payer.cycle_sum(t0 + every, every, scans)
}
