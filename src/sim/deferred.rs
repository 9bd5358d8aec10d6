//! Single-pass settlement of cohort-level contracts.
//!
//! A cohort contract's refund for a patient needs the refund fraction of its population's
//! calendar years, known only once every patient of the population has been simulated. Rather
//! than simulating every patient twice (a survey, then a settlement), the engine settles
//! everything else at once and leaves each cohort-arm settlement [`Pending`]: the few numbers
//! the refund still needs. Chunks hand their pending settlements over in chunk order; as soon
//! as every population a chunk touches is complete, they are settled into that chunk's sums, in
//! the same order and with the same arithmetic as a second pass would use, so the results are
//! bit-identical to the two-pass settlement.

use super::accumulator::{ContractSums, SampleSums};
use super::prepared::Prepared;
use super::subgroups::{NO_GROUPS, unpack};
use crate::accounting::record::Outcomes;
use crate::contracts::Kind;
use crate::contracts::cohort::{self, CohortTerms, Refund, YearShare};
use crate::contracts::{self, Cash, Settlement};

/// Largest population (patients over the term, N·Y) settled in one pass: pending settlements
/// are held until their population is complete, so their memory grows with it. Larger
/// populations are settled in two passes.
pub const SINGLE_PASS_POPULATION: u64 = 1 << 16;

/// What a cohort-arm settlement of one patient still lacks besides the refund fractions.
#[derive(Clone, Copy, Debug)]
pub enum Open {
    /// Not treated with the drug: only the fixed yearly administration.
    Fixed(f64),
    /// Treated: list payments, administration, and the patient's year shares
    /// (`shares[from..to]` of the chunk).
    Treated {
        row: u32,
        paid: (f64, f64),
        list_pv: f64,
        admin: f64,
        tracked_until: f64,
        price: f64,
        shares: (u32, u32),
    },
}

/// A pending cohort-arm settlement with what the arm's correction needs: the patient's
/// list-arm total and QALYs, and the comparator's.
#[derive(Clone, Copy, Debug)]
pub struct Pending {
    pub arm: u32,
    pub contract: u32,
    pub open: Open,
    pub list: f64,
    pub qaly: f64,
    pub reference: (f64, f64),
    /// The patient's subgroup levels, packed ([`super::subgroups::Subgroups::of`]).
    pub groups: u64,
    /// The comparator's difference under the same contract, when the arm's increments are
    /// against it.
    pub pair: Pair,
}

/// The comparator's side of a pending settlement ([`Pending::pair`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pair {
    /// Increments against the comparator at list (or the comparator untouched).
    None,
    /// The comparator's own pending settlement in the same chunk (its index).
    Open(u32),
    /// The comparator's difference, already settled.
    Known(f64),
}

/// A chunk's pending settlements, in patient order, and their year shares.
#[derive(Debug, Default)]
pub struct Deferred {
    /// One past the chunk's last patient.
    pub end: u64,
    pub pending: Vec<Pending>,
    pub shares: Vec<YearShare>,
}

impl Deferred {
    /// Leave a patient's settlement of cohort arm `arm` (contract `contract`) open; returns
    /// its place, where the patient's list-arm outcomes are filled in once every strategy
    /// has been simulated. Written in place rather than built and moved: a copy made just
    /// after its parts were written stalled on their stores.
    pub fn open(&mut self, arm: usize, contract: usize, open: Open) -> usize {
        let (list, qaly, reference) = (0.0, 0.0, (0.0, 0.0));
        self.pending.push(Pending {
            arm: arm as u32,
            contract: contract as u32,
            open,
            list,
            qaly,
            reference,
            groups: NO_GROUPS,
            pair: Pair::None,
        });
        self.pending.len() - 1
    }

    /// Empty, keeping the buffers' memory for the next chunk.
    pub fn clear(&mut self) {
        self.end = 0;
        self.pending.clear();
        self.shares.clear();
    }
}

/// Post a contract's cash for one treated patient to its arm: categories as differences from
/// the list arm, the contract's own sums (and those of the patient's subgroup levels,
/// `groups`). Returns the patient's cost difference.
#[inline(always)]
pub fn post_cash(
    prep: &Prepared,
    (arm, ci, groups): (usize, usize, u64),
    cash: &Cash,
    list_pv: f64,
    sums: &mut SampleSums,
) -> f64 {
    let cat = prep.categories();
    // A `list` contract settled on the list arm has no arm of its own to correct (its
    // difference from list is zero).
    if let Some(arm) = sums.arms.get_mut(arm) {
        let row = &mut arm.categories;
        row[cat.drug(prep.contracts[ci].drug)] += cash.paid - list_pv;
        row[cat.rebate(ci)] -= cash.refunded;
        row[cat.contract_admin()] += cash.admin;
    }
    add_cash(&mut sums.contracts[arm], cash, list_pv);
    for g in unpack(groups) {
        add_cash(&mut sums.subgroups[g].contracts[arm], cash, list_pv);
    }
    cash.paid - list_pv - cash.refunded + cash.admin
}

/// A treated patient's cash in a contract's sums.
#[inline(always)]
fn add_cash(k: &mut ContractSums, cash: &Cash, list_pv: f64) {
    let net = cash.paid - cash.refunded;
    k.treated += 1;
    k.triggered += u64::from(cash.triggered);
    k.list_spend += list_pv;
    k.paid += cash.paid;
    k.refunded += cash.refunded;
    k.admin += cash.admin;
    k.net += net;
    k.net2 += net * net;
    k.spend.add(net);
    k.manufacturer += cash.manufacturer_net;
    k.units += cash.units;
}

/// Post a fixed yearly administration to a patient not treated with the drug (and to the
/// patient's subgroup levels). Returns it.
pub fn post_fixed(
    prep: &Prepared,
    (arm, groups): (usize, u64),
    fixed: f64,
    sums: &mut SampleSums,
) -> f64 {
    // (A fixed administration is never a `list` contract's on a list arm: `arm` is an arm.)
    debug_assert!(arm < sums.arms.len());
    sums.arms[arm].categories[prep.categories().contract_admin()] += fixed;
    sums.contracts[arm].admin += fixed;
    for g in unpack(groups) {
        sums.subgroups[g].contracts[arm].admin += fixed;
    }
    fixed
}

/// Settle a chunk's pending settlements with the arms' refund fractions (`fractions[arm]`,
/// cell r·Y + y) into `sums`.
pub fn settle(prep: &Prepared, fractions: &[Vec<f64>], chunk: &Deferred, sums: &mut SampleSums) {
    // Every settlement's cash first: an arm's increments may need the comparator's difference
    // under the same contract, settled later in the chunk.
    let deltas: Vec<f64> =
        chunk.pending.iter().map(|p| cash(prep, fractions, chunk, p, sums)).collect();
    for (p, &delta) in chunk.pending.iter().zip(&deltas) {
        let arm = p.arm as usize;
        let theirs = match p.pair {
            Pair::None => 0.0,
            Pair::Open(j) => deltas[j as usize],
            Pair::Known(d) => d,
        };
        let qaly = |q: f64| Outcomes { qaly: q, ..Outcomes::default() };
        let (patient, reference) = (qaly(p.qaly), qaly(p.reference.1));
        // As in the engine: a difference of exactly zero changes no sum.
        if delta != 0.0 || theirs != 0.0 {
            let reference = (p.reference.0, &reference);
            sums.arms[arm].add_correction(p.list, (delta, theirs), &patient, reference);
            for g in unpack(p.groups) {
                if let Some(sub) = sums.subgroups.get_mut(g) {
                    sub.arms[arm].add_correction(p.list, (delta, theirs), &patient, reference);
                }
            }
        }
    }
}

/// Post one pending settlement's cash; returns the patient's cost difference.
fn cash(
    prep: &Prepared,
    fractions: &[Vec<f64>],
    chunk: &Deferred,
    p: &Pending,
    sums: &mut SampleSums,
) -> f64 {
    let (arm, ci) = (p.arm as usize, p.contract as usize);
    match p.open {
        Open::Fixed(fixed) => post_fixed(prep, (arm, p.groups), fixed, sums),
        Open::Treated { row, paid, list_pv, admin, tracked_until, price, shares } => {
            let mut refund = Refund::default();
            for s in &chunk.shares[shares.0 as usize..shares.1 as usize] {
                refund.add(&fractions[arm], row as usize, s);
            }
            let s: Settlement = refund.settlement(paid, tracked_until);
            let cash = contracts::in_money(&prep.contracts[ci], price, admin, &s);
            post_cash(prep, (arm, ci, p.groups), &cash, list_pv, sums)
        }
    }
}

/// The patients that must have been simulated before a chunk ending at `end` (exclusive) can
/// be settled: every population it touches complete, for every cohort term.
pub fn needed(terms: &[&CohortTerms<f64>], end: u64, patients: u64) -> u64 {
    terms
        .iter()
        .map(|t| {
            let r = t.place(end - 1, patients, 0.0).population as u64;
            if r + 1 >= t.populations(patients) { patients } else { (r + 1) * t.size() }
        })
        .max()
        .unwrap_or(0)
}

/// Every cohort arm's refund fractions from the calendar counts in `sums` (complete
/// populations are exact; the others are not used), per contract slot (none for the slots of
/// `list` contracts after the arms').
pub fn fractions(prep: &Prepared, sums: &SampleSums, patients: u64) -> Vec<Vec<f64>> {
    let mut fractions: Vec<Vec<f64>> = prep
        .arms
        .iter()
        .enumerate()
        .map(|(arm, a)| {
            let Some(c) = a.contract else { return Vec::new() };
            let contract = &prep.contracts[c];
            match &contract.kind {
                Kind::Cohort(terms) => cohort::fractions(
                    terms,
                    &sums.contracts[arm].calendar,
                    patients,
                    prep.list_price(c),
                ),
                _ => Vec::new(),
            }
        })
        .collect();
    fractions.resize(prep.cohort_fractions.len(), Vec::new());
    fractions
}
