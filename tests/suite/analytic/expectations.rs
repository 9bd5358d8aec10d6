//! The expectations: one branch's moments by integration over the event times, and each
//! strategy's by summing the branches of its discrete tree.

use super::model::{
    ADMINISTRATION, ADVERSE_EVENTS, COMPARATOR, DEATH_COST, DISCOUNT_COSTS, DISCOUNT_OUTCOMES,
    HORIZON, Moments, PD_COST, PD_UTILITY, PF_COST, PF_UTILITY, POST_PROGRESSION, PREVALENCE_M,
    Regimen, STATE_PD, STATE_PF, TERMINAL_CARE, TEST_AND_TREAT, TEST_COST, TEST_FAILURE,
    TEST_SENSITIVITY, TEST_SPECIFICITY, TEST_TURNAROUND, TESTING, regimen_a, regimen_b,
};
use super::numerics::{Disc, Dist, integrate, integrate_inner};
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
    branch_waiting(reg, responder, t0, (reg, responder))
}

/// A clock that follows `wait` from diagnosis until t0 and `then` after it, its cumulative
/// hazard continued (the clock still from diagnosis): S(u) = S_w(u) up to t0, then
/// S_w(t0)·S_t(u)/S_t(t0); its density likewise.
#[derive(Clone, Copy)]
struct Clock {
    wait: Dist,
    then: Dist,
    t0: f64,
}

impl Clock {
    fn surv(&self, u: f64) -> f64 {
        if u <= self.t0 {
            self.wait.surv(u)
        } else {
            self.wait.surv(self.t0) * self.then.surv(u) / self.then.surv(self.t0)
        }
    }
    fn dens(&self, u: f64) -> f64 {
        if u <= self.t0 {
            self.wait.dens(u)
        } else {
            self.wait.surv(self.t0) * self.then.dens(u) / self.then.surv(self.t0)
        }
    }
}

/// ∫_a^b f, split at `t0` when it lies inside (a clock's density jumps there).
fn integrate_split(f: &dyn Fn(f64) -> f64, a: f64, b: f64, t0: f64) -> f64 {
    if a < t0 && t0 < b { integrate(f, a, t0) + integrate(f, t0, b) } else { integrate(f, a, b) }
}

/// [`branch`] for a patient who waits on regimen `wait` (responder or not on it) until t0: the
/// progression and death-before-progression clocks follow the waiting regimen's curves until
/// t0 and `reg`'s after (docs, Model → Waiting for a result); a progression during the wait is
/// followed by the waiting regimen's post-progression survival and cost, a later one by
/// `reg`'s.
pub(super) fn branch_waiting(
    reg: &Regimen,
    responder: bool,
    t0: f64,
    (wait, wait_responder): (&Regimen, bool),
) -> Moments {
    assert!(t0 < HORIZON, "regimen {} starts after the horizon", reg.name);
    let pick = |r: &Regimen, resp: bool| {
        if resp { r.progression_responder } else { r.progression_non_responder }
    };
    // Waiting on the treatment's own course changes nothing: the clocks switch nowhere.
    let switch = if std::ptr::eq(wait, reg) && wait_responder == responder { 0.0 } else { t0 };
    let prog = Clock { wait: pick(wait, wait_responder), then: pick(reg, responder), t0: switch };
    let death = Clock {
        wait: wait.death_before_progression,
        then: reg.death_before_progression,
        t0: switch,
    };
    // After a progression at u: the regimen the patient was on then.
    let post_at = |u: f64| if u <= switch { wait.post_progression } else { reg.post_progression };
    let post_cost_at =
        |u: f64| if u <= switch { wait.post_progression_cost } else { reg.post_progression_cost };
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
    let pf_flow = |disc: Disc| integrate_split(&|u| disc.d(u) * s_m(u), 0.0, h, switch);
    // Second moment: g(m) = I(min(m, H)), g(0) = 0, E[g(M)²] = ∫_0^H 2 g(m) g'(m) S_M(m) dm.
    let pf_flow_sq =
        |disc: Disc| integrate_split(&|m| 2.0 * disc.flow(m) * disc.d(m) * s_m(m), 0.0, h, switch);

    // Progressed time, discounted: Y = 1{T_p < T_d, T_p < H}·d(T_p)·I(min(T_s, H − T_p)).
    // E[Y] = ∫_0^H f_p S_d(u) d(u) K(H−u) du with K(x) = E[I(min(T_s, x))] = ∫_0^x d(v) S_s(v) dv.
    // `weight(u)`: a cost per year of the progressed state that depends on when it began.
    let pd_flow_weighted = |disc: Disc, weight: &dyn Fn(f64) -> f64| {
        integrate_split(
            &|u| {
                let post = post_at(u);
                let k = integrate_inner(&|v| disc.d(v) * post.surv(v), 0.0, h - u);
                weight(u) * f_prog(u) * disc.d(u) * k
            },
            0.0,
            h,
            switch,
        )
    };
    let pd_flow = |disc: Disc| pd_flow_weighted(disc, &|_| 1.0);
    // E[Y²] = ∫_0^H f_p S_d(u) d(u)² K2(H−u) du with
    // K2(x) = E[I(min(T_s, x))²] = ∫_0^x 2 I(v) d(v) S_s(v) dv.
    let pd_flow_sq_weighted = |disc: Disc, weight: &dyn Fn(f64) -> f64| {
        integrate_split(
            &|u| {
                let post = post_at(u);
                let k2 =
                    integrate_inner(&|v| 2.0 * disc.flow(v) * disc.d(v) * post.surv(v), 0.0, h - u);
                weight(u) * f_prog(u) * disc.d(u).powi(2) * k2
            },
            0.0,
            h,
            switch,
        )
    };
    let pd_flow_sq = |disc: Disc| pd_flow_sq_weighted(disc, &|_| 1.0);

    // Death within the horizon, discounted: E[d(D)·1{D < H}] =
    // ∫_0^H f_d S_p(u) d(u) du + ∫_0^H f_p S_d(u) d(u) J(H−u) du, J(x) = ∫_0^x f_s(v) d(v) dv.
    // (A cure fraction of T_s never dies: J only integrates the finite part.)
    let death_payment = |disc: Disc| {
        integrate_split(&|u| f_death_pf(u) * disc.d(u), 0.0, h, switch)
            + integrate_split(
                &|u| {
                    let post = post_at(u);
                    let j = integrate_inner(&|v| post.dens(v) * disc.d(v), 0.0, h - u);
                    f_prog(u) * disc.d(u) * j
                },
                0.0,
                h,
                switch,
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
    m.cost[POST_PROGRESSION] = pd_flow_weighted(dc, &post_cost_at);
    m.cost_sq[POST_PROGRESSION] = pd_flow_sq_weighted(dc, &|u| post_cost_at(u).powi(2));
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
    branch_survival_waiting(reg, responder, 0.0, (reg, responder), t)
}

/// [`branch_survival`] for a patient waiting on another regimen until t0 (as
/// [`branch_waiting`]).
fn branch_survival_waiting(
    reg: &Regimen,
    responder: bool,
    t0: f64,
    (wait, wait_responder): (&Regimen, bool),
    t: f64,
) -> (f64, f64) {
    let pick = |r: &Regimen, resp: bool| {
        if resp { r.progression_responder } else { r.progression_non_responder }
    };
    let prog = Clock { wait: pick(wait, wait_responder), then: pick(reg, responder), t0 };
    let death =
        Clock { wait: wait.death_before_progression, then: reg.death_before_progression, t0 };
    let post_at = |u: f64| if u <= t0 { wait.post_progression } else { reg.post_progression };
    let pfs = prog.surv(t) * death.surv(t);
    let progressed_alive =
        integrate_split(&|u| prog.dens(u) * death.surv(u) * post_at(u).surv(t - u), 0.0, t, t0);
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
    /// Whether the patient responds to the regimen waited on until t0: the strategy's default,
    /// b (one response uniform for every regimen, so responders to the less active of a and b
    /// respond to the more active one).
    wait_responder: bool,
}

/// The regimen a tested patient waits on: test_and_treat's default, b (it has no bridging).
const WAITING: usize = 1;

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
        let response = |r: &Regimen| if m { r.response_if_m } else { r.response_otherwise };
        for (p_outcome, r, t0) in outcomes {
            // U < p responds: the joint response to the treatment and to the waited-on
            // regimen splits [0, 1) at both probabilities.
            let (p_then, p_wait) = (response(&regimens[r]), response(&regimens[WAITING]));
            for responder in [true, false] {
                for wait_responder in [true, false] {
                    let p = match (responder, wait_responder) {
                        (true, true) => p_then.min(p_wait),
                        (true, false) => (p_then - p_wait).max(0.0),
                        (false, true) => (p_wait - p_then).max(0.0),
                        (false, false) => 1.0 - p_then.max(p_wait),
                    };
                    let weight = p_m * p_outcome * p;
                    out.push(Leaf { weight, regimen: r, responder, t0, wait_responder });
                }
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
    let mut cache: HashMap<(usize, bool, u64, bool), Moments> = HashMap::new();
    let mut moments = Moments::default();
    // A patient treated at once, or waiting on the regimen of the treatment, follows its
    // course from diagnosis; one waiting on another regimen follows that one until t0.
    let waits = |leaf: &Leaf| leaf.t0 > 0.0 && leaf.regimen != WAITING;
    for leaf in leaves.iter().filter(|l| l.weight > 0.0) {
        let key =
            (leaf.regimen, leaf.responder, leaf.t0.to_bits(), leaf.wait_responder && waits(leaf));
        let b = cache.entry(key).or_insert_with(|| {
            let reg = &regimens[leaf.regimen];
            if waits(leaf) {
                let wait = (&regimens[WAITING], leaf.wait_responder);
                branch_waiting(reg, leaf.responder, leaf.t0, wait)
            } else {
                branch(reg, leaf.responder, leaf.t0)
            }
        });
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
                let reg = &regimens[leaf.regimen];
                let (o, p) = if waits(leaf) {
                    let wait = (&regimens[WAITING], leaf.wait_responder);
                    branch_survival_waiting(reg, leaf.responder, leaf.t0, wait, t)
                } else {
                    branch_survival(reg, leaf.responder, t)
                };
                os += leaf.weight * o;
                pfs += leaf.weight * p;
            }
            (month, os, pfs)
        })
        .collect();
    Expected { moments, survival }
}
