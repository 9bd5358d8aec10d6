//! Cohort-level contracts (expenditure cap, price-volume, population outcome), settled per
//! calendar year on the payer's whole incident population and passed down to each patient.
//!
//! The population: `population` patients enter each strategy per year, at times spread
//! uniformly over the contract's term of `years` calendar years; simulated patient i enters at
//! a_i = years · U_i (its own random process) and stands for w = population · years / patients
//! real patients. A cohort settlement needs every patient of the arm, so a run surveys the
//! calendar years first ([`survey`] into [`CalendarYear`] sums), derives one refund fraction
//! g_y per calendar year ([`fractions`]), and then settles each patient ([`settle`]): g_y of
//! the patient's payments in calendar year y, refunded when year y is settled. The patients'
//! shares add up to the cohort's refund, and every patient's record stays per patient (spread,
//! quantiles, commercial exit and portability work as for the other kinds).

use super::{Exposure, Settlement};
use crate::model::Failure;

/// The rule that turns a calendar year's cohort into a refund fraction of that year's spend.
#[derive(Clone, Debug, PartialEq)]
pub enum CohortRule {
    /// Spend above `cap` (money per calendar year) is refunded.
    ExpenditureCap { cap: f64 },
    /// (above, pay): patients treated in a year beyond `above` are paid at `pay` × list.
    PriceVolume { tiers: Vec<(f64, f64)> },
    /// If the success rate of the year's new patients at `window` is below `target`, `rebate`
    /// × the year's spend is refunded.
    PopulationOutcome { failure: Failure, window: f64, target: f64, rebate: f64 },
}

/// A cohort-level contract with concrete terms.
#[derive(Clone, Debug, PartialEq)]
pub struct CohortTerms {
    pub rule: CohortRule,
    /// Term in calendar years: patients enter during it, and only its years are settled.
    pub years: u64,
}

impl CohortTerms {
    /// When calendar year y is settled (years from the start of the term): at the year's end,
    /// or, for a population outcome, when the year's last patient has reached the window.
    pub fn settled_at(&self, year: usize) -> f64 {
        let end = (year + 1) as f64;
        match self.rule {
            CohortRule::PopulationOutcome { window, .. } => end + window,
            _ => end,
        }
    }

    /// A patient's calendar entry time from its arrival uniform.
    #[inline]
    pub fn entry(&self, arrival: f64) -> f64 {
        self.years as f64 * arrival
    }
}

/// Per calendar year of a contract arm, over the simulated patients settled: integer counts,
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

/// Calls `f(year, cycles)` for each calendar year of the term in which the patient's paid
/// cycles fall (entry time `entry` on the calendar), with the number of cycles in it.
#[inline]
fn for_each_year(years: u64, entry: f64, x: &Exposure<'_>, mut f: impl FnMut(usize, u64)) {
    let t0 = x.rec.start;
    let first = (entry + t0).floor();
    if !(first >= 0.0) || first >= years as f64 {
        return;
    }
    let mut before = 0;
    for y in first as u64..years {
        // Cycles starting before the end of calendar year y (patient time y + 1 − entry).
        let upto = x.paid_before((y + 1) as f64 - entry);
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
    let at = match failure {
        Failure::Progression => rec.detected_progression,
        Failure::Death => rec.death,
        Failure::ProgressionOrDeath => rec.detected_progression.min(rec.death),
    };
    !(x.before(at, rec.start + window) && x.documented)
}

/// Add a settled patient to the calendar-year sums of its arm.
pub fn survey(terms: &CohortTerms, x: &Exposure<'_>, arrival: f64, calendar: &mut [CalendarYear]) {
    let entry = terms.entry(arrival);
    for_each_year(terms.years, entry, x, |y, cycles| {
        calendar[y].cycles += cycles;
        calendar[y].treated += 1;
    });
    let started = (entry + x.rec.start).floor();
    if started >= 0.0 && started < terms.years as f64 {
        let year = &mut calendar[started as usize];
        year.started += 1;
        if let CohortRule::PopulationOutcome { failure, window, .. } = terms.rule
            && succeeded(failure, window, x)
        {
            year.succeeded += 1;
        }
    }
}

/// Refund fraction of each calendar year's spend, from the arm's calendar sums. `weight` is the
/// number of real patients a simulated one stands for, `price` the drug's list price per cycle.
pub fn fractions(
    terms: &CohortTerms,
    calendar: &[CalendarYear],
    weight: f64,
    price: f64,
) -> Vec<f64> {
    calendar
        .iter()
        .map(|year| match &terms.rule {
            CohortRule::ExpenditureCap { cap } => {
                let spend = weight * price * year.cycles as f64;
                if spend > *cap { 1.0 - cap / spend } else { 0.0 }
            }
            CohortRule::PriceVolume { tiers } => {
                let patients = weight * year.treated as f64;
                if patients > 0.0 { tier_refund(tiers, patients) / patients } else { 0.0 }
            }
            CohortRule::PopulationOutcome { target, rebate, .. } => {
                // Weights cancel in the rate: counts of simulated patients.
                let rate = year.succeeded as f64 / year.started as f64;
                if year.started > 0 && rate < *target { *rebate } else { 0.0 }
            }
        })
        .collect()
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

/// Settle a patient with the arm's refund fractions: list payments, and fraction g_y of the
/// payments in each calendar year y refunded at the year's settlement, if it reaches the payer.
/// The refunds (several dates) are returned as one unit of refund whose discount factors are
/// the per-unit-price present values of all of them.
pub fn settle(
    terms: &CohortTerms,
    fractions: &[f64],
    x: &Exposure<'_>,
    arrival: f64,
) -> Settlement {
    let entry = terms.entry(arrival);
    let rec = x.rec;
    let mut s = Settlement {
        paid: x.stream(0, x.n),
        tracked_until: match terms.rule {
            CohortRule::PopulationOutcome { window, .. } => rec.start + window,
            _ => rec.treatment_end,
        },
        ..Settlement::default()
    };
    let (mut payer, mut manufacturer) = (0.0, 0.0);
    for_each_year(terms.years, entry, x, |y, cycles| {
        let g = fractions[y];
        if g > 0.0
            && let Some((dp, dm)) = x.refund_lump(terms.settled_at(y) - entry)
        {
            payer += g * cycles as f64 * dp;
            manufacturer += g * cycles as f64 * dm;
            s.triggered = true;
        }
    });
    if s.triggered {
        s.refund = 1.0;
        s.refund_at = (payer, manufacturer);
    }
    s
}
