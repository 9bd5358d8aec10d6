//! Probabilistic sensitivity analysis: parameter draws against their distributions
//! (Kolmogorov–Smirnov and the stated parametrisations), a PSA whose samples are deterministic
//! given the parameters (so CEAC and EVPI have closed forms up to one numerical integral), the
//! sample tables, and reproducibility.

use crate::support::{load, run, simulate, try_load};
use statrs::distribution::{Beta, ContinuousCDF, Gamma, Normal};
use vbpsim::sim::draw::sample_values;
use vbpsim::workflow::run::{RunError, RunOptions};

/// Two strategies; nobody progresses or dies within the horizon. `bsc` has an adverse event
/// with probability 1 whose QALY loss is `loss`; `treat` pays `price` for 12 monthly cycles.
/// Undiscounted: inc cost = 12·price, inc QALY = loss, for every patient of a sample. Here
/// loss ~ Beta(mean 0.3, se 0.05), price ~ Gamma(mean 5,000, se 1,000), no PSA samples.
const PSA: &str = "psa/psa.toml";
/// The same with random survival (every curve exponential, median 2 years).
const RANDOM_SURVIVAL: &str = "psa/random_survival.toml";

/// `--set scenario.samples=…`.
fn samples(n: u64) -> String {
    format!("scenario.samples = {n}")
}

// ---------------------------------------------------------------------------------------------
// Draws

type Cdf = Box<dyn Fn(f64) -> f64>;

fn ks(mut xs: Vec<f64>, cdf: impl Fn(f64) -> f64) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len() as f64;
    xs.iter()
        .enumerate()
        .map(|(i, &x)| {
            let f = cdf(x);
            (f - i as f64 / n).abs().max(((i + 1) as f64 / n - f).abs())
        })
        .fold(0.0, f64::max)
}

#[test]
fn parameter_draws_follow_their_distributions() {
    // loss and price as in PSA; a, g, ln, n, tn, un, tri and pert of every other family.
    let s = load("psa/draws.toml", &[]);
    let m = &s.model;
    let n = 20_000u64;
    let draws: Vec<Vec<f64>> = (1..=n).map(|k| sample_values(m, 9, k).unwrap()).collect();
    let column = |name: &str| {
        let p = m.parameters.iter().find(|p| p.name == name).unwrap();
        draws.iter().map(|v| v[p.slot.0 as usize]).collect::<Vec<f64>>()
    };
    // Kolmogorov–Smirnov at α = 0.001: D < 1.95/√n.
    let critical = 1.95 / (n as f64).sqrt();
    let std = Normal::new(0.0, 1.0).unwrap();
    // Beta from mean/se by the method of moments: α = m·k, β = (1 − m)·k, k = m(1−m)/se² − 1.
    let k = 0.3 * 0.7 / 0.0025 - 1.0;
    let beta_ms = Beta::new(0.3 * k, 0.7 * k).unwrap();
    // Gamma from mean/se: shape (m/se)², scale se²/m; the duration in years.
    let gamma_ms = Gamma::new(25.0, 1.0 / 200.0).unwrap();
    let gamma_g = Gamma::new(0.7, 1.0 / 0.25).unwrap();
    let sdlog = (0.8f64 / 0.45).ln() / (2.0 * 1.959963984540054);
    let cases: Vec<(&str, Cdf)> = vec![
        ("loss", Box::new(move |x| beta_ms.cdf(x))),
        ("price", Box::new(move |x| gamma_ms.cdf(x))),
        ("a", Box::new(|x| Beta::new(2.0, 5.0).unwrap().cdf(x))),
        ("g", Box::new(move |x| gamma_g.cdf(x))),
        ("ln", Box::new(move |x: f64| std.cdf((x.ln() - 0.6f64.ln()) / sdlog))),
        ("n", Box::new(move |x| std.cdf((x - 10.0) / 2.0))),
        ("tn", Box::new(move |x| (std.cdf((x - 0.9) / 0.1) - 0.0) / std.cdf(1.0))),
        ("un", Box::new(|x| ((x - 1.0) / 2.0).clamp(0.0, 1.0))),
        (
            "tri",
            Box::new(|x: f64| if x < 1.0 { x * x / 4.0 } else { 1.0 - (4.0 - x).powi(2) / 12.0 }),
        ),
        // PERT(0, 1, 4): 4·Beta(1 + 4·1/4, 1 + 4·3/4) = 4·Beta(2, 4).
        ("pert", Box::new(|x| Beta::new(2.0, 4.0).unwrap().cdf(x / 4.0))),
    ];
    for (name, cdf) in cases {
        let d = ks(column(name), cdf);
        assert!(d < critical, "{name}: KS distance {d} ≥ {critical}");
    }
    // The stated parametrisations: mean and se of the beta, the lognormal's interval.
    let loss = column("loss");
    let mean = loss.iter().sum::<f64>() / n as f64;
    assert!((mean - 0.3).abs() < 4.0 * 0.05 / (n as f64).sqrt(), "beta mean {mean}");
    let mut ln = column("ln");
    ln.sort_by(f64::total_cmp);
    let q = |p: f64| ln[(p * n as f64) as usize];
    // Binomial error of a sample quantile: ±4·√(p(1−p)/n) in probability.
    let band = 4.0 * (0.025f64 * 0.975 / n as f64).sqrt();
    let std2 = Normal::new(0.0, 1.0).unwrap();
    let p_lo = std2.cdf((q(0.025).ln() - 0.6f64.ln()) / sdlog);
    assert!((p_lo - 0.025).abs() < band, "2.5 % quantile at p = {p_lo}");
    // Sample 0 is the base case: point values (beta mean, gamma shape·scale, lognormal median,
    // triangular and PERT mode, uniform midpoint, truncated normal mean).
    let base = sample_values(m, 9, 0).unwrap();
    let point =
        |name: &str| base[m.parameters.iter().find(|p| p.name == name).unwrap().slot.0 as usize];
    for (name, want) in [
        ("loss", 0.3),
        ("a", 2.0 / 7.0),
        ("g", 0.175),
        ("ln", 0.6),
        ("tri", 1.0),
        ("pert", 1.0),
        ("un", 2.0),
        ("tn", 0.9),
    ] {
        assert!((point(name) - want).abs() < 1e-12, "{name}: point value {}", point(name));
    }
}

// ---------------------------------------------------------------------------------------------
// A PSA with closed forms

/// E[(c − 12A)⁺] and E[((c − 12A)⁺)²] for A ~ Gamma(k, θ), by the partial moments
/// E[Aʲ·1(A < x)] = θʲ·Γ(k + j)/Γ(k)·F(x; k + j, θ).
fn gamma_positive_part(c: f64, k: f64, theta: f64) -> (f64, f64) {
    if c <= 0.0 {
        return (0.0, 0.0);
    }
    let x = c / 12.0;
    let f = |shape: f64| Gamma::new(shape, 1.0 / theta).unwrap().cdf(x);
    let m1 = c * f(k) - 12.0 * k * theta * f(k + 1.0);
    let m2 = c * c * f(k) - 24.0 * c * k * theta * f(k + 1.0)
        + 144.0 * k * (k + 1.0) * theta * theta * f(k + 2.0);
    (m1, m2)
}

#[test]
fn ceac_and_evpi_match_closed_forms() {
    // inc NMB(λ) = λ·L − 12·A with L ~ Beta(α, β) (mean 0.3, se 0.05) and A ~ Gamma(25, 200)
    // (mean 5,000, se 1,000), independent. Per sample it is exact (no patient noise).
    let samples = 4000;
    let (_, sim) = simulate(PSA, &[self::samples(samples)], &RunOptions::default());
    assert_eq!(sim.psa.len(), samples as usize);
    let k = 0.3 * 0.7 / 0.0025 - 1.0;
    let beta = Beta::new(0.3 * k, 0.7 * k).unwrap();
    let (shape, theta) = (25.0, 200.0);
    // Each sample: treat's cost is 12 × its price draw, its QALY gain the loss draw, exactly.
    for s in &sim.psa {
        let (loss, price) = (s.values[0], s.values[1]);
        let t = &s.arms[1];
        assert!((t.inc_cost.mean - 12.0 * price).abs() < 1e-9 * price, "sample {}", s.sample);
        assert!((t.inc_qaly.mean - loss).abs() < 1e-12, "sample {}", s.sample);
    }
    // Outer integral over the beta density by the midpoint rule on (0, 1).
    let integrate = |g: &dyn Fn(f64) -> f64| {
        let steps = 20_000;
        (0..steps)
            .map(|i| {
                let l = (i as f64 + 0.5) / steps as f64;
                g(l) * statrs::distribution::Continuous::pdf(&beta, l)
            })
            .sum::<f64>()
            / steps as f64
    };
    let table: Vec<Vec<(f64, f64)>> = sim
        .psa
        .iter()
        .map(|s| s.arms.iter().map(|a| (a.cost.mean, a.qaly.mean)).collect())
        .collect();
    let n = samples as f64;
    // λ where treat is cost-effective in some samples but not on average, and the reverse.
    for lambda in [150_000.0, 260_000.0] {
        let a = &vbpsim::analysis::psa::acceptability(&table, &[lambda])[0];
        // CEAC of treat: P(λL > 12A) = E_L[F_A(λL/12)].
        let gamma = Gamma::new(shape, 1.0 / theta).unwrap();
        let p = integrate(&|l| gamma.cdf(lambda * l / 12.0));
        let se = (p * (1.0 - p) / n).sqrt();
        assert!(
            (a.probability[1] - p).abs() < 4.0 * se,
            "λ {lambda}: CEAC {} vs {p}",
            a.probability[1]
        );
        // EVPI = E[X⁺] − max(0, E[X]) with X = λL − 12A.
        let (m1, m2) = {
            let m1 = integrate(&|l| gamma_positive_part(lambda * l, shape, theta).0);
            let m2 = integrate(&|l| gamma_positive_part(lambda * l, shape, theta).1);
            (m1, m2)
        };
        let ex = lambda * 0.3 - 12.0 * shape * theta;
        let evpi = m1 - ex.max(0.0);
        // The estimator is the mean of X⁺ (E[X] < 0) or of X⁻ = X⁺ − X (E[X] > 0) over samples.
        let ex2 = lambda * lambda * (0.0025 + 0.09) - 24.0 * lambda * 0.3 * shape * theta
            + 144.0 * shape * (shape + 1.0) * theta * theta;
        let var = if ex < 0.0 { m2 - m1 * m1 } else { (ex2 - m2) - (m1 - ex).powi(2) };
        let se = (var / n).sqrt();
        assert!(ex.abs() > 10.0 * se, "the test needs E[X] clearly away from 0");
        assert!((a.evpi - evpi).abs() < 4.0 * se, "λ {lambda}: EVPI {} vs {evpi} ± {se}", a.evpi);
    }
}

#[test]
fn psa_is_identical_for_any_thread_count() {
    let s = load(RANDOM_SURVIVAL, &[samples(30)]);
    let one = run(&s, &RunOptions { threads: Some(1), ..RunOptions::default() });
    let two = run(&s, &RunOptions { threads: Some(2), ..RunOptions::default() });
    assert_eq!(one.psa.len(), 30);
    for (a, b) in one.psa.iter().zip(&two.psa) {
        assert_eq!(a.values, b.values);
        assert_eq!(a.arms, b.arms);
    }
    // Samples differ from each other and from the base case.
    assert_ne!(one.psa[0].arms[1].cost.mean, one.psa[1].arms[1].cost.mean);
    assert_ne!(one.psa[0].arms[1].cost.mean, one.summary[1].cost.mean);
}

#[test]
fn a_draw_that_breaks_a_group_is_an_error_naming_the_sample() {
    // Two biomarkers of one group with independent betas around 0.5 each: some sample sums
    // above 1.
    let s = load("psa/group.toml", &[]);
    let err =
        vbpsim::workflow::run::simulate(&s, &RunOptions::default(), &mut |_, _| {}).unwrap_err();
    assert!(matches!(err, RunError::Sample { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.starts_with("PSA sample ") && message.contains("biomarker group `g`"),
        "{message}"
    );
    // The command line: invalid input (the scenario's distributions), exit 2 with what to do,
    // and no output folder.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut cmd = crate::support::vbpsim();
    cmd.arg("run").arg(crate::support::fixture("psa/group.toml")).arg("--out").arg(&out);
    let output = crate::support::expect(cmd.arg("--quiet"), 2);
    let stderr = crate::support::text_of(&output.stderr);
    assert!(stderr.contains("biomarker group `g`") && stderr.contains("= help:"), "{stderr}");
    assert!(!out.exists(), "no output folder after a failed run");
}

// ---------------------------------------------------------------------------------------------
// Joint draws: Dirichlet shares and correlated parameters

fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let cov: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let vx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    let vy: f64 = y.iter().map(|b| (b - my) * (b - my)).sum();
    cov / (vx * vy).sqrt()
}

fn ranks(x: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut r = vec![0.0; x.len()];
    for (rank, &i) in idx.iter().enumerate() {
        r[i] = rank as f64;
    }
    r
}

#[test]
fn dirichlet_shares_and_correlated_parameters_have_their_joint_laws() {
    // Dirichlet shares egfr, alk and other; correlated z1 and z2; price and u through the
    // copula.
    let s = load("psa/joint.toml", &[]);
    let m = &s.model;
    let n = 20_000u64;
    let draws: Vec<Vec<f64>> = (1..=n).map(|k| sample_values(m, 5, k).unwrap()).collect();
    let column = |name: &str| {
        let p = m.parameters.iter().find(|p| p.name == name).unwrap();
        draws.iter().map(|v| v[p.slot.0 as usize]).collect::<Vec<f64>>()
    };
    let critical = 1.95 / (n as f64).sqrt();
    // Dirichlet(2, 3, 5): shares sum to 1; each is Beta(α_k, 10 − α_k); the point values are
    // α_k/10; cov(egfr, alk) = −α₁α₂/(α₀²(α₀ + 1)).
    let (e, a, o) = (column("egfr"), column("alk"), column("other"));
    for i in 0..n as usize {
        assert!((e[i] + a[i] + o[i] - 1.0).abs() < 1e-12, "sample {i}: shares sum to 1");
    }
    for (x, alpha) in [(&e, 2.0), (&a, 3.0), (&o, 5.0)] {
        let beta = Beta::new(alpha, 10.0 - alpha).unwrap();
        let d = ks(x.clone(), |v| beta.cdf(v));
        assert!(d < critical, "share with α {alpha}: KS {d}");
    }
    let base = sample_values(m, 5, 0).unwrap();
    let point =
        |name: &str| base[m.parameters.iter().find(|p| p.name == name).unwrap().slot.0 as usize];
    assert!((point("egfr") - 0.2).abs() < 1e-15 && (point("other") - 0.5).abs() < 1e-15);
    let corr = pearson(&e, &a);
    // Correlation of Dirichlet components: −√(α₁α₂/((α₀ − α₁)(α₀ − α₂))).
    let want = -(2.0f64 * 3.0 / (8.0 * 7.0)).sqrt();
    assert!(
        (corr - want).abs() < 4.0 * (1.0 - want * want) / (n as f64).sqrt(),
        "corr {corr} vs {want}"
    );
    // Correlated normals: Pearson ρ = 0.6; marginals unchanged.
    let (z1, z2) = (column("z1"), column("z2"));
    let std = Normal::new(0.0, 1.0).unwrap();
    assert!(ks(z1.clone(), |v| std.cdf(v)) < critical);
    assert!(ks(z2.clone(), |v| std.cdf((v - 5.0) / 2.0)) < critical);
    let r = pearson(&z1, &z2);
    assert!((r - 0.6).abs() < 4.0 * (1.0 - 0.36) / (n as f64).sqrt(), "pearson {r}");
    // A gamma and a beta through the copula: Spearman's ρ_s = (6/π)·asin(ρ/2); the marginals
    // are still the gamma and the beta. The bound uses the independence-case variance 1/n,
    // larger than the correlated case's.
    let (price, u) = (column("price"), column("u"));
    let gamma = Gamma::new(25.0, 1.0 / 200.0).unwrap();
    assert!(ks(price.clone(), |v| gamma.cdf(v)) < critical);
    assert!(ks(u.clone(), |v| Beta::new(2.0, 3.0).unwrap().cdf(v)) < critical);
    let rs = pearson(&ranks(&price), &ranks(&u));
    let want = 6.0 / std::f64::consts::PI * (-0.25f64).asin();
    assert!((rs - want).abs() < 4.0 / (n as f64).sqrt(), "spearman {rs} vs {want}");
}

#[test]
fn impossible_correlations_are_refused_at_the_matrix() {
    let err = match try_load("psa/impossible_correlations.toml", &[]) {
        Ok(_) => panic!("impossible correlations must be refused"),
        Err(e) => e,
    };
    let text = format!("{err}");
    assert!(
        text.contains("correlations[0].matrix: expected a positive definite correlation matrix"),
        "{text}"
    );
    assert!(text.contains("correlations[1].parameters[0]: parameter `loss` is fixed"), "{text}");
}

#[test]
fn evppi_matches_closed_forms_on_the_deterministic_model() {
    // inc NMB = λ·L − 12·A at λ = 200,000, where E[inc NMB] = 0: EVPPI(L) =
    // E_L[(λL − 12·E[A])⁺] (an integral over the beta) and EVPPI(A) = E_A[(λ·E[L] − 12A)⁺]
    // (the gamma partial moment), both minus max(0, E[inc NMB]) = 0.
    let samples = 40_000u64;
    let (_, sim) = simulate(
        PSA,
        &[self::samples(samples)],
        &RunOptions { patients: Some(2), ..RunOptions::default() },
    );
    let table: Vec<Vec<(f64, f64)>> = sim
        .psa
        .iter()
        .map(|s| s.arms.iter().map(|a| (a.cost.mean, a.qaly.mean)).collect())
        .collect();
    let lambda = 200_000.0;
    let k = 0.3 * 0.7 / 0.0025 - 1.0;
    let beta = Beta::new(0.3 * k, 0.7 * k).unwrap();
    let (shape, theta) = (25.0, 200.0);
    let n = samples as f64;
    // E[g⁺] and E[(g⁺)²] for g(L) = λL − 60,000 by the midpoint rule over the beta density.
    let steps = 200_000;
    let (mut l1, mut l2) = (0.0, 0.0);
    for i in 0..steps {
        let l = (i as f64 + 0.5) / steps as f64;
        let g = (lambda * l - 60_000.0).max(0.0);
        let w = statrs::distribution::Continuous::pdf(&beta, l) / steps as f64;
        l1 += g * w;
        l2 += g * g * w;
    }
    let (a1, a2) = gamma_positive_part(lambda * 0.3, shape, theta);
    // Tolerance: 4 Monte Carlo standard errors of mean(g⁺), plus the regression's error on
    // that mean (at most σ_resid·√(P(g > 0)/S) ≤ σ_resid/√S for a least-squares projection:
    // σ_resid is the sd of the other parameter's part), plus the bias of max(0, mean inc NMB)
    // at E = 0 (at most sd(inc NMB)/√S).
    let sd_total = (lambda * lambda * 0.0025 + 144.0 * 1_000_000.0f64).sqrt();
    for (name, want, second, resid) in
        [("loss", l1, l2, 12_000.0), ("price", a1, a2, lambda * 0.05)]
    {
        let idx = sim.psa[0].values.len();
        assert_eq!(idx, 2);
        let k = if name == "loss" { 0 } else { 1 };
        let theta_draws: Vec<f64> = sim.psa.iter().map(|s| s.values[k]).collect();
        let got = vbpsim::analysis::evppi::evppi(&[&theta_draws], &table, &[lambda])[0].unwrap().0;
        let se = ((second - want * want) / n).sqrt();
        let tolerance = 4.0 * se + 4.0 * resid / n.sqrt() + sd_total / n.sqrt();
        assert!(want > 10.0 * tolerance / 4.0, "{name}: the case must have a sizeable EVPPI");
        assert!((got - want).abs() < tolerance, "{name}: EVPPI {got} vs {want} ± {tolerance}");
    }
    // Either parameter alone is worth less than perfect information on both.
    let evpi = vbpsim::analysis::psa::acceptability(&table, &[lambda])[0].evpi;
    for k in 0..2 {
        let theta_draws: Vec<f64> = sim.psa.iter().map(|s| s.values[k]).collect();
        let (got, _) =
            vbpsim::analysis::evppi::evppi(&[&theta_draws], &table, &[lambda])[0].unwrap();
        assert!(got < evpi);
    }
}

/// A group holding every parameter of a PSA whose samples are deterministic given them has
/// the EVPI as its EVPPI (within 4 of its standard errors, at every point of the grid where
/// the EVPI is positive), through the scenario's `[[evppi_groups]]`, the decision analysis and
/// evppi.csv's rows.
#[test]
fn a_group_of_every_parameter_has_the_evpi_as_its_evppi() {
    let (s, sim) = simulate("psa/evppi_group.toml", &[samples(2000)], &RunOptions::default());
    let subjects = s.model.evppi_subjects();
    assert_eq!(subjects.len(), 3);
    assert_eq!((subjects[2].name.as_str(), subjects[2].members.len()), ("both", 2));
    let list = &sim.decision.sets[0];
    let mut checked = 0;
    for (k, a) in list.acceptability.iter().enumerate() {
        let cell = list.evppi[2][k];
        let (got, se) = (cell.per_patient.unwrap(), cell.se.unwrap());
        if a.evpi > 0.0 {
            assert!(
                (got - a.evpi).abs() < 4.0 * se,
                "λ {}: {got} ± {se} vs EVPI {}",
                a.wtp,
                a.evpi
            );
            checked += 1;
        }
        // Either parameter alone is worth at most the group.
        for single in &list.evppi[..2] {
            assert!(single[k].per_patient.unwrap() <= got + 4.0 * se);
        }
    }
    assert!(checked >= 2, "{checked} grid points with value");
}

#[test]
fn bad_evppi_groups_are_refused_where_they_are() {
    let text = match try_load("psa/bad_evppi_groups.toml", &[]) {
        Ok(_) => panic!("bad EVPPI groups must be refused"),
        Err(e) => format!("{e}"),
    };
    for said in [
        "evppi_groups[0].parameters[1]: undefined parameter `los`",
        "evppi_groups[1].parameters[1]: parameter `fixed_cost` is fixed (no distribution)",
        "evppi_groups[2].parameters[1]: parameter `loss` is already in the group",
        "evppi_groups[3].parameters: expected 2 to 5 parameters (one alone has its own EVPPI), found 1",
        "evppi_groups[4].name: expected a name of its own, found `loss`, a parameter's name",
    ] {
        assert!(text.contains(said), "{said}\n{text}");
    }
}

#[test]
fn patient_noise_in_the_psa_is_measured_and_warned_about() {
    // Deterministic samples: no patient-level noise, no warning, within-sample errors 0 (up to
    // the rounding of sums of squares, a known limitation: about 1e-8 relative).
    let (_, quiet) = simulate(PSA, &[samples(50)], &RunOptions::default());
    assert!(quiet.warnings.is_empty(), "{:?}", quiet.warnings);
    for s in &quiet.psa {
        let e = s.arms[1].inc_nmb[0];
        assert!(e.mcse.unwrap() <= 1e-6 * e.mean.abs().max(1.0), "sample {}: {e:?}", s.sample);
    }
    // Random survival and a nearly fixed parameter: with 50 patients per sample the spread
    // across samples is almost all patient noise.
    let noisy_parameters = [
        "parameters.loss = { dist = \"beta\", mean = 0.3, se = 0.002 }".to_string(),
        "parameters.price = { dist = \"gamma\", mean = 5000, se = 10 }".to_string(),
        samples(50),
    ];
    let (_, noisy) = simulate(RANDOM_SURVIVAL, &noisy_parameters, &RunOptions::default());
    // One warning, naming each noisy arm with its share.
    assert_eq!(noisy.warnings.len(), 1, "one warning is expected: {:?}", noisy.warnings);
    let warning = &noisy.warnings[0];
    assert!(warning.contains("patient-level noise"), "{warning}");
    let named = warning.split("treat/list ").nth(1).and_then(|rest| rest.split(" % at ").next());
    let said: f64 = named.and_then(|x| x.parse().ok()).expect(warning);
    // The share behind it: mean(se²)/var across samples, well above 10 %.
    let values: Vec<f64> = noisy.psa.iter().map(|s| s.arms[1].inc_nmb[0].mean).collect();
    let ses: Vec<f64> = noisy.psa.iter().map(|s| s.arms[1].inc_nmb[0].mcse.unwrap()).collect();
    let share = vbpsim::analysis::psa::noise_share(&values, &ses).unwrap();
    assert!(share > 0.5, "share {share}");
    assert_eq!(said, (100.0 * share).round(), "{warning}");
    // Above half the variance: a hard warning, in the decision summary too, with the patients
    // per sample that bring the worst share (over every threshold) to 10 %.
    let worst = (0..2)
        .filter_map(|k| {
            let values: Vec<f64> = noisy.psa.iter().map(|s| s.arms[1].inc_nmb[k].mean).collect();
            let ses: Vec<f64> =
                noisy.psa.iter().map(|s| s.arms[1].inc_nmb[k].mcse.unwrap()).collect();
            vbpsim::analysis::psa::noise_share(&values, &ses)
        })
        .fold(0.0, f64::max);
    let noise = noisy.noise.as_ref().expect("the worst noise");
    assert!((noise.share - worst).abs() < 1e-12, "{noise:?} vs {worst}");
    assert!(warning.starts_with("the CEAC, CEAF and EVPI are not reliable"), "{warning}");
    if worst < 1.0 {
        let n = 50.0 * worst / (1.0 - worst) * 9.0;
        let suggested = noise.suggested_patients.unwrap();
        assert!(suggested as f64 >= n && (suggested as f64) < n * 1.1 + 10.0, "{suggested} vs {n}");
        assert!(
            warning.contains(&format!("simulate about {suggested} patients per sample (now 50)"))
        );
    }
}

/// Parse a CSV written to memory into (header, rows).
fn table_of(bytes: Vec<u8>) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::ReaderBuilder::new().from_reader(bytes.as_slice());
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r.records().map(|x| x.unwrap().iter().map(str::to_string).collect()).collect();
    (header, rows)
}

#[test]
fn population_evpi_and_psa_summary_by_hand() {
    // 200 samples; costs discounted at 3.5 %; 1,000 patients a year over 5 years; a grid of
    // 150,000, 200,000 and 250,000.
    let (s, sim) = simulate("psa/population.toml", &[], &RunOptions::default());
    let (mut ceac, mut ceaf, mut evpi) = (Vec::new(), Vec::new(), Vec::new());
    vbpsim::output::psa_tables::write_acceptability(
        &mut ceac,
        &mut ceaf,
        &mut evpi,
        &s.model,
        &sim.arms,
        &sim.decision,
    )
    .unwrap();
    let (_, rows) = table_of(evpi);
    // N·Σ_{t<5} 1.035^(−t) yearly cohorts.
    let cohorts = 1000.0 * (0..5).map(|t| 1.035f64.powi(-t)).sum::<f64>();
    assert!(rows.iter().any(|r| r[2].parse::<f64>().unwrap() > 0.0), "some EVPI");
    // The grid's three points and the thresholds, which are always on it.
    let wtp: Vec<&str> = rows.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(wtp, ["20000", "60000", "150000", "200000", "250000"]);
    for row in &rows {
        let (per_patient, population): (f64, f64) =
            (row[2].parse().unwrap(), row[3].parse().unwrap());
        assert!(per_patient >= 0.0);
        assert!((population - per_patient * cohorts).abs() <= 1e-9 * population, "{row:?}");
    }
    // Without `payer.population`, the budget impact's eligible patients: 800 a year growing by
    // 10 %, and 300 prevalent in the first year.
    let sets = [
        "scenario.samples = 200".to_string(),
        "scenario.discount = { costs = 0.035, outcomes = 0 }".into(),
        "scenario.wtp_grid = { from = 150000, to = 250000, step = 50000 }".into(),
        "scenario.decision_years = 5".into(),
        r#"budget_impact = { strategy = "treat", years = 2, incident = 800, growth = 0.1, prevalent = 300, uptake = [0.5, 0.5] }"#.into(),
    ];
    let (b, budgeted) = simulate("psa/psa.toml", &sets, &RunOptions::default());
    assert_eq!(b.model.meta.population, None);
    let (mut ceac, mut ceaf, mut evpi) = (Vec::new(), Vec::new(), Vec::new());
    vbpsim::output::psa_tables::write_acceptability(
        &mut ceac,
        &mut ceaf,
        &mut evpi,
        &b.model,
        &budgeted.arms,
        &budgeted.decision,
    )
    .unwrap();
    let (_, rows) = table_of(evpi);
    let eligible = |t: i32| 800.0 * 1.1f64.powi(t) + if t == 0 { 300.0 } else { 0.0 };
    let cohorts = (0..5).map(|t| eligible(t) * 1.035f64.powi(-t)).sum::<f64>();
    assert_eq!(rows.len(), 5);
    for row in &rows {
        let (per_patient, population): (f64, f64) =
            (row[2].parse().unwrap(), row[3].parse().unwrap());
        assert!(per_patient >= 0.0);
        assert!((population - per_patient * cohorts).abs() <= 1e-9 * population, "{row:?}");
    }
    // psa_summary: mean, MCSE = sd/√S and the quantiles of the samples' values, and the RMS of
    // the samples' own standard errors, recomputed here.
    let mut out = Vec::new();
    vbpsim::output::psa_tables::write_psa_summary(
        &mut out,
        &s.model,
        &sim.summary,
        &sim.psa_summary,
    )
    .unwrap();
    let (header, rows) = table_of(out);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let row = rows.iter().find(|r| r[0] == "treat" && r[2] == "inc_cost").unwrap();
    let xs: Vec<f64> = sim.psa.iter().map(|p| p.arms[1].inc_cost.mean).collect();
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let get = |c: &str| row[col(c)].parse::<f64>().unwrap();
    assert!((get("psa_mean") - mean).abs() < 1e-9 * mean.abs());
    assert!((get("psa_sd") - sd).abs() < 1e-9 * sd);
    assert!((get("psa_mcse") - sd / n.sqrt()).abs() < 1e-9 * sd);
    let mut sorted = xs.clone();
    sorted.sort_by(f64::total_cmp);
    // R type 7 at 2.5 %: h = 199·0.025 = 4.975.
    let low = sorted[4] + 0.975 * (sorted[5] - sorted[4]);
    assert!((get("psa_low") - low).abs() < 1e-9 * low.abs());
    assert_eq!(get("base_case"), sim.summary[1].inc_cost.mean);
    let rms =
        (sim.psa.iter().map(|p| p.arms[1].inc_cost.mcse.unwrap().powi(2)).sum::<f64>() / n).sqrt();
    assert!((get("within_sample_se") - rms).abs() <= 1e-9 * rms.max(1e-300));
}

/// Every threshold is on the willingness-to-pay grid: the default grid of 40 steps to twice the
/// largest threshold steps by 7,500 for [100,000, 150,000], so 100,000 is added (150,000 is a
/// step already); a grid of the scenario's own gets them too.
#[test]
fn every_threshold_is_on_the_wtp_grid() {
    // A fixture without a grid of its own.
    let s = load("partners/partners.toml", &["scenario.thresholds = [100000, 150000]".into()]);
    let grid = &s.model.meta.wtp_grid;
    assert_eq!(grid.len(), 42, "41 steps and 100,000");
    assert!(grid.windows(2).all(|w| w[0] < w[1]), "sorted, each once");
    assert!(grid.contains(&100_000.0) && grid.contains(&150_000.0) && grid[41] == 300_000.0);
    let own = load(
        PSA,
        &[
            "scenario.thresholds = [30000, 45000]".into(),
            "scenario.wtp_grid = { from = 0, to = 100000, step = 20000 }".into(),
        ],
    );
    let expected = [0.0, 20_000.0, 30_000.0, 40_000.0, 45_000.0, 60_000.0, 80_000.0, 100_000.0];
    assert_eq!(own.model.meta.wtp_grid, expected);
}

/// The patients per sample that bring a noise share to 10 %: noise variance falls as 1/n, so
/// n' = n · share/(1 − share) · 9, rounded up to two significant digits; none once the noise is
/// the whole spread.
#[test]
fn suggested_patients_by_hand() {
    use vbpsim::analysis::results::suggested_patients;
    assert_eq!(suggested_patients(1000, 0.5, 0.1), Some(9000));
    assert_eq!(suggested_patients(1000, 0.9, 0.1), Some(81_000));
    // 2000 · (0.3/0.7) · 9 = 7714.3 → 7800.
    assert_eq!(suggested_patients(2000, 0.3, 0.1), Some(7800));
    assert_eq!(suggested_patients(1000, 1.0, 0.1), None);
    assert_eq!(suggested_patients(1000, 1.2, 0.1), None);
}

/// summary.csv's probabilistic rows are the means over the samples of each sample's means:
/// on the deterministic PSA every patient of a sample gains `loss` QALYs for 12·`price`, so
/// the treated arm's row is 12·mean(price), mean(loss), their ratio as the ICER, and standard
/// errors sd/√S of the draws, recomputed here from the parameter draws; the comparator's row
/// is its own reference with zero increments.
#[test]
fn the_probabilistic_summary_is_the_mean_over_the_samples() {
    let (_, sim) = simulate(PSA, &[samples(200)], &RunOptions::default());
    assert_eq!(sim.summary_psa.len(), sim.summary.len());
    let n = sim.psa.len() as f64;
    let mean = |x: &[f64]| x.iter().sum::<f64>() / n;
    let se = |x: &[f64]| {
        let m = mean(x);
        (x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1.0) / n).sqrt()
    };
    let close = |a: f64, b: f64, what: &str| {
        assert!((a - b).abs() <= 1e-9 * a.abs().max(b.abs()), "{what}: {a} vs {b}");
    };
    let loss: Vec<f64> = sim.psa.iter().map(|s| s.values[0]).collect();
    let cost: Vec<f64> = sim.psa.iter().map(|s| 12.0 * s.values[1]).collect();
    let treat = &sim.summary_psa[1];
    close(treat.inc_cost.mean, mean(&cost), "incremental cost");
    close(treat.inc_cost.mcse.unwrap(), se(&cost), "its standard error");
    close(treat.inc_qaly.mean, mean(&loss), "incremental QALYs");
    close(treat.inc_qaly.mcse.unwrap(), se(&loss), "its standard error");
    close(treat.icer.unwrap(), mean(&cost) / mean(&loss), "ICER of the mean increments");
    for (k, lambda) in [20_000.0, 60_000.0].into_iter().enumerate() {
        let inc: Vec<f64> = loss.iter().zip(&cost).map(|(q, c)| lambda * q - c).collect();
        close(treat.inc_nmb[k].mean, mean(&inc), "incremental NMB");
        close(treat.inc_nmb[k].mcse.unwrap(), se(&inc), "its standard error");
    }
    let bsc = &sim.summary_psa[0];
    assert_eq!(bsc.icer_status.as_str(), "comparator");
    assert_eq!((bsc.inc_cost.mean, bsc.inc_qaly.mean), (0.0, 0.0));
}

/// parameters.csv reports each draw in the unit the scenario writes the parameter in: the
/// default scenario's `osi_responder_median` (`median = "24.5 months"`) in months, 12 times
/// the internal draw in years, named in run.json's `units.parameters`; numbers as drawn.
#[test]
fn parameters_are_reported_in_the_scenarios_units() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let out_s = out.to_string_lossy().into_owned();
    crate::support::vbpsim()
        .args(["run", "--patients", "50", "--samples", "20", "--quiet", "--out", &out_s])
        .assert()
        .success();
    let (s, sim) = simulate(
        "../../scenarios/nsclc_egfr.toml",
        &[],
        &RunOptions { patients: Some(50), samples: Some(20), ..RunOptions::default() },
    );
    let uncertain: Vec<&vbpsim::model::Parameter> =
        s.model.parameters.iter().filter(|p| p.is_uncertain()).collect();
    let k = uncertain.iter().position(|p| p.name == "osi_responder_median").unwrap();
    let mut r = csv::Reader::from_path(out.join("parameters.csv")).unwrap();
    let header = r.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    assert_eq!(rows.len(), sim.psa.len());
    for (row, sample) in rows.iter().zip(&sim.psa) {
        for (j, p) in uncertain.iter().enumerate() {
            let written: f64 = row[j + 1].parse().unwrap();
            let factor = if j == k { 12.0 } else { 1.0 };
            let want = sample.values[j] * factor;
            assert!(
                (written - want).abs() <= 1e-12 * want.abs(),
                "{}: {written} vs {want}",
                p.name
            );
        }
    }
    assert_eq!(&header[k + 1], "osi_responder_median");
    let median: f64 = rows.iter().map(|r| r[k + 1].parse::<f64>().unwrap()).sum::<f64>() / 20.0;
    assert!((15.0..40.0).contains(&median), "months, around 24.5: {median}");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(manifest["units"]["parameters"]["osi_responder_median"], "months");
    assert!(manifest["units"]["parameters"].get("egfr_prevalence").is_none());
}

/// contracts.csv's probabilistic row is the mean over the samples of each sample's contract
/// sums, and its threshold price is the price at which the mean incremental NMB over the
/// samples is zero, with the list price itself drawn per sample: on the deterministic PSA
/// under a 25 % discount every patient of sample s costs 9·price_s (12 cycles at 75 %), so
/// list spend = 12·mean(price), spend = 9·mean(price), and at a common list price A the mean
/// incremental NMB λ·mean(loss) − 9·A is zero at A* = λ·mean(loss)/9, recomputed here from the
/// parameter draws.
#[test]
fn the_probabilistic_contract_row_is_the_mean_over_the_samples() {
    use vbpsim::analysis::contracts::ThresholdPrice;
    let (_, sim) = simulate("psa/contract.toml", &[samples(200)], &RunOptions::default());
    let r = &sim.results;
    assert_eq!(r.contracts_psa.len(), r.contracts.len());
    let n = r.psa.len() as f64;
    let mean = |x: &[f64]| x.iter().sum::<f64>() / n;
    let close = |a: f64, b: f64, what: &str| {
        assert!((a - b).abs() <= 1e-9 * a.abs().max(b.abs()), "{what}: {a} vs {b}");
    };
    let loss: Vec<f64> = r.psa.iter().map(|s| s.values[0]).collect();
    let price: Vec<f64> = r.psa.iter().map(|s| s.values[1]).collect();
    let row = &r.contracts_psa[0];
    assert_eq!(row.contract, 0);
    close(row.treated_share, 1.0, "every patient is treated");
    close(row.list_spend, 12.0 * mean(&price), "list spend");
    close(row.paid, 9.0 * mean(&price), "paid");
    assert_eq!(row.refunds, 0.0);
    close(row.contract_spend, 9.0 * mean(&price), "spend");
    close(row.effective_discount.unwrap(), 0.25, "effective discount");
    close(row.spend_per_treated.unwrap(), 9.0 * mean(&price), "spend per treated patient");
    close(row.manufacturer_net_revenue, 9.0 * mean(&price), "manufacturer's revenue");
    assert_eq!((row.spend_per_treated_sd, row.spend_per_treated_p95), (None, None));
    for (k, lambda) in [20_000.0, 60_000.0].into_iter().enumerate() {
        let ThresholdPrice::At(p) = row.threshold_price[k] else {
            panic!("a threshold price at {lambda}: {:?}", row.threshold_price[k]);
        };
        close(p, lambda * mean(&loss) / 9.0, "threshold price");
        // Put back as every sample's price, the mean incremental NMB is zero.
        let at_p: f64 = loss.iter().map(|q| lambda * q - 9.0 * p).sum::<f64>() / n;
        assert!(at_p.abs() <= 1e-9 * lambda, "{at_p}");
    }
    // The arm's increments are the probabilistic summary's.
    let arm = &r.summary_psa[row.arm];
    close(arm.inc_cost.mean, 9.0 * mean(&price), "the arm's incremental cost");
}

/// The probabilistic threshold price, put back as the drug's price in every sample, makes the
/// arm's mean incremental NMB over the samples zero: checked by re-simulating the whole PSA at
/// that price in the default scenario, where the EGFR prevalence is drawn, so the share
/// treated, and with it the slope of the arm's cost in the price, changes from sample to
/// sample (a mean of per-sample prices, or a ratio of other means, would miss).
#[test]
fn the_probabilistic_threshold_price_put_back_zeroes_the_mean_net_benefit() {
    let file = "../../scenarios/nsclc_egfr.toml";
    let options = RunOptions { patients: Some(400), samples: Some(16), ..RunOptions::default() };
    let (s, sim) = simulate(file, &[], &options);
    let c = s.model.contracts.iter().position(|c| c.name == "discount_20").unwrap();
    let r = sim.contracts_psa.iter().position(|r| r.contract == c).unwrap();
    let row = &sim.contracts_psa[r];
    let slopes: Vec<f64> = sim.psa.iter().map(|x| x.contracts[r].slope).collect();
    assert!(slopes.iter().any(|&x| x != slopes[0]), "the slope varies: {slopes:?}");
    for (k, lambda) in s.model.meta.thresholds.clone().into_iter().enumerate() {
        let price = row.threshold_price[k].price().expect("a threshold price");
        let at = [format!("regimens.osimertinib.drugs.osimertinib.price = {price:?}")];
        let (_, again) = simulate(file, &at, &options);
        let arm = &again.summary_psa[row.arm];
        let nmb = arm.inc_nmb[k].mean;
        let scale = lambda * arm.inc_qaly.mean.abs() + arm.cost.mean;
        assert!(nmb.abs() <= 1e-9 * scale, "λ = {lambda}: mean NMB {nmb} at price {price}");
        // The deterministic threshold price differs: the base case is one draw of the world.
        let base = sim.contracts[r].threshold_price[k].price().unwrap();
        assert!((base - price).abs() > 1e-6 * price, "{base} vs {price}");
    }
}
