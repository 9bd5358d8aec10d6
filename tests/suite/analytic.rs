//! Independent check of the engine's numbers against numerical integration.
//!
//! Nothing here uses vbpsim's library code. The expected per-patient costs (total and by
//! category), QALYs and life-years of each strategy of `tests/scenarios/analytic_two_arm.toml`
//! are computed from the README's "Model" section alone: the discrete branches (true biomarker
//! status × test outcome × response) are enumerated with their probabilities, and within a
//! branch the expectations over the continuous event times are integrals over the densities and
//! survival functions, evaluated with adaptive Gauss–Kronrod quadrature to ~1e-10. Adverse
//! events are independent of everything else and enter only linearly (their mean and, for the
//! variance, their second moment), so their branches are summed in closed form instead of being
//! enumerated. The built binary is then run on the same scenario and its `summary.csv`,
//! `costs.csv` and `survival.csv` are compared with the expectations, allowing 4 Monte Carlo
//! standard errors (DESIGN §9: a few MCSEs, never loosened to pass).
//!
//! The scenario's parameter values are hard-coded below (they come from the TOML file, not from
//! the code under test): change both together.

use std::collections::HashMap;
use std::path::Path;

// ---------------------------------------------------------------------------------------------
// Units (README "Time and units"): internal time in years.
const MONTH: f64 = 1.0 / 12.0;
const DAY: f64 = 1.0 / 365.25;

// ---------------------------------------------------------------------------------------------
// Scenario values, copied by hand from tests/scenarios/analytic_two_arm.toml.
const SCENARIO: &str = "tests/scenarios/analytic_two_arm.toml";
const HORIZON: f64 = 15.0;
const DISCOUNT_COSTS: f64 = 0.035;
const DISCOUNT_OUTCOMES: f64 = 0.015;
const PATIENTS: f64 = 200_000.0;
const THRESHOLDS: [f64; 2] = [50_000.0, 100_000.0];
const COMPARATOR: &str = "treat_all_b";
const TEST_AND_TREAT: &str = "test_and_treat";

const PREVALENCE_M: f64 = 0.3;
const TEST_SENSITIVITY: f64 = 0.9;
const TEST_SPECIFICITY: f64 = 0.95;
const TEST_FAILURE: f64 = 0.1; // on_failure = "negative"
const TEST_COST: f64 = 2000.0;
const TEST_TURNAROUND: f64 = 14.0 * DAY;

const PF_COST: f64 = 800.0 / MONTH; // per year
const PF_UTILITY: f64 = 0.75;
const PD_COST: f64 = 2000.0 / MONTH; // per year
const PD_UTILITY: f64 = 0.5;
const DEATH_COST: f64 = 10_000.0;

/// Regimen "a": test-positive patients in `test_and_treat`.
fn regimen_a() -> Regimen {
    Regimen {
        name: "a",
        drug: Drug {
            category: DRUG_A,
            price: 10_000.0,
            cycle: 21.0 * DAY,
            max_cycles: Some(12),
            administration: 300.0, // drug-level, same schedule
        },
        response_if_m: 0.7,
        response_otherwise: 0.15,
        progression_responder: Dist::Weibull { shape: 1.4, scale: 20.0 * MONTH },
        progression_non_responder: Dist::Exponential {
            rate: std::f64::consts::LN_2 / (4.0 * MONTH),
        },
        death_before_progression: Dist::Exponential { rate: 0.01 / MONTH },
        post_progression: Dist::Weibull { shape: 1.2, scale: 10.0 * MONTH },
        post_progression_cost: 3000.0 / MONTH,
        discontinuation: Some(Dist::Exponential { rate: 0.04 / MONTH }),
        adverse_events: vec![AdverseEvent { probability: 0.2, cost: 5000.0, qaly_loss: 0.02 }],
    }
}

/// Regimen "b": everybody in `treat_all_b`, test-negatives (and failed tests) in `test_and_treat`.
fn regimen_b() -> Regimen {
    Regimen {
        name: "b",
        drug: Drug {
            category: DRUG_B,
            price: 4000.0,
            cycle: 28.0 * DAY,
            max_cycles: None, // paid until progression (or death), within the horizon
            administration: 150.0, // regimen-level: per cycle of the first (only) drug
        },
        response_if_m: 0.25, // `response = 0.25` for everybody
        response_otherwise: 0.25,
        progression_responder: Dist::LogLogistic { shape: 2.5, scale: 9.0 * MONTH },
        progression_non_responder: Dist::LogNormal { meanlog: (3.0 * MONTH).ln(), sdlog: 0.8 },
        death_before_progression: Dist::Exponential { rate: 1.0 / (60.0 * MONTH) }, // mean 60 months
        post_progression: Dist::Gompertz { shape: -0.3, rate: 0.6 }, // per year; cure fraction e^-2
        post_progression_cost: 1500.0 / MONTH,
        discontinuation: None,
        adverse_events: vec![AdverseEvent { probability: 0.1, cost: 1200.0, qaly_loss: 0.005 }],
    }
}

// ---------------------------------------------------------------------------------------------
// Cost categories of costs.csv (README "Outputs").
const TESTING: usize = 0;
const DRUG_A: usize = 1;
const DRUG_B: usize = 2;
const ADMINISTRATION: usize = 3;
const ADVERSE_EVENTS: usize = 4;
const STATE_PF: usize = 5;
const STATE_PD: usize = 6;
const POST_PROGRESSION: usize = 7;
const TERMINAL_CARE: usize = 8;
const N_CATEGORIES: usize = 9;
const CATEGORY_NAMES: [&str; N_CATEGORIES] = [
    "testing",
    "drug:drug_a",
    "drug:drug_b",
    "administration",
    "adverse_events",
    "state:progression_free",
    "state:progressed",
    "post_progression",
    "terminal_care",
];

// ---------------------------------------------------------------------------------------------
// Time-to-event distributions (README table, flexsurv parameterisation), written out directly.

#[derive(Clone, Copy, Debug)]
enum Dist {
    Exponential { rate: f64 },
    Weibull { shape: f64, scale: f64 },
    LogLogistic { shape: f64, scale: f64 },
    LogNormal { meanlog: f64, sdlog: f64 },
    Gompertz { shape: f64, rate: f64 },
}

impl Dist {
    /// S(t) = P(T > t).
    fn surv(&self, t: f64) -> f64 {
        if t <= 0.0 {
            return 1.0;
        }
        match *self {
            Dist::Exponential { rate } => (-rate * t).exp(),
            Dist::Weibull { shape, scale } => (-(t / scale).powf(shape)).exp(),
            Dist::LogLogistic { shape, scale } => 1.0 / (1.0 + (t / scale).powf(shape)),
            Dist::LogNormal { meanlog, sdlog } => {
                0.5 * erfc((t.ln() - meanlog) / (sdlog * std::f64::consts::SQRT_2))
            }
            Dist::Gompertz { shape, rate } => {
                if shape == 0.0 {
                    (-rate * t).exp()
                } else {
                    (-(rate / shape) * (shape * t).exp_m1()).exp()
                }
            }
        }
    }

    /// Density f(t) = −S'(t) (of the finite part when there is a cure fraction).
    fn dens(&self, t: f64) -> f64 {
        if t <= 0.0 {
            return 0.0;
        }
        match *self {
            Dist::Exponential { rate } => rate * (-rate * t).exp(),
            Dist::Weibull { shape, scale } => {
                let z = (t / scale).powf(shape);
                shape / t * z * (-z).exp()
            }
            Dist::LogLogistic { shape, scale } => {
                let z = (t / scale).powf(shape);
                shape / t * z / ((1.0 + z) * (1.0 + z))
            }
            Dist::LogNormal { meanlog, sdlog } => {
                let z = (t.ln() - meanlog) / sdlog;
                (-0.5 * z * z).exp() / (sdlog * t * (2.0 * std::f64::consts::PI).sqrt())
            }
            Dist::Gompertz { shape, rate } => rate * (shape * t).exp() * self.surv(t),
        }
    }
}

/// Complementary error function, to ~1e-16 absolute (enough: it only enters survival
/// probabilities). erf(x) = 2/√π · e^{−x²} · Σ_n 2ⁿ x^{2n+1} / (1·3·…·(2n+1)), a series of
/// positive terms (no cancellation); erfc(x) < 3e-17 beyond x = 6.
fn erfc(x: f64) -> f64 {
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x > 6.0 {
        return 0.0;
    }
    let mut term = x;
    let mut sum = x;
    let mut n = 0.0;
    while term > 1e-18 * sum {
        n += 1.0;
        term *= 2.0 * x * x / (2.0 * n + 1.0);
        sum += term;
        if n > 1000.0 {
            break;
        }
    }
    let erf = 2.0 / std::f64::consts::PI.sqrt() * (-x * x).exp() * sum;
    1.0 - erf
}

// ---------------------------------------------------------------------------------------------
// Quadrature: globally adaptive Gauss–Kronrod 7/15 (QUADPACK QK15 nodes and weights). The panel
// with the largest error estimate is bisected until the summed estimate is below tolerance; this
// copes with the integrable t^(a−1) behaviour of Weibull densities at 0.

const XGK: [f64; 8] = [
    0.991_455_371_120_812_6,
    0.949_107_912_342_758_5,
    0.864_864_423_359_769_1,
    0.741_531_185_599_394_5,
    0.586_087_235_467_691_1,
    0.405_845_151_377_397_2,
    0.207_784_955_007_898_48,
    0.000000000000000000000000000000000,
];
const WGK: [f64; 8] = [
    0.022_935_322_010_529_224,
    0.063_092_092_629_978_56,
    0.104_790_010_322_250_19,
    0.140_653_259_715_525_92,
    0.169_004_726_639_267_9,
    0.190_350_578_064_785_42,
    0.204_432_940_075_298_89,
    0.209_482_141_084_727_82,
];
const WG: [f64; 4] = [
    0.129_484_966_168_869_7,
    0.279_705_391_489_276_64,
    0.381_830_050_505_118_9,
    0.417_959_183_673_469_4,
];

fn gk15(f: &dyn Fn(f64) -> f64, a: f64, b: f64) -> (f64, f64) {
    let c = 0.5 * (a + b);
    let h = 0.5 * (b - a);
    let fc = f(c);
    let mut kronrod = fc * WGK[7];
    let mut gauss = fc * WG[3];
    for j in 0..7 {
        let x = h * XGK[j];
        let pair = f(c - x) + f(c + x);
        kronrod += WGK[j] * pair;
        if j % 2 == 1 {
            gauss += WG[j / 2] * pair;
        }
    }
    (kronrod * h, ((kronrod - gauss) * h).abs())
}

/// ∫_a^b f, to an absolute error of about `tol`. Starts from panels at most `width` long.
fn integrate_with(f: &dyn Fn(f64) -> f64, a: f64, b: f64, tol: f64, width: f64) -> f64 {
    // Also catches NaN bounds.
    if b.partial_cmp(&a) != Some(std::cmp::Ordering::Greater) {
        return 0.0;
    }
    let n0 = ((b - a) / width).ceil().max(1.0) as usize;
    let mut panels: Vec<(f64, f64, f64, f64)> = (0..n0)
        .map(|i| {
            let lo = a + (b - a) * i as f64 / n0 as f64;
            let hi = if i + 1 == n0 { b } else { a + (b - a) * (i + 1) as f64 / n0 as f64 };
            let (v, e) = gk15(f, lo, hi);
            (lo, hi, v, e)
        })
        .collect();
    for _ in 0..5000 {
        let err: f64 = panels.iter().map(|p| p.3).sum();
        if err <= tol {
            break;
        }
        let worst = (0..panels.len()).max_by(|&i, &j| panels[i].3.total_cmp(&panels[j].3)).unwrap();
        let (lo, hi, _, _) = panels.swap_remove(worst);
        let mid = 0.5 * (lo + hi);
        if !(mid > lo && mid < hi) {
            break;
        }
        let (v1, e1) = gk15(f, lo, mid);
        let (v2, e2) = gk15(f, mid, hi);
        panels.push((lo, mid, v1, e1));
        panels.push((mid, hi, v2, e2));
    }
    panels.sort_by(|p, q| p.0.total_cmp(&q.0));
    panels.iter().map(|p| p.2).sum()
}

/// Outer integrals (results of order 1 in years or probabilities).
fn integrate(f: &dyn Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    integrate_with(f, a, b, 1e-10, 0.25)
}

/// Inner integrals of nested ones: coarser start, slightly tighter tolerance.
fn integrate_inner(f: &dyn Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    integrate_with(f, a, b, 1e-11, 1.0)
}

// ---------------------------------------------------------------------------------------------
// Discounting (README "Discounting"): d(t) = (1+r)^(−t) = e^(−ρt) with ρ = ln(1+r).

#[derive(Clone, Copy)]
struct Disc {
    rho: f64,
}

impl Disc {
    fn annual(r: f64) -> Disc {
        Disc { rho: (1.0 + r).ln() }
    }
    fn none() -> Disc {
        Disc { rho: 0.0 }
    }
    /// d(t)² is a discount factor with twice the log-rate (used for second moments).
    fn squared(self) -> Disc {
        Disc { rho: 2.0 * self.rho }
    }
    fn d(self, t: f64) -> f64 {
        (-self.rho * t).exp()
    }
    /// I(x) = ∫_0^x d(t) dt.
    fn flow(self, x: f64) -> f64 {
        if self.rho == 0.0 { x } else { -(-self.rho * x).exp_m1() / self.rho }
    }
}

// ---------------------------------------------------------------------------------------------
// Model objects.

#[derive(Clone, Copy)]
struct AdverseEvent {
    probability: f64,
    cost: f64,
    qaly_loss: f64,
}

#[derive(Clone, Copy)]
struct Drug {
    category: usize,
    price: f64,
    cycle: f64,
    max_cycles: Option<usize>,
    /// Administration cost per cycle, paid on the drug's schedule.
    administration: f64,
}

struct Regimen {
    name: &'static str,
    drug: Drug,
    response_if_m: f64,
    response_otherwise: f64,
    progression_responder: Dist,
    progression_non_responder: Dist,
    death_before_progression: Dist,
    post_progression: Dist,
    post_progression_cost: f64,
    discontinuation: Option<Dist>,
    adverse_events: Vec<AdverseEvent>,
}

/// Per-patient expectations in one branch or one strategy: first and second moments of every
/// cost category (second moments only serve to derive per-category standard errors), and the
/// means of QALYs, LYs and undiscounted LYs.
#[derive(Clone, Copy, Default, Debug)]
struct Moments {
    cost: [f64; N_CATEGORIES],
    cost_sq: [f64; N_CATEGORIES],
    qaly: f64,
    ly: f64,
    ly_undiscounted: f64,
}

impl Moments {
    fn add_weighted(&mut self, w: f64, other: &Moments) {
        for k in 0..N_CATEGORIES {
            self.cost[k] += w * other.cost[k];
            self.cost_sq[k] += w * other.cost_sq[k];
        }
        self.qaly += w * other.qaly;
        self.ly += w * other.ly;
        self.ly_undiscounted += w * other.ly_undiscounted;
    }
    fn total_cost(&self) -> f64 {
        self.cost.iter().sum()
    }
    /// Standard deviation of one category's per-patient cost across patients of the strategy.
    fn category_sd(&self, k: usize) -> f64 {
        (self.cost_sq[k] - self.cost[k] * self.cost[k]).max(0.0).sqrt()
    }
}

/// Expectations for a patient assigned regimen `reg` (responder or not) whose treatment would
/// start at `t0`.
///
/// Notation: T_p progression, T_d death before progression, both measured from diagnosis
/// (t = 0); T_s post-progression survival, measured from progression; T_x discontinuation,
/// measured from t0; all independent. M = min(T_p, T_d) is the progression-free time;
/// progression happens iff T_p < T_d. The trajectory (state flows, terminal care, QALYs before
/// adverse events, LYs) does not depend on t0; treatment (drug, administration, adverse events)
/// happens only if the patient is alive and progression-free at t0, i.e. M > t0.
fn branch(reg: &Regimen, responder: bool, t0: f64) -> Moments {
    assert!(t0 < HORIZON, "regimen {} starts after the horizon", reg.name);
    let prog = if responder { reg.progression_responder } else { reg.progression_non_responder };
    let death = reg.death_before_progression;
    let post = reg.post_progression;
    let h = HORIZON;
    let dc = Disc::annual(DISCOUNT_COSTS);
    let dout = Disc::annual(DISCOUNT_OUTCOMES);
    let d0 = Disc::none();
    let s_m = |u: f64| prog.surv(u) * death.surv(u);
    // density of progressing at u (before death): f_p(u)·S_d(u)
    let f_prog = |u: f64| prog.dens(u) * death.surv(u);
    // density of dying before progression at u: f_d(u)·S_p(u)
    let f_death_pf = |u: f64| death.dens(u) * prog.surv(u);

    // Progression-free time [0, min(M, H)), discounted: E[I(min(M, H))] = ∫_0^H d(u) S_M(u) du.
    let pf_flow = |disc: Disc| integrate(&|u| disc.d(u) * s_m(u), 0.0, h);
    // Second moment: g(m) = I(min(m, H)), g(0) = 0, E[g(M)²] = ∫_0^H 2 g(m) g'(m) S_M(m) dm.
    let pf_flow_sq = |disc: Disc| integrate(&|m| 2.0 * disc.flow(m) * disc.d(m) * s_m(m), 0.0, h);

    // Progressed time, discounted: Y = 1{T_p < T_d, T_p < H}·d(T_p)·I(min(T_s, H − T_p)).
    // E[Y] = ∫_0^H f_p S_d(u) d(u) K(H−u) du with K(x) = E[I(min(T_s, x))] = ∫_0^x d(v) S_s(v) dv.
    let pd_flow = |disc: Disc| {
        integrate(
            &|u| {
                let k = integrate_inner(&|v| disc.d(v) * post.surv(v), 0.0, h - u);
                f_prog(u) * disc.d(u) * k
            },
            0.0,
            h,
        )
    };
    // E[Y²] = ∫_0^H f_p S_d(u) d(u)² K2(H−u) du with
    // K2(x) = E[I(min(T_s, x))²] = ∫_0^x 2 I(v) d(v) S_s(v) dv.
    let pd_flow_sq = |disc: Disc| {
        integrate(
            &|u| {
                let k2 =
                    integrate_inner(&|v| 2.0 * disc.flow(v) * disc.d(v) * post.surv(v), 0.0, h - u);
                f_prog(u) * disc.d(u).powi(2) * k2
            },
            0.0,
            h,
        )
    };

    // Death within the horizon, discounted: E[d(D)·1{D < H}] =
    // ∫_0^H f_d S_p(u) d(u) du + ∫_0^H f_p S_d(u) d(u) J(H−u) du, J(x) = ∫_0^x f_s(v) d(v) dv.
    // (A cure fraction of T_s never dies: J only integrates the finite part.)
    let death_payment = |disc: Disc| {
        integrate(&|u| f_death_pf(u) * disc.d(u), 0.0, h)
            + integrate(
                &|u| {
                    let j = integrate_inner(&|v| post.dens(v) * disc.d(v), 0.0, h - u);
                    f_prog(u) * disc.d(u) * j
                },
                0.0,
                h,
            )
    };

    let mut m = Moments::default();

    // State flows.
    let pf_c = pf_flow(dc);
    let pf_c_sq = pf_flow_sq(dc);
    let pd_c = pd_flow(dc);
    let pd_c_sq = pd_flow_sq(dc);
    m.cost[STATE_PF] = PF_COST * pf_c;
    m.cost_sq[STATE_PF] = PF_COST * PF_COST * pf_c_sq;
    m.cost[STATE_PD] = PD_COST * pd_c;
    m.cost_sq[STATE_PD] = PD_COST * PD_COST * pd_c_sq;
    m.cost[POST_PROGRESSION] = reg.post_progression_cost * pd_c;
    m.cost_sq[POST_PROGRESSION] = reg.post_progression_cost.powi(2) * pd_c_sq;
    m.cost[TERMINAL_CARE] = DEATH_COST * death_payment(dc);
    m.cost_sq[TERMINAL_CARE] = DEATH_COST * DEATH_COST * death_payment(dc.squared());

    // Drug and administration: paid at t0 + k·c for k < max_cycles, t0 + k·c < H, while on
    // treatment, i.e. alive and progression-free at t0 + k·c (T_p > t0 + k·c and T_d > t0 + k·c,
    // which implies being treated) and not stopped for toxicity (T_x > k·c):
    // P(paid at k) = S_p(t0 + s)·S_d(t0 + s)·S_x(s), s = k·c. These events are nested (each
    // implies the earlier ones), so for X = Σ_k a_k 1{paid at k}: E[X] = Σ a_k P(paid at k) and
    // E[X²] = Σ_k Σ_l a_k a_l P(paid at max(k, l)).
    let on_treatment = |s: f64| s_m(t0 + s) * reg.discontinuation.map_or(1.0, |x| x.surv(s));
    let drug = reg.drug;
    let (mut mean, mut sq, mut earlier) = (0.0, 0.0, 0.0);
    let mut k = 0usize;
    loop {
        let s = k as f64 * drug.cycle;
        if t0 + s >= HORIZON || drug.max_cycles.is_some_and(|n| k >= n) {
            break;
        }
        let a = dc.d(t0 + s);
        let p = on_treatment(s);
        mean += a * p;
        sq += a * (a + 2.0 * earlier) * p;
        earlier += a;
        k += 1;
    }
    m.cost[drug.category] = drug.price * mean;
    m.cost_sq[drug.category] = drug.price * drug.price * sq;
    m.cost[ADMINISTRATION] = drug.administration * mean;
    m.cost_sq[ADMINISTRATION] = drug.administration * drug.administration * sq;

    // Adverse events at t0, only if treated (probability q = P(M > t0) = S_p(t0)·S_d(t0)), then
    // independent Bernoulli: X = 1{treated}·Σ_i B_i c_i d(t0), so E[X] = q Σ p c d(t0) and
    // E[X²] = q·[Σ p (c d)² + Σ_{i≠j} (p_i c_i d)(p_j c_j d)].
    let treated = s_m(t0);
    let ae_means: Vec<f64> =
        reg.adverse_events.iter().map(|ae| ae.probability * ae.cost * dc.d(t0)).collect();
    let ae_mean: f64 = ae_means.iter().sum();
    m.cost[ADVERSE_EVENTS] = treated * ae_mean;
    m.cost_sq[ADVERSE_EVENTS] = treated
        * (reg
            .adverse_events
            .iter()
            .map(|ae| ae.probability * (ae.cost * dc.d(t0)).powi(2))
            .sum::<f64>()
            + ae_mean * ae_mean
            - ae_means.iter().map(|x| x * x).sum::<f64>());
    let ae_qaly_loss: f64 = treated
        * reg
            .adverse_events
            .iter()
            .map(|ae| ae.probability * ae.qaly_loss * dout.d(t0))
            .sum::<f64>();

    // Outcomes.
    let pf_o = pf_flow(dout);
    let pd_o = pd_flow(dout);
    m.qaly = PF_UTILITY * pf_o + PD_UTILITY * pd_o - ae_qaly_loss;
    m.ly = pf_o + pd_o;
    m.ly_undiscounted = pf_flow(d0) + pd_flow(d0);
    m
}

/// Overall survival (D > t) and progression-free survival (min(P, D) > t) at time t from
/// diagnosis for one branch. The event clocks run from diagnosis, so neither depends on when
/// treatment starts.
fn branch_survival(reg: &Regimen, responder: bool, t: f64) -> (f64, f64) {
    let prog = if responder { reg.progression_responder } else { reg.progression_non_responder };
    let death = reg.death_before_progression;
    let post = reg.post_progression;
    let pfs = prog.surv(t) * death.surv(t);
    let progressed_alive = integrate(&|u| prog.dens(u) * death.surv(u) * post.surv(t - u), 0.0, t);
    (pfs + progressed_alive, pfs)
}

// ---------------------------------------------------------------------------------------------
// Strategies: the discrete tree.

/// One leaf of the discrete tree: probability, regimen, responder, treatment start (which only
/// happens if the patient is still alive and progression-free then).
struct Leaf {
    weight: f64,
    regimen: usize, // 0 = a, 1 = b
    responder: bool,
    t0: f64,
}

fn leaves(strategy: &str, regimens: &[Regimen]) -> (Vec<Leaf>, f64) {
    let mut out = Vec::new();
    let mut testing = 0.0;
    for m in [true, false] {
        let p_m = if m { PREVALENCE_M } else { 1.0 - PREVALENCE_M };
        // (probability of the outcome given m, regimen chosen, t0)
        let outcomes: Vec<(f64, usize, f64)> = match strategy {
            COMPARATOR => vec![(1.0, 1, 0.0)],
            TEST_AND_TREAT => {
                let read_positive = if m { TEST_SENSITIVITY } else { 1.0 - TEST_SPECIFICITY };
                vec![
                    // failed: read negative; cost paid and turnaround elapsed all the same
                    (TEST_FAILURE, 1, TEST_TURNAROUND),
                    ((1.0 - TEST_FAILURE) * read_positive, 0, TEST_TURNAROUND),
                    ((1.0 - TEST_FAILURE) * (1.0 - read_positive), 1, TEST_TURNAROUND),
                ]
            }
            _ => unreachable!(),
        };
        for (p_outcome, r, t0) in outcomes {
            let reg = &regimens[r];
            let p_resp = if m { reg.response_if_m } else { reg.response_otherwise };
            for responder in [true, false] {
                let p = if responder { p_resp } else { 1.0 - p_resp };
                out.push(Leaf { weight: p_m * p_outcome * p, regimen: r, responder, t0 });
            }
        }
    }
    if strategy == TEST_AND_TREAT {
        testing = TEST_COST; // everybody is tested at t = 0 (d(0) = 1)
    }
    (out, testing)
}

struct Expected {
    moments: Moments,
    /// (month, os, pfs)
    survival: Vec<(u32, f64, f64)>,
}

const SURVIVAL_MONTHS: [u32; 6] = [3, 6, 12, 24, 60, 120];

fn expected(strategy: &str) -> Expected {
    let regimens = [regimen_a(), regimen_b()];
    let (leaves, testing) = leaves(strategy, &regimens);
    let total_weight: f64 = leaves.iter().map(|l| l.weight).sum();
    assert!((total_weight - 1.0).abs() < 1e-12, "branch probabilities sum to {total_weight}");
    let mut cache: HashMap<(usize, bool, u64), Moments> = HashMap::new();
    let mut moments = Moments::default();
    for leaf in &leaves {
        let b = cache
            .entry((leaf.regimen, leaf.responder, leaf.t0.to_bits()))
            .or_insert_with(|| branch(&regimens[leaf.regimen], leaf.responder, leaf.t0));
        moments.add_weighted(leaf.weight, b);
    }
    moments.cost[TESTING] = testing;
    moments.cost_sq[TESTING] = testing * testing;
    let survival = SURVIVAL_MONTHS
        .iter()
        .map(|&month| {
            let t = month as f64 / 12.0;
            let (mut os, mut pfs) = (0.0, 0.0);
            for leaf in &leaves {
                let (o, p) = branch_survival(&regimens[leaf.regimen], leaf.responder, t);
                os += leaf.weight * o;
                pfs += leaf.weight * p;
            }
            (month, os, pfs)
        })
        .collect();
    Expected { moments, survival }
}

// ---------------------------------------------------------------------------------------------
// Reading the engine's output.

struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn read_table(path: &Path) -> Table {
    let mut reader = csv::Reader::from_path(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let headers = reader.headers().unwrap().iter().map(str::to_string).collect();
    let rows = reader.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect();
    Table { headers, rows }
}

impl Table {
    fn col(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }
    /// The single row where every (column, value) pair matches.
    fn row(&self, keys: &[(&str, &str)]) -> Option<&Vec<String>> {
        let idx: Vec<(usize, &str)> =
            keys.iter().map(|(c, v)| (self.col(c).unwrap_or(usize::MAX), *v)).collect();
        let mut matching =
            self.rows.iter().filter(|r| idx.iter().all(|(i, v)| r.get(*i).is_some_and(|x| x == v)));
        let first = matching.next();
        assert!(matching.next().is_none(), "more than one row for {keys:?}");
        first
    }
    fn num(&self, row: &[String], name: &str) -> Result<f64, String> {
        let i = self.col(name).ok_or_else(|| format!("missing column `{name}`"))?;
        row[i].parse::<f64>().map_err(|e| format!("column `{name}`: {:?}: {e}", row[i]))
    }
}

/// Collects comparisons, prints them as a table and fails at the end if any is out of bounds.
#[derive(Default)]
struct Report {
    lines: Vec<String>,
    failures: Vec<String>,
}

impl Report {
    /// |got − expected| ≤ tol.
    fn check(&mut self, what: &str, expected: f64, got: f64, se: f64, tol: f64) {
        let ok = (got - expected).abs() <= tol;
        let z = if se > 0.0 { (got - expected) / se } else { f64::NAN };
        let line = format!(
            "{:<52} {:>16.6} {:>16.6} {:>12.6} {:>7.2} {}",
            what,
            expected,
            got,
            se,
            z,
            if ok { "ok" } else { "FAIL" }
        );
        if !ok {
            self.failures.push(format!("{line}  (tolerance {tol:.3e})"));
        }
        self.lines.push(line);
    }
    fn fail(&mut self, message: String) {
        self.lines.push(format!("FAIL {message}"));
        self.failures.push(message);
    }
}

/// Allowed distance in Monte Carlo standard errors.
const Z: f64 = 4.0;
/// Slack for quadrature error (relative, far below any MCSE here).
const QUAD_REL: f64 = 1e-8;

fn fmt_threshold(l: f64) -> String {
    format!("{}", l as i64)
}

#[test]
fn engine_matches_numerical_integration() {
    let expected_all: Vec<(&str, Expected)> =
        [COMPARATOR, TEST_AND_TREAT].iter().map(|s| (*s, expected(s))).collect();

    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    assert_cmd::Command::cargo_bin("vbpsim")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["run", SCENARIO, "--out"])
        .arg(&out)
        .arg("--quiet")
        .assert()
        .success();

    let summary = read_table(&out.join("summary.csv"));
    let costs = read_table(&out.join("costs.csv"));
    let survival_table = out.join("survival.csv");
    let mut report = Report::default();

    let get = |report: &mut Report, table: &Table, row: &[String], col: &str| -> Option<f64> {
        match table.num(row, col) {
            Ok(x) => Some(x),
            Err(e) => {
                report.fail(e);
                None
            }
        }
    };

    let mut sim_rows = HashMap::new();
    for (strategy, exp) in &expected_all {
        let e = &exp.moments;
        let Some(row) = summary.row(&[("strategy", strategy), ("contract", "list")]).cloned()
        else {
            report.fail(format!("summary.csv has no row for {strategy} / list"));
            continue;
        };
        sim_rows.insert(*strategy, row.clone());

        // Totals against the engine's own MCSE.
        let totals = [
            ("cost", e.total_cost()),
            ("qaly", e.qaly),
            ("ly", e.ly),
            ("ly_undiscounted", e.ly_undiscounted),
        ];
        let mut sim_cost = None;
        for (col, want) in totals {
            let (Some(got), Some(se)) = (
                get(&mut report, &summary, &row, col),
                get(&mut report, &summary, &row, &format!("{col}_mcse")),
            ) else {
                continue;
            };
            if col == "cost" {
                sim_cost = Some(got);
            }
            report.check(
                &format!("{strategy} {col}"),
                want,
                got,
                se,
                Z * se + QUAD_REL * want.abs(),
            );
        }
        // Net monetary benefit λ·qaly − cost, with its MCSE.
        for l in THRESHOLDS {
            let col = format!("nmb_{}", fmt_threshold(l));
            let want = l * e.qaly - e.total_cost();
            if let (Some(got), Some(se)) = (
                get(&mut report, &summary, &row, &col),
                get(&mut report, &summary, &row, &format!("{col}_mcse")),
            ) {
                report.check(
                    &format!("{strategy} {col}"),
                    want,
                    got,
                    se,
                    Z * se + QUAD_REL * (l * e.qaly).abs(),
                );
            }
        }

        // Categories: no MCSE is reported per category, so the standard error is derived from
        // the exact second moment of each category's per-patient cost (E[X²] − E[X]² under the
        // model, computed alongside the mean), SE = SD/√N, and the same 4·SE is allowed.
        // (Testing is a constant per arm: SE 0, only rounding slack.)
        let mut cat_sum = 0.0;
        for (k, name) in CATEGORY_NAMES.iter().enumerate() {
            let Some(crow) = costs
                .row(&[("strategy", strategy), ("contract", "list"), ("category", name)])
                .cloned()
            else {
                report.fail(format!("costs.csv has no row for {strategy} / list / {name}"));
                continue;
            };
            let Some(got) = get(&mut report, &costs, &crow, "cost") else {
                continue;
            };
            cat_sum += got;
            let se = e.category_sd(k) / PATIENTS.sqrt();
            report.check(
                &format!("{strategy} cost[{name}]"),
                e.cost[k],
                got,
                se,
                Z * se + QUAD_REL * e.cost[k].abs() + 1e-9,
            );
        }
        let n_listed = costs
            .rows
            .iter()
            .filter(|r| {
                r[costs.col("strategy").unwrap()] == *strategy
                    && r[costs.col("contract").unwrap()] == "list"
            })
            .count();
        if n_listed != N_CATEGORIES {
            report.fail(format!(
                "costs.csv lists {n_listed} categories for {strategy}, expected {N_CATEGORIES}"
            ));
        }
        if let Some(c) = sim_cost
            && (cat_sum - c).abs() > 1e-9 * c.abs()
        {
            report.fail(format!(
                "{strategy}: costs.csv categories sum to {cat_sum}, summary.csv cost is {c}"
            ));
        }
    }

    // Increments of the test strategy over the comparator (paired MCSE from the engine).
    let (e_cmp, e_tt) = (&expected_all[0].1.moments, &expected_all[1].1.moments);
    if let Some(row) = sim_rows.get(TEST_AND_TREAT).cloned() {
        let incs = [
            ("inc_cost", e_tt.total_cost() - e_cmp.total_cost()),
            ("inc_qaly", e_tt.qaly - e_cmp.qaly),
        ];
        for (col, want) in incs {
            if let (Some(got), Some(se)) = (
                get(&mut report, &summary, &row, col),
                get(&mut report, &summary, &row, &format!("{col}_mcse")),
            ) {
                let scale = if col == "inc_cost" { e_tt.total_cost() } else { 1.0 };
                report.check(
                    &format!("{TEST_AND_TREAT} {col}"),
                    want,
                    got,
                    se,
                    Z * se + QUAD_REL * scale,
                );
            }
        }
        for l in THRESHOLDS {
            let col = format!("inc_nmb_{}", fmt_threshold(l));
            let want = l * (e_tt.qaly - e_cmp.qaly) - (e_tt.total_cost() - e_cmp.total_cost());
            if let (Some(got), Some(se)) = (
                get(&mut report, &summary, &row, &col),
                get(&mut report, &summary, &row, &format!("{col}_mcse")),
            ) {
                report.check(
                    &format!("{TEST_AND_TREAT} {col}"),
                    want,
                    got,
                    se,
                    Z * se + QUAD_REL * l * e_tt.qaly,
                );
            }
        }
    }
    // The comparator against itself: exactly zero.
    if let Some(row) = sim_rows.get(COMPARATOR).cloned() {
        for col in ["inc_cost", "inc_qaly", "inc_ly"] {
            if let Some(got) = get(&mut report, &summary, &row, col) {
                report.check(&format!("{COMPARATOR} {col}"), 0.0, got, 0.0, 0.0);
            }
        }
    }

    // survival.csv: shares of patients, binomial SE √(p(1−p)/N). The normal approximation behind
    // "4 SE" needs enough patients on both sides: a share with fewer than 1000 expected patients
    // (pfs at 5 and 10 years, ~8–300 patients) is skipped, as its Poisson tail at +4 SE is
    // far heavier than the normal one.
    if survival_table.exists() {
        let surv = read_table(&survival_table);
        for (strategy, exp) in &expected_all {
            for &(month, os, pfs) in &exp.survival {
                let Some(row) =
                    surv.row(&[("strategy", strategy), ("month", &month.to_string())]).cloned()
                else {
                    report.fail(format!("survival.csv has no row for {strategy} month {month}"));
                    continue;
                };
                for (col, want) in [("os", os), ("pfs", pfs)] {
                    if want.min(1.0 - want) * PATIENTS < 1000.0 {
                        continue;
                    }
                    if let Some(got) = get(&mut report, &surv, &row, col) {
                        let se = (want * (1.0 - want) / PATIENTS).sqrt();
                        report.check(
                            &format!("{strategy} {col} month {month}"),
                            want,
                            got,
                            se,
                            Z * se + 1e-9,
                        );
                    }
                }
            }
        }
    } else {
        report.fail("survival.csv was not written".to_string());
    }

    println!("{:<52} {:>16} {:>16} {:>12} {:>7}", "quantity", "expected", "simulated", "mcse", "z");
    for line in &report.lines {
        println!("{line}");
    }
    assert!(
        report.failures.is_empty(),
        "{} comparison(s) out of bounds:\n{}",
        report.failures.len(),
        report.failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Self-checks of the independent machinery (no binary needed): the quadrature, erfc and the
// branch formulas against closed forms.

#[test]
fn quadrature_and_special_functions_are_accurate() {
    // ∫_0^1 x^0.2 dx = 1/1.2 (endpoint singularity of the derivative, as in Weibull densities)
    let v = integrate(&|x| x.powf(0.2), 0.0, 1.0);
    assert!((v - 1.0 / 1.2).abs() < 1e-9, "{v}");
    // ∫_0^15 e^{-3x} dx
    let v = integrate(&|x| (-3.0 * x).exp(), 0.0, 15.0);
    assert!((v - (1.0 - (-45.0f64).exp()) / 3.0).abs() < 1e-12, "{v}");
    // Weibull and log-logistic densities integrate to 1 − S; Gompertz with negative shape to
    // 1 − S too (the cure fraction stays out).
    for d in [
        Dist::Weibull { shape: 1.2, scale: 10.0 * MONTH },
        Dist::Weibull { shape: 1.4, scale: 20.0 * MONTH },
        Dist::LogLogistic { shape: 2.5, scale: 9.0 * MONTH },
        Dist::LogNormal { meanlog: (3.0 * MONTH).ln(), sdlog: 0.8 },
        Dist::Gompertz { shape: -0.3, rate: 0.6 },
    ] {
        let v = integrate(&|t| d.dens(t), 0.0, 15.0);
        assert!((v - (1.0 - d.surv(15.0))).abs() < 1e-9, "{d:?}: {v}");
    }
    // Medians by construction.
    assert!(
        (Dist::LogNormal { meanlog: (3.0 * MONTH).ln(), sdlog: 0.8 }.surv(3.0 * MONTH) - 0.5).abs()
            < 1e-15
    );
    assert!(
        (Dist::LogLogistic { shape: 2.5, scale: 9.0 * MONTH }.surv(9.0 * MONTH) - 0.5).abs()
            < 1e-15
    );
    // Gompertz cure fraction exp(−rate/|shape|) = e^-2.
    let g = Dist::Gompertz { shape: -0.3, rate: 0.6 };
    assert!((g.surv(1e3) - (-2.0f64).exp()).abs() < 1e-12);
    // erfc reference values (Abramowitz & Stegun table 7.1 / mpmath).
    for (x, want) in [
        (0.0, 1.0),
        (0.5, 0.4795001221869535),
        (1.0, 0.15729920705028513),
        (2.0, 0.004677734981047266),
        (3.0, 2.209049699858544e-05),
        (-1.0, 1.8427007929497148),
    ] {
        assert!((erfc(x) - want).abs() < 1e-15 + 1e-13 * want, "erfc({x}) = {} vs {want}", erfc(x));
    }
}

#[test]
fn branch_formulas_match_closed_forms_for_exponentials() {
    // All clocks exponential: closed forms, horizon included. Progression λp and death before
    // progression λd from diagnosis (a = λp + λd, so P(M > t) = e^{−at}), post-progression λs
    // from progression, toxicity stop λx from treatment start t0; discount ρ.
    let (lp, ld, ls, lx) = (1.3, 0.2, 0.9, 0.5);
    let ae = AdverseEvent { probability: 0.3, cost: 700.0, qaly_loss: 0.04 };
    let reg = Regimen {
        name: "exp",
        drug: Drug {
            category: DRUG_A,
            price: 1.0,
            cycle: 0.1,
            max_cycles: Some(5),
            administration: 2.0,
        },
        response_if_m: 1.0,
        response_otherwise: 1.0,
        progression_responder: Dist::Exponential { rate: lp },
        progression_non_responder: Dist::Exponential { rate: lp },
        death_before_progression: Dist::Exponential { rate: ld },
        post_progression: Dist::Exponential { rate: ls },
        post_progression_cost: 0.0,
        discontinuation: Some(Dist::Exponential { rate: lx }),
        adverse_events: vec![ae],
    };
    // A wait long enough that P(untreated) = 1 − e^{−a·t0} ≈ 0.14 matters.
    let t0 = 0.1;
    let m = branch(&reg, true, t0);
    let h = HORIZON;
    let a = lp + ld;
    let treated = (-a * t0).exp();
    let close = |got: f64, want: f64, what: &str| {
        assert!((got - want).abs() <= 1e-9 * want.abs().max(1.0), "{what}: {got} vs {want}");
    };

    // Progression-free and progressed time within H, discounted at log-rate ρ (ρ = 0: plain
    // time), from diagnosis whatever t0:
    // pf = ∫_0^H e^{−(a+ρ)u} du;
    // pd = ∫_0^H λp e^{−(a+ρ)u} (1 − e^{−(λs+ρ)(H−u)})/(λs+ρ) du.
    let flows = |rho: f64| {
        let ar = a + rho;
        let lsr = ls + rho;
        let pf = (1.0 - (-ar * h).exp()) / ar;
        let pd = lp / lsr
            * ((1.0 - (-ar * h).exp()) / ar - ((-lsr * h).exp() - (-ar * h).exp()) / (ar - lsr));
        (pf, pd)
    };
    let ro = (1.0f64 + DISCOUNT_OUTCOMES).ln();
    let rc = (1.0f64 + DISCOUNT_COSTS).ln();
    let (pf_u, pd_u) = flows(0.0);
    close(m.ly_undiscounted, pf_u + pd_u, "undiscounted LYs");
    let (pf_o, pd_o) = flows(ro);
    close(m.ly, pf_o + pd_o, "LYs");
    // QALYs: adverse events at t0, only if treated.
    let want_qaly = PF_UTILITY * pf_o + PD_UTILITY * pd_o
        - treated * ae.probability * ae.qaly_loss * (-ro * t0).exp();
    close(m.qaly, want_qaly, "QALYs");
    let (pf_c, pd_c) = flows(rc);
    close(m.cost[STATE_PF], PF_COST * pf_c, "progression-free cost");
    close(m.cost[STATE_PD], PD_COST * pd_c, "progressed cost");
    // Second moment of the progression-free cost: E[I(min(M, H))²] with I(x) = (1 − e^{−ρx})/ρ
    // = ∫_0^H 2 I(m) e^{−ρm} e^{−am} dm
    // = (2/ρ)·[(1 − e^{−(a+ρ)H})/(a+ρ) − (1 − e^{−(a+2ρ)H})/(a+2ρ)].
    let want_pf_sq = 2.0 / rc
        * ((1.0 - (-(a + rc) * h).exp()) / (a + rc)
            - (1.0 - (-(a + 2.0 * rc) * h).exp()) / (a + 2.0 * rc));
    close(m.cost_sq[STATE_PF], PF_COST * PF_COST * want_pf_sq, "progression-free cost²");
    // Terminal care: E[d(D); D < H] = λd (1 − e^{−(a+ρ)H})/(a+ρ) + λs·pd(ρ) (the second term:
    // death after progression has density λs e^{−λs v}, where pd integrates e^{−λs v}).
    let want_term = DEATH_COST * (ld * (1.0 - (-(a + rc) * h).exp()) / (a + rc) + ls * pd_c);
    close(m.cost[TERMINAL_CARE], want_term, "terminal care");

    // Drug: paid at t0 + 0.1k, k < 5, if T_p, T_d > t0 + 0.1k and T_x > 0.1k:
    // Σ_k d_c(t0 + 0.1k)·e^{−a(t0 + 0.1k)}·e^{−λx·0.1k}. Administration 2 per cycle.
    let want_drug: f64 = (0..5)
        .map(|k| {
            let s = 0.1 * k as f64;
            (-rc * (t0 + s) - a * (t0 + s) - lx * s).exp()
        })
        .sum();
    close(m.cost[DRUG_A], want_drug, "drug");
    close(m.cost[ADMINISTRATION], 2.0 * want_drug, "administration");
    // Adverse event at t0 if treated: mean p·c·d_c(t0)·e^{−a t0}, second moment
    // p·(c·d_c(t0))²·e^{−a t0}.
    let ae_cost = ae.cost * (-rc * t0).exp();
    close(m.cost[ADVERSE_EVENTS], treated * ae.probability * ae_cost, "adverse events");
    close(
        m.cost_sq[ADVERSE_EVENTS],
        treated * ae.probability * ae_cost * ae_cost,
        "adverse events²",
    );

    // Without a wait everybody is treated; the trajectory is the same.
    let m0 = branch(&reg, true, 0.0);
    close(m0.cost[ADVERSE_EVENTS], ae.probability * ae.cost, "adverse events, t0 = 0");
    for k in [STATE_PF, STATE_PD, POST_PROGRESSION, TERMINAL_CARE] {
        assert_eq!(m0.cost[k], m.cost[k], "{}", CATEGORY_NAMES[k]);
        assert_eq!(m0.cost_sq[k], m.cost_sq[k], "{}²", CATEGORY_NAMES[k]);
    }
    assert_eq!((m0.ly, m0.ly_undiscounted), (m.ly, m.ly_undiscounted));

    // Survival from diagnosis: pfs(t) = e^{−at}, os(t) = e^{−at} + λp (e^{−λs t} − e^{−at})/(a − λs).
    for t in [0.05, 0.25, 1.0, 5.0] {
        let (os, pfs) = branch_survival(&reg, true, t);
        close(pfs, (-a * t).exp(), "pfs");
        let want_os = (-a * t).exp() + lp * ((-ls * t).exp() - (-a * t).exp()) / (a - ls);
        close(os, want_os, "os");
    }
}
