//! Checks of the budget impact's accounting that need a whole scenario (the simulation's rooms
//! may not read one).

use crate::rng::SampleKey;
use crate::sim::Prepared;
use crate::sim::budget::{last_treatment_date, spend_until};
use crate::sim::patient::{FIRST_LINE, LineDraws, LineProcesses, simulate, tumour};

/// From a cut after the treatment's last date on, the list arm's spend with the treatment's
/// postings taken from the previous cut is the spend posted afresh, bit for bit: on the
/// bundled default's patients, both strategies, every budget year and several entry times.
#[test]
fn the_treatment_postings_of_an_earlier_cut_are_those_of_a_later_one() {
    let scenario = crate::scenario::default_scenario().expect("the bundled scenario loads");
    let model = &scenario.model;
    let prep = Prepared::new(model, &model.values).expect("the bundled scenario prepares");
    let budget = prep.budget.as_ref().expect("the bundled scenario has a budget impact");
    let zero: &Prepared = &budget.undiscounted;
    let cats = zero.categories().len();
    let key = SampleKey::new(2026, 0);
    let first_line = LineProcesses::new(FIRST_LINE);
    let (mut reused, mut before, mut fresh, mut taken) =
        (vec![0.0; cats], vec![0.0; cats], vec![0.0; cats], 0);
    for i in 0..3000 {
        let pk = key.patient(i);
        let t = tumour(zero, pk);
        let line = LineDraws::of_patient(zero, pk, &first_line);
        for s in 0..zero.strategies.len() {
            let rec = simulate(zero, pk, &t, &line, s);
            let course = rec.course();
            let done = last_treatment_date(&rec);
            for arrival in [0.0, 0.25, 0.5, 0.999] {
                for m in 1..budget.years {
                    let cut = (m + 1) as f64 - arrival;
                    if !(cut - 1.0 > done) {
                        continue;
                    }
                    let (mut earlier, mut later) = (rec, rec);
                    earlier.coverage_end = rec.coverage_end.min(cut - 1.0);
                    later.coverage_end = rec.coverage_end.min(cut);
                    let walked = (&course, rec.course_regimen);
                    spend_until(zero, (&earlier, None), walked, None, &mut before);
                    spend_until(zero, (&later, None), walked, None, &mut fresh);
                    spend_until(zero, (&later, None), walked, Some(&before), &mut reused);
                    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&reused), bits(&fresh), "patient {i}, strategy {s}, year {m}");
                    taken += 1;
                }
            }
        }
    }
    assert!(taken > 1000, "the shortcut is exercised: {taken} cuts");
}
