//! The hand-written floors of the bundled default scenario (examples/floor_default.rs, one
//! patient at a time, and examples/floor_default_soa.rs, in blocks), against which the
//! engine's speed is judged, checked against the engine on the same scenario: they are the
//! same model only if every arm's means agree within Monte Carlo error.
//!
//! Each floor runs on its own generator (Xoshiro256++), the engine on its counter-based
//! streams, so the samples are independent and the standard error of a difference of means
//! is √(se₁² + se₂²), each side's from its own second moments (an increment's from the
//! paired per-patient differences, as summary.csv's). Every arm's mean cost, QALYs and
//! life-years, every arm's increments of cost and QALYs against the comparator, each contract
//! arm's share of patients treated with the contracted drug, and each contract arm's mean
//! correction (its cost minus the list arm's per patient, on the same patients: the
//! contracts' terms alone, with a far smaller error than the arms' costs) must agree within 4
//! such standard errors. Why 4: there are 108 comparisons (36 per pair of sides, correlated,
//! on fixed seeds); under exact agreement P(|z| > 4) = 6.3e-5 each, so the chance that a
//! correct floor fails is at most about 0.7 % (108 × 6.3e-5, summed), where a bound of 3
//! would allow up to about one in four; and at these sizes 4 standard errors are still small
//! (about $250 of incremental cost, 1.2 % of the increment, and 0.0009 incremental QALYs,
//! 1.9 %), so a semantic difference shows. The two floors are checked against each other the
//! same way.

// Each floor is pulled in whole, as its example is built: each with its own copy of
// examples/floor_common (hence the duplicate module), its `main` unused here.
#[allow(dead_code, clippy::duplicate_mod)]
#[path = "../../examples/floor_default.rs"]
mod floor_default;
#[allow(dead_code, clippy::duplicate_mod)]
#[path = "../../examples/floor_default_soa.rs"]
mod floor_default_soa;

use std::path::Path;
use vbpsim::workflow::run::RunOptions;

/// Patients per strategy of the engine's run and of each floor's (2 threads each: about 3.5 s
/// in the ci profile on 2 cores).
const ENGINE_PATIENTS: u64 = 8_000_000;
const FLOOR_PATIENTS: u64 = 16_000_000;
const THREADS: u64 = 2;
const BOUND: f64 = 4.0;

const QUANTITIES: [&str; 7] =
    ["cost", "qaly", "ly", "inc_cost", "inc_qaly", "treated_share", "correction"];

/// One side's (mean, standard error) of each quantity per arm (named `strategy/contract`),
/// `None` where a quantity does not apply (the comparator's increments, a list arm's
/// treated share).
type Side = Vec<(String, [Option<(f64, f64)>; 7])>;

/// A binomial share with its standard error.
fn share(k: u64, n: u64) -> (f64, f64) {
    let p = k as f64 / n as f64;
    (p, (p * (1.0 - p) / n as f64).sqrt())
}

/// A floor's side from its sums (the two floors each carry their own copy of the module, so
/// the conversion is written once per copy).
macro_rules! floor_side {
    ($common:path, $sums:expr) => {{
        use $common as c;
        let sums: &c::Sums = $sums;
        let n = sums.patients;
        c::ARMS
            .iter()
            .zip(sums.estimates())
            .enumerate()
            .map(|(k, (name, e))| {
                let increments = k != c::CHEMO_FOR_ALL;
                let contract = k >= c::DISCOUNT;
                let row = [
                    Some(e.cost),
                    Some(e.qaly),
                    Some(e.ly),
                    increments.then_some(e.inc_cost),
                    increments.then_some(e.inc_qaly),
                    contract.then(|| share(e.treated, n)),
                    contract.then_some(e.correction),
                ];
                (name.to_string(), row)
            })
            .collect::<Side>()
    }};
}

/// The engine's side: the default scenario simulated as `vbpsim bench` does (simulation
/// only), its summary rows and contract sums.
fn engine_side() -> Side {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/nsclc_egfr.toml");
    let s = vbpsim::scenario::load_with(Some(&path), &[]).unwrap_or_else(|e| panic!("{e}"));
    let options = RunOptions {
        patients: Some(ENGINE_PATIENTS),
        samples: Some(0),
        threads: Some(THREADS as usize),
        simulation_only: true,
        ..RunOptions::default()
    };
    let sim = crate::support::run(&s, &options);
    let n = sim.patients;
    let list_cost = |strategy: usize| {
        let list = sim.summary.iter().find(|r| r.strategy == strategy && r.contract.is_none());
        list.map_or(f64::NAN, |r| r.cost.mean)
    };
    let (strategies, contracts) = (&s.model.strategies, &s.model.contracts);
    sim.summary
        .iter()
        .enumerate()
        .map(|(arm, r)| {
            let name = format!(
                "{}/{}",
                strategies[r.strategy].name,
                r.contract.map_or("list", |c| contracts[c].name.as_str())
            );
            let se = |e: vbpsim::analysis::cea::Estimate| (e.mean, e.mcse.unwrap_or(0.0));
            let increments = r.strategy != s.model.meta.comparator;
            let row = [
                Some(se(r.cost)),
                Some(se(r.qaly)),
                Some(se(r.ly)),
                increments.then(|| se(r.inc_cost)),
                increments.then(|| se(r.inc_qaly)),
                r.contract.map(|_| share(sim.sums.contracts[arm].treated, n)),
                // The engine keeps no Σ δ²: its standard error is set from a floor's below.
                r.contract.map(|_| (r.cost.mean - list_cost(r.strategy), f64::NAN)),
            ];
            (name, row)
        })
        .collect()
}

/// Compare two sides arm by arm and quantity by quantity; the largest |z| per quantity. Fails
/// on an arm one side lacks, or a |z| above the bound.
fn compare(label: &str, a: &Side, b: &Side) -> [f64; 7] {
    let names = |s: &Side| s.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(a), names(b), "{label}: the arms differ");
    let mut largest = [0.0f64; 7];
    let mut failures = Vec::new();
    println!("{label}: z = (first − second)/√(se₁² + se₂²)");
    for ((arm, x), (_, y)) in a.iter().zip(b) {
        let mut line = format!("  {arm:<31}");
        for (q, (x, y)) in x.iter().zip(y).enumerate() {
            match (x, y) {
                (Some((mx, sx)), Some((my, sy))) => {
                    let se = (sx * sx + sy * sy).sqrt();
                    assert!(se > 0.0, "{label} {arm} {}: no Monte Carlo error", QUANTITIES[q]);
                    let z = (mx - my) / se;
                    largest[q] = largest[q].max(z.abs());
                    line += &format!(" {}={z:+.2}", QUANTITIES[q]);
                    if z.is_nan() || z.abs() > BOUND {
                        failures.push(format!(
                            "{arm} {}: {mx} ± {sx} vs {my} ± {sy} (z = {z:.2})",
                            QUANTITIES[q]
                        ));
                    }
                }
                (None, None) => {}
                _ => panic!("{label} {arm} {}: given on one side only", QUANTITIES[q]),
            }
        }
        println!("{line}");
    }
    let summary: Vec<String> =
        QUANTITIES.iter().zip(largest).map(|(q, z)| format!("{q} {z:.2}")).collect();
    println!("  largest |z|: {}", summary.join(", "));
    assert!(
        failures.is_empty(),
        "{label}: beyond {BOUND} standard errors:\n{}",
        failures.join("\n")
    );
    largest
}

#[test]
fn both_floors_agree_with_the_engine_on_the_default_scenario() {
    let started = std::time::Instant::now();
    let plain = {
        use floor_default::floor_common as c;
        let model = c::load().unwrap_or_else(|e| panic!("{e}"));
        let (sums, _) =
            c::run_threads(&model, FLOOR_PATIENTS, THREADS, 11, floor_default::simulate);
        floor_side!(floor_default::floor_common, &sums)
    };
    let soa = {
        use floor_default_soa::floor_common as c;
        let model = c::load().unwrap_or_else(|e| panic!("{e}"));
        let (sums, _) =
            c::run_threads(&model, FLOOR_PATIENTS, THREADS, 23, floor_default_soa::simulate);
        floor_side!(floor_default_soa::floor_common, &sums)
    };
    let floors = started.elapsed().as_secs_f64();
    let mut engine = engine_side();
    // A contract arm's mean correction (its cost minus the list arm's, per patient, on the
    // same patients) is the sharpest test of the contracts' terms, but the engine keeps no
    // Σ δ²: its standard error is the plain floor's scaled to the engine's patients (the same
    // distribution under agreement, so a consistent estimate).
    let scale = (FLOOR_PATIENTS as f64 / ENGINE_PATIENTS as f64).sqrt();
    for ((_, row), (_, floor_row)) in engine.iter_mut().zip(&plain) {
        if let (Some((_, se)), Some((_, floor_se))) = (&mut row[6], floor_row[6]) {
            *se = floor_se * scale;
        }
    }
    println!(
        "floors: 2 × {FLOOR_PATIENTS} patients in {floors:.2} s; engine: {ENGINE_PATIENTS} patients in \
         {:.2} s ({THREADS} threads each)",
        started.elapsed().as_secs_f64() - floors
    );
    compare("floor_default vs engine", &plain, &engine);
    compare("floor_default_soa vs engine", &soa, &engine);
    compare("floor_default vs floor_default_soa", &plain, &soa);
}

/// The SoA floor's branch-free logarithm and exponential are within 1 ulp of the C
/// library's over the arguments the floor gives them (uniforms on (0, 1), down to 2^−53,
/// and discount exponents), and beyond.
#[test]
fn the_batched_floors_logarithm_and_exponential_match_the_library() {
    let ulps = |a: f64, b: f64| (a - b).abs() / (b.abs() * f64::EPSILON);
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    let (mut ln_worst, mut exp_worst) = (0.0f64, 0.0f64);
    for i in 0..2_000_000 {
        let u = next();
        let x = [u, u * 1e-12, 1.0 - u * 1e-9, 1.0 + 40.0 * u][i % 4];
        if x != 1.0 {
            ln_worst = ln_worst.max(ulps(floor_default_soa::ln(x), x.ln()));
        }
        let y = [-0.6 * u, -40.0 * u, 700.0 * (2.0 * u - 1.0)][i % 3];
        exp_worst = exp_worst.max(ulps(floor_default_soa::exp(y), y.exp()));
    }
    assert_eq!(floor_default_soa::ln(1.0), 0.0);
    assert_eq!(floor_default_soa::exp(0.0), 1.0);
    assert!(floor_default_soa::ln((0.5f64).powi(53)) == (0.5f64).powi(53).ln());
    assert!(ln_worst <= 1.0 && exp_worst <= 1.0, "ln {ln_worst} ulp, exp {exp_worst} ulp");
}
