//! Results by subgroup (`[subgroups]`; docs: Model → Subgroups): each level's rows are the
//! base case among its patients, so the levels of a subgroup, weighted by their patients, add
//! up to the whole population's means (every arm, contracts included: per-patient and
//! cohort-level ones, whose settlements come later); and a level's means equal their closed
//! forms.

use crate::support::{load, run};
use vbpsim::analysis::cea::ArmSummary;
use vbpsim::workflow::run::RunOptions;

fn set(s: &str) -> String {
    s.to_string()
}

/// Every subgroup's levels add up to the whole, for every arm and measure.
fn adds_up(name: &str, sets: &[String]) {
    let s = load(name, sets);
    let sim = run(&s, &RunOptions::default());
    assert!(!sim.subgroups.is_empty(), "{name}: no subgroup results");
    let n = sim.patients as f64;
    let measures = |a: &ArmSummary| {
        [
            a.cost.mean,
            a.qaly.mean,
            a.ly.mean,
            a.ly_undiscounted.mean,
            a.inc_cost.mean,
            a.inc_qaly.mean,
        ]
    };
    for subgroup in &s.model.subgroups {
        let levels: Vec<_> = sim.subgroups.iter().filter(|g| g.subgroup == subgroup.name).collect();
        assert_eq!(levels.len(), subgroup.levels.len());
        assert_eq!(levels.iter().map(|g| g.patients).sum::<u64>(), sim.patients);
        for (arm, whole) in sim.summary.iter().enumerate() {
            let mut sums = [0.0; 6];
            for g in &levels {
                let Some(arms) = &g.arms else { continue };
                assert_eq!(
                    (arms[arm].strategy, arms[arm].contract),
                    (whole.strategy, whole.contract)
                );
                for (s, m) in sums.iter_mut().zip(measures(&arms[arm])) {
                    *s += g.patients as f64 * m;
                }
            }
            for (k, (got, want)) in sums.iter().zip(measures(whole)).enumerate() {
                let want = n * want;
                // The same patients' sums in another order: equal but for rounding.
                assert!(
                    (got - want).abs() <= 1e-9 * want.abs().max(n),
                    "{name}, {}, arm {arm}, measure {k}: {got} vs {want}",
                    subgroup.name
                );
            }
        }
    }
}

#[test]
fn subgroup_rows_add_up_to_the_whole() {
    // Biomarker status on the default scenario (five per-patient contracts).
    adds_up(
        "../../scenarios/nsclc_egfr.toml",
        &[set("subgroups.by = [\"EGFR\"]"), set("scenario.patients = 3000")],
    );
    // Sex and age bands beside cohort-level contracts (a population outcome guarantee, an
    // expenditure cap) settled after their populations are complete.
    adds_up(
        "../../scenarios/car_t_lymphoma.toml",
        &[
            set("subgroups = { by = [\"sex\", \"age\"], age_cuts = [\"55 years\", \"65 years\"] }"),
            set("scenario.patients = 3000"),
        ],
    );
    // Covariates from profiles and stated shares, and an age band without patients.
    adds_up("covariates/covariates.toml", &[]);
}

/// ECOG 1's mean cost on the clinical course against its closed form (covariates.toml: rates
/// per year 1.2·1.5 (×0.8 for women) to progression, 0.24·2 to death before it, 1.2·1.25
/// after it; state costs 12,000 and 6,000 a year times 1.5 for ECOG 1 and 2 for current
/// smokers; P(female | ECOG 1) = 3/7 from the profiles), within 4 standard errors.
#[test]
fn a_subgroups_means_match_their_closed_form() {
    let s = load("covariates/covariates.toml", &[set("scenario.patients = 200000")]);
    let sim = run(&s, &RunOptions::default());
    let level = sim.subgroups.iter().find(|g| g.subgroup == "ecog" && g.level == "1").unwrap();
    let clinical = &level.arms.as_ref().unwrap()[0];
    let mut want = 0.0;
    for (p, female) in [(3.0 / 7.0, true), (4.0 / 7.0, false)] {
        let lp = 1.2 * 1.5 * if female { 0.8 } else { 1.0 };
        let (ld, la) = (0.24 * 2.0, 1.2 * 1.25);
        want += p * 1.5 * 1.25 * (12_000.0 / (lp + ld) + 6_000.0 * lp / (lp + ld) / la);
    }
    let se = clinical.cost.mcse.unwrap();
    assert!(
        (clinical.cost.mean - want).abs() < 4.0 * se,
        "{} vs {want} (se {se})",
        clinical.cost.mean
    );
    let share = level.patients as f64 / sim.patients as f64;
    let se = (0.7 * 0.3 / sim.patients as f64).sqrt();
    assert!((share - 0.7).abs() < 4.0 * se, "share {share}");
}
