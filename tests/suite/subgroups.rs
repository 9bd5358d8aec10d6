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
    let contract = |r: &vbpsim::analysis::contracts::ContractRow| {
        [r.treated_share, r.list_spend, r.paid, r.refunds, r.admin, r.manufacturer_net_revenue]
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
        // Contract rows: treated share, spend, refunds, administration and the manufacturer's
        // revenue add up too.
        for (row, whole) in sim.contracts.iter().enumerate() {
            let mut sums = [0.0; 6];
            for g in &levels {
                if g.arms.is_none() {
                    continue;
                }
                let r = &g.contracts[row];
                assert_eq!((r.arm, r.contract), (whole.arm, whole.contract));
                for (s, m) in sums.iter_mut().zip(contract(r)) {
                    *s += g.patients as f64 * m;
                }
            }
            for (k, (got, want)) in sums.iter().zip(contract(whole)).enumerate() {
                let want = n * want;
                assert!(
                    (got - want).abs() <= 1e-9 * want.abs().max(n),
                    "{name}, {}, contract row {row}, measure {k}: {got} vs {want}",
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

/// A subgroup's threshold (value-based) price of a linear contract is the list price at which
/// the contract arm's incremental net monetary benefit among that subgroup's patients is zero:
/// re-simulated at that first-line price (the same patients, costs linear in the price), it is
/// zero up to rounding, for each level of EGFR status.
#[test]
fn a_subgroups_threshold_price_zeroes_its_net_benefit() {
    let sets = [set("subgroups.by = [\"EGFR\"]"), set("scenario.patients = 3000")];
    let name = "../../scenarios/nsclc_egfr.toml";
    let s = load(name, &sets);
    let sim = run(&s, &RunOptions::default());
    let discount = s.model.contracts.iter().position(|c| c.name == "discount_20").unwrap();
    let lambda = s.model.meta.thresholds[0];
    for level in ["positive", "negative"] {
        let g = sim.subgroups.iter().find(|g| g.level == level).unwrap();
        let row = g.contracts.iter().find(|r| r.contract == discount).unwrap();
        // Not cost-effective even free: the net benefit at price 0 is negative.
        let price = row.threshold_price[0].price().unwrap_or(0.0);
        let mut at_price = sets.to_vec();
        // The first-line price (the contract covers the first-line regimen; osimertinib after
        // chemotherapy stays at list).
        at_price.push(format!(
            "regimens.osimertinib.drugs = [{{ name = \"osimertinib\", price = {price}, cycle = \"30 days\" }}]"
        ));
        let again = run(&load(name, &at_price), &RunOptions::default());
        let g2 = again.subgroups.iter().find(|g| g.level == level).unwrap();
        let arm = &g2.arms.as_ref().unwrap()[row.arm];
        let nmb = arm.inc_nmb[0].mean;
        let scale = lambda * arm.inc_qaly.mean.abs() + arm.inc_cost.mean.abs();
        if row.threshold_price[0].price().is_none() {
            assert_eq!(row.threshold_price[0].status(), "not_cost_effective_even_free");
            assert!(nmb < 0.0, "{level}: inc NMB {nmb} free");
            continue;
        }
        assert!(nmb.abs() <= 1e-9 * scale.max(1.0), "{level}: inc NMB {nmb} at price {price}");
    }
}
