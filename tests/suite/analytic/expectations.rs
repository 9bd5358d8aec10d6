//! The expectations: one branch's moments by integration over the event times, and each
//! strategy's by summing the branches of its discrete tree.

use super::model::{
    ADMINISTRATION, ADVERSE_EVENTS, COMPARATOR, DEATH_COST, DISCOUNT_COSTS, DISCOUNT_OUTCOMES,
    HORIZON, Moments, PD_COST, PD_UTILITY, PF_COST, PF_UTILITY, POST_PROGRESSION, PREVALENCE_M,
    Regimen, STATE_PD, STATE_PF, TERMINAL_CARE, TEST_AND_TREAT, TEST_COST, TEST_FAILURE,
    TEST_SENSITIVITY, TEST_SPECIFICITY, TEST_TURNAROUND, TESTING, regimen_a, regimen_b,
};
use super::numerics::{Disc, integrate, integrate_inner};
use std::collections::HashMap;

/// Expectations for a patient assigned regimen `reg` (responder or not) whose treatment would
/// start at `t0`.
///
/// Notation: T_p progression, T_d death before progression, both measured from diagnosis
/// (t = 0); T_s post-progression survival, measured from progression; T_x discontinuation,
/// measured from t0; all independent. M = min(T_p, T_d) is the progression-free time;
/// progression happens iff T_p < T_d. The trajectory (state flows, terminal care, QALYs before
/// adverse events, LYs) does not depend on t0; treatment (drug, administration, adverse events)
/// happens only if the patient is alive and progression-free at t0, i.e. M > t0.
pub(super) fn branch(reg: &Regimen, responder: bool, t0: f64) -> Moments {
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
pub(super) fn branch_survival(reg: &Regimen, responder: bool, t: f64) -> (f64, f64) {
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

pub(super) struct Expected {
    pub(super) moments: Moments,
    /// (month, os, pfs)
    pub(super) survival: Vec<(u32, f64, f64)>,
}

const SURVIVAL_MONTHS: [u32; 6] = [3, 6, 12, 24, 60, 120];

pub(super) fn expected(strategy: &str) -> Expected {
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
