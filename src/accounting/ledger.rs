//! The per-patient ledger: discounted costs by category, QALYs and life-years of one
//! [`PatientRecord`], all by closed forms (no per-cycle loop).

use super::discount::cycles_before;
use crate::sim::patient::PatientRecord;
use crate::sim::prepared::Prepared;

/// Positions of the cost categories in a ledger, matching [`crate::model::Model::categories`]:
/// testing, one per drug, administration, adverse events, progression-free state, progressed
/// state, post-progression therapy, terminal care.
#[derive(Clone, Copy, Debug)]
pub struct CategoryIndex {
    pub drugs: usize,
}

impl CategoryIndex {
    pub const TESTING: usize = 0;
    #[inline]
    pub fn drug(self, d: usize) -> usize {
        1 + d
    }
    #[inline]
    pub fn administration(self) -> usize {
        1 + self.drugs
    }
    #[inline]
    pub fn adverse_events(self) -> usize {
        2 + self.drugs
    }
    #[inline]
    pub fn progression_free(self) -> usize {
        3 + self.drugs
    }
    #[inline]
    pub fn progressed(self) -> usize {
        4 + self.drugs
    }
    #[inline]
    pub fn post_progression(self) -> usize {
        5 + self.drugs
    }
    #[inline]
    pub fn terminal_care(self) -> usize {
        6 + self.drugs
    }
    pub fn len(self) -> usize {
        7 + self.drugs
    }
    pub fn is_empty(self) -> bool {
        false
    }
}

/// Health outcomes of one patient.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Outcomes {
    pub qaly: f64,
    pub ly: f64,
    pub ly_undiscounted: f64,
}

/// Where a patient's discounted costs are posted: running sums by category (shared by every
/// patient of an arm, so nothing per patient is stored) and the patient's own total.
pub struct Ledger<'a> {
    /// Σ cost by category, added to.
    pub categories: &'a mut [f64],
    /// This patient's total cost.
    pub total: f64,
}

impl<'a> Ledger<'a> {
    pub fn new(categories: &'a mut [f64]) -> Self {
        Ledger { categories, total: 0.0 }
    }

    #[inline]
    fn post(&mut self, category: usize, amount: f64) {
        self.categories[category] += amount;
        self.total += amount;
    }
}

/// Post the patient's discounted costs to `ledger` and return the outcomes.
#[inline]
pub fn account(prep: &Prepared, rec: &PatientRecord, ledger: &mut Ledger<'_>) -> Outcomes {
    let cat = CategoryIndex { drugs: prep.drugs };
    let h = prep.horizon;
    let (dc, dq) = (&prep.costs, &prep.outcomes);
    let reg = &prep.regimens[rec.regimen];

    let mut t = 0.0;
    for &test in &rec.tests[..rec.n_tests] {
        let test = &prep.tests[test as usize];
        if t < h {
            ledger.post(CategoryIndex::TESTING, test.cost * dc.factor(t));
        }
        t += test.turnaround;
    }

    let t0 = rec.start;
    let death = rec.death.min(h);
    let pf_end = rec.progression.min(death);
    // Each discount factor is computed once and shared by every flow that uses it; when the
    // two rates are equal the outcome factors are the cost factors.
    let factors = |d: &crate::accounting::discount::Discount| {
        let at_start = if t0 == 0.0 { 1.0 } else { d.factor(t0) };
        let at_pf_end = d.factor(pf_end);
        let at_death = if death == pf_end { at_pf_end } else { d.factor(death) };
        (at_start, at_pf_end, at_death)
    };
    let (c0, c_pf, c_death) = factors(dc);
    let (q0, q_pf, q_death) = if dq == dc { (c0, c_pf, c_death) } else { factors(dq) };
    let mut qaly = 0.0;
    if t0 < h {
        let end = rec.treatment_end.min(h);
        for drug in &reg.drugs {
            let n = cycles_before(t0, end, drug.cycle, drug.max_cycles, drug.max_duration);
            if n > 0 {
                let pv = c0 * drug.cycle_sums.get(n);
                ledger.post(cat.drug(drug.drug), drug.price * pv);
                ledger.post(cat.administration(), drug.administration * pv);
            }
        }
        if rec.adverse_events != 0 {
            for (k, ae) in reg.adverse_events.iter().enumerate() {
                if rec.adverse_events & (1 << k) != 0 {
                    ledger.post(cat.adverse_events(), ae.cost * c0);
                    qaly -= ae.qaly_loss * q0;
                }
            }
        }
    }

    // State flows: progression-free [0, pf_end), progressed [pf_end, death).
    let pf_ly = dq.between(1.0, q_pf, 0.0, pf_end);
    ledger.post(cat.progression_free(), prep.pf_cost * dc.between(1.0, c_pf, 0.0, pf_end));
    let mut ly = pf_ly;
    qaly += prep.pf_utility * pf_ly;
    if pf_end < death {
        let pd_cost_pv = dc.between(c_pf, c_death, pf_end, death);
        let pd_ly = dq.between(q_pf, q_death, pf_end, death);
        ledger.post(cat.progressed(), prep.pd_cost * pd_cost_pv);
        ledger.post(cat.post_progression(), reg.post_progression_cost * pd_cost_pv);
        ly += pd_ly;
        qaly += prep.pd_utility * pd_ly;
    }
    if rec.death < h {
        ledger.post(cat.terminal_care(), prep.death_cost * c_death);
    }
    Outcomes { qaly, ly, ly_undiscounted: death }
}
