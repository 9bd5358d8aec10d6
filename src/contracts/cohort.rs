//! Cohort-level contracts (expenditure cap, price-volume, population outcome), settled per
//! calendar year on finite incident populations and passed down to each patient.
//!
//! A population: `population` = N patients enter the strategy in each calendar year of the
//! contract's term of Y years, so one population has M = N·Y patients. The simulated patients
//! are cut into R = max(1, ⌊patients / M⌋) consecutive populations (the last one takes the
//! remainder); within a population, its j-th patient enters in calendar year j mod Y, at a
//! uniform time within it. Each population is settled on its own: the contract sees the real
//! number of patients, so a cap, a tier or a target is met or missed with the probability a
//! real payer faces, and the expected refund averages over the R populations.
//!
//! A settlement needs every patient of a population, so a run surveys the calendar years first
//! ([`survey`] into [`CalendarSums`]), derives each population's refund fraction g_{r,y} per
//! calendar year ([`fractions`]), and then settles each patient ([`settle`]): g_{r,y} of the
//! patient's own payments in year y, refunded when year y is settled. The patients' shares add
//! up to their population's refund.

use super::{Exposure, Failure, Settlement};
use crate::accounting::discount::{Discount, count_f64};

/// The rule that turns a calendar year's cohort into a refund fraction of that year's spend
/// (numbers as `V`, see [`super::Kind`]).
#[derive(Clone, Debug, PartialEq)]
pub enum CohortRule<V> {
    /// Spend above `cap` (money per calendar year) is refunded.
    ExpenditureCap { cap: V },
    /// (above, pay): patients treated in a year beyond `above` are paid at `pay` × list
    /// (marginal tiers, `above` strictly rising).
    PriceVolume { tiers: Vec<(V, V)> },
    /// If the success rate of the year's new patients at `window` is below `target`, `rebate`
    /// × the year's spend is refunded.
    PopulationOutcome { failure: Failure, window: V, target: V, rebate: V },
}

impl<V> CohortRule<V> {
    /// The contract kind's name in a scenario.
    pub fn name(&self) -> &'static str {
        match self {
            CohortRule::ExpenditureCap { .. } => "expenditure_cap",
            CohortRule::PriceVolume { .. } => "price_volume",
            CohortRule::PopulationOutcome { .. } => "population_outcome",
        }
    }

    /// The terms that are dates after treatment start (a population outcome's window).
    pub fn dates(&self) -> Vec<(&'static str, &V)> {
        match self {
            CohortRule::PopulationOutcome { window, .. } => vec![("window", window)],
            CohortRule::ExpenditureCap { .. } | CohortRule::PriceVolume { .. } => Vec::new(),
        }
    }

    pub fn map<W>(&self, f: &impl Fn(&V) -> W) -> CohortRule<W> {
        match self {
            CohortRule::ExpenditureCap { cap } => CohortRule::ExpenditureCap { cap: f(cap) },
            CohortRule::PriceVolume { tiers } => {
                CohortRule::PriceVolume { tiers: tiers.iter().map(|(a, p)| (f(a), f(p))).collect() }
            }
            CohortRule::PopulationOutcome { failure, window, target, rebate } => {
                CohortRule::PopulationOutcome {
                    failure: *failure,
                    window: f(window),
                    target: f(target),
                    rebate: f(rebate),
                }
            }
        }
    }
}

/// A cohort-level contract: its rule, term and population.
#[derive(Clone, Debug, PartialEq)]
pub struct CohortTerms<V> {
    pub rule: CohortRule<V>,
    /// Term in calendar years: patients enter during it, and only its years are settled.
    pub years: u64,
    /// Patients entering the strategy per calendar year (N ≥ 1).
    pub population: u64,
    /// d(settled_at(y)) at the payer's and the manufacturer's rates for each calendar year y
    /// of the term, set when the terms are prepared ([`CohortTerms::discount`]; empty before):
    /// a patient who entered at e receives year y's refund at settled_at(y) − e on its own
    /// clock, discounted by d(settled_at(y))·d(−e), with d(−e) computed once per patient
    /// ([`Placement::back`]).
    pub settled: Vec<(f64, f64)>,
}

/// Where a simulated patient sits in a cohort-level contract: its population and its entry
/// time on that population's calendar (years from the start of the term).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Placement {
    pub population: usize,
    pub entry: f64,
    /// d(−entry) at the payer's and the manufacturer's rates, set by
    /// [`Placement::discounted`]; (0, 0) until then, and refund dates are then discounted
    /// with an `exp` each.
    pub back: (f64, f64),
}

impl Placement {
    /// The placement with d(−entry): one `exp` per patient for the refund dates of every
    /// cohort contract that places it alike, instead of one per contract and year.
    pub fn discounted(self, payer: &Discount, manufacturer: &Discount) -> Placement {
        let back = payer.factor(-self.entry);
        let back =
            (back, if manufacturer == payer { back } else { manufacturer.factor(-self.entry) });
        Placement { back, ..self }
    }
}

impl<V> CohortTerms<V> {
    pub fn map<W>(&self, f: &impl Fn(&V) -> W) -> CohortTerms<W> {
        CohortTerms {
            rule: self.rule.map(f),
            years: self.years,
            population: self.population,
            settled: self.settled.clone(),
        }
    }

    /// Patients of one population over the term, M = N·Y.
    pub fn size(&self) -> u64 {
        self.population.saturating_mul(self.years).max(1)
    }

    /// Number of populations R among `patients` simulated patients.
    pub fn populations(&self, patients: u64) -> u64 {
        (patients / self.size()).max(1)
    }

    /// Simulated patients in population r (the last one takes the remainder).
    pub fn members(&self, r: u64, patients: u64) -> u64 {
        let (m, pops) = (self.size(), self.populations(patients));
        if r + 1 < pops { m } else { patients - (pops - 1) * m }
    }

    /// Population and entry time of simulated patient `patient` (of `patients`), from its
    /// arrival uniform.
    #[inline]
    pub fn place(&self, patient: u64, patients: u64, arrival: f64) -> Placement {
        let m = self.size();
        let r = (patient / m).min(self.populations(patients) - 1);
        let j = patient - r * m;
        let entry = (j % self.years) as f64 + arrival;
        Placement { population: r as usize, entry, back: (0.0, 0.0) }
    }
}

impl CohortTerms<f64> {
    /// Set [`CohortTerms::settled`] from the payer's and the manufacturer's rates.
    pub fn discount(&mut self, payer: &Discount, manufacturer: &Discount) {
        self.settled = (0..self.years as usize)
            .map(|y| (payer.factor(self.settled_at(y)), manufacturer.factor(self.settled_at(y))))
            .collect();
    }

    /// When calendar year y (from 0) is settled, in years from the start of the term: at the
    /// year's end, or, for a population outcome, when the year's last patient has reached the
    /// window.
    pub fn settled_at(&self, year: usize) -> f64 {
        let end = (year + 1) as f64;
        match self.rule {
            CohortRule::PopulationOutcome { window, .. } => end + window,
            _ => end,
        }
    }
}

/// Per calendar year of one population, over its simulated patients settled: integer counts,
/// so the sums are exact in any order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CalendarYear {
    /// Cycles of the drug paid at list by this payer in the year.
    pub cycles: u64,
    /// Patients with at least one paid cycle in the year.
    pub treated: u64,
    /// Patients whose treatment started in the year, and those of them without a recorded
    /// failure before the window (population outcome only).
    pub started: u64,
    pub succeeded: u64,
}

/// The calendar years of a run of populations `first`, `first + 1`, …: cell r·Y + y (r from
/// `first`). A chunk of patients holds the few populations it touches; merging chunks extends
/// the run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CalendarSums {
    pub first: usize,
    pub years: usize,
    pub cells: Vec<CalendarYear>,
}

impl CalendarSums {
    pub fn new(years: usize) -> Self {
        CalendarSums { first: 0, years, cells: Vec::new() }
    }

    /// The cell of population r and calendar year y, growing the run to hold it.
    #[inline(always)]
    pub fn cell(&mut self, r: usize, y: usize) -> &mut CalendarYear {
        if self.cells.is_empty() {
            self.first = r;
        }
        if r < self.first {
            let shift = (self.first - r) * self.years;
            self.cells.splice(0..0, std::iter::repeat_n(CalendarYear::default(), shift));
            self.first = r;
        }
        let i = (r - self.first) * self.years + y;
        if i >= self.cells.len() {
            self.cells.resize((r - self.first + 1) * self.years, CalendarYear::default());
        }
        &mut self.cells[i]
    }

    /// Add another run's counts.
    pub fn merge(&mut self, o: &CalendarSums) {
        self.years = self.years.max(o.years);
        for (k, c) in o.cells.iter().enumerate() {
            let (r, y) = (o.first + k / o.years, k % o.years);
            let cell = self.cell(r, y);
            cell.cycles += c.cycles;
            cell.treated += c.treated;
            cell.started += c.started;
            cell.succeeded += c.succeeded;
        }
    }

    /// Population r's year y (zeros if it holds nobody).
    pub fn get(&self, r: usize, y: usize) -> CalendarYear {
        if r < self.first {
            return CalendarYear::default();
        }
        self.cells.get((r - self.first) * self.years + y).copied().unwrap_or_default()
    }
}

/// The calendar year of the term (from 0) holding time t on its calendar, if any. The floor
/// is taken by truncation (t ≥ 0 here): without SSE4.1 `f64::floor` is a library call, and
/// this runs per patient per cohort contract.
#[inline]
fn calendar_year(t: f64, years: u64) -> Option<u64> {
    // For 0 ≤ t, t < Y ⇔ ⌊t⌋ < Y (Y whole); ⌊t⌋ by a signed conversion, which saturates
    // far above any term.
    let year = t as i64 as u64;
    (t >= 0.0 && year < years).then_some(year)
}

/// Calls `f(year, cycles)` for each calendar year of the term in which the patient's paid
/// cycles fall (entry time `entry` on the calendar), with the number of cycles in it.
#[inline]
fn for_each_year(years: u64, entry: f64, x: &Exposure<'_>, mut f: impl FnMut(usize, u64)) {
    let Some(first) = calendar_year(entry + x.rec.start, years) else { return };
    let mut before = 0;
    for y in first..years {
        // Cycles starting before the end of calendar year y (patient time y + 1 − entry).
        let upto = x.paid_before(count_f64(y + 1) - entry);
        if upto > before {
            f(y as usize, upto - before);
        }
        before = upto;
        if before >= x.n {
            break;
        }
    }
}

/// Whether a settled patient counts as a success of the population outcome: no recorded
/// failure before `window` from treatment start.
fn succeeded(failure: Failure, window: f64, x: &Exposure<'_>) -> bool {
    let rec = x.rec;
    !(x.before(failure.at(rec), rec.start + window) && x.documented)
}

/// Add a settled patient to its population's calendar-year sums.
pub fn survey(
    terms: &CohortTerms<f64>,
    x: &Exposure<'_>,
    at: Placement,
    calendar: &mut CalendarSums,
) {
    survey_years(terms, terms.years, x, at, calendar);
}

/// [`survey`] over the first `years` calendar years instead of the term (the budget view
/// counts the whole budget horizon with the contract's rule).
pub fn survey_years(
    terms: &CohortTerms<f64>,
    years: u64,
    x: &Exposure<'_>,
    at: Placement,
    calendar: &mut CalendarSums,
) {
    for_each_year(years, at.entry, x, |y, cycles| {
        count_year(calendar.cell(at.population, y), cycles);
    });
    count_start(terms, years, x, at, calendar);
}

/// The calendar years of the term in which a patient's list-paid cycles fall (entry time
/// `entry` on the calendar), in order, with the number of cycles in each. Cohort contracts
/// with the same term and population place a patient alike, so the engine walks the years once
/// for all of them.
pub fn paid_years(years: u64, entry: f64, x: &Exposure<'_>, out: &mut Vec<(u32, u64)>) {
    out.clear();
    for_each_year(years, entry, x, |y, cycles| out.push((y as u32, cycles)));
}

/// [`survey`] along the patient's [`paid_years`] `walk`, and push the patient's year shares
/// (calendar order) for a settlement later.
pub fn survey_and_share(
    terms: &CohortTerms<f64>,
    x: &Exposure<'_>,
    at: Placement,
    walk: &[(u32, u64)],
    calendar: &mut CalendarSums,
    out: &mut Vec<YearShare>,
) {
    for &(y, cycles) in walk {
        count_year(calendar.cell(at.population, y as usize), cycles);
        out.push(share(terms, x, at, y as usize, cycles));
    }
    count_start(terms, terms.years, x, at, calendar);
}

/// Add the calendar years of one course's list-paid cycles (see [`paid_years`]) to `out`, a
/// patient's years merged over its courses (courses given in pathway states): cycles add up,
/// and each year is listed once, so [`count_years`] counts the patient once a year.
pub fn add_paid_years(years: u64, entry: f64, x: &Exposure<'_>, out: &mut Vec<(u32, u64)>) {
    for_each_year(years, entry, x, |y, cycles| {
        match out.iter_mut().find(|(z, _)| *z == y as u32) {
            Some((_, c)) => *c += cycles,
            None => out.push((y as u32, cycles)),
        }
    });
}

/// Count a patient's merged paid years ([`add_paid_years`]) in its population's calendar: the
/// cycles, and the patient as treated in each year.
pub fn count_years(at: Placement, merged: &[(u32, u64)], calendar: &mut CalendarSums) {
    for &(y, cycles) in merged {
        count_year(calendar.cell(at.population, y as usize), cycles);
    }
}

/// Push one course's year shares (calendar order) for a settlement later: a patient with
/// several courses has the shares of each.
pub fn push_shares(
    terms: &CohortTerms<f64>,
    x: &Exposure<'_>,
    at: Placement,
    out: &mut Vec<YearShare>,
) {
    for_each_year(terms.years, at.entry, x, |y, cycles| out.push(share(terms, x, at, y, cycles)));
}

/// A year in which the patient has `cycles` paid cycles.
#[inline]
fn count_year(cell: &mut CalendarYear, cycles: u64) {
    cell.cycles += cycles;
    cell.treated += 1;
}

/// The patient's start of treatment, and whether it succeeded (population outcome), in the
/// calendar year it falls in (over the first `years` calendar years). A patient with several
/// courses (courses given in pathway states) has each counted: each is a start.
#[inline(always)]
pub fn count_start(
    terms: &CohortTerms<f64>,
    years: u64,
    x: &Exposure<'_>,
    at: Placement,
    calendar: &mut CalendarSums,
) {
    if let Some(started) = calendar_year(at.entry + x.rec.start, years) {
        let cell = calendar.cell(at.population, started as usize);
        cell.started += 1;
        if let CohortRule::PopulationOutcome { failure, window, .. } = terms.rule
            && succeeded(failure, window, x)
        {
            cell.succeeded += 1;
        }
    }
}

/// The refund fraction g_{r,y} of a population's calendar year from its counts; `weight` is
/// the number of real patients a simulated one stands for (M / members; 1 for a full
/// population), `price` the drug's list price per cycle.
pub fn fraction(terms: &CohortTerms<f64>, year: &CalendarYear, weight: f64, price: f64) -> f64 {
    // Weights cancel in a success rate: counts of simulated patients.
    let (started, succeeded) = (year.started as f64, year.succeeded as f64);
    let year = YearTotals {
        spend: weight * price * year.cycles as f64,
        treated: weight * year.treated as f64,
        started,
        succeeded,
    };
    fraction_of(&terms.rule, &year)
}

/// What a cohort rule reads of a calendar year: spend on the drug at list, patients treated
/// (with a paid cycle in the year), and patients starting treatment and of those succeeding
/// (population outcome); counts may be expected values.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct YearTotals {
    pub spend: f64,
    pub treated: f64,
    pub started: f64,
    pub succeeded: f64,
}

/// The refund fraction of a calendar year's spend under `rule`.
pub fn fraction_of(rule: &CohortRule<f64>, year: &YearTotals) -> f64 {
    match rule {
        CohortRule::ExpenditureCap { cap } => {
            let spend = year.spend;
            if spend > *cap { 1.0 - cap / spend } else { 0.0 }
        }
        CohortRule::PriceVolume { tiers } => {
            let patients = year.treated;
            if patients > 0.0 { tier_refund(tiers, patients) / patients } else { 0.0 }
        }
        CohortRule::PopulationOutcome { target, rebate, .. } => {
            let rate = year.succeeded / year.started;
            if year.started > 0.0 && rate < *target { *rebate } else { 0.0 }
        }
    }
}

/// Refund fractions of every population and calendar year (cell r·Y + y) of a run of
/// `patients` simulated patients.
pub fn fractions(
    terms: &CohortTerms<f64>,
    calendar: &CalendarSums,
    patients: u64,
    price: f64,
) -> Vec<f64> {
    let years = terms.years as usize;
    let pops = terms.populations(patients);
    let mut out = Vec::with_capacity(pops as usize * years);
    for r in 0..pops {
        let weight = terms.size() as f64 / terms.members(r, patients) as f64;
        for y in 0..years {
            out.push(fraction(terms, &calendar.get(r as usize, y), weight, price));
        }
    }
    out
}

/// Σ over tiers of (1 − pay) × the patients falling in the tier, for `patients` treated in a
/// year: tier k covers (above_k, above_{k+1}], the last one everything beyond its `above`.
pub fn tier_refund(tiers: &[(f64, f64)], patients: f64) -> f64 {
    let mut refund = 0.0;
    for (k, &(above, pay)) in tiers.iter().enumerate() {
        let top = tiers.get(k + 1).map_or(f64::INFINITY, |t| t.0);
        let inside = patients.min(top) - above;
        if inside > 0.0 {
            refund += (1.0 - pay) * inside;
        }
    }
    refund
}

/// Settle a patient with its population's refund fractions (`fractions[r·Y + y]`): list
/// payments, and fraction g_{r,y} of the payments in each calendar year y refunded at the
/// year's settlement, if it reaches the payer (the engine lets a cohort refund reach the payer
/// until the horizon, also after a commercial member has left: it is owed on the payer's own
/// past spend, not on the member). The refunds
/// (several dates) are returned as one unit of refund whose discount factors are the
/// per-unit-price present values of all of them.
pub fn settle(
    terms: &CohortTerms<f64>,
    fractions: &[f64],
    x: &Exposure<'_>,
    at: Placement,
) -> Settlement {
    let mut refund = Refund::default();
    let row = at.population * terms.years as usize;
    for_each_year(terms.years, at.entry, x, |y, cycles| {
        refund.add(fractions, row, &share(terms, x, at, y, cycles));
    });
    refund.settlement(x.list(), tracked_until(terms, x))
}

/// End of the contract's tracking of a patient (for per-assessment administration).
pub fn tracked_until(terms: &CohortTerms<f64>, x: &Exposure<'_>) -> f64 {
    match terms.rule {
        CohortRule::PopulationOutcome { window, .. } => x.rec.start + window,
        _ => x.rec.treatment_end,
    }
}

/// A patient's list-paid cycles in one calendar year of the term, and the discount factors of
/// that year's settlement date if its refund reaches the payer: what the patient's refund
/// needs besides the year's refund fraction.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct YearShare {
    pub year: u32,
    pub cycles: u64,
    pub lump: Option<(f64, f64)>,
}

fn share(
    terms: &CohortTerms<f64>,
    x: &Exposure<'_>,
    at: Placement,
    y: usize,
    cycles: u64,
) -> YearShare {
    let due = terms.settled_at(y) - at.entry;
    let lump = match terms.settled.get(y) {
        // d(settled_at(y))·d(−entry): the same as d(due) to a unit or two in the last place.
        Some(&(payer, manufacturer)) if at.back.0 > 0.0 => {
            (due < x.refund_horizon).then_some((payer * at.back.0, manufacturer * at.back.1))
        }
        _ => x.refund_lump(due),
    };
    YearShare { year: y as u32, cycles, lump }
}

/// A patient's refund accumulated over its year shares, per unit of price.
#[derive(Clone, Copy, Debug, Default)]
pub struct Refund {
    payer: f64,
    manufacturer: f64,
    triggered: bool,
}

impl Refund {
    /// Add year share `s` of population row `row` (= r·Y) with its refund fraction.
    #[inline]
    pub fn add(&mut self, fractions: &[f64], row: usize, s: &YearShare) {
        let g = fractions.get(row + s.year as usize).copied().unwrap_or(0.0);
        if g > 0.0
            && let Some((dp, dm)) = s.lump
        {
            let cycles = count_f64(s.cycles);
            self.payer += g * cycles * dp;
            self.manufacturer += g * cycles * dm;
            self.triggered = true;
        }
    }

    /// The settlement: list payments `paid`, and the refunds as one unit whose discount
    /// factors are the per-unit-price present values of all of them.
    pub fn settlement(self, paid: (f64, f64), tracked_until: f64) -> Settlement {
        let mut s = Settlement { paid, tracked_until, ..Settlement::default() };
        if self.triggered {
            s.triggered = true;
            s.refund = 1.0;
            s.refund_at = (self.payer, self.manufacturer);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::calendar_year;

    #[test]
    fn calendar_years_by_truncation_match_the_floor() {
        // The form it replaced: t in [0, Y), then its floor.
        let by_floor = |t: f64, years: u64| (t >= 0.0 && t < years as f64).then_some(t as u64);
        let mut ts: Vec<f64> = (0..20_000).map(|i| f64::from(i) * 0.000_61 - 1.0).collect();
        for y in 0..=12u32 {
            let y = f64::from(y);
            ts.extend([y, y.next_down(), y.next_up(), -y]);
        }
        ts.extend([-0.0, 1e-300, 1e18, 1e300, f64::INFINITY, f64::NEG_INFINITY, f64::NAN]);
        for years in [1, 3, 5, 10] {
            for &t in &ts {
                assert_eq!(calendar_year(t, years), by_floor(t, years), "t {t}, years {years}");
            }
        }
    }
}
