//! A treated patient's exposure to a contracted drug: its list payments and what a contract
//! sees of the patient, built from a record and the prepared model. The engine and the budget
//! view both settle contracts through it.

use super::prepared::Prepared;
use crate::accounting::discount::cycles_before;
use crate::accounting::record::PatientRecord;
use crate::contracts::Exposure;
use crate::contracts::PreparedContract;
use crate::contracts::cohort::Placement;
use crate::rng::PatientKey;

/// d(t0) at the payer's and the manufacturer's rates for the last treatment start asked for:
/// a patient's contracts on several drugs (and the comparator's contracted units) share one
/// `exp` instead of one per drug. Valid for one [`Prepared`] only.
pub struct StartFactors {
    t0: f64,
    factors: (f64, f64),
}

impl Default for StartFactors {
    fn default() -> Self {
        Self::new()
    }
}

impl StartFactors {
    pub fn new() -> Self {
        StartFactors { t0: 0.0, factors: (1.0, 1.0) }
    }

    #[inline]
    pub fn at(&mut self, prep: &Prepared, t0: f64) -> (f64, f64) {
        if t0 != self.t0 {
            let payer = prep.costs.factor(t0);
            // The manufacturer usually discounts at the payer's rate: one `exp`, not two.
            let manufacturer =
                if prep.manufacturer == prep.costs { payer } else { prep.manufacturer.factor(t0) };
            *self = StartFactors { t0, factors: (payer, manufacturer) };
        }
        self.factors
    }
}

/// The exposure that contract `c` settles: the first of a patient's lines (first, then second)
/// on a regimen the contract covers, if the patient was treated on it.
#[inline]
pub fn covered_exposure<'a>(
    prep: &'a Prepared,
    c: usize,
    (first, second): (&'a PatientRecord, Option<&'a PatientRecord>),
    starts: &mut StartFactors,
) -> Option<Exposure<'a>> {
    let contract = &prep.contracts[c];
    let line = |rec: &'a PatientRecord, starts: &mut StartFactors| {
        if contract.regimens.contains(&rec.regimen) {
            exposure_from(prep, rec, contract.drug, true, starts)
        } else {
            None
        }
    };
    line(first, starts).or_else(|| second.and_then(|r2| line(r2, starts)))
}

/// A treated patient's exposure to a drug of their regimen, if the regimen includes it, with
/// the start's discount factors taken from (or left in) `starts`.
#[inline]
pub fn exposure_from<'a>(
    prep: &'a Prepared,
    rec: &'a PatientRecord,
    drug: usize,
    documented: bool,
    starts: &mut StartFactors,
) -> Option<Exposure<'a>> {
    if !rec.treated || rec.start >= rec.coverage_end {
        return None;
    }
    let d = prep.regimens[rec.regimen].drugs.iter().find(|d| d.drug == drug)?;
    let end = rec.treatment_end.min(rec.coverage_end);
    let t0 = rec.start;
    let (payer_start, manufacturer_start) = starts.at(prep, t0);
    Some(Exposure {
        rec,
        drug: d,
        n: cycles_before(t0, end, d.schedule, d.max_cycles, d.max_duration),
        horizon: rec.coverage_end,
        refund_horizon: if prep.portable { prep.horizon } else { rec.coverage_end },
        payer: &prep.costs,
        manufacturer: &prep.manufacturer,
        payer_start,
        manufacturer_start,
        documented,
        placement: Placement::default(),
    })
}

/// Whether the patient's failure would be documented under `contract`.
#[inline]
pub fn documented(contract: &PreparedContract, pk: PatientKey) -> bool {
    contract.documentation_error == 0.0
        || pk.uniform(contract.process, 0) >= contract.documentation_error
}
