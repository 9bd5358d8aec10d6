//! Results by subgroup (`[subgroups]`; docs: Model → Subgroups): each level's rows are the
//! base case among its patients, so the levels of a subgroup, weighted by their patients, add
//! up to the whole population's means (every arm, contracts included: per-patient and
//! cohort-level ones, whose settlements come later); and a level's means equal their closed
//! forms.

use crate::support::{csv_rows as rows, load, run};
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

/// A level's (cost, QALYs) per arm in one sample, if it has patients.
type Level = Option<Vec<(f64, f64)>>;

/// The CLI's `run` of melanoma_braf at a small size into `out` (with `extra` arguments).
fn run_melanoma(out: &std::path::Path, extra: &[&str]) {
    let mut cmd = crate::support::vbpsim();
    cmd.args(["run", "scenarios/melanoma_braf.toml", "--quiet", "--patients", "300"])
        .args(["--samples", "12", "--threads", "2", "--out"])
        .arg(out)
        .args(extra);
    crate::support::expect(&mut cmd, 0);
}

/// Each level's CEAC, CEAF, EVPI and probability of cost-effectiveness, recomputed here from
/// the per-sample means a shard stores (samples.jsonl's subgroup element: each level's
/// (cost, QALYs) per arm, null without patients): the share of samples in which an arm has
/// the highest NMB (the first of ties), the mean NMB, the arm with the highest mean, and
/// E[max] − max E; the shard merged gives the single run's tables byte for byte.
#[test]
fn subgroup_acceptability_is_recomputed_from_the_stored_samples() {
    let dir = tempfile::tempdir().unwrap();
    let single = dir.path().join("single");
    run_melanoma(&single, &[]);
    let shard = dir.path().join("shard");
    run_melanoma(&shard, &["--shard", "1/1"]);
    let merged = dir.path().join("merged");
    let mut cmd = crate::support::vbpsim();
    cmd.arg("merge").arg(&shard).arg("--quiet").arg("--out").arg(&merged);
    crate::support::expect(&mut cmd, 0);
    for f in ["subgroups.csv", "subgroup_contracts.csv", "subgroup_ceac.csv", "subgroup_evpi.csv"] {
        let (a, b) =
            (std::fs::read(single.join(f)).unwrap(), std::fs::read(merged.join(f)).unwrap());
        assert!(a == b, "{f}: the merged shard differs from the single run");
    }
    let s = crate::support::load("../../scenarios/melanoma_braf.toml", &[]);
    let model = &s.model;
    let arm_of = |strategy: &str, contract: &str| {
        model
            .arms()
            .iter()
            .position(|a| {
                model.strategies[a.strategy].name == strategy
                    && model.contract_name(a.contract) == contract
            })
            .unwrap()
    };
    // Per sample: each level's (cost, QALYs) per arm.
    let text = std::fs::read_to_string(shard.join("samples.jsonl")).unwrap();
    let samples: Vec<Vec<Level>> = text
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let levels = v.as_array().unwrap()[4].as_array().unwrap();
            levels
                .iter()
                .map(|l| {
                    l.as_array().map(|arms| {
                        arms.iter()
                            .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
                            .collect()
                    })
                })
                .collect()
        })
        .collect();
    assert_eq!(samples.len(), 12);
    let names: Vec<(String, String)> = model
        .subgroups
        .iter()
        .flat_map(|g| g.levels.iter().map(|l| (g.name.clone(), l.clone())))
        .collect();
    assert!(samples.iter().all(|s| s.len() == names.len()));
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
    let ceac = rows(&single.join("subgroup_ceac.csv"));
    let evpi = rows(&single.join("subgroup_evpi.csv"));
    let mut checked = 0;
    for (k, (subgroup, level)) in names.iter().enumerate() {
        let present: Vec<&Vec<(f64, f64)>> = samples.iter().filter_map(|s| s[k].as_ref()).collect();
        let n = present.len() as f64;
        let of_level = |r: &&std::collections::HashMap<String, String>| {
            r["subgroup"] == *subgroup && r["level"] == *level
        };
        let level_rows: Vec<_> = ceac.iter().filter(of_level).collect();
        assert!(!level_rows.is_empty(), "{subgroup} {level}: no CEAC rows");
        // Group the rows by decision set and willingness to pay (the arms in order).
        let mut groups: Vec<Vec<&std::collections::HashMap<String, String>>> = Vec::new();
        for r in level_rows {
            match groups.last_mut() {
                Some(g) if g[0]["decision_set"] == r["decision_set"] && g[0]["wtp"] == r["wtp"] => {
                    g.push(r)
                }
                _ => groups.push(vec![r]),
            }
        }
        for g in groups {
            let wtp: f64 = g[0]["wtp"].parse().unwrap();
            assert_eq!(g[0]["samples"], present.len().to_string());
            let arms: Vec<usize> =
                g.iter().map(|r| arm_of(&r["strategy"], &r["contract"])).collect();
            let mut wins = vec![0.0; arms.len()];
            let mut sum = vec![0.0; arms.len()];
            let mut sum_max = 0.0;
            for s in &present {
                let nmb: Vec<f64> = arms.iter().map(|&a| wtp * s[a].1 - s[a].0).collect();
                let mut best = 0;
                for j in 1..nmb.len() {
                    if nmb[j] > nmb[best] {
                        best = j;
                    }
                }
                wins[best] += 1.0;
                sum_max += nmb[best];
                for (t, x) in sum.iter_mut().zip(&nmb) {
                    *t += x;
                }
            }
            let mean: Vec<f64> = sum.iter().map(|t| t / n).collect();
            let mut optimal = 0;
            for j in 1..mean.len() {
                if mean[j] > mean[optimal] {
                    optimal = j;
                }
            }
            for (j, r) in g.iter().enumerate() {
                let p: f64 = r["prob_best"].parse().unwrap();
                assert_eq!(p, wins[j] / n, "{subgroup} {level} {wtp} {}", r["strategy"]);
                assert!(close(r["expected_nmb"].parse().unwrap(), mean[j]));
                assert_eq!(r["optimal"], (j == optimal).to_string());
            }
            let e = evpi
                .iter()
                .find(|r| {
                    of_level(r)
                        && r["decision_set"] == g[0]["decision_set"]
                        && r["wtp"] == g[0]["wtp"]
                })
                .unwrap();
            let want = (sum_max / n - mean[optimal]).max(0.0);
            let got: f64 = e["evpi_per_patient"].parse().unwrap();
            assert!((got - want).abs() <= 1e-9 * mean[optimal].abs().max(1.0), "{got} vs {want}");
            checked += 1;
        }
        // The probability of cost-effectiveness against the arm's reference (io_first at list,
        // or under the arm's contract where io_first gives the drug).
        let table = crate::support::widened_rows(
            &single.join("subgroups.csv"),
            &single.join("subgroup_nmb.csv"),
            &["subgroup", "level", "strategy", "contract", "reference"],
        );
        for r in table.iter().filter(|r| of_level(r)) {
            let arm = arm_of(&r["strategy"], &r["contract"]);
            let (strategy, contract) = r["reference"].split_once('/').unwrap();
            let comparator = arm_of(strategy, contract);
            assert_eq!(strategy, "io_first");
            for &lambda in &model.meta.thresholds {
                let cell = &r[&format!("prob_ce_{lambda}")];
                if arm == comparator {
                    assert_eq!(cell, "");
                    continue;
                }
                let nmb = |s: &(f64, f64)| lambda * s.1 - s.0;
                let wins = present.iter().filter(|s| nmb(&s[arm]) > nmb(&s[comparator])).count();
                assert_eq!(cell.parse::<f64>().unwrap(), wins as f64 / n);
            }
        }
    }
    assert!(checked > 100, "{checked}");
}

/// A level that holds every patient (every patient female) has the whole population's rows in
/// every table by subgroup (up to rounding: its sums are added up apart), and the empty level
/// none in the tables across samples.
#[test]
fn a_level_holding_everyone_repeats_the_whole_population() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_melanoma(&out, &["--set", "population.share_female = 1"]);
    for (f, lead) in [
        ("subgroups.csv", 2),
        ("subgroup_contracts.csv", 2),
        ("subgroup_ceac.csv", 2),
        ("subgroup_evpi.csv", 2),
    ] {
        let text = std::fs::read_to_string(out.join(f)).unwrap();
        let cut = |prefix: &str| -> Vec<String> {
            text.lines()
                .filter(|l| l.starts_with(prefix))
                .map(|l| l.splitn(lead + 1, ',').last().unwrap().to_string())
                .collect()
        };
        let (whole, female) = (cut("all,all,"), cut("sex,female,"));
        assert!(!whole.is_empty(), "{f}");
        // The same patients' sums, accumulated apart: equal up to rounding.
        assert_eq!(whole.len(), female.len(), "{f}");
        for (a, b) in whole.iter().zip(&female) {
            for (x, y) in a.split(',').zip(b.split(',')) {
                match (x.parse::<f64>(), y.parse::<f64>()) {
                    (Ok(x), Ok(y)) => assert!(
                        (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0),
                        "{f}: {a}\nvs\n{b}"
                    ),
                    _ => assert_eq!(x, y, "{f}"),
                }
            }
        }
        let male = cut("sex,male,");
        match f {
            // Rows with the arms' names and empty cells.
            "subgroups.csv" => {
                assert!(male.iter().all(|l| l.starts_with("0,0,")), "{male:?}");
            }
            _ => assert!(male.is_empty(), "{f}: {male:?}"),
        }
    }
}

/// A subgroup level's threshold price of a contract whose cost is not linear in the price (an
/// expenditure cap on CAR-T, refunding the spend above a yearly ceiling across the whole
/// population) is searched among the level's patients: re-simulated at that price, the
/// contract arm's incremental NMB among them is zero up to the search's tolerance, for both
/// sexes, whose prices differ.
#[test]
fn a_subgroups_threshold_price_of_a_capped_contract_zeroes_its_net_benefit() {
    let name = "../../scenarios/car_t_lymphoma.toml";
    let sets = [set("subgroups.by = [\"sex\"]"), set("scenario.patients = 3000")];
    let s = load(name, &sets);
    let sim = run(&s, &RunOptions::default());
    let cap = s.model.contracts.iter().position(|c| c.name == "budget_cap_250m").unwrap();
    let mut prices = Vec::new();
    for level in ["female", "male"] {
        let g = sim.subgroups.iter().find(|g| g.level == level).unwrap();
        let row = g.contracts.iter().find(|r| r.contract == cap).unwrap();
        for (k, lambda) in s.model.meta.thresholds.iter().enumerate() {
            let price = row.threshold_price[k].price().unwrap_or_else(|| {
                panic!("{level} at {lambda}: {}", row.threshold_price[k].status())
            });
            prices.push(price);
            let mut at_price = sets.to_vec();
            at_price.push(format!("parameters.car_t_price = {{ value = {price} }}"));
            let again = run(&load(name, &at_price), &RunOptions::default());
            let g2 = again.subgroups.iter().find(|g| g.level == level).unwrap();
            let arm = &g2.arms.as_ref().unwrap()[row.arm];
            let nmb = arm.inc_nmb[k].mean;
            let scale = lambda * arm.inc_qaly.mean.abs() + arm.inc_cost.mean.abs();
            assert!(nmb.abs() <= 1e-9 * scale, "{level} at {lambda}: inc NMB {nmb} at {price}");
        }
    }
    assert!(prices[0] != prices[2], "the sexes' prices should differ: {prices:?}");
}
