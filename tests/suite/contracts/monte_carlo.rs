//! Monte Carlo against closed forms on an exponential model: money-back refunds (with and
//! without a documentation error) and the response rebate.

use super::{DAY, WEEK};
use crate::support::simulate;
use vbpsim::workflow::run::RunOptions;

const MC_PATIENTS: u64 = 200_000;

/// One exponential regimen read with errors, under two money-back contracts (one with a
/// documentation error) and a response rebate.
const MC: &str = "contracts/mc.toml";

/// ∫_a^b f by composite Simpson.
fn simpson(f: impl Fn(f64) -> f64, a: f64, b: f64, panels: usize) -> f64 {
    let h = (b - a) / panels as f64;
    let mut s = f(a) + f(b);
    for i in 1..panels {
        s += f(a + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    s * h / 3.0
}

#[test]
fn money_back_and_response_rebate_match_closed_forms() {
    let (_, sim) = simulate(MC, &[], &RunOptions::default());
    assert_eq!(sim.patients, MC_PATIENTS);
    let (a, c, w, tau, phi) = (5000.0, 21.0 * DAY, 0.5, 12.0 * WEEK, 0.5);
    let rho = 1.035f64.ln();
    let (p, fp, fnr) = (0.4, 0.1, 0.2);
    let ld = 0.03 * 12.0;
    // (weight, rate of F = min(T_p, T_d), probability of being read as a responder)
    let groups = [(p, 0.08 * 12.0 + ld, 1.0 - fnr), (1.0 - p, 0.3 * 12.0 + ld, fp)];
    // Money back: refund A·m(F)·d(F) if F < W, m(F) = ⌈F/c⌉ cycles paid before F.
    let (mut e1, mut e2) = (0.0, 0.0);
    for &(wg, l, _) in &groups {
        let mut j = 1;
        while (j - 1) as f64 * c < w {
            let (lo, hi) = ((j - 1) as f64 * c, (j as f64 * c).min(w));
            let m = j as f64;
            let dens = |f: f64| l * (-l * f).exp();
            e1 += wg * simpson(|f| a * m * (-rho * f).exp() * dens(f), lo, hi, 200);
            e2 += wg * simpson(|f| (a * m).powi(2) * (-2.0 * rho * f).exp() * dens(f), lo, hi, 200);
            // The same piece in closed form.
            let exact =
                wg * a * m * l / (l + rho) * ((-(l + rho) * lo).exp() - (-(l + rho) * hi).exp());
            let num = wg * simpson(|f| a * m * (-rho * f).exp() * dens(f), lo, hi, 200);
            assert!((num - exact).abs() < 1e-9 * exact.abs().max(1e-300));
            j += 1;
        }
    }
    let nf = MC_PATIENTS as f64;
    let check = |name: &str, got: f64, mean: f64, second: f64| {
        let se = ((second - mean * mean) / nf).sqrt();
        let z = (got - mean) / se;
        assert!(z.abs() < 4.0, "{name}: simulated {got} vs expected {mean} (se {se}, z {z:.2})");
        eprintln!("{name}: simulated {got:.4} expected {mean:.4} z {z:.2}");
    };
    let row = |name: &str| {
        let ci = ["mb", "mb_doc", "rr"].iter().position(|n| *n == name).unwrap();
        sim.contracts.iter().find(|k| k.contract == ci).unwrap()
    };
    assert_eq!(row("mb").treated_share, 1.0);
    check("money_back", row("mb").refunds, e1, e2);
    // An undocumented failure (25 %, independent of the outcome) is paid as a success.
    check("money_back with documentation error", row("mb_doc").refunds, 0.75 * e1, 0.75 * e2);
    // Response rebate at τ = 12 weeks: failure unless read as a responder and F > τ; refund
    // φ·A·m·d(τ) with m = min(M, ⌈F/c⌉) cycles given before τ (M = 4: cycle 4 starts at τ).
    let big_m = 4;
    let (mut r1, mut r2) = (0.0, 0.0);
    for &(wg, l, read) in &groups {
        let (mut em, mut em2) = (0.0, 0.0);
        for j in 1..=big_m {
            let lo = (j - 1) as f64 * c;
            let pj = if j < big_m {
                (-l * lo).exp() - (-l * j as f64 * c).exp()
            } else {
                (-l * lo).exp()
            };
            em += j as f64 * pj;
            em2 += (j * j) as f64 * pj;
        }
        let survive = (-l * tau).exp();
        let mf = big_m as f64;
        r1 += wg * (em - read * mf * survive);
        r2 += wg * (em2 - read * mf * mf * survive);
    }
    let unit = phi * a * (-rho * tau).exp();
    check("response_rebate", row("rr").refunds, unit * r1, unit * unit * r2);
    // The share who trigger the response rebate: 1 − P(read as a responder, F > τ).
    let fail: f64 = groups.iter().map(|&(wg, l, read)| wg * (1.0 - read * (-l * tau).exp())).sum();
    let got = row("rr").triggered_share.unwrap();
    let se = (fail * (1.0 - fail) / nf).sqrt();
    assert!(((got - fail) / se).abs() < 4.0, "rr trigger share {got} vs {fail}");
}
