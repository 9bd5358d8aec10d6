//! Patient selection by a response-predicting score (binormal model), against closed forms.
//!
//! Written from the docs ("Patient selection") alone: a responder's score is N(μ, 1), a
//! non-responder's N(0, 1), μ = √2·Φ⁻¹(AUC), positive above the cutoff c; so sensitivity
//! Φ(μ − c) and specificity Φ(c). With exponential event times every branch (responder or not ×
//! selected or not) has closed-form discounted life-years, QALYs and costs, and the strategy's
//! expectation is their mixture. The sweep's rows (one base case per cutoff) and the threshold
//! price of a `list` contract on the selected drug are checked the same way, within 4 Monte
//! Carlo standard errors.

use crate::support::{fixture, load, run};
use vbpsim::rng::SampleKey;
use vbpsim::sim::Prepared;
use vbpsim::sim::patient::{
    FIRST_LINE, LineDraws, LineProcesses, simulate as simulate_patient, tumour,
};
use vbpsim::workflow::run::RunOptions;

/// A selection score (AUC 0.8, cutoff 0.5, a sweep of three cutoffs) for a drug at 5,000 per
/// 28-day cycle, with a `list` contract on it.
const SCENARIO: &str = "selection/selection.toml";

const H: f64 = 30.0;
const P_RESPONSE: f64 = 0.3;
const PRICE: f64 = 5000.0;
const CYCLE: f64 = 28.0 / 365.25;
const LAMBDA: f64 = 100_000.0;

/// Φ by the complementary error function (Numerical Recipes erfc, |error| < 1.2e-7).
fn phi(z: f64) -> f64 {
    let x = -z / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * x.abs());
    let y = t
        * (-x * x - 1.26551223
            + t * (1.00002368
                + t * (0.37409196
                    + t * (0.09678418
                        + t * (-0.18628806
                            + t * (0.27886807
                                + t * (-1.13520398
                                    + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))))
            .exp();
    0.5 * if x >= 0.0 { y } else { 2.0 - y }
}

/// Φ⁻¹ by bisection on `phi`.
fn phi_inv(p: f64) -> f64 {
    let (mut lo, mut hi) = (-10.0, 10.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if phi(mid) < p { lo = mid } else { hi = mid }
    }
    0.5 * (lo + hi)
}

fn rates(auc: f64, cutoff: f64) -> (f64, f64) {
    let mu = std::f64::consts::SQRT_2 * phi_inv(auc);
    (phi(mu - cutoff), phi(-cutoff))
}

/// Discounted expectations on one branch: progression rate a, death before progression b,
/// death after progression s (per year); (life-years, QALYs, state costs, drug units) where
/// drug units = Σ_k (1.03)^(−kc)·P(on treatment at kc).
fn branch(a: f64, b: f64, s: f64, drug: bool) -> (f64, f64, f64, f64) {
    let rho = 1.03f64.ln();
    let f = |x: f64| (1.0 - (-(x + rho) * H).exp()) / (x + rho);
    let pf = f(a + b);
    // P(progressed and alive at t) = a (e^{−st} − e^{−(a+b)t}) / (a + b − s).
    let pd = a / (a + b - s) * (f(s) - f(a + b));
    let units = if drug {
        let mut u = 0.0;
        let mut k = 0.0;
        while k * CYCLE < H {
            u += (-(a + b + rho) * k * CYCLE).exp();
            k += 1.0;
        }
        u
    } else {
        0.0
    };
    (pf + pd, 0.8 * pf + 0.5 * pd, 6000.0 * pf + 12000.0 * pd, units)
}

/// Expected (cost, QALY) of `select` and of `bsc_all`, and the drug units of `select`.
fn expected(auc: f64, cutoff: f64) -> ((f64, f64), (f64, f64), f64) {
    let (sens, fp) = rates(auc, cutoff);
    let m = 12.0;
    let (_, q_r, c_r, u_r) = branch(0.03 * m, 0.01 * m, 0.08 * m, true);
    let (_, q_n, c_n, u_n) = branch(0.15 * m, 0.01 * m, 0.08 * m, true);
    let (_, q_b, c_b, _) = branch(0.2 * m, 0.01 * m, 0.1 * m, false);
    let (w_r, w_n) = (P_RESPONSE * sens, (1.0 - P_RESPONSE) * fp);
    let w_b = 1.0 - w_r - w_n;
    let units = w_r * u_r + w_n * u_n;
    let cost = 100.0 + w_r * c_r + w_n * c_n + w_b * c_b + PRICE * units;
    let qaly = w_r * q_r + w_n * q_n + w_b * q_b;
    ((cost, qaly), (c_b, q_b), units)
}

#[test]
fn binormal_rates_match_known_values() {
    // AUC 0.5: no information, sensitivity = 1 − specificity.
    let (s, f) = rates(0.5, 0.3);
    assert!((s - f).abs() < 1e-6);
    // The area under the binormal ROC curve is the AUC: ∫ sens d(fp) over cutoffs.
    let (mut area, mut prev) = (0.0, (1.0, 1.0));
    for i in 0..=4000 {
        let c = -8.0 + 16.0 * i as f64 / 4000.0;
        let (s, f) = rates(0.8, c);
        area += 0.5 * (s + prev.0) * (prev.1 - f);
        prev = (s, f);
    }
    assert!((area - 0.8).abs() < 1e-4, "area {area}");
}

/// The selection test reads responders positive with probability Φ(μ − c) and non-responders
/// with Φ(−c), using each patient's latent response to the predicted regimen.
#[test]
fn selection_reads_latent_response_with_binormal_rates() {
    let s = load(SCENARIO, &[]);
    let prep = Prepared::new(&s.model, &s.model.values).unwrap();
    let key = SampleKey::new(5, 0);
    let lines = LineProcesses::new(FIRST_LINE);
    let (mut r, mut r_sel, mut n, mut n_sel) = (0u32, 0u32, 0u32, 0u32);
    for i in 0..200_000u64 {
        let pk = key.patient(i);
        let line = LineDraws::new(pk, &lines);
        let status = tumour(&prep, pk);
        let truth = simulate_patient(&prep, pk, &status, &line, 2).responder;
        let selected = simulate_patient(&prep, pk, &status, &line, 1).regimen == 0;
        if truth {
            r += 1;
            r_sel += u32::from(selected);
        } else {
            n += 1;
            n_sel += u32::from(selected);
        }
    }
    let (sens, fp) = rates(0.8, 0.5);
    for (k, total, p, what) in [(r_sel, r, sens, "sensitivity"), (n_sel, n, fp, "1 − specificity")]
    {
        let share = f64::from(k) / f64::from(total);
        let se = (p * (1.0 - p) / f64::from(total)).sqrt();
        assert!((share - p).abs() < 4.0 * se, "{what}: {share} vs {p}");
    }
}

#[test]
fn base_case_and_sweep_match_closed_forms() {
    let sim = run(&load(SCENARIO, &[]), &RunOptions::default());
    let check = |summary: &[vbpsim::analysis::cea::ArmSummary],
                 contracts: &[vbpsim::analysis::contracts::ContractRow],
                 cutoff: f64| {
        let ((cost, qaly), (c_b, q_b), units) = expected(0.8, cutoff);
        let select = summary.iter().position(|a| a.strategy == 1 && a.contract.is_none()).unwrap();
        let a = &summary[select];
        let close = |got: f64, want: f64, se: f64, what: &str| {
            assert!(
                (got - want).abs() < 4.0 * se,
                "cutoff {cutoff}: {what} {got} vs {want} ({se})"
            );
        };
        close(a.cost.mean, cost, a.cost.mcse.unwrap(), "cost");
        close(a.qaly.mean, qaly, a.qaly.mcse.unwrap(), "qaly");
        let inc = LAMBDA * (qaly - q_b) - (cost - c_b);
        close(a.inc_nmb[0].mean, inc, a.inc_nmb[0].mcse.unwrap(), "incremental NMB");
        // The value-based price of d in `select` under the list contract: incremental NMB is
        // linear in the price with slope −(drug units), so price* = A + ΔNMB / units.
        let row = contracts.iter().find(|r| summary[r.arm].strategy == 1).unwrap();
        let got = row.threshold_price[0].price().unwrap();
        let want = PRICE + inc / units;
        close(got, want, summary[row.arm].inc_nmb[0].mcse.unwrap() / units, "threshold price");
    };
    check(&sim.summary, &sim.contracts, 0.5);
    let cutoffs: Vec<f64> = sim.selection.iter().map(|p| p.cutoff).collect();
    assert_eq!(cutoffs, [-1.0, 0.5, 2.0]);
    for p in &sim.selection {
        let (sens, fp) = rates(0.8, p.cutoff);
        assert!((p.sensitivity - sens).abs() < 1e-6 && (p.specificity - (1.0 - fp)).abs() < 1e-6);
        check(&p.summary, &p.contracts, p.cutoff);
    }
    // The sweep point at the scenario's own cutoff is the base case, to the bit.
    assert_eq!(sim.selection[1].summary, sim.summary);
}

/// `run` writes selection.csv (one row per cutoff × arm × threshold, the base-case cutoff's
/// rows equal to summary.csv's numbers) and the two selection plots.
#[test]
fn run_writes_the_sweep_table_and_plots() {
    let dir = tempfile::tempdir().unwrap();
    let file = fixture(SCENARIO);
    let out = dir.path().join("out");
    let run = assert_cmd::cargo::cargo_bin_cmd!("vbpsim")
        .args(["run", "--quiet", "--patients", "4000", "--out"])
        .arg(&out)
        .arg(&file)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let mut table = csv::Reader::from_path(out.join("selection.csv")).unwrap();
    let header: Vec<String> = table.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header[..7],
        ["test", "cutoff", "sensitivity", "specificity", "strategy", "contract", "wtp"]
    );
    let rows: Vec<csv::StringRecord> = table.records().map(Result::unwrap).collect();
    // 3 cutoffs × (every arm of summary.csv and every `list` contract settled on a list arm,
    // with its threshold price) × 1 threshold.
    let arms = csv::Reader::from_path(out.join("summary.csv")).unwrap().records().count();
    let mut contracts = csv::Reader::from_path(out.join("contracts.csv")).unwrap();
    let kh: Vec<String> = contracts.headers().unwrap().iter().map(String::from).collect();
    let (named, reported) = (
        kh.iter().position(|h| h == "contract").unwrap(),
        kh.iter().position(|h| h == "arm_contract").unwrap(),
    );
    let on_list_arms =
        contracts.records().map(Result::unwrap).filter(|r| r[named] != r[reported]).count();
    assert!(on_list_arms > 0, "the fixture has a `list` contract");
    assert_eq!(rows.len(), 3 * (arms + on_list_arms));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let base = crate::support::widened_rows(
        &out.join("summary.csv"),
        &out.join("nmb.csv"),
        &["strategy", "contract"],
    );
    for b in &base {
        let at = |name: &str| b[name].as_str();
        let row = rows
            .iter()
            .find(|r| {
                &r[col("cutoff")] == "0.5"
                    && &r[col("strategy")] == at("strategy")
                    && &r[col("contract")] == at("contract")
            })
            .unwrap();
        assert_eq!(&row[col("cost")], at("cost"));
        assert_eq!(&row[col("inc_nmb")], at("inc_nmb_100000"));
    }
    for r in &rows {
        let is_contract = &r[col("contract")] != "list";
        assert_eq!(r[col("threshold_status")].is_empty(), !is_contract, "{r:?}");
    }
    for stem in ["selection_nmb", "selection_price"] {
        for ext in ["png", "svg"] {
            let path = out.join(format!("{stem}.{ext}"));
            assert!(std::fs::metadata(&path).unwrap().len() > 1000, "{path:?}");
        }
    }
    let svg = std::fs::read_to_string(out.join("selection_nmb.svg")).unwrap();
    assert!(svg.contains("selection cutoff") && svg.contains("signature: select/list at 100000"));
}
