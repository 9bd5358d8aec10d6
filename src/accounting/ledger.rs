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

/// Write the patient's discounted costs into `costs` (zeroed by the caller, one entry per
/// category) and return the outcomes.
#[inline]
pub fn account(prep: &Prepared, rec: &PatientRecord, costs: &mut [f64]) -> Outcomes {
    let cat = CategoryIndex { drugs: prep.drugs };
    let h = prep.horizon;
    let (dc, dq) = (&prep.costs, &prep.outcomes);
    let reg = &prep.regimens[rec.regimen];

    for &(test, t) in &rec.tests[..rec.n_tests] {
        if t < h {
            costs[CategoryIndex::TESTING] += prep.tests[test as usize].cost * dc.factor(t);
        }
    }

    let t0 = rec.start;
    let death = rec.death.min(h);
    let pf_end = rec.progression.min(death);
    let mut qaly = 0.0;
    if t0 < h {
        let end = rec.treatment_end.min(h);
        for drug in &reg.drugs {
            let n = cycles_before(t0, end, drug.cycle, drug.max_cycles, drug.max_duration);
            if n > 0 {
                let pv = dc.cycle_sum(t0, drug.cycle, n);
                costs[cat.drug(drug.drug)] += drug.price * pv;
                costs[cat.administration()] += drug.administration * pv;
            }
        }
        if rec.adverse_events != 0 {
            let (fc, fq) = (dc.factor(t0), dq.factor(t0));
            for (k, ae) in reg.adverse_events.iter().enumerate() {
                if rec.adverse_events & (1 << k) != 0 {
                    costs[cat.adverse_events()] += ae.cost * fc;
                    qaly -= ae.qaly_loss * fq;
                }
            }
        }
    }

    // State flows: progression-free [0, pf_end), progressed [P, death).
    let pf_cost_pv = dc.integral(0.0, pf_end);
    let pf_ly = dq.integral(0.0, pf_end);
    costs[cat.progression_free()] += prep.pf_cost * pf_cost_pv;
    let mut ly = pf_ly;
    qaly += prep.pf_utility * pf_ly;
    if pf_end < death {
        let pd_cost_pv = dc.integral(pf_end, death);
        let pd_ly = dq.integral(pf_end, death);
        costs[cat.progressed()] += prep.pd_cost * pd_cost_pv;
        costs[cat.post_progression()] += reg.post_progression_cost * pd_cost_pv;
        ly += pd_ly;
        qaly += prep.pd_utility * pd_ly;
    }
    if rec.death < h {
        costs[cat.terminal_care()] += prep.death_cost * dc.factor(rec.death);
    }
    Outcomes {
        qaly,
        ly,
        ly_undiscounted: death,
    }
}
